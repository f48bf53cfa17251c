// Process plumbing shared by the long-running commands.

import { InvalidArgumentError, Option } from 'commander';

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
