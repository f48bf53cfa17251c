// The built `concord` command (bin/concord.js over dist/, which `npm test` builds first) for tests
// that run it as users do: one-shot commands with their output, and long-running ones (a
// simulated cluster) as child processes waiting for a line of their output.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

export interface CliProcess {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

/** Starts `concord ARGS...` and resolves once its output matches `ready`. */
export async function startConcord(args: string[], ready: RegExp, timeoutMs = 60_000): Promise<CliProcess> {
  checkBuilt();
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const started = Date.now();
  while (!ready.test(output)) {
    if (child.exitCode !== null)
      throw new Error(`concord ${args.join(' ')} exited with ${child.exitCode}:\n${output}`);
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`concord ${args.join(' ')} did not get ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
