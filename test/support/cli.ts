// The built `concord` command (bin/concord.js over dist/, which `npm test` builds first) for tests
// that run it as users do: one-shot commands with their output, and long-running ones (a
// simulated cluster) as child processes ready once they print a given line.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startNodeChild, type TestChild } from './child.js';

const BIN = fileURLToPath(new URL('../../bin/concord.js', import.meta.url));
const BUILT = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

function checkBuilt(): void {
  if (!existsSync(BUILT)) {
    throw new Error(`the concord CLI is not built (${BUILT} is missing): run \`npm run build\` first`);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `concord ARGS...` to its end. */
export function concord(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  checkBuilt();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { timeout: opts.timeoutMs ?? 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

export type CliProcess = TestChild;

/** Starts `concord ARGS...` and resolves once its output matches `ready`. */
export function startConcord(args: string[], ready: RegExp, timeoutMs = 60_000): Promise<CliProcess> {
  checkBuilt();
  return startNodeChild(`concord ${args.join(' ')}`, [BIN, ...args], ready, timeoutMs);
}
