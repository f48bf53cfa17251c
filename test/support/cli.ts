// The `concord` command as a user runs it, for end-to-end tests: a child process from the sources
// (through tsx), its output collected, stopped with SIGTERM as Ctrl-C or a service manager would.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** The arguments that run `concord` from the sources with this Node.js. */
export const CONCORD = ['--import', 'tsx', MAIN];

export interface RunningConcord {
  child: ChildProcess;
  /** Everything printed so far, stdout and stderr together. */
  readonly output: string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `concord ...args` and resolves once its output contains `ready`. */
export async function startConcord(
  args: string[],
  ready: string,
  timeoutMs = 90_000,
): Promise<RunningConcord> {
  const child = spawn(process.execPath, [...CONCORD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
