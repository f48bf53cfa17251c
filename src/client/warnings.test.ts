import { describe, expect, it } from 'vitest';
import { parseWarnings } from './warnings.js';

describe('parseWarnings', () => {
  it('reads 299 warnings, one per header or folded with commas', () => {
    expect(parseWarnings('299 - "unknown field \\"spec.foo\\""')).toEqual(['unknown field "spec.foo"']);
    expect(parseWarnings(['299 - "a, b"', '299 - "c"'])).toEqual(['a, b', 'c']);
    expect(parseWarnings('299 - "one", 299 - "two"')).toEqual(['one', 'two']);
    expect(parseWarnings(undefined)).toEqual([]);
  });
});
