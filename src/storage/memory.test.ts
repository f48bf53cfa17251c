import { describeStoreConformance } from './conformance.testing.js';
import { MemoryStore } from './memory.js';

describeStoreConformance('memory', async () => new MemoryStore());
