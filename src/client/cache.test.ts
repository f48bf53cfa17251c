import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../machinery/object.js';
import { nodeNameIndex, ObjectCache, objectKey, ownerUidIndex, splitKey } from './cache.js';

const pod = (ns: string, name: string, node?: string, owner?: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    namespace: ns,
    name,
    ...(owner
      ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner }] }
      : {}),
  },
  spec: node ? { nodeName: node } : {},
});

describe('ObjectCache', () => {
  it('keys objects as namespace/name and back', () => {
    expect(objectKey(pod('ns', 'p'))).toBe('ns/p');
    expect(objectKey({ metadata: { name: 'node-1' } })).toBe('node-1');
    expect(splitKey('ns/p')).toEqual({ namespace: 'ns', name: 'p' });
    expect(splitKey('node-1')).toEqual({ name: 'node-1' });
  });

  it('keeps indexes in step with sets and deletes', () => {
    const cache = new ObjectCache({ node: nodeNameIndex, owner: ownerUidIndex });
    cache.set('a/p1', pod('a', 'p1', 'n1', 'u1'));
    cache.set('a/p2', pod('a', 'p2', 'n1'));
    cache.set('b/p3', pod('b', 'p3', 'n2', 'u1'));
    expect(cache.indexKeys('node', 'n1').sort()).toEqual(['a/p1', 'a/p2']);
    expect(
      cache
        .byIndex('owner', 'u1')
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['p1', 'p3']);
    // Moving a pod to another node moves it in the index.
    cache.set('a/p2', pod('a', 'p2', 'n2'));
    expect(cache.indexKeys('node', 'n1')).toEqual(['a/p1']);
    expect(cache.indexKeys('node', 'n2').sort()).toEqual(['a/p2', 'b/p3']);
    cache.delete('a/p1');
    expect(cache.indexValues('node').sort()).toEqual(['n2']);
    expect(() => cache.byIndex('nope', 'x')).toThrow(/index "nope" does not exist/);
  });

  it('accepts the same index twice (shared informers) but not two functions under one name', () => {
    const cache = new ObjectCache({ node: nodeNameIndex });
    cache.addIndexers({ node: nodeNameIndex });
    expect(() => cache.addIndexers({ node: ownerUidIndex })).toThrow(/already exists/);
  });

  it('leaves an object out of an index whose function fails on it', () => {
    const cache = new ObjectCache({
      picky: (o) => {
        if (o.metadata.name === 'odd') throw new Error('cannot index');
        return ['x'];
      },
    });
    cache.set('odd', { apiVersion: 'v1', kind: 'X', metadata: { name: 'odd' } });
    cache.set('fine', { apiVersion: 'v1', kind: 'X', metadata: { name: 'fine' } });
    expect(cache.indexKeys('picky', 'x')).toEqual(['fine']);
    expect(cache.size).toBe(2);
  });
});
