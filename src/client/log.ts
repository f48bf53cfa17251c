// The logger client code uses when its caller gives none: pino, quiet (warn) unless
// CONCORD_LOG_LEVEL says otherwise. One instance for the process.

import { type Logger, pino } from 'pino';

let shared: Logger | undefined;

export function defaultLogger(): Logger {
  shared ??= pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'warn' });
  return shared;
}
