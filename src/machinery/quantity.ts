// resource.Quantity: the "500m", "2Gi", "1e3" numbers of requests, limits and capacity.
// Values are held exactly, as an integer count of nano-units (BigInt), which is the precision
// Kubernetes keeps: parsing rounds up to 1n, sums of many requests never drift. Formatting
// follows Kubernetes' canonical form: binary quantities stay binary ("1024Mi" -> "1Gi"),
// decimal ones decimal ("1000m" -> "1", "0.5" -> "500m"), exponent ones exponent ("1e3").

import type { FieldError } from './status.js';
import { errorMessage } from './status.js';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

/** Kubernetes' own description of the syntax, used in its error message. */
export const QUANTITY_SYNTAX = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

export const ERR_FORMAT_WRONG = `quantities must match the regular expression '${QUANTITY_SYNTAX}'`;
export const ERR_NUMERIC = 'unable to parse numeric part of quantity';
export const ERR_SUFFIX = "unable to parse quantity's suffix";

/** A quantity that does not parse; the message is Kubernetes' text, `input` the offending value. */
export class QuantityParseError extends Error {
  readonly input: string;

  constructor(message: string, input: string) {
    super(message);
    this.name = 'QuantityParseError';
    this.input = input;
  }
}

const NANO = 1_000_000_000n;
const MAX_INT64 = 2n ** 63n - 1n;
// Guard against "1e999999999": Kubernetes holds such numbers symbolically; they have no use in a
// resource request, and materialising them would cost memory and time.
const MAX_DECIMAL_DIGITS = 10_000;

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const SUFFIX_CHARS = 'eEinumkKMGTP';

const pow10 = (n: number): bigint => 10n ** BigInt(n);
const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** a / b rounded away from zero (b > 0), the rounding Kubernetes applies everywhere. */
function divRoundUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  if (q * b === a) return q;
  return a < 0n ? q - 1n : q + 1n;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

interface Scanned {
  negative: boolean;
  whole: string;
  fraction: string;
  suffix: string;
}

// Splits "-1.5Gi" into sign, digits before and after the point, and suffix, the way Kubernetes'
// scanner does (leading zeros skipped, suffix letters then an optional signed integer).
function scan(str: string): Scanned {
  let pos = 0;
  let negative = false;
  if (str[0] === '-' || str[0] === '+') {
    negative = str[0] === '-';
    pos++;
  }
  const numStart = pos;
  while (isDigit(str[pos])) pos++;
  const whole = str.slice(numStart, pos);
  let fraction = '';
  if (str[pos] === '.') {
    pos++;
    const fracStart = pos;
    while (isDigit(str[pos])) pos++;
    fraction = str.slice(fracStart, pos);
  }
  if (whole.length === 0 && fraction.length === 0) throw new QuantityParseError(ERR_FORMAT_WRONG, str);
  const suffixStart = pos;
  while (pos < str.length && SUFFIX_CHARS.includes(str[pos]!)) pos++;
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (isDigit(str[pos])) pos++;
  if (pos !== str.length) throw new QuantityParseError(ERR_FORMAT_WRONG, str);
  return { negative, whole, fraction, suffix: str.slice(suffixStart) };
}

interface Suffix {
  base: 10 | 2;
  exponent: number;
  format: QuantityFormat;
}

function interpretSuffix(suffix: string, input: string): Suffix {
  if (Object.hasOwn(DECIMAL_SUFFIXES, suffix))
    return { base: 10, exponent: DECIMAL_SUFFIXES[suffix]!, format: 'DecimalSI' };
  if (Object.hasOwn(BINARY_SUFFIXES, suffix))
    return { base: 2, exponent: BINARY_SUFFIXES[suffix]!, format: 'BinarySI' };
  if (
    suffix.length > 1 &&
    (suffix[0] === 'e' || suffix[0] === 'E') &&
    /^[+-]?[0-9]+$/.test(suffix.slice(1))
  ) {
    const exponent = Number(suffix.slice(1));
    if (Math.abs(exponent) > MAX_DECIMAL_DIGITS) throw new QuantityParseError(ERR_NUMERIC, input);
    return { base: 10, exponent, format: 'DecimalExponent' };
  }
  throw new QuantityParseError(ERR_SUFFIX, input);
}

