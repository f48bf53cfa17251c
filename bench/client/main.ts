// Client transport benchmark: HttpsClient creates and gets with 32 concurrent callers, over
// HTTP/1.1 (keep-alive Agent) and over HTTP/2 (one session), which chose its transport for
// unary calls (HTTP/1.1: see src/client/https.ts). The API
// server runs in a child process over a MemoryStore, so the client's own CPU per request is
// measured apart from the server's. Prints JSON, then a one-line summary per transport.
//
//   node dist/bench/client/main.js [--requests 4000] [--concurrency 32]

import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { HttpsClient } from '../../src/client/https.js';
import { resources } from '../../src/client/resources.js';
import { parseKubeconfig, resolveContext } from '../../src/machinery/kubeconfig.js';
import { benchOptions, countOption } from '../cli.js';

const USAGE = `usage: node dist/bench/client/main.js [--requests N] [--concurrency N]

The HTTPS client's two transports, HTTP/1.1 (keep-alive) and HTTP/2 (one session): creates and
gets with concurrent callers against an API server in a child process, with the client's own CPU
per request. Prints one JSON document and a one-line summary per transport.

  --requests N       requests per measurement (default 4000)
  --concurrency N    concurrent callers (default 32)
  -h, --help         this text`;

async function serve(): Promise<void> {
  const { serveApiServer } = await import('../../src/apiserver/serving.js');
  const { MemoryStore } = await import('../../src/storage/memory.js');
  const dir = mkdtempSync(join(tmpdir(), 'bench-client-'));
  const running = await serveApiServer({ name: 'bench', stateDir: dir, store: new MemoryStore(), port: 0 });
  process.send?.({ kubeconfig: running.kubeconfig });
  // Never outlive the benchmark that started this server.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async () => {
    await running.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(
  client: HttpsClient,
  label: string,
  requests: number,
  concurrency: number,
  verb: 'create' | 'get',
) {
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= requests) return;
        const name = `${label}-${i}`;
        const t0 = performance.now();
        if (verb === 'create') {
          await client.create(resources.configmaps, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name, namespace: 'default' },
            data: { n: String(i) },
          });
        } else {
          await client.get(resources.configmaps, name, { namespace: 'default' });
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    perSecond: Math.round(requests / seconds),
    p50ms: +percentile(latencies, 50).toFixed(2),
    p99ms: +percentile(latencies, 99).toFixed(2),
    clientCpuUsPerRequest: Math.round((cpu.user + cpu.system) / requests),
  };
}

async function main(): Promise<void> {
  const values = benchOptions(USAGE, {
    serve: { type: 'boolean' },
    requests: { type: 'string', default: '4000' },
    concurrency: { type: 'string', default: '32' },
  });
  const requests = countOption(USAGE, 'requests', values.requests);
  const concurrency = countOption(USAGE, 'concurrency', values.concurrency);
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx'] });
  const kubeconfig = await new Promise<string>((resolve) =>
    child.once('message', (m) => resolve((m as { kubeconfig: string }).kubeconfig)),
  );
  const cfg = resolveContext(parseKubeconfig(kubeconfig));
  const results: Record<string, unknown> = {};
  // Each transport twice, alternating, so that a warm-up or a neighbour's load favours neither.
  for (const round of [1, 2]) {
    for (const kind of ['http1', 'http2'] as const) {
      const client = new HttpsClient(cfg, { protocol: kind === 'http1' ? 'http/1.1' : 'h2' });
      const label = `${kind}-r${round}`;
      const create = await run(client, label, requests, concurrency, 'create');
      const get = await run(client, label, requests, concurrency, 'get');
      client.close();
      results[label] = { create, get };
    }
  }
  child.send('stop');
  console.log(JSON.stringify({ requests, concurrency, results }, null, 2));
  type Figures = { perSecond: number; p99ms: number; clientCpuUsPerRequest: number };
  for (const [label, r] of Object.entries(results) as [string, { create: Figures; get: Figures }][]) {
    console.log(
      `${label}: creates ${r.create.perSecond}/s (p99 ${r.create.p99ms} ms, client ${r.create.clientCpuUsPerRequest} µs CPU each), ` +
        `gets ${r.get.perSecond}/s (p99 ${r.get.p99ms} ms, client ${r.get.clientCpuUsPerRequest} µs CPU each)`,
    );
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
