// Data-plane benchmark:
//  (a) dns: the DNS server (one zone of 1,000 Services) in this thread, queried over UDP from a
//      worker thread with 64 queries in flight: queries/s and latency p50/p99;
//  (b) proxy: a simulated cluster with the data plane and 3 echo pods behind a Service; from a
//      worker thread, HTTP requests on new connections one at a time straight to a pod and through
//      the ClusterIP (the proxy's added latency), then 32 keep-alive connections through the
//      ClusterIP for requests/s.
// Prints one JSON document, then a one-line summary.
//
//   node dist/bench/dataplane/main.js [--parts dns,proxy] [--seconds S]

import dgram from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import dnsPacket from 'dns-packet';
import { resources } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { SimCluster } from '../../src/sim/cluster.js';
import { DnsServer } from '../../src/sim/dataplane/dns/server.js';
import { Zone } from '../../src/sim/dataplane/dns/zone.js';
import { benchOptions, countOption, usageError } from '../cli.js';

const round = (n: number, digits = 0) => Number(n.toFixed(digits));
const progress = (text: string) => process.stderr.write(`${text}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface LoadResult {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function summarize(latencies: number[], seconds: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    seconds: round(seconds, 2),
    perSecond: round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50), 3),
    p99Ms: round(percentile(latencies, 99), 3),
  };
}

// --- load generators (in a worker thread) ---------------------------------------------------

type Job =
  | { kind: 'dns'; address: string; port: number; names: string[]; inFlight: number; seconds: number }
  | { kind: 'http'; host: string; port: number; inFlight: number; seconds: number; keepAlive: boolean };

async function dnsLoad(job: Extract<Job, { kind: 'dns' }>): Promise<LoadResult> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  const queries = job.names.map((name, i) =>
    dnsPacket.encode({
      type: 'query',
      id: i,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: 'A', name }],
    }),
  );
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let next = 0;
  let id = 0;
  const start = performance.now();
  const end = start + job.seconds * 1000;
  return await new Promise((resolve) => {
    const send = () => {
      const q = queries[next++ % queries.length]!;
      id = (id + 1) & 0xffff;
      q.writeUInt16BE(id, 0);
      sentAt.set(id, performance.now());
      socket.send(q, job.port, job.address);
    };
    socket.on('message', (msg) => {
      const t = sentAt.get(msg.readUInt16BE(0));
      if (t === undefined) return;
      sentAt.delete(msg.readUInt16BE(0));
      const now = performance.now();
      latencies.push(now - t);
      if (now < end) send();
      else if (sentAt.size === 0) {
        socket.close();
        resolve(summarize(latencies, (now - start) / 1000));
      }
    });
    // Lost datagrams are given up after a second, and replaced.
    const sweep = setInterval(() => {
      const now = performance.now();
      for (const [k, t] of sentAt) {
        if (now - t > 1000) {
          sentAt.delete(k);
          if (now < end) send();
        }
      }
      if (now >= end + 1000) {
        clearInterval(sweep);
        socket.close();
        resolve(summarize(latencies, (now - start) / 1000));
      }
    }, 250);
    for (let i = 0; i < job.inFlight; i++) send();
  });
}

async function httpLoad(job: Extract<Job, { kind: 'http' }>): Promise<LoadResult> {
  const agent = job.keepAlive ? new http.Agent({ keepAlive: true, maxSockets: job.inFlight }) : false;
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + job.seconds * 1000;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const t = performance.now();
      http
        .get({ host: job.host, port: job.port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - t);
            resolve();
          });
        })
        .on('error', reject);
    });
  await Promise.all(
    Array.from({ length: job.inFlight }, async () => {
      while (performance.now() < end) await one();
    }),
  );
  if (agent) agent.destroy();
  return summarize(latencies, (performance.now() - start) / 1000);
}

function inWorker(job: Job): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

// --- parts --------------------------------------------------------------------------------------

async function dnsPart(seconds: number): Promise<Record<string, unknown>> {
  const zone = new Zone('cluster.local');
  const names: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const name = `svc-${i}.ns-${i % 10}.svc.cluster.local`;
    zone.set(name, [{ type: 'A', data: `127.16.${128 + Math.floor(i / 250)}.${(i % 250) + 2}` }]);
    names.push(name);
  }
  const server = new DnsServer({ address: '127.16.193.53', port: 0, zones: [zone] });
  await server.listen();
  try {
    progress('dns: warm-up');
    await inWorker({
      kind: 'dns',
      address: server.address,
      port: server.port,
      names,
      inFlight: 64,
      seconds: 1,
    });
    progress(`dns: ${seconds} s of queries, 64 in flight`);
    const cpu0 = process.cpuUsage();
    const result = await inWorker({
      kind: 'dns',
      address: server.address,
      port: server.port,
      names,
      inFlight: 64,
      seconds,
    });
    const cpu = process.cpuUsage(cpu0);
    // CPU of the whole process: the server and the load generator's thread.
    return { ...result, processCpuSeconds: round((cpu.user + cpu.system) / 1e6, 2), stats: server.stats };
  } finally {
    await server.close();
  }
}

const ECHO = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers: [{name: echo, image: concord.dev/echo:1, ports: [{containerPort: 8080}]}]
`;

async function proxyPart(seconds: number): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-bench-dataplane-'));
  const cluster = await SimCluster.start({ name: 'bench', dataDir: dir, nodes: 3, dataPlane: true });
  try {
    const { parse } = await import('yaml');
    await cluster.client.create(resources.deployments, parse(ECHO) as KubeObject, { namespace: 'default' });
    const svc = await cluster.client.create(
      resources.services,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'echo', namespace: 'default' },
        spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 8080 }] },
      } as KubeObject,
      { namespace: 'default' },
    );
    const clusterIP = (svc.spec as { clusterIP: string }).clusterIP;
    progress('proxy: waiting for 3 ready endpoints');
    for (;;) {
      if (cluster.dataPlane!.proxy.backendsOf(clusterIP, 80).length === 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const pods = await cluster.client.list(resources.pods, { namespace: 'default' });
    const podIP = (pods.items[0]!.status as { podIP: string }).podIP;
    const short = Math.max(2, Math.round(seconds / 2));
    progress(`proxy: ${short} s of sequential requests on new connections, direct and through the ClusterIP`);
    const direct = await inWorker({
      kind: 'http',
      host: podIP,
      port: 8080,
      inFlight: 1,
      seconds: short,
      keepAlive: false,
    });
    const proxied = await inWorker({
      kind: 'http',
      host: clusterIP,
      port: 80,
      inFlight: 1,
      seconds: short,
      keepAlive: false,
    });
    progress(`proxy: ${seconds} s of requests through the ClusterIP, 32 keep-alive connections`);
    const throughput = await inWorker({
      kind: 'http',
      host: clusterIP,
      port: 80,
      inFlight: 32,
      seconds,
      keepAlive: true,
    });
    return {
      direct,
      proxied,
      addedP50Ms: round(proxied.p50Ms - direct.p50Ms, 3),
      addedP99Ms: round(proxied.p99Ms - direct.p99Ms, 3),
      throughput,
      proxyStats: cluster.dataPlane!.proxy.stats,
    };
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const USAGE = `usage: node dist/bench/dataplane/main.js [--parts dns,proxy] [--seconds S]

The data plane of simulated clusters: (dns) the DNS server's answers/s and latency with 64
queries in flight; (proxy) requests through a Service's ClusterIP, the latency the proxy adds and
requests/s over keep-alive connections. Prints one JSON document and a one-line summary.

  --parts LIST    parts to run, of dns and proxy (default dns,proxy)
  --seconds S     how long each load runs (default 10)
  -h, --help      this text`;

async function main(): Promise<void> {
  const values = benchOptions(USAGE, {
    parts: { type: 'string', default: 'dns,proxy' },
    seconds: { type: 'string', default: '10' },
  });
  const parts = values.parts.split(',');
  for (const p of parts) if (p !== 'dns' && p !== 'proxy') usageError(USAGE, `--parts: unknown part "${p}"`);
  const seconds = countOption(USAGE, 'seconds', values.seconds);
  const result: Record<string, unknown> = {
    node: process.version,
    loadavg: loadavg().map((l) => round(l, 2)),
  };
  if (parts.includes('dns')) result.dns = await dnsPart(seconds);
  if (parts.includes('proxy')) result.proxy = await proxyPart(seconds);
  console.log(JSON.stringify(result, null, 2));
  const summary: string[] = [];
  const dns = result.dns as LoadResult | undefined;
  if (dns) summary.push(`DNS ${dns.perSecond} queries/s (p50 ${dns.p50Ms} ms, p99 ${dns.p99Ms} ms)`);
  const proxy = result.proxy as
    | { throughput: LoadResult; addedP99Ms: number; addedP50Ms: number }
    | undefined;
  if (proxy) {
    summary.push(
      `ClusterIP ${proxy.throughput.perSecond} requests/s (p99 ${proxy.throughput.p99Ms} ms), proxy adds p50 ${proxy.addedP50Ms} ms, p99 ${proxy.addedP99Ms} ms`,
    );
  }
  console.log(`dataplane: ${summary.join('; ')}`);
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
  const job = workerData as Job;
  (job.kind === 'dns' ? dnsLoad(job) : httpLoad(job)).then((r) => parentPort!.postMessage(r));
}
