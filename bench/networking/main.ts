// Networking benchmark, on a hub with the member registry and networking and three simulated
// members with a data plane (east in region eu, west in us, south in asia), in this process:
//  (a) dns: the hub's DNS server asked for a clusterset name over UDP from a worker thread, 64 in
//      flight: answers/s and latency;
//  (b) clusterset: a Service of 2 echo pods exported from east and west; from a worker thread,
//      requests on new connections one at a time straight to a pod and through the clusterset IP
//      (what the hub's forwarding adds), then 32 keep-alive connections through the clusterset IP;
//  (c) failover: a Gslb (failover, primary eu, TTL 5) over the same Service; a worker asks the
//      hub's DNS for the global name and sends a request to the answer every 20 ms, and a request
//      through the clusterset IP every 20 ms; east is taken down (its network edge and data plane,
//      `concord fault down`): how long until the DNS answer leaves east, until the first request
//      through the global name succeeds, until requests through the clusterset IP stop failing,
//      and how many failed in between.
// Prints one JSON document, then a one-line summary.
//
//   node dist/bench/networking/main.js [--parts dns,clusterset,failover] [--seconds S]

import dgram from 'node:dgram';
import http from 'node:http';
import { loadavg } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import dnsPacket from 'dns-packet';
import {
  dig,
  echoDeployment,
  type NetworkingFleet,
  startNetworkingFleet,
  waitFor,
} from '../../test/networking/fleet.js';
import { benchOptions, countOption, usageError } from '../cli.js';
import { inWorker, type LoadResult, progress, round } from '../dataplane/load.js';

const NAME = 'serve.demo.svc.clusterset.local';
const GLOBAL = 'app.global.example';

// --- the failover probe (in a worker thread) ----------------------------------------------------

interface ProbeJob {
  probe: true;
  dnsPort: number;
  clustersetIP: string;
  port: number;
  seconds: number;
}

interface Sample {
  at: number;
  /** What the DNS answered (global probe). */
  answer?: string;
  cluster?: string;
  ok: boolean;
}

function request(host: string, port: number): Promise<{ ok: boolean; cluster?: string }> {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve({
            ok: res.statusCode === 200,
            cluster: (JSON.parse(body) as { cluster?: string }).cluster,
          });
        } catch {
          resolve({ ok: false });
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ ok: false }));
  });
}

function resolveA(socket: dgram.Socket, port: number, id: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.off('message', onMessage);
      resolve(undefined);
    }, 1000);
    const onMessage = (msg: Buffer) => {
      if (msg.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      socket.off('message', onMessage);
      const answer = dnsPacket.decode(msg).answers?.find((a) => a.type === 'A') as
        | { data?: string }
        | undefined;
      resolve(answer?.data);
    };
    socket.on('message', onMessage);
    socket.send(
      dnsPacket.encode({ type: 'query', id, questions: [{ type: 'A', name: GLOBAL }] }),
      port,
      '127.0.0.1',
    );
  });
}

async function probe(job: ProbeJob): Promise<{ global: Sample[]; clusterset: Sample[] }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const end = Date.now() + job.seconds * 1000;
  parentPort!.postMessage('started');
  const global: Sample[] = [];
  const clusterset: Sample[] = [];
  const every = (fn: () => Promise<void>) =>
    (async () => {
      while (Date.now() < end) {
        const next = Date.now() + 20;
        await fn();
        await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      }
    })();
  let id = 0;
  await Promise.all([
    every(async () => {
      const at = Date.now();
      id = (id + 1) & 0xffff;
      const answer = await resolveA(socket, job.dnsPort, id);
      const r = answer ? await request(answer, job.port) : { ok: false };
      global.push({ at, ...(answer ? { answer } : {}), ...r });
    }),
    every(async () => {
      const at = Date.now();
      clusterset.push({ at, ...(await request(job.clustersetIP, 80)) });
    }),
  ]);
  socket.close();
  return { global, clusterset };
}

/** Starts the probes in a worker: `started` once they run, `done` with their samples. */
function probeInWorker(job: ProbeJob): {
  started: Promise<void>;
  done: Promise<{ global: Sample[]; clusterset: Sample[] }>;
} {
  const w = new Worker(new URL(import.meta.url), { workerData: job });
  const started = new Promise<void>((resolve, reject) => {
    w.once('message', () => resolve());
    w.once('error', reject);
  });
  const done = started.then(
    () =>
      new Promise<{ global: Sample[]; clusterset: Sample[] }>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }),
  );
  return { started, done };
}

// --- the fleet --------------------------------------------------------------------------------