export class Quantity {
  /** The value in nano-units (value × 10⁹), exact. */
  readonly nanos: bigint;
  /** How the value is written back: with binary suffixes, decimal suffixes, or an exponent. */
  readonly format: QuantityFormat;

  private constructor(nanos: bigint, format: QuantityFormat) {
    this.nanos = nanos;
    this.format = format;
  }

  /** Parses "500m", "2Gi", "1e3", "0.5", "-1"...; throws QuantityParseError for anything else. */
  static parse(input: string): Quantity {
    if (typeof input !== 'string') throw new QuantityParseError(ERR_FORMAT_WRONG, String(input));
    const str = input;
    if (str.length === 0) throw new QuantityParseError(ERR_FORMAT_WRONG, str);
    if (str === '0') return new Quantity(0n, 'DecimalSI');
    const { negative, whole, fraction, suffix } = scan(str);
    const { base, exponent, format } = interpretSuffix(suffix, str);
    const digits = (whole + fraction).replace(/^0+/, '') || '0';
    const magnitude =
      digits.length - fraction.length + (base === 10 ? exponent : Math.ceil((exponent * 3) / 10));
    if (digits.length > MAX_DECIMAL_DIGITS || magnitude > MAX_DECIMAL_DIGITS) {
      throw new QuantityParseError(ERR_NUMERIC, str);
    }
    const mantissa = BigInt(digits);
    // value = mantissa × 10^-len(fraction) × base^exponent, rounded up to whole nano-units.
    let nanos: bigint;
    if (base === 10) {
      const scale = exponent - fraction.length + 9;
      nanos = scale >= 0 ? mantissa * pow10(scale) : divRoundUp(mantissa, pow10(-scale));
    } else {
      const scaled = mantissa * 2n ** BigInt(exponent);
      const scale = 9 - fraction.length;
      nanos = scale >= 0 ? scaled * pow10(scale) : divRoundUp(scaled, pow10(-scale));
    }
    let fmt = format;
    if (fmt === 'BinarySI') {
      // Binary quantities are capped at the largest int64, and below 1 they read as decimal.
      if (nanos > MAX_INT64 * NANO) nanos = MAX_INT64 * NANO;
      if (nanos > 0n && nanos < NANO) fmt = 'DecimalSI';
    }
    return new Quantity(negative ? -nanos : nanos, fmt);
  }

