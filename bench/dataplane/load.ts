// Load generators of the data-plane benchmarks, run in a worker thread so that the load and the
// servers under test do not share an event loop: DNS queries over UDP with a number in flight, and
// HTTP requests (new connections or keep-alive). `inWorker(job)` runs one and resolves with the
// count, rate and latency percentiles.

import dgram from 'node:dgram';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import dnsPacket from 'dns-packet';

export const round = (n: number, digits = 0) => Number(n.toFixed(digits));
export const progress = (text: string) => process.stderr.write(`${text}\n`);

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export interface LoadResult {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export function summarize(latencies: number[], seconds: number): LoadResult {
  latencies.sort((a, b) => a - b);
  return {
    count: latencies.length,
    seconds: round(seconds, 2),
    perSecond: round(latencies.length / seconds),
    p50Ms: round(percentile(latencies, 50), 3),
    p99Ms: round(percentile(latencies, 99), 3),
  };
}

export type Job =
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

export function inWorker(job: Job): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

if (!isMainThread && (workerData as { kind?: string } | undefined)?.kind) {
  const job = workerData as Job;
  (job.kind === 'dns' ? dnsLoad(job) : httpLoad(job)).then((r) => parentPort!.postMessage(r));
}