async function setUp(): Promise<{ fleet: NetworkingFleet; clustersetIP: string }> {
  progress('starting the hub and three members');
  const fleet = await startNetworkingFleet([
    { name: 'east', region: 'eu' },
    { name: 'west', region: 'us' },
    { name: 'south', region: 'asia' },
  ]);
  const service = `apiVersion: v1
kind: Service
metadata: {name: serve, namespace: demo}
spec:
  selector: {app: serve}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: multicluster.x-k8s.io/v1beta1
kind: ServiceExport
metadata: {name: serve, namespace: demo}
`;
  for (const m of ['east', 'west', 'south']) await fleet.ok(m, ['create', 'namespace', 'demo']);
  for (const m of ['east', 'west']) {
    await fleet.ok(m, ['apply', '-f', '-'], echoDeployment('serve', 'demo'));
    await fleet.ok(m, ['apply', '-f', '-'], service);
  }
  progress('waiting for the import and its endpoints');
  const clustersetIP = await waitFor(
    'the clusterset IP',
    async () => (await dig(fleet.dnsPort, NAME, '+short')).trim() || undefined,
    60_000,
  );
  await waitFor('4 ready endpoints', async () => (await readyEndpoints(fleet)) === 4, 60_000);
  // The hub follows the slices: a moment for the last of them to reach its forwarding.
  await new Promise((r) => setTimeout(r, 1000));
  return { fleet, clustersetIP };
}

/** Ready endpoints of the Service in the exporting members. */
async function readyEndpoints(fleet: NetworkingFleet): Promise<number> {
  let n = 0;
  for (const m of ['east', 'west']) {
    const list = await fleet.json(m, [
      'get',
      'endpointslices',
      '-n',
      'demo',
      '-l',
      'kubernetes.io/service-name=serve',
    ]);
    for (const s of list.items) {
      n += (s.endpoints ?? []).filter(
        (e: { conditions?: { ready?: boolean } }) => e.conditions?.ready !== false,
      ).length;
    }
  }
  return n;
}

// --- parts --------------------------------------------------------------------------------------

async function dnsPart(fleet: NetworkingFleet, seconds: number): Promise<LoadResult> {
  const job = {
    kind: 'dns' as const,
    address: '127.0.0.1',
    port: fleet.dnsPort,
    names: [NAME],
    inFlight: 64,
  };
  progress('dns: warm-up');
  await inWorker({ ...job, seconds: 1 });
  progress(`dns: ${seconds} s of queries for ${NAME}, 64 in flight`);
  return inWorker({ ...job, seconds });
}

async function clustersetPart(fleet: NetworkingFleet, clustersetIP: string, seconds: number) {
  const pods = await fleet.json('east', ['get', 'pods', '-n', 'demo', '-l', 'app=serve']);
  const podIP = pods.items[0].status.podIP as string;
  const short = Math.max(2, Math.round(seconds / 2));
  progress(
    `clusterset: ${short} s of sequential requests on new connections, direct and through the clusterset IP`,
  );
  const base = { kind: 'http' as const, inFlight: 1, seconds: short, keepAlive: false };
  const direct = await inWorker({ ...base, host: podIP, port: 8080 });
  const forwarded = await inWorker({ ...base, host: clustersetIP, port: 80 });
  progress(`clusterset: ${seconds} s through the clusterset IP, 32 keep-alive connections`);
  const throughput = await inWorker({
    kind: 'http',
    host: clustersetIP,
    port: 80,
    inFlight: 32,
    seconds,
    keepAlive: true,
  });
  return {
    direct,
    forwarded,
    addedP50Ms: round(forwarded.p50Ms - direct.p50Ms, 3),
    addedP99Ms: round(forwarded.p99Ms - direct.p99Ms, 3),
    throughput,
  };
}

