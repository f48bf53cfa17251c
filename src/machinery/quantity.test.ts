import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addResourceLists,
  canonicalQuantity,
  ERR_FORMAT_WRONG,
  ERR_SUFFIX,
  Quantity,
  QuantityParseError,
  validateQuantity,
} from './quantity.js';

const q = (s: string) => Quantity.parse(s);

describe('parsing and canonical form', () => {
  it('writes quantities the way Kubernetes stores them', () => {
    const cases: [string, string][] = [
      ['0', '0'],
      ['0m', '0'],
      ['0Ki', '0'],
      ['0.0', '0'],
      ['-0', '0'],
      ['000', '0'],
      ['1', '1'],
      ['+1', '1'],
      ['1000m', '1'],
      ['1.5', '1500m'],
      ['0.5', '500m'],
      ['.5', '500m'],
      ['5.', '5'],
      ['100m', '100m'],
      ['1001m', '1001m'],
      ['1k', '1k'],
      ['1000', '1k'],
      ['1500', '1500'],
      ['1000000', '1M'],
      ['2.5G', '2500M'],
      ['1E', '1E'],
      ['1000E', '1000E'],
      ['1n', '1n'],
      ['1u', '1u'],
      ['0.1n', '1n'],
      ['1.1n', '2n'],
      ['-0.1n', '-1n'],
      ['1Ki', '1Ki'],
      ['1024', '1024'],
      ['1024Mi', '1Gi'],
      ['1536Mi', '1536Mi'],
      ['1.5Gi', '1536Mi'],
      ['0.5Gi', '512Mi'],
      ['0.5Ki', '512'],
      ['1.5Ki', '1536'],
      ['100Mi', '100Mi'],
      ['2Gi', '2Gi'],
      ['1Ei', '1Ei'],
      ['16Ei', '9223372036854775807'],
      ['-1Ki', '-1Ki'],
      ['0.5Mi', '512Ki'],
      ['1e3', '1e3'],
      ['1E3', '1e3'],
      ['1e+3', '1e3'],
      ['1e-3', '1e-3'],
      ['1e0', '1'],
      ['1.5e3', '1500'],
      ['12e6', '12e6'],
      ['-1', '-1'],
      ['-500m', '-500m'],
      ['12345678901234567890', '12345678901234567890'],
      ['123456789012345678901234567890', '123456789012345678901234567890'],
    ];
    for (const [input, canonical] of cases) expect(q(input).toString(), input).toBe(canonical);
  });

  it('keeps the format: binary stays binary, decimal decimal, exponent exponent', () => {
    expect(q('1Gi').format).toBe('BinarySI');
    expect(q('0.5Ki').format).toBe('BinarySI');
    expect(q('0.0005Ki').format).toBe('DecimalSI');
    expect(q('500m').format).toBe('DecimalSI');
    expect(q('1e3').format).toBe('DecimalExponent');
  });

  it('accepts JSON numbers as Kubernetes does', () => {
    expect(Quantity.from(0.5).toString()).toBe('500m');
    expect(Quantity.from(2).toString()).toBe('2');
    expect(Quantity.from(1e21).toString()).toBe('1e21');
    expect(canonicalQuantity('2048Mi')).toBe('2Gi');
    expect(JSON.stringify({ cpu: q('1000m') })).toBe('{"cpu":"1"}');
  });

  it('refuses garbage with a clear error', () => {
    const cases: [string, string][] = [
      ['', ERR_FORMAT_WRONG],
      ['abc', ERR_FORMAT_WRONG],
      ['1.2.3', ERR_FORMAT_WRONG],
      ['1Kb', ERR_FORMAT_WRONG],
      ['1 Gi', ERR_FORMAT_WRONG],
      ['1Gi ', ERR_FORMAT_WRONG],
      ['--1', ERR_FORMAT_WRONG],
      ['-', ERR_FORMAT_WRONG],
      ['.', ERR_FORMAT_WRONG],
      ['1K', ERR_SUFFIX],
      ['1ki', ERR_SUFFIX],
      ['1e', ERR_SUFFIX],
      ['1Ki5', ERR_SUFFIX],
    ];
    for (const [input, message] of cases) {
      expect(() => q(input), input).toThrow(QuantityParseError);
      expect(() => q(input), input).toThrow(message);
    }
    expect(ERR_FORMAT_WRONG).toBe(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
    expect(() => Quantity.from(Number.NaN)).toThrow(QuantityParseError);
    expect(() => q('1e999999999')).toThrow(QuantityParseError);
    expect(Quantity.tryParse('nope')).toBeUndefined();
    expect(Quantity.tryParse({})).toBeUndefined();
  });

  it('gives admission a field error naming the field', () => {
    expect(validateQuantity('2Gi', 'spec.containers[0].resources.limits[memory]')).toEqual([]);
    expect(validateQuantity('2 Gi', 'spec.containers[0].resources.limits[memory]')).toEqual([
      {
        type: 'FieldValueInvalid',
        field: 'spec.containers[0].resources.limits[memory]',
        badValue: '2 Gi',
        detail: ERR_FORMAT_WRONG,
      },
    ]);
    expect(validateQuantity('-1', 'x', { nonNegative: true })[0]).toMatchObject({
      detail: 'must be greater than or equal to 0',
    });
    expect(validateQuantity(true, 'x')[0]).toMatchObject({ type: 'FieldValueTypeInvalid' });
  });
});

describe('arithmetic and values', () => {
  it('rounds values up as Kubernetes does', () => {
    expect(q('100m').value()).toBe(1);
    expect(q('1.5').value()).toBe(2);
    expect(q('-1.5').value()).toBe(-2);
    expect(q('2Gi').value()).toBe(2147483648);
    expect(q('1.5').milliValue()).toBe(1500);
    expect(q('1n').milliValue()).toBe(1);
    expect(q('250m').milliValue()).toBe(250);
    expect(q('1Ki').scaledValue(3)).toBe(2n);
    expect(q('12345678901234567890').scaledValue(0)).toBe(12345678901234567890n);
  });

  it('adds, subtracts and compares exactly', () => {
    expect(q('1').add(q('500m')).toString()).toBe('1500m');
    expect(q('1Gi').add(q('1Gi')).toString()).toBe('2Gi');
    expect(Quantity.zero().add(q('1Gi')).toString()).toBe('1Gi');
    expect(q('500m').add(q('1Gi')).toString()).toBe('1073741824500m');
    expect(q('1').sub(q('1500m')).toString()).toBe('-500m');
    expect(q('2Gi').mul(3).toString()).toBe('6Gi');
    expect(q('1Gi').neg().toString()).toBe('-1Gi');
    expect(q('1Gi').cmp(q('1024Mi'))).toBe(0);
    expect(q('1G').cmp(q('1Gi'))).toBe(-1);
    expect(q('1001m').cmp(q('1'))).toBe(1);
    expect(q('1Gi').equals(q('1073741824'))).toBe(true);
  });

  it('sums many small requests without drift', () => {
    expect(Quantity.sum(Array.from({ length: 10 }, () => q('0.1'))).toString()).toBe('1');
    expect(Quantity.sum(Array.from({ length: 10_000 }, () => q('100m'))).toString()).toBe('1k');
    expect(Quantity.sum(Array.from({ length: 3 }, () => q('333333333n'))).toString()).toBe('999999999n');
    const totals = addResourceLists(
      { cpu: '250m', memory: '64Mi' },
      { cpu: '750m', memory: '64Mi' },
      undefined,
      { cpu: 1 },
    );
    expect(Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v.toString()]))).toEqual({
      cpu: '2',
      memory: '128Mi',
    });
  });
});

