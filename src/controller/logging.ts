// Structured logs of the controller runtime: pino, quiet by default (warn), one child logger per
// controller (field `controller`) and per reconcile (field `key`).

import type { Level, Logger } from 'pino';
import { defaultLogger } from '../client/log.js';

export interface LogOptions {
  /** The logger to derive from; default a process-wide pino logger at level warn. */
  logger?: Logger;
  /** This controller's level (default: the logger's own, warn unless configured). */
  logLevel?: Level | 'silent';
}

export function controllerLogger(name: string, opts: LogOptions = {}): Logger {
  const base = opts.logger ?? defaultLogger();
  return opts.logLevel
    ? base.child({ controller: name }, { level: opts.logLevel })
    : base.child({ controller: name });
}
