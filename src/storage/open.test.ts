import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidStoreSpecError, openStore, parseStoreSpec } from './open.js';
import { SqliteStore } from './sqlite.js';

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

  it('reads the durability setting of a sqlite spec', () => {
    expect(parseStoreSpec('sqlite:/data/hub.db?sync=full')).toEqual({
      kind: 'sqlite',
      path: '/data/hub.db',
      synchronous: 'FULL',
    });
    expect(parseStoreSpec('sqlite:/data/hub.db?sync=Normal')).toMatchObject({ synchronous: 'NORMAL' });
  });

  it('says what is wrong with a bad spec', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['postgres://db', /unknown kind "postgres"/],
      ['sqlite:', /needs a file path/],
      ['sqlite:?sync=full', /needs a file path/],
      ['sqlite:/d/hub.db?sync=fast', /sync must be one of off, normal, full, extra, not "fast"/],
      ['sqlite:/d/hub.db?mode=ro', /unknown sqlite setting "mode"/],
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
      // sync=full is what SQLite has in force on the connection, whatever the options say.
      const full = await openStore(`sqlite:${join(dir, 'full.db')}?sync=full`, { synchronous: 'OFF' });
      expect(full).toBeInstanceOf(SqliteStore);
      expect((full as SqliteStore).synchronousMode()).toBe('FULL');
      expect(full.description).toBe(`sqlite:${join(dir, 'full.db')}?sync=full`);
      await full.close();
      const normal = await openStore(`sqlite:${join(dir, 'normal.db')}`);
      expect((normal as SqliteStore).synchronousMode()).toBe('NORMAL');
      await normal.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
