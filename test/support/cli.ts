// The `concord` command as a user runs it, for end-to-end tests: from the sources (through tsx), or
// the built command (bin/concord.js over dist/, which `npm test` builds first); one-shot commands
// with their output, long-running ones as child processes ready once they print a given line.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startNodeChild, type TestChild } from './child.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** The arguments that run `concord` from the sources with this Node.js. */
export const CONCORD = ['--import', 'tsx', MAIN];

export interface RunningConcord {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr together. */
  readonly output: string;
  /** Sends SIGTERM (or the signal given) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `concord ...args` and resolves once its output contains `ready`. */
export async function startConcord(
  args: string[],
  ready: string,
  timeoutMs = 90_000,
  opts: { cwd?: string; built?: boolean } = {},
): Promise<RunningConcord> {
  if (opts.built) checkBuilt();
  // The built command runs as `npm start` runs it (bin/concord.js over dist/).
  const command = opts.built ? ['--max-semi-space-size=64', BIN] : CONCORD;
  const child = spawn(process.execPath, [...command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = Date.now();
  while (!output.includes(ready)) {
    if (child.exitCode !== null)
      throw new Error(`concord ${args.join(' ')} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`concord ${args.join(' ')} did not print "${ready}" in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    get output() {
      return output;
    },
    stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

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
export function startBuiltConcord(args: string[], ready: RegExp, timeoutMs = 60_000): Promise<CliProcess> {
  checkBuilt();
  return startNodeChild(`concord ${args.join(' ')}`, [BIN, ...args], ready, timeoutMs);
}
