// Starts sim-worker.ts from its TypeScript source through tsx: how the worker runs when the hub
// itself runs from source (the test runner). The compiled hub starts sim-worker.js directly.
import { workerData } from 'node:worker_threads';

const { tsImport } = await import('tsx/esm/api');
await tsImport(workerData.entry, import.meta.url);
