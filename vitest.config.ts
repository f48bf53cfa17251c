import { defineConfig } from 'vitest/config';

// Unit tests sit beside the code (src/**/*.test.ts); end-to-end tests live in test/.
// Two workers: this is what a 2-core CI machine can run without starving the servers under test.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/global.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // The files of a worker share one module graph (isolate: false): loading the graph afresh for
    // each file cost more CPU than most unit tests themselves, and seconds per end-to-end file. So a
    // test file stops what it starts and puts back what it changes (fake timers, mocks).
    isolate: false,
    // End-to-end files first (projects run in name order): they are the long ones, and the short
    // unit files fill the workers at the end.
    projects: [
      { extends: true, test: { name: 'e2e', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'] } },
    ],
  },
});
