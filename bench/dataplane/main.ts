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

import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { resources } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { SimCluster } from '../../src/sim/cluster.js';
import { DnsServer } from '../../src/sim/dataplane/dns/server.js';
import { Zone } from '../../src/sim/dataplane/dns/zone.js';
import { benchOptions, countOption, usageError } from '../cli.js';
import { inWorker, type LoadResult, progress, round } from './load.js';

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

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
