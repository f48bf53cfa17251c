import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidStoreSpecError, openStore, parseStoreSpec } from './open.js';

describe('store specs', () => {
  it('reads memory, sqlite:PATH and etcd:URL[,URL...]', () => {
    expect(parseStoreSpec('memory')).toEqual({ kind: 'memory' });
    expect(parseStoreSpec('sqlite:/var/lib/concord/hub.db')).toEqual({
      kind: 'sqlite',
      path: '/var/lib/concord/hub.db',
    });
    expect(parseStoreSpec('sqlite:data/hub.db')).toEqual({
      kind: 'sqlite',
      path: join(process.cwd(), 'data/hub.db'),
    });
    expect(parseStoreSpec('etcd:http://10.0.0.1:2379,https://10.0.0.2:2379')).toEqual({
      kind: 'etcd',
      endpoints: ['http://10.0.0.1:2379', 'https://10.0.0.2:2379'],
    });
  });

  it('says what is wrong with a bad spec', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['postgres://db', /unknown kind "postgres"/],
      ['sqlite:', /needs a file path/],
      ['etcd:', /"" is not a URL/],
      ['etcd:10.0.0.1:2379', /not a URL \(write http:\/\/HOST:PORT\)/],
      ['etcd:localhost:2379', /"localhost:2379" must be an http/],
      ['etcd:http://10.0.0.1:2379/v3', /no path/],
      ['etcd:http://10.0.0.1', /with a port/],
      ['etcd:http://10.0.0.1:2379,nope', /"nope" is not a URL/],
    ];
    for (const [spec, message] of cases) {
      expect(() => parseStoreSpec(spec), spec).toThrow(InvalidStoreSpecError);
      expect(() => parseStoreSpec(spec), spec).toThrow(message);
    }
  });

  it('opens a working store for memory and sqlite specs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-open-'));
    try {
      for (const spec of ['memory', `sqlite:${join(dir, 'nested', 'hub.db')}`]) {
        const store = await openStore(spec);
        const kv = await store.create('/t/a', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'a' },
        });
        expect((await store.get('/t/a'))!.modRevision).toBe(kv.modRevision);
        expect(store.description).toBe(spec === 'memory' ? 'memory' : spec);
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
