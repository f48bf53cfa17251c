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
    projects: [
      {
        extends: true,
        // Each unit test file stops what it starts, so the files of a worker share one module
        // graph: loading it afresh for every file cost more CPU than the tests themselves.
        test: { name: 'unit', include: ['src/**/*.test.ts'], isolate: false },
      },
      {
        extends: true,
        // End-to-end files run servers and child processes: each gets a process of its own.
        test: { name: 'e2e', include: ['test/**/*.test.ts'] },
      },
    ],
  },
});
