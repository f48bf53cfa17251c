// The `concord` command as a user runs it, for end-to-end tests: the built command (bin/concord.js
// over dist/, which `npm test` builds first), as `npm start` runs it — not the sources through tsx,
// whose loader costs seconds of CPU at every start; one-shot commands with their output,
// long-running ones as child processes ready once they print a given line.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodeChild, type TestChild } from './child.js';

/** The arguments that run the built `concord` with this Node.js; fails when dist/ is missing or stale. */
export function concordArgs(): string[] {
  checkBuilt();
  return ['--max-semi-space-size=64', BIN];
}

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
  opts: { cwd?: string } = {},
): Promise<RunningConcord> {
  const child = spawn(process.execPath, [...concordArgs(), ...args], {
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
const SRC = fileURLToPath(new URL('../../src', import.meta.url));

let built = false;

/**
 * The tests run the built command, so a build older than the sources would test old code: each
 * build rewrites every file of dist/, so a source file newer than the built entry point means
 * `npm run build` has not run since it changed.
 */
function checkBuilt(): void {
  if (built) return;
  if (!existsSync(BUILT)) {
    throw new Error(`the concord CLI is not built (${BUILT} is missing): run \`npm run build\` first`);
  }
  const builtAt = statSync(BUILT).mtimeMs;
  const newer = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).find(
    (f) =>
      f.endsWith('.ts') &&
      !/\.test(ing)?\.ts$/.test(f) &&
      !f.startsWith('web/') &&
      statSync(join(SRC, f)).mtimeMs > builtAt,
  );
  if (newer) {
    throw new Error(`the concord CLI is older than src/${newer}: run \`npm run build\` first`);
  }
  built = true;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `concord ARGS...` to its end. */
export function concord(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...concordArgs(), ...args],
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
  return startNodeChild(`concord ${args.join(' ')}`, [...concordArgs(), ...args], ready, timeoutMs);
}
