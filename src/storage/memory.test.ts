import { describeStoreConformance } from './conformance.js';
import { MemoryStore } from './memory.js';

describeStoreConformance('memory', async () => new MemoryStore());