  /** Parses a quantity given as JSON allows it: a string, or a number. */
  static from(value: string | number | Quantity): Quantity {
    if (value instanceof Quantity) return value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new QuantityParseError(ERR_FORMAT_WRONG, String(value));
      return Quantity.parse(String(value));
    }
    return Quantity.parse(value);
  }

  /** undefined instead of an exception. */
  static tryParse(value: unknown): Quantity | undefined {
    if (typeof value !== 'string' && typeof value !== 'number') return undefined;
    try {
      return Quantity.from(value);
    } catch {
      return undefined;
    }
  }

  /** An integer quantity: fromValue(2) is "2", fromValue(2048, 'BinarySI') is "2Ki". */
  static fromValue(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(toBigInt(value) * NANO, format);
  }

  /** A quantity of milli-units: fromMilli(1500) is "1500m". */
  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(toBigInt(milli) * 1_000_000n, format);
  }

  /** A quantity of nano-units. */
  static fromNanos(nanos: bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(nanos, format);
  }

  static zero(format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(0n, format);
  }

  /** The exact sum; the format is that of the first non-zero term, as repeated Add gives. */
  static sum(items: Iterable<Quantity>): Quantity {
    let total = Quantity.zero();
    for (const q of items) total = total.add(q);
    return total;
  }

  isZero(): boolean {
    return this.nanos === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.nanos === 0n ? 0 : this.nanos < 0n ? -1 : 1;
  }

  /** -1, 0 or 1 as this is less than, equal to or greater than other. */
  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos === other.nanos ? 0 : this.nanos < other.nanos ? -1 : 1;
  }

  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** this + other; a zero quantity takes the other's format (as Kubernetes' Add does). */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.isZero() ? other.format : this.format);
  }

  /** this - other. */
  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.isZero() ? other.format : this.format);
  }

  /** this × an integer. */
  mul(factor: number | bigint): Quantity {
    return new Quantity(this.nanos * toBigInt(factor), this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }

  /** The value at 10^scale units, rounded away from zero: scaledValue(-3) is the milli-value. Exact. */
  scaledValue(scale: number): bigint {
    const shift = 9 + scale;
    return shift >= 0 ? divRoundUp(this.nanos, pow10(shift)) : this.nanos * pow10(-shift);
  }

  /** The value in whole units, rounded up ("100m" is 1), as Kubernetes' Value(). */
  value(): number {
    return Number(this.scaledValue(0));
  }

  /** The value in milli-units, rounded up ("1n" is 1), as Kubernetes' MilliValue(). */
  milliValue(): number {
    return Number(this.scaledValue(-3));
  }

  /** A float approximation, for ratios and display. */
  asApproximateFloat64(): number {
    const whole = this.nanos / NANO;
    const rest = this.nanos - whole * NANO;
    return Number(whole) + Number(rest) / 1e9;
  }

  /** The canonical string form (what the API server stores and returns). */
  toString(): string {
    if (this.nanos === 0n) return '0';
    const sign = this.nanos < 0n ? '-' : '';
    const magnitude = abs(this.nanos);
    let format = this.format;
    if (format === 'BinarySI' && (magnitude < 1024n * NANO || magnitude % NANO !== 0n)) format = 'DecimalSI';
    if (format === 'BinarySI') {
      let units = magnitude / NANO;
      let power = 0;
      while (power < BINARY_BY_POWER.length - 1 && units % 1024n === 0n) {
        units /= 1024n;
        power++;
      }
      return `${sign}${units}${BINARY_BY_POWER[power]}`;
    }
    // Decimal: move factors of ten into the exponent, then bring the exponent down to a multiple of 3.
    let m = magnitude;
    let e = -9;
    while (m % 10n === 0n) {
      m /= 10n;
      e++;
    }
    const r = ((e % 3) + 3) % 3;
    m *= pow10(r);
    e -= r;
    if (format === 'DecimalExponent') return `${sign}${m}${e === 0 ? '' : `e${e}`}`;
    if (e > 18) {
      // Past the largest suffix (E) the mantissa grows instead.
      m *= pow10(e - 18);
      e = 18;
    }
    return `${sign}${m}${DECIMAL_BY_EXPONENT.get(e)}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

function toBigInt(n: number | bigint): bigint {
  if (typeof n === 'bigint') return n;
  if (!Number.isInteger(n)) throw new RangeError(`expected an integer, got ${n}`);
  return BigInt(n);
}

/** The canonical form of a quantity string ("1024Mi" -> "1Gi"); throws for garbage. */
export function canonicalQuantity(value: string | number): string {
  return Quantity.from(value).toString();
}

/**
 * Admission check for a quantity field: a FieldError naming the field and Kubernetes' reason,
 * or none. Negative values are refused when `nonNegative` is set (requests, limits, capacity).
 */
export function validateQuantity(
  value: unknown,
  path: string,
  opts: { nonNegative?: boolean } = {},
): FieldError[] {
  if (typeof value !== 'string' && typeof value !== 'number') {
    return [
      {
        type: 'FieldValueTypeInvalid',
        field: path,
        badValue: value,
        detail: 'must be a quantity string or number',
      },
    ];
  }
  let q: Quantity;
  try {
    q = Quantity.from(value);
  } catch (e) {
    const detail = errorMessage(e);
    return [{ type: 'FieldValueInvalid', field: path, badValue: value, detail }];
  }
  if (opts.nonNegative && q.sign() < 0) {
    return [
      {
        type: 'FieldValueInvalid',
        field: path,
        badValue: value,
        detail: 'must be greater than or equal to 0',
      },
    ];
  }
  return [];
}

/** Sums a map of resource lists (e.g. every container's requests) exactly, per resource name. */
export function addResourceLists(
  ...lists: (Record<string, string | number> | undefined | null)[]
): Record<string, Quantity> {
  const out: Record<string, Quantity> = {};
  for (const list of lists) {
    if (!list) continue;
    for (const [name, v] of Object.entries(list)) {
      const q = Quantity.from(v);
      out[name] = out[name] ? out[name]!.add(q) : q;
    }
  }
  return out;
}
