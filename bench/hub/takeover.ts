// Hub takeover benchmark: two `concord hub` processes on one etcd and one data dir; the leader is
// killed with SIGKILL and the time until the standby has taken the Lease and published itself in
// concord-system/hub-info is measured (polled every 50 ms over HTTPS); the killed hub comes back
// as the new standby, and again. Prints one JSON document and a one-line summary.
//
//   npm run build && node dist/bench/hub/takeover.js [--rounds 5]

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../../src/client/client.js';
import { resources } from '../../src/client/resources.js';
import { HUB_INFO, HUB_NAMESPACE } from '../../src/hub/identity/hub-info-controller.js';
import { startEtcd } from '../../test/support/etcd.js';
import { HubProcess } from '../../test/support/hub.js';
import { benchOptions, countOption } from '../cli.js';

const USAGE = `usage: node dist/bench/hub/takeover.js [--rounds N]

Two concord hub processes on one etcd and one data dir: the leader is killed with SIGKILL, and the
time until the standby leads and has published itself is measured; the killed hub comes back as
the standby, and again. Prints one JSON document and a one-line summary.

  --rounds N    takeovers measured (default 5)
  -h, --help    this text`;

const values = benchOptions(USAGE, { rounds: { type: 'string', default: '5' } });
const rounds = countOption(USAGE, 'rounds', values.rounds);

async function leaderOf(client: Client): Promise<string | undefined> {
  try {
    const info = await client.get(resources.configmaps, HUB_INFO, { namespace: HUB_NAMESPACE });
    return (info.data as Record<string, string>).leader;
  } catch {
    return undefined;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const etcd = await startEtcd();
const dataDir = await mkdtemp(join(tmpdir(), 'bench-takeover-'));
const loadBefore = loadavg()[0]!;
const args = ['--store', `etcd:${etcd.clientUrl}`];
const hubs: HubProcess[] = [];
const takeoversMs: number[] = [];
try {
  hubs.push(await HubProcess.start(dataDir, args));
  hubs.push(await HubProcess.start(dataDir, args));
  for (let r = 0; r < rounds; r++) {
    const clients = await Promise.all(hubs.map((h) => h.client()));
    let leaderId: string | undefined;
    await until(async () => {
      leaderId = await leaderOf(clients[0]!);
      return hubs.some((h) => h.identity === leaderId);
    }, 60_000);
    const leader = hubs.findIndex((h) => h.identity === leaderId);
    const standby = 1 - leader;
    const t0 = Date.now();
    await hubs[leader]!.kill();
    await until(async () => (await leaderOf(clients[standby]!)) === hubs[standby]!.identity, 60_000);
    takeoversMs.push(Date.now() - t0);
    for (const c of clients) c.close();
    hubs[leader] = await HubProcess.start(dataDir, args);
  }
} finally {
  await Promise.all(hubs.map((h) => h.kill()));
  await etcd.stop();
  await rm(dataDir, { recursive: true, force: true });
}
const sorted = [...takeoversMs].sort((a, b) => a - b);
const report = {
  benchmark: 'hub-takeover',
  leaderElection: { leaseDurationMs: 8000, renewDeadlineMs: 6000, retryPeriodMs: 1500 },
  loadAverage1m: { atStart: loadBefore, atEnd: loadavg()[0] },
  takeoversMs,
  medianMs: sorted[Math.floor(sorted.length / 2)],
  maxMs: sorted[sorted.length - 1],
};
console.log(JSON.stringify(report, null, 2));
console.log(
  `hub takeover after SIGKILL of the leader: median ${(report.medianMs! / 1000).toFixed(1)} s, ` +
    `max ${(report.maxMs! / 1000).toFixed(1)} s over ${rounds} rounds`,
);
