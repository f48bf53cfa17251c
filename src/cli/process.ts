// Process plumbing shared by the commands. Light on purpose: every command imports it, and a
// short command (`concord fault`, `join`, `status`) should load nothing of the hub or the sims.

import { relative } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { errorMessage } from '../machinery/status.js';

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`--port: not a port number: ${value}`);
  return n;
}

/**
 * `--anonymous-auth[=true|false]`, as kube-apiserver's flag: requests without a credential are
 * system:anonymous (RBAC gives them health and version) unless it is false, which answers them 401.
 */
export function anonymousAuthOption(): Option {
  return new Option(
    '--anonymous-auth [bool]',
    'let requests without a credential in as system:anonymous (false: answer them 401)',
  )
    .default(true)
    .argParser((value: string) => {
      if (value !== 'true' && value !== 'false') {
        throw new InvalidArgumentError(`--anonymous-auth: expected true or false, got ${value}`);
      }
      return value === 'true';
    });
}

/** Resolves on the first SIGINT or SIGTERM, so a server can shut down cleanly. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/**
 * Runs a command's work; a failure is printed as one line naming the command (no stack trace)
 * and the process exits with status 1.
 */
export async function reportFailures(command: Command, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (err instanceof InvalidArgumentError) command.error(`error: ${err.message}`, { exitCode: 1 });
    command.error(`concord ${command.name()}: ${errorMessage(err)}`, {
      exitCode: 1,
    });
  }
}

/** A path as the user would type it from here. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** What each command module exports: adds its command(s) to the program. */
export type RegisterCommand = (program: Command) => void;