describe('laws', () => {
  const nanos = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n });
  const format = fc.constantFrom('DecimalSI' as const, 'BinarySI' as const, 'DecimalExponent' as const);
  // Parsing caps binary quantities at the largest int64 (as Kubernetes does), so generated binary
  // values stay within it for the round-trip laws.
  const int64Nanos = (2n ** 63n - 1n) * 1_000_000_000n;
  const quantity = fc
    .tuple(nanos, format)
    .map(([n, f]) =>
      Quantity.fromNanos(f === 'BinarySI' && (n > int64Nanos || -n > int64Nanos) ? n % int64Nanos : n, f),
    );
  const binaryQuantity = fc
    .bigInt({ min: -(2n ** 62n), max: 2n ** 62n })
    .map((units) => Quantity.fromNanos(units * 1_000_000_000n, 'BinarySI'));

  it('the canonical string parses back to the same value, and is a fixed point once parsed', () => {
    fc.assert(
      fc.property(fc.oneof(quantity, binaryQuantity), (x) => {
        const s = x.toString();
        const back = Quantity.parse(s);
        expect(back.nanos).toBe(x.nanos);
        // A binary value that is no whole multiple of 1Ki prints as a plain number, which then
        // reads as decimal ("2000" becomes "2k"), as in Kubernetes; from there the form is stable.
        const again = back.toString();
        expect(Quantity.parse(again).toString()).toBe(again);
        if (x.format !== 'BinarySI') expect(again).toBe(s);
      }),
    );
  });

  it('ordering agrees with the exact values and with subtraction', () => {
    fc.assert(
      fc.property(quantity, quantity, (a, b) => {
        const want = a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
        expect(a.cmp(b)).toBe(want);
        expect(b.cmp(a)).toBe(want === 0 ? 0 : -want);
        expect(a.sub(b).sign()).toBe(want);
        expect(Quantity.parse(a.toString()).cmp(Quantity.parse(b.toString()))).toBe(want);
      }),
    );
  });

  it('addition is exact, commutative and associative', () => {
    fc.assert(
      fc.property(quantity, quantity, quantity, (a, b, c) => {
        expect(a.add(b).nanos).toBe(a.nanos + b.nanos);
        expect(a.add(b).cmp(b.add(a))).toBe(0);
        expect(
          a
            .add(b)
            .add(c)
            .cmp(a.add(b.add(c))),
        ).toBe(0);
        expect(a.add(b).sub(b).cmp(a)).toBe(0);
      }),
    );
  });

  it('suffixes scale the number exactly', () => {
    const factors: Record<string, bigint> = {
      n: 1n,
      u: 1_000n,
      m: 1_000_000n,
      '': 1_000_000_000n,
      k: 10n ** 12n,
      M: 10n ** 15n,
      G: 10n ** 18n,
      Ki: 1024n * 10n ** 9n,
      Mi: 1024n ** 2n * 10n ** 9n,
      Gi: 1024n ** 3n * 10n ** 9n,
    };
    fc.assert(
      // Up to 10^9 units, so that binary quantities stay under the int64 cap Kubernetes applies to them.
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.constantFrom(...Object.keys(factors)),
        (n, suffix) => {
          expect(Quantity.parse(`${n}${suffix}`).nanos).toBe(n * factors[suffix]!);
        },
      ),
    );
  });

  it('never crashes on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        const r = Quantity.tryParse(s);
        if (r) expect(Quantity.parse(r.toString()).nanos).toBe(r.nanos);
      }),
      { numRuns: 2000 },
    );
  });
});
