// One crash trial of `concord hub`: a real hub process under a concurrent write load over HTTPS
// (creates, updates and deletes of ConfigMaps from several clients, each client writing objects
// of its own) is killed with SIGKILL at a time the seed picks, restarted on the same store, and
// checked against what the clients were told:
// - every write answered with a 2xx is there with its resourceVersion, and an object is newer
//   than its last acknowledged write only through the one write that was in flight at the kill;
// - every object holds exactly the content of one write (nothing half-written), and no object
//   exists that no write made;
// - watches opened before the kill, resumed after the restart from the last resourceVersion they
//   saw, deliver exactly the committed history after their start: no gap, no duplicate.
// The seed fixes the load's shape (clients, mix, sizes) and the kill time; the machine's timing
// still varies, so a failing seed is rerun with `npm run crash -- --seed N --store S`.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, WatchEvent } from '../../src/client/client.js';
import type { HttpsClient } from '../../src/client/https.js';
import { resources } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { ApiError } from '../../src/machinery/status.js';
import type { EtcdMember } from './etcd.js';
import { HubProcess } from './hub.js';

export type CrashStore = 'sqlite' | 'etcd';

export interface CrashTrialOptions {
  seed: number;
  store: CrashStore;
  /** Needed for the etcd store: each trial uses a key prefix of its own in it. */
  etcd?: EtcdMember;
}

export interface CrashTrialResult {
  seed: number;
  store: CrashStore;
  killAfterMs: number;
  clients: number;
  acknowledged: number;
  inFlight: number;
  /** In-flight writes found committed after the restart. */
  committedInFlight: number;
  watchEvents: number;
  /** Every violation found (empty when the trial passed). */
  violations: string[];
}

/** A small seeded generator (mulberry32): the same seed gives the same load and kill time. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMESPACE = 'crash';

type OpKind = 'create' | 'update' | 'delete';
interface Op {
  kind: OpKind;
  name: string;
  /** What the write sets (create, update). */
  data?: Record<string, string>;
  outcome: 'acknowledged' | 'rejected' | 'unknown';
  /** resourceVersion of an acknowledged create or update. */
  rv?: number;
}

interface Expected {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  name: string;
  /** Known for creates and updates; a delete's revision is not returned to the client. */
  rv?: number;
  data?: Record<string, string>;
}

interface Seen {
  type: string;
  name: string;
  rv: number;
  data?: Record<string, string>;
}

interface TrialWatch {
  /** The watch starts after this revision (a list's), with these objects existing then. */
  start: number;
  existing: Set<string>;
  events: Seen[];
  /** Where a resumed watch starts: the last revision seen. */
  cursor: number;
  handle?: { stop(): void };
}

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const sameData = (a: Record<string, string> | undefined, b: Record<string, string> | undefined) =>
  JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});

function seen(e: WatchEvent): Seen | undefined {
  if (e.type !== 'ADDED' && e.type !== 'MODIFIED' && e.type !== 'DELETED') return undefined;
  const obj = e.object as KubeObject;
  return {
    type: e.type,
    name: obj.metadata.name!,
    rv: Number(obj.metadata.resourceVersion),
    data: obj.data as Record<string, string> | undefined,
  };
}

function startWatch(client: Client, w: TrialWatch, from: number, violations: string[]): Promise<void> {
  return client
    .watch(
      resources.configmaps,
      { namespace: NAMESPACE, resourceVersion: String(from) },
      {
        onEvent: (e) => {
          if (e.type === 'ERROR') {
            violations.push(`watch from ${w.start} got an error event: ${JSON.stringify(e.object)}`);
            return;
          }
          const s = seen(e);
          if (!s) return;
          w.events.push(s);
          w.cursor = s.rv;
        },
        onClose: () => {},
      },
    )
    .then((handle) => {
      w.handle = handle;
    });
}

