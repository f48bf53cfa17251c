import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkSupportedFields,
  escapeValue,
  everything,
  FieldSelector,
  fieldSelectorToString,
  matches,
  nothing,
  parse,
  requirements,
  selectorFromSet,
  unescapeValue,
} from './fields.js';
import { ApiError } from './status.js';

function parseError(s: string): ApiError {
  try {
    parse(s);
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(s)} not to parse`);
}

const pod = {
  'metadata.name': 'web-1',
  'metadata.namespace': 'prod',
  'spec.nodeName': 'node-a',
  'status.phase': 'Running',
};

describe('field selectors', () => {
  it('parses the three operators and ANDs the terms', () => {
    const s = parse('status.phase=Running,spec.nodeName!=node-b,metadata.name==web-1');
    expect(requirements(s)).toEqual([
      { field: 'metadata.name', operator: '==', value: 'web-1' },
      { field: 'spec.nodeName', operator: '!=', value: 'node-b' },
      { field: 'status.phase', operator: '=', value: 'Running' },
    ]);
    expect(matches(s, pod)).toBe(true);
    expect(matches(parse('status.phase=Running,spec.nodeName=node-b'), pod)).toBe(false);
  });

  it('treats a missing field as the empty string', () => {
    expect(parse('spec.nodeName=').matches({})).toBe(true);
    expect(parse('spec.nodeName!=').matches(pod)).toBe(true);
    expect(parse('spec.nodeName!=x').matches({})).toBe(true);
    expect(parse('spec.nodeName=x').matches({})).toBe(false);
    expect(parse('constructor=').matches({})).toBe(true);
  });

  it('unescapes \\, \\= and \\\\ in values and splits only at unescaped commas', () => {
    const s = parse('metadata.name=a\\,b\\=c\\\\d,status.phase=x');
    expect(requirements(s)).toEqual([
      { field: 'metadata.name', operator: '=', value: 'a,b=c\\d' },
      { field: 'status.phase', operator: '=', value: 'x' },
    ]);
    expect(s.toString()).toBe('metadata.name=a\\,b\\=c\\\\d,status.phase=x');
    expect(s.matches({ 'metadata.name': 'a,b=c\\d', 'status.phase': 'x' })).toBe(true);
  });

  it('ignores empty terms and prints a canonical, sorted form', () => {
    expect(parse('').empty()).toBe(true);
    expect(parse(',,').empty()).toBe(true);
    expect(fieldSelectorToString(parse('b=2,,a==1'))).toBe('a=1,b=2');
  });

  it('answers bad syntax with 400 and the Kubernetes text', () => {
    const cases: [string, string][] = [
      ['metadata.name', "invalid selector: 'metadata.name'; can't understand 'metadata.name'"],
      ['a=1,b', "invalid selector: 'a=1,b'; can't understand 'b'"],
      ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
      ['a=b\\x', 'invalid field selector: invalid escape sequence: \\x'],
      ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
    ];
    for (const [input, message] of cases) {
      const err = parseError(input);
      expect(err.code, input).toBe(400);
      expect(err.message, input).toBe(message);
    }
  });

  it('tells the server which fields a selector uses and refuses unsupported ones', () => {
    const s = parse('metadata.name=a,spec.replicas=3');
    expect(requirements(s).map((r) => r.field)).toEqual(['metadata.name', 'spec.replicas']);
    expect(() => checkSupportedFields(s, ['metadata.name', 'metadata.namespace'])).toThrow(
      'field label not supported: spec.replicas',
    );
    try {
      checkSupportedFields(s, ['metadata.name']);
    } catch (e) {
      expect((e as ApiError).code).toBe(400);
    }
    expect(() => checkSupportedFields(parse('metadata.name=a'), ['metadata.name'])).not.toThrow();
  });

  it('transforms terms (e.g. legacy field names) and drops those mapped to nothing', () => {
    const s = parse('name=a,host=n1').transform((field, value) => {
      if (field === 'host') return { field: 'spec.nodeName', value };
      if (field === 'name') return { field: '', value: '' };
      return { field, value };
    });
    expect(s.toString()).toBe('spec.nodeName=n1');
  });

  it('has an everything and a nothing selector, and one from a set', () => {
    expect(everything().matches(pod)).toBe(true);
    expect(nothing().matches(pod)).toBe(false);
    expect(selectorFromSet({ 'metadata.name': 'web-1' }).matches(pod)).toBe(true);
    expect(parse('metadata.name=web-1').requiresExactMatch('metadata.name')).toBe('web-1');
    expect(parse('metadata.name!=web-1').requiresExactMatch('metadata.name')).toBeUndefined();
  });

  it('escape and unescape are inverse', () => {
    fc.assert(
      fc.property(fc.string(), (v) => {
        expect(unescapeValue(escapeValue(v))).toBe(v);
      }),
    );
  });

  it('parse(toString(s)) gives back s for any values', () => {
    const field = fc.constantFrom('metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase');
    const term = fc.record({
      field,
      operator: fc.constantFrom('=' as const, '!=' as const),
      value: fc.string({ maxLength: 8 }),
    });
    fc.assert(
      fc.property(fc.array(term, { maxLength: 4 }), (terms) => {
        const s = new FieldSelector(terms);
        const back = parse(s.toString());
        const fields = Object.fromEntries(terms.map((t) => [t.field, t.value]));
        expect(back.matches(fields)).toBe(s.matches(fields));
        expect(back.toString()).toBe(parse(back.toString()).toString());
      }),
    );
  });

  it('never crashes on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        try {
          parse(s);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
