// The command line of a benchmark: options read by node:util's parseArgs, `--help` (-h) printing
// the usage, and a mistake (an unknown option, a count that is not one) answered with what was
// wrong and the usage, exit status 2 — never a stack trace.

import { type ParseArgsConfig, parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Prints what was wrong and the usage, and exits with status 2. */
export function usageError(usage: string, message: string): never {
  process.stderr.write(`${message}\n\n${usage.trimEnd()}\n`);
  process.exit(2);
}

/** The options of this process's command line; --help (-h) prints `usage` and exits. */
export function benchOptions<T extends Options>(usage: string, options: T) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage.trimEnd()}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    usageError(usage, (err as Error).message);
  }
}

/** `value` (option `--name`) as a whole number of at least `min`, or the usage and exit 2. */
export function countOption(usage: string, name: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) {
    usageError(usage, `--${name}: expected a whole number >= ${min}, got ${value}`);
  }
  return n;
}
