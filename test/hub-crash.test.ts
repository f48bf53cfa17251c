// `concord hub` killed with SIGKILL under a concurrent HTTPS write load, on SQLite and on etcd:
// after a restart every acknowledged write is there, nothing is half-written, and watches resume
// without gap or duplicate (test/support/crash.ts says what is checked). A few seeds per run,
// each printed; `npm run crash` runs many more, and replays one with --seed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CrashStore, runCrashTrial } from './support/crash.js';
import { type EtcdMember, startEtcd } from './support/etcd.js';

const SEEDS_PER_STORE = 2;

function seeds(): number[] {
  const fixed = process.env.CONCORD_CRASH_SEEDS;
  if (fixed) return fixed.split(',').map(Number);
  return Array.from({ length: SEEDS_PER_STORE }, () => Math.floor(Math.random() * 2 ** 31));
}

let etcd: EtcdMember;
beforeAll(async () => {
  etcd = await startEtcd();
});
afterAll(async () => {
  await etcd?.stop();
});

describe.each(['sqlite', 'etcd'] as CrashStore[])('concord hub on %s, killed under load', (store) => {
  for (const seed of seeds()) {
    it(`keeps every acknowledged write and resumes watches (seed ${seed})`, async () => {
      const result = await runCrashTrial({ seed, store, etcd });
      console.log(
        `crash trial ${store} seed ${seed}: killed after ${result.killAfterMs} ms, ${result.clients} clients, ` +
          `${result.acknowledged} acknowledged, ${result.inFlight} in flight (${result.committedInFlight} committed), ` +
          `${result.watchEvents} watch events; replay: npm run crash -- --store ${store} --seed ${seed}`,
      );
      expect(result.violations).toEqual([]);
      expect(result.acknowledged).toBeGreaterThan(0);
      expect(result.watchEvents).toBeGreaterThan(0);
    }, 180_000);
  }
});
