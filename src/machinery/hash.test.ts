import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  computeHash,
  fnv32,
  fnv32a,
  hashRevisionData,
  safeEncodeString,
  semanticValue,
} from './hash.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('hashes', () => {
  it('computes FNV-1 and FNV-1a as the reference vectors say', () => {
    expect(fnv32a(bytes(''))).toBe(0x811c9dc5);
    expect(fnv32a(bytes('a'))).toBe(0xe40c292c);
    expect(fnv32a(bytes('foobar'))).toBe(0xbf9cf968);
    expect(fnv32(bytes('a'))).toBe(0x050c5d7e);
    expect(fnv32(bytes('foobar'))).toBe(0x31f0b262);
  });

  it('prints hashes in the safe alphabet', () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    expect(computeHash({ spec: { containers: [{ name: 'c', image: 'nginx' }] } })).toMatch(
      /^[456789bcdf]{1,10}$/,
    );
  });

  it('hashes templates by meaning, not by spelling', () => {
    const a = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    const b = {
      spec: { containers: [{ image: 'nginx', name: 'c', resources: {} }] },
      metadata: { creationTimestamp: null, labels: { app: 'web' } },
    };
    expect(computeHash(a)).toBe(computeHash(b));
    expect(computeHash(a)).not.toBe(
      computeHash({ ...a, spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } }),
    );
    expect(semanticValue({ x: [], y: { z: null }, w: 0 })).toEqual({ w: 0 });
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
  });

  it('hashes a pod template to independently computed reference values', () => {
    // FNV-1a over the template's canonical JSON, then the collision count as 8 little-endian
    // bytes, printed with rand.SafeEncodeString. The constants come from an FNV-1a written
    // separately (Python) over the bytes '{"spec":{"containers":[{"image":"nginx","name":"c"}]}}'.
    // kube-controller-manager feeds FNV-1a a Go spew dump of the struct instead of JSON, so the
    // value differs from the one it would print; docs/apiserver.md says so.
    const t = { spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    expect(computeHash(t)).toBe('697c5c7895');
    expect(computeHash(t, 1)).toBe('589595b5c4');
  });

  it('changes with the collision count', () => {
    const t = { spec: { containers: [{ name: 'c', image: 'nginx' }] } };
    expect(computeHash(t, 0)).not.toBe(computeHash(t));
    expect(computeHash(t, 1)).not.toBe(computeHash(t, 0));
    expect(hashRevisionData({ a: 1 }, 1)).not.toBe(hashRevisionData({ a: 1 }));
  });

  it('hashes ControllerRevision data to the value Kubernetes gives (reference values)', () => {
    // kube-controller-manager's history.HashControllerRevision: FNV-1 (Go's fnv.New32) over the
    // revision's raw data — json.Marshal of a map, so keys sorted, no spaces, "&" written as
    // \u0026 — then, for a collision count, its decimal digits; printed with
    // rand.SafeEncodeString(fmt.Sprint(sum)). The constants were computed from that definition
    // by hand (an independent FNV-1 in Python over the bytes of RAW below), not by this code.
    const RAW =
      '{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"db"}},' +
      '"spec":{"containers":[{"env":[{"name":"URL","value":"a\\u0026b"}],"image":"postgres:16","name":"db"}]}}}}';
    expect(canonicalJson(JSON.parse(RAW))).toBe(RAW);
    expect(hashRevisionData(JSON.parse(RAW))).toBe('6f9bc88d6'); // fnv32 = 295674482
    expect(hashRevisionData(JSON.parse(RAW), 1)).toBe('d54778979'); // fnv32 = 810334535
  });
});