export async function runCrashTrial(opts: CrashTrialOptions): Promise<CrashTrialResult> {
  const random = seededRandom(opts.seed);
  const lanes = 3 + Math.floor(random() * 4); // 3..6 writers
  const killAfterMs = 300 + Math.floor(random() * 1700);
  const dataDir = await mkdtemp(join(tmpdir(), `concord-crash-${opts.store}-`));
  const port = await freePort();
  const args = ['--port', String(port)];
  if (opts.store === 'etcd') {
    if (!opts.etcd) throw new Error('an etcd crash trial needs an etcd member');
    args.push(
      '--store',
      `etcd:${opts.etcd.clientUrl}`,
      '--etcd-prefix',
      `/crash-${opts.seed}-${process.pid}`,
    );
  }
  const violations: string[] = [];
  const closers: HttpsClient[] = [];
  let hub: HubProcess | undefined;
  try {
    hub = await HubProcess.start(dataDir, args);
    const admin = await hub.client();
    closers.push(admin);
    await admin.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: NAMESPACE },
    });

    // Writers: each lane owns the objects it creates, so each object's writes are sequential.
    const ops: Op[] = [];
    let killed = false;
    const writers: HttpsClient[] = [];
    for (let i = 0; i < lanes; i++) {
      const c = await hub.client();
      closers.push(c);
      writers.push(c);
    }
    const watches: TrialWatch[] = [];
    const openWatch = async () => {
      const list = await admin.list(resources.configmaps, { namespace: NAMESPACE });
      const start = Number(list.metadata.resourceVersion);
      const w: TrialWatch = {
        start,
        existing: new Set(list.items.map((i) => i.metadata.name!)),
        events: [],
        cursor: start,
      };
      watches.push(w);
      await startWatch(admin, w, start, violations);
    };
    await openWatch();

    const lane = async (index: number) => {
      const client = writers[index]!;
      const rnd = seededRandom(opts.seed * 31 + index);
      const live = new Map<string, number>(); // name -> resourceVersion
      let n = 0;
      while (!killed) {
        const roll = rnd();
        const names = [...live.keys()];
        let op: Op;
        const data = { lane: String(index), seq: String(n), payload: 'x'.repeat(Math.floor(rnd() * 4000)) };
        if (names.length === 0 || roll < 0.45) {
          op = { kind: 'create', name: `l${index}-${n}`, data, outcome: 'unknown' };
        } else if (roll < 0.85) {
          op = { kind: 'update', name: names[Math.floor(rnd() * names.length)]!, data, outcome: 'unknown' };
        } else {
          op = { kind: 'delete', name: names[Math.floor(rnd() * names.length)]!, outcome: 'unknown' };
        }
        n++;
        ops.push(op);
        try {
          if (op.kind === 'delete') {
            await client.delete(resources.configmaps, op.name, { namespace: NAMESPACE });
            live.delete(op.name);
          } else {
            const body: KubeObject = {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: op.name },
              data: op.data,
            };
            if (op.kind === 'update') body.metadata.resourceVersion = String(live.get(op.name));
            const res =
              op.kind === 'create'
                ? await client.create(resources.configmaps, body, { namespace: NAMESPACE })
                : await client.update(resources.configmaps, body, { namespace: NAMESPACE });
            op.rv = Number(res.metadata.resourceVersion);
            live.set(op.name, op.rv);
          }
          op.outcome = 'acknowledged';
        } catch (err) {
          if (err instanceof ApiError && err.code >= 400 && err.code < 500) {
            op.outcome = 'rejected';
            violations.push(`${op.kind} ${op.name} was refused before the kill: ${err.message}`);
          }
          // Anything else (the connection dropped with the hub) leaves the outcome unknown; this
          // lane writes that object no more, so an unknown write is always its object's last.
          live.delete(op.name);
          if (!killed) await new Promise((r) => setTimeout(r, 5));
        }
      }
    };
    const load = Promise.all(writers.map((_, i) => lane(i)));
    // More watches while the load runs, from the revisions of lists taken then.
    await new Promise((r) => setTimeout(r, killAfterMs / 3));
    await openWatch();
    await new Promise((r) => setTimeout(r, killAfterMs / 3));
    await openWatch();
    await new Promise((r) => setTimeout(r, killAfterMs / 3));
    killed = true;
    await hub.kill();
    await load;
    for (const w of watches) w.handle?.stop();
    for (const c of closers.splice(0)) c.close();

    // The restart, on the same data dir (and prefix) and port.
    hub = await HubProcess.start(dataDir, args);
    const after = await hub.client();
    closers.push(after);
    const final = new Map<string, { rv: number; data?: Record<string, string> }>();
    for (const item of (await after.list(resources.configmaps, { namespace: NAMESPACE })).items) {
      final.set(item.metadata.name!, {
        rv: Number(item.metadata.resourceVersion),
        data: item.data as Record<string, string> | undefined,
      });
    }

    // What each object's writes allow it to be now, and the history a watch must show.
    const byName = new Map<string, Op[]>();
    for (const op of ops) {
      if (op.outcome === 'rejected') continue;
      const list = byName.get(op.name) ?? [];
      list.push(op);
      byName.set(op.name, list);
    }
    const history = new Map<string, Expected[]>();
    let committedInFlight = 0;
    for (const [name, list] of byName) {
      const acked = list.filter((o) => o.outcome === 'acknowledged');
      const unknown = list.find((o) => o.outcome === 'unknown');
      const last = acked[acked.length - 1];
      const now = final.get(name);
      const events: Expected[] = acked.map((o) => ({
        type: o.kind === 'create' ? 'ADDED' : o.kind === 'update' ? 'MODIFIED' : 'DELETED',
        name,
        rv: o.rv,
        data: o.data,
      }));
      const asAcknowledged =
        last === undefined || last.kind === 'delete'
          ? now === undefined
          : now !== undefined && now.rv === last.rv && sameData(now.data, last.data);
      let asInFlight = false;
      if (unknown) {
        asInFlight =
          unknown.kind === 'delete'
            ? now === undefined && last !== undefined && last.kind !== 'delete'
            : now !== undefined && now.rv > (last?.rv ?? 0) && sameData(now.data, unknown.data);
      }
      if (asInFlight) {
        committedInFlight++;
        events.push({
          type: unknown!.kind === 'create' ? 'ADDED' : unknown!.kind === 'update' ? 'MODIFIED' : 'DELETED',
          name,
          rv: now?.rv,
          data: unknown!.data,
        });
      } else if (!asAcknowledged) {
        violations.push(
          `${name}: after the restart ${now ? `at ${now.rv} with seq ${now.data?.seq}` : 'absent'}, ` +
            `but the last acknowledged write was ${last ? `${last.kind} at ${last.rv ?? '?'}` : 'none'}` +
            (unknown ? ` and a ${unknown.kind} was in flight` : ''),
        );
      }
      history.set(name, events);
    }
    for (const name of final.keys()) {
      if (!byName.has(name)) violations.push(`${name} exists after the restart, but no write made it`);
    }

    // Resume every watch from its last revision on the restarted hub, until it has caught up.
    const expectedFor = (w: TrialWatch) => {
      const out: Expected[] = [];
      for (const [name, events] of history) {
        // A delete's revision is unknown: it follows the start when the object existed at the
        // start or was created after it.
        let previousAfter = false;
        for (const e of events) {
          const after: boolean = e.rv !== undefined ? e.rv > w.start : previousAfter || w.existing.has(name);
          if (after) out.push(e);
          previousAfter = after;
        }
      }
      return out;
    };
    await Promise.all(watches.map((w) => startWatch(after, w, w.cursor, violations)));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && watches.some((w) => w.events.length < expectedFor(w).length)) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 200)); // room for an event too many to show up
    for (const w of watches) {
      w.handle?.stop();
      const label = `watch from ${w.start}`;
      for (let i = 1; i < w.events.length; i++) {
        if (w.events[i]!.rv <= w.events[i - 1]!.rv) {
          violations.push(
            `${label}: revision ${w.events[i]!.rv} after ${w.events[i - 1]!.rv} (duplicate or out of order)`,
          );
        }
      }
      const expected = expectedFor(w);
      const names = new Set([...expected.map((e) => e.name), ...w.events.map((e) => e.name)]);
      for (const name of names) {
        const want = expected.filter((e) => e.name === name);
        const got = w.events.filter((e) => e.name === name);
        const matches =
          want.length === got.length &&
          want.every(
            (e, i) =>
              e.type === got[i]!.type &&
              (e.rv === undefined || e.rv === got[i]!.rv) &&
              (e.type === 'DELETED' || sameData(e.data, got[i]!.data)),
          );
        if (!matches) {
          const show = (l: { type: string; rv?: number }[]) =>
            l.map((e) => `${e.type}@${e.rv ?? '?'}`).join(' ');
          violations.push(`${label}, ${name}: expected [${show(want)}], got [${show(got)}]`);
        }
      }
    }

    return {
      seed: opts.seed,
      store: opts.store,
      killAfterMs,
      clients: lanes,
      acknowledged: ops.filter((o) => o.outcome === 'acknowledged').length,
      inFlight: ops.filter((o) => o.outcome === 'unknown').length,
      committedInFlight,
      watchEvents: watches.reduce((n, w) => n + w.events.length, 0),
      violations,
    };
  } finally {
    for (const c of closers) c.close();
    await hub?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
