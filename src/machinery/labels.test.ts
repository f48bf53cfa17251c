import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  everything,
  formatLabelSelector,
  fromLabelSelector,
  labelSelectorMatches,
  labelSelectorToString,
  matches,
  nothing,
  type Operator,
  parse,
  type Requirement,
  requirement,
  Selector,
  selectorFromSet,
  selectorToString,
  validateLabelSelector,
} from './labels.js';
import { ApiError, fieldErrorMessage } from './status.js';

function parseError(s: string): ApiError {
  try {
    parse(s);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(s)} not to parse`);
}

const KEY_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('parsing the string form', () => {
  it('reads every operator', () => {
    const s = parse('a=1,b==2,c!=3,d in (x,y),e notin (z),f,!g,h>4,i<5');
    expect(s.requirements).toEqual([
      { key: 'a', operator: '=', values: ['1'] },
      { key: 'b', operator: '==', values: ['2'] },
      { key: 'c', operator: '!=', values: ['3'] },
      { key: 'd', operator: 'in', values: ['x', 'y'] },
      { key: 'e', operator: 'notin', values: ['z'] },
      { key: 'f', operator: 'exists', values: [] },
      { key: 'g', operator: '!', values: [] },
      { key: 'h', operator: 'gt', values: ['4'] },
      { key: 'i', operator: 'lt', values: ['5'] },
    ]);
  });

  it('tolerates whitespace and sorts requirements by key', () => {
    const s = parse('  tier  in ( web , api ) ,  app = shop ,!  canary ');
    expect(s.toString()).toBe('app=shop,!canary,tier in (api,web)');
  });

  it('treats empty entries in a value set as the empty value', () => {
    expect(parse('x in (foo,,baz),y,z notin ()').requirements).toEqual([
      { key: 'x', operator: 'in', values: ['', 'baz', 'foo'] },
      { key: 'y', operator: 'exists', values: [] },
      { key: 'z', operator: 'notin', values: [''] },
    ]);
    expect(parse('x=').requirements).toEqual([{ key: 'x', operator: '=', values: [''] }]);
    expect(parse('x=,y=b').requirements[0]).toEqual({ key: 'x', operator: '=', values: [''] });
  });

  it('reads "in" and "notin" as values in value position', () => {
    expect(parse('x in (in,notin)').requirements[0]!.values).toEqual(['in', 'notin']);
    expect(parse('x=in').requirements[0]!.values).toEqual(['in']);
  });

  it('accepts prefixed keys and an empty selector', () => {
    expect(parse('app.kubernetes.io/name=web').requirements[0]!.key).toBe('app.kubernetes.io/name');
    expect(parse('').empty()).toBe(true);
    expect(parse('   ').empty()).toBe(true);
  });

  it('answers syntax errors with a 400 and the Kubernetes text', () => {
    const cases: [string, string][] = [
      ['x=a b', "found 'b', expected: ',' or 'end of string'"],
      ['x=a,', "found '', expected: identifier after ','"],
      [',x', "found ',', expected: !, identifier, or 'end of string'"],
      ['x in a', "unable to parse requirement: found 'a' expected: '('"],
      ['x in (a', "unable to parse requirement: found '', expected: ',' or ')'"],
      ['x in (a b)', "unable to parse requirement: found 'b', expected: ',' or ')'"],
      ['x in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
      ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
      ['x==(', "unable to parse requirement: found '(', expected: identifier"],
      ['!', "unable to parse requirement: found '', expected: identifier"],
      ['!x=y', "found '=', expected: ',' or 'end of string'"],
    ];
    for (const [input, message] of cases) {
      const err = parseError(input);
      expect(err.code, input).toBe(400);
      expect(err.reason, input).toBe('BadRequest');
      expect(err.message, input).toBe(message);
    }
  });

  it('names invalid keys and values the way the API server does', () => {
    expect(parseError('-x=y').message).toBe(
      `unable to parse requirement: <nil>: Invalid value: "-x": ${KEY_MSG}`,
    );
    expect(parseError('app=-web').message).toBe(
      `unable to parse requirement: values[0][app]: Invalid value: "-web": ${VALUE_MSG}`,
    );
    expect(parseError('n>one').message).toBe(
      `unable to parse requirement: values[0]: Invalid value: "one": for 'Gt', 'Lt' operators, the value must be an integer`,
    );
    expect(parseError('n>-1.5').message).toBe(
      `unable to parse requirement: [values[0]: Invalid value: "-1.5": for 'Gt', 'Lt' operators, the value must be an integer, values[0][n]: Invalid value: "-1.5": ${VALUE_MSG}]`,
    );
    expect(parseError(`a=${'x'.repeat(64)}`).message).toContain('must be no more than 63 characters');
  });

  it('prefixes field errors with a path when one is given', () => {
    expect(() => parse('app=-web', 'spec.selector')).toThrow(/values\[0\]\[app\]/);
    try {
      parse('-x', 'spec.selector');
    } catch (e) {
      expect((e as ApiError).message).toBe(
        `unable to parse requirement: spec.selector: Invalid value: "-x": ${KEY_MSG}`,
      );
    }
  });
});

describe('matching', () => {
  const labels = { app: 'web', tier: 'frontend', replicas: '3' };

  it('applies each operator', () => {
    const cases: [string, boolean][] = [
      ['app=web', true],
      ['app==web', true],
      ['app=api', false],
      ['app!=api', true],
      ['app!=web', false],
      ['missing!=x', true],
      ['app in (api,web)', true],
      ['app in (api)', false],
      ['missing in (x)', false],
      ['app notin (api)', true],
      ['app notin (web)', false],
      ['missing notin (x)', true],
      ['app', true],
      ['missing', false],
      ['!missing', true],
      ['!app', false],
      ['replicas>2', true],
      ['replicas>3', false],
      ['replicas<4', true],
      ['app>1', false],
      ['missing<1', false],
      ['app=web,tier=frontend', true],
      ['app=web,tier=backend', false],
      ['', true],
    ];
    for (const [sel, want] of cases) expect(matches(parse(sel), labels), sel).toBe(want);
  });

  it('treats absent labels as no labels', () => {
    expect(parse('').matches(undefined)).toBe(true);
    expect(parse('!a').matches(null)).toBe(true);
    expect(parse('a').matches(undefined)).toBe(false);
  });

  it('does not take inherited properties for labels', () => {
    expect(parse('constructor').matches({})).toBe(false);
    expect(parse('!toString').matches({})).toBe(true);
  });

  it('has an everything and a nothing selector', () => {
    expect(everything().matches({ a: 'b' })).toBe(true);
    expect(nothing().matches({ a: 'b' })).toBe(false);
    expect(nothing().matches({})).toBe(false);
    expect(nothing().add(requirement('a', 'exists')).matchesNothing).toBe(true);
  });

  it('knows when a selector pins a label', () => {
    const s = parse('app=web,tier in (a),env in (x,y)');
    expect(s.requiresExactMatch('app')).toBe('web');
    expect(s.requiresExactMatch('tier')).toBe('a');
    expect(s.requiresExactMatch('env')).toBeUndefined();
    expect(s.requiresExactMatch('other')).toBeUndefined();
  });
});

describe('metav1.LabelSelector', () => {
  it('converts to the string form kubectl prints and controllers list with', () => {
    const ls = {
      matchLabels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
      matchExpressions: [
        { key: 'tier', operator: 'In' as const, values: ['web', 'api'] },
        { key: 'canary', operator: 'DoesNotExist' as const },
        { key: 'env', operator: 'NotIn' as const, values: ['dev'] },
        { key: 'zone', operator: 'Exists' as const },
      ],
    };
    const s = labelSelectorToString(ls);
    expect(s).toBe('app=web,app.kubernetes.io/part-of=shop,!canary,env notin (dev),tier in (api,web),zone');
    // The string form selects exactly what the object form selects.
    const objects: Record<string, string>[] = [
      { app: 'web', 'app.kubernetes.io/part-of': 'shop', tier: 'api', zone: 'a' },
      { app: 'web', 'app.kubernetes.io/part-of': 'shop', tier: 'api', zone: 'a', canary: 'true' },
      { app: 'web', 'app.kubernetes.io/part-of': 'shop', tier: 'db', zone: 'a' },
      { app: 'web', 'app.kubernetes.io/part-of': 'shop', tier: 'web', zone: 'a', env: 'dev' },
    ];
    expect(objects.map((o) => labelSelectorMatches(ls, o))).toEqual([true, false, false, false]);
    expect(objects.map((o) => parse(s).matches(o))).toEqual([true, false, false, false]);
  });

  it('selects everything when empty and nothing when null', () => {
    expect(fromLabelSelector({}).empty()).toBe(true);
    expect(labelSelectorMatches({}, { a: 'b' })).toBe(true);
    expect(labelSelectorMatches({ matchLabels: {}, matchExpressions: [] }, {})).toBe(true);
    expect(fromLabelSelector(null).matchesNothing).toBe(true);
    expect(labelSelectorMatches(null, { a: 'b' })).toBe(false);
    expect(labelSelectorMatches(undefined, {})).toBe(false);
  });

  it('formats for display like kubectl', () => {
    expect(formatLabelSelector(undefined)).toBe('<none>');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector({ matchLabels: { app: 'web' } })).toBe('app=web');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' as 'In' }] })).toBe(
      '<error>',
    );
  });

  it('refuses what it cannot convert, with Kubernetes messages', () => {
    expect(() =>
      fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'in' as 'In', values: ['x'] }] }),
    ).toThrow('"in" is not a valid label selector operator');
    expect(() => fromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })).toThrow(
      "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty",
    );
    expect(() => fromLabelSelector({ matchLabels: { a: 'b c' } })).toThrow(
      /values\[0\]\[a\]: Invalid value: "b c"/,
    );
  });

  it('validates a selector for admission with field paths', () => {
    const errs = validateLabelSelector(
      {
        matchLabels: { 'bad key': 'v' },
        matchExpressions: [
          { key: 'a', operator: 'In', values: [] },
          { key: 'b', operator: 'Exists', values: ['x'] },
          { key: 'c', operator: 'Equals', values: ['x'] },
          { key: 'd', operator: 'In', values: ['-bad'] },
        ],
      },
      'spec.selector',
    );
    expect(errs.map((e) => fieldErrorMessage(e))).toEqual([
      `spec.selector.matchLabels: Invalid value: "bad key": ${KEY_MSG}`,
      "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
      'spec.selector.matchExpressions[2].operator: Invalid value: "Equals": not a valid selector operator',
      `spec.selector.matchExpressions[3].values[0]: Invalid value: "-bad": ${VALUE_MSG}`,
    ]);
    expect(validateLabelSelector({ matchLabels: { app: 'web' } }, 'spec.selector')).toEqual([]);
    expect(validateLabelSelector(null, 'spec.selector')).toEqual([]);
    expect(validateLabelSelector('app=web', 'spec.selector')[0]).toMatchObject({
      type: 'FieldValueTypeInvalid',
    });
  });

  it('builds a selector from a label set', () => {
    const s = selectorFromSet({ b: '2', a: '1' });
    expect(selectorToString(s)).toBe('a=1,b=2');
    expect(s.matches({ a: '1', b: '2', c: '3' })).toBe(true);
    expect(s.matches({ a: '1' })).toBe(false);
    expect(selectorFromSet({}).empty()).toBe(true);
  });
});

describe('laws', () => {
  const name = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,10}[a-z0-9])?$/);
  const key = fc.oneof(
    name,
    fc.tuple(fc.constantFrom('example.com', 'app.kubernetes.io', 'a.b'), name).map(([p, n]) => `${p}/${n}`),
  );
  const value = fc.oneof(fc.constant(''), name);
  // Negative numbers are not valid label values, so gt/lt only ever compare non-negative ones.
  const intValue = fc.integer({ min: 0, max: 1000 }).map(String);
  const req: fc.Arbitrary<Requirement> = fc.oneof(
    fc
      .tuple(key, fc.constantFrom<Operator>('=', '==', '!='), value)
      .map(([k, op, v]) => ({ key: k, operator: op, values: [v] })),
    fc
      .tuple(
        key,
        fc.constantFrom<Operator>('in', 'notin'),
        fc.uniqueArray(value, { minLength: 1, maxLength: 4 }),
      )
      .map(([k, op, vs]) => ({ key: k, operator: op, values: [...vs].sort() })),
    fc
      .tuple(key, fc.constantFrom<Operator>('exists', '!'))
      .map(([k, op]) => ({ key: k, operator: op, values: [] })),
    fc
      .tuple(key, fc.constantFrom<Operator>('gt', 'lt'), intValue)
      .map(([k, op, v]) => ({ key: k, operator: op, values: [v] })),
  );
  const selector = fc.array(req, { maxLength: 5 }).map((rs) => new Selector(rs));
  const labelSet = fc.dictionary(fc.oneof(key, fc.constantFrom('a', 'b')), fc.oneof(value, intValue), {
    maxKeys: 6,
  });

  it('parse(toString(s)) gives back s', () => {
    fc.assert(
      fc.property(selector, (s) => {
        expect(parse(s.toString()).requirements).toEqual(s.requirements);
      }),
    );
  });

  it('the string form matches the same label sets', () => {
    fc.assert(
      fc.property(selector, labelSet, (s, labels) => {
        expect(parse(s.toString()).matches(labels)).toBe(s.matches(labels));
      }),
    );
  });

  it('= and != are complements, as are in and notin', () => {
    fc.assert(
      fc.property(key, fc.uniqueArray(value, { minLength: 1, maxLength: 3 }), labelSet, (k, vs, labels) => {
        const inSel = new Selector([{ key: k, operator: 'in', values: vs }]);
        const notIn = new Selector([{ key: k, operator: 'notin', values: vs }]);
        expect(inSel.matches(labels)).toBe(!notIn.matches(labels));
        const eq = new Selector([{ key: k, operator: '=', values: [vs[0]!] }]);
        const ne = new Selector([{ key: k, operator: '!=', values: [vs[0]!] }]);
        expect(eq.matches(labels)).toBe(!ne.matches(labels));
      }),
    );
  });

  it('never crashes on arbitrary input: it parses or answers 400', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        try {
          parse(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          expect((e as ApiError).code).toBe(400);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
