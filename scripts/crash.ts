// `npm run crash`: many crash trials of `concord hub` (test/support/crash.ts), more than `npm
// test` runs, each with its seed printed; `--seed N` replays one.
//
//   npm run crash -- [--seeds 20] [--store sqlite,etcd] [--seed N]

import { parseArgs } from 'node:util';
import { type CrashStore, type CrashTrialResult, runCrashTrial } from '../test/support/crash.js';
import { type EtcdMember, startEtcd } from '../test/support/etcd.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '20' },
    store: { type: 'string', default: 'sqlite,etcd' },
    seed: { type: 'string' },
  },
});

const stores = values.store.split(',') as CrashStore[];
for (const s of stores) {
  if (s !== 'sqlite' && s !== 'etcd')
    throw new Error(`--store: unknown store ${JSON.stringify(s)} (sqlite or etcd)`);
}
const seeds =
  values.seed !== undefined
    ? [Number(values.seed)]
    : Array.from({ length: Number(values.seeds) }, () => Math.floor(Math.random() * 2 ** 31));

let etcd: EtcdMember | undefined;
const results: CrashTrialResult[] = [];
try {
  if (stores.includes('etcd')) etcd = await startEtcd();
  for (const store of stores) {
    for (const seed of seeds) {
      const r = await runCrashTrial({ seed, store, etcd });
      results.push(r);
      process.stdout.write(
        `${r.violations.length === 0 ? 'ok  ' : 'FAIL'} ${store} seed ${seed}: killed after ${r.killAfterMs} ms, ` +
          `${r.clients} clients, ${r.acknowledged} acknowledged, ${r.inFlight} in flight ` +
          `(${r.committedInFlight} committed), ${r.watchEvents} watch events\n`,
      );
      for (const v of r.violations) process.stdout.write(`     ${v}\n`);
    }
  }
} finally {
  await etcd?.stop();
}
const failed = results.filter((r) => r.violations.length > 0);
const total = (f: (r: CrashTrialResult) => number) => results.reduce((n, r) => n + f(r), 0);
process.stdout.write(
  `${JSON.stringify({
    trials: results.length,
    failed: failed.map((r) => ({ store: r.store, seed: r.seed })),
    acknowledged: total((r) => r.acknowledged),
    inFlight: total((r) => r.inFlight),
    committedInFlight: total((r) => r.committedInFlight),
    watchEvents: total((r) => r.watchEvents),
  })}\n`,
);
process.stdout.write(`${results.length - failed.length} passed, ${failed.length} failed\n`);
process.exit(failed.length > 0 ? 1 : 0);