async function failoverPart(fleet: NetworkingFleet, clustersetIP: string) {
  await fleet.ok('hub', ['create', 'namespace', 'demo']).catch(() => '');
  await fleet.ok(
    'hub',
    ['apply', '-f', '-'],
    `apiVersion: k8gb.io/v1beta1
kind: Gslb
metadata: {name: app, namespace: demo}
spec:
  ingress:
    rules: [{host: ${GLOBAL}, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: serve, port: {name: http}}}}]}}]
  strategy: {type: failover, primaryGeoTag: eu, dnsTtlSeconds: 5}
`,
  );
  const eastIP = (await fleet.json('east', ['get', 'service', '-n', 'demo', 'serve'])).spec
    .clusterIP as string;
  await waitFor(
    'the global name answered by eu',
    async () => (await dig(fleet.dnsPort, GLOBAL, '+short')).trim() === eastIP,
    30_000,
  );
  progress('failover: steady probes for 2 s, then east goes down');
  const running = probeInWorker({ probe: true, dnsPort: fleet.dnsPort, clustersetIP, port: 80, seconds: 17 });
  await running.started;
  await new Promise((r) => setTimeout(r, 2000));
  const killedAt = Date.now();
  await fleet.host.applyFault('east', { action: 'down' });
  const { global, clusterset } = await running.done;
  await fleet.host.applyFault('east', { action: 'heal' });
  const after = (s: Sample) => s.at >= killedAt;
  const dnsMoved = global.find((s) => after(s) && s.answer && s.answer !== eastIP);
  const globalSuccess = global.find((s) => after(s) && s.ok && s.cluster === 'west');
  const globalFailed = global.filter((s) => after(s) && !s.ok).length;
  const csAfter = clusterset.filter(after);
  const lastFailure = [...csAfter].reverse().find((s) => !s.ok);
  const ms = (s: Sample | undefined) => (s ? s.at - killedAt : null);
  return {
    probesEvery: '20 ms each (global name: DNS then a request; clusterset IP: a request)',
    globalName: {
      dnsWithoutFailedClusterMs: ms(dnsMoved),
      firstSuccessMs: ms(globalSuccess),
      failedRequests: globalFailed,
      requests: global.filter(after).length,
    },
    clustersetIP: {
      lastFailureMs: ms(lastFailure),
      failedRequests: csAfter.filter((s) => !s.ok).length,
      requests: csAfter.length,
    },
  };
}

const USAGE = `usage: node dist/bench/networking/main.js [--parts dns,clusterset,failover] [--seconds S]

Networking across simulated clusters: (dns) the hub DNS server's answers/s for a clusterset
name, 64 in flight; (clusterset) requests through a clusterset IP to 2 clusters, the latency the
forwarding adds and requests/s over keep-alive connections; (failover) a member taken down under
steady probes: time until the global name's DNS answer leaves it, until the first request through
the global name succeeds, until requests through the clusterset IP stop failing. Prints one JSON
document and a one-line summary.

  --parts LIST    parts to run, of dns, clusterset and failover (default all)
  --seconds S     how long each load runs (default 10)
  -h, --help      this text`;

async function main(): Promise<void> {
  const values = benchOptions(USAGE, {
    parts: { type: 'string', default: 'dns,clusterset,failover' },
    seconds: { type: 'string', default: '10' },
  });
  const parts = values.parts.split(',');
  for (const p of parts) {
    if (!['dns', 'clusterset', 'failover'].includes(p)) usageError(USAGE, `--parts: unknown part "${p}"`);
  }
  const seconds = countOption(USAGE, 'seconds', values.seconds);
  const result: Record<string, unknown> = {
    node: process.version,
    loadavg: loadavg().map((l) => round(l, 2)),
  };
  const { fleet, clustersetIP } = await setUp();
  try {
    if (parts.includes('dns')) result.dns = await dnsPart(fleet, seconds);
    if (parts.includes('clusterset')) result.clusterset = await clustersetPart(fleet, clustersetIP, seconds);
    if (parts.includes('failover')) result.failover = await failoverPart(fleet, clustersetIP);
  } finally {
    result.loadavgAtEnd = loadavg().map((l) => round(l, 2));
    await fleet.stop();
  }
  console.log(JSON.stringify(result, null, 2));
  const summary: string[] = [];
  const dns = result.dns as LoadResult | undefined;
  if (dns) summary.push(`DNS ${dns.perSecond} queries/s (p99 ${dns.p99Ms} ms)`);
  const cs = result.clusterset as Awaited<ReturnType<typeof clustersetPart>> | undefined;
  if (cs) {
    summary.push(
      `clusterset IP ${cs.throughput.perSecond} requests/s (p99 ${cs.throughput.p99Ms} ms), forwarding adds p99 ${cs.addedP99Ms} ms`,
    );
  }
  const fo = result.failover as Awaited<ReturnType<typeof failoverPart>> | undefined;
  if (fo) {
    summary.push(
      `failover: DNS without the dead cluster after ${fo.globalName.dnsWithoutFailedClusterMs} ms, first success through the global name after ${fo.globalName.firstSuccessMs} ms (${fo.globalName.failedRequests} failed), clusterset IP last failure at ${fo.clustersetIP.lastFailureMs} ms (${fo.clustersetIP.failedRequests} failed)`,
    );
  }
  console.log(`networking: ${summary.join('; ')}`);
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  probe(workerData as ProbeJob).then((r) => parentPort!.postMessage(r));
}
