// A hub with the member registry and networking, and simulated members with a data plane, in one
// process, for the networking tests and benchmarks: real kubectl against every cluster, real dig
// against the hub's DNS server, HTTP to the addresses they answer.

import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../../src/client/client.js';
import { InProcessClient } from '../../src/client/in-process.js';
import { loadKubeconfig } from '../../src/client/kubeconfig-file.js';
import { mcsApis } from '../../src/hub/apis/mcs/index.js';
import { clusterControllers } from '../../src/hub/clusters/index.js';
import { registerCluster } from '../../src/hub/clusters/join.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { networkingControllers } from '../../src/hub/networking/index.js';
import type { SimCluster } from '../../src/sim/cluster.js';
import { SimHost } from '../../src/sim/host.js';
import { type KubectlResult, runKubectl } from '../support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
export type Json = Record<string, any>;

export interface NetworkingFleet {
  dir: string;
  hub: RunningHub;
  host: SimHost;
  members: Map<string, SimCluster>;
  dnsPort: number;
  /** The in-process client of the hub ("hub") or a member (for polling without a process each time). */
  client(target: string): Client;
  /** kubectl against the hub ("hub") or a member, which must succeed. */
  ok(target: string, args: string[], input?: string): Promise<string>;
  kubectl(target: string, args: string[], input?: string): Promise<KubectlResult>;
  json(target: string, args: string[]): Promise<Json>;
  stop(): Promise<void>;
}

export function requireTool(name: string, args: string[], install: string): void {
  try {
    execFileSync(name, args, { stdio: 'ignore' });
  } catch {
    throw new Error(`${name} is not installed: ${install}`);
  }
}

export async function startNetworkingFleet(
  members: { name: string; region: string }[],
  opts: { store?: 'sqlite' | 'memory' } = {},
): Promise<NetworkingFleet> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-networking-'));
  const hub = await startHub({
    dataDir: dir,
    port: 0,
    ...(opts.store === 'memory' ? { store: 'memory' } : {}),
    // Probes twice a second: a member that dies is noticed within about a second.
    controllers: [
      clusterControllers({ probeIntervalMs: 500, failureRetryMs: 100 }),
      networkingControllers({ dnsPort: 0, resyncMs: 5000 }),
    ],
  });
  const host = await SimHost.start({
    dataDir: dir,
    control: false,
    defaults: {
      nodes: 1,
      dataPlane: true,
      extensions: [mcsApis],
      kubelet: { heartbeatIntervalMs: 1000, leaseDurationSeconds: 4, timings: { startDelayMs: 50 } },
    },
  });
  const started = new Map<string, SimCluster>();
  const hubClient = new InProcessClient(hub.api.server);
  for (const m of members) {
    const c = await host.startCluster({ name: m.name, region: m.region });
    started.set(m.name, c);
    await registerCluster(hubClient, {
      name: m.name,
      connection: await loadKubeconfig(c.kubeconfigPath),
      region: m.region,
      provider: 'concord-sim',
    });
  }
  const kubeconfigOf = (target: string) =>
    target === 'hub' ? hub.kubeconfigPath : started.get(target)!.kubeconfigPath;
  const kubectl = (target: string, args: string[], input?: string) =>
    runKubectl('1.33', kubeconfigOf(target), args, {
      home: join(dir, 'home'),
      ...(input !== undefined ? { input } : {}),
    });
  const ok = async (target: string, args: string[], input?: string) => {
    const r = await kubectl(target, args, input);
    if (r.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} on ${target} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  // The DNS port is known once the leading hub's server listens.
  const dnsPort = await waitFor('the hub DNS server', async () => {
    const text = await readFile(join(dir, 'dns.port'), 'utf8').catch(() => '');
    return text.trim() ? Number(text.trim()) : undefined;
  });
  return {
    dir,
    hub,
    host,
    members: started,
    dnsPort,
    client: (target) => (target === 'hub' ? hubClient : started.get(target)!.client),
    ok,
    kubectl,
    json: async (target, args) => JSON.parse(await ok(target, [...args, '-o', 'json'])) as Json,
    async stop() {
      await host.stop();
      await hub.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `dig @127.0.0.1 -p PORT ...args`, its whole output. */
export function dig(port: number, ...args: string[]): Promise<string> {
  return digAt('127.0.0.1', port, ...args);
}

/** `dig @ADDRESS -p PORT ...args`, its whole output. */
export function digAt(address: string, port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('dig', [`@${address}`, '-p', String(port), '+time=2', '+tries=1', ...args], (err, stdout) =>
      err && !stdout ? reject(err) : resolve(stdout),
    ),
  );
}

export function digStatus(out: string): string | undefined {
  return /status: ([A-Z]+)/.exec(out)?.[1];
}

/** `curl` of http://host:port/: the echo pod's JSON answer, or {error} with curl's exit code. */
export function curl(host: string, port: number): Promise<Json> {
  return new Promise((resolve) =>
    execFile('curl', ['-s', '--max-time', '3', `http://${host}:${port}/`], (err, stdout) => {
      if (err) return resolve({ error: `curl exit ${(err as { code?: unknown }).code}` });
      try {
        resolve(JSON.parse(stdout) as Json);
      } catch {
        resolve({ error: `not JSON: ${stdout.slice(0, 80)}` });
      }
    }),
  );
}

/** One request on a fresh connection, in process (for many requests). */
export function get(host: string, port: number): Promise<Json> {
  return new Promise((resolve) => {
    const req = http.request({ host, port, path: '/', agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body) as Json);
        } catch {
          resolve({ error: `status ${res.statusCode}` });
        }
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

/** An echo Deployment (pods that answer with their cluster) of `replicas` pods labelled app=NAME. */
export function echoDeployment(
  name: string,
  ns: string,
  replicas = 2,
  port = 8080,
  portName = 'http',
): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}, app.kubernetes.io/name: ${name}}}
    spec:
      containers:
      - name: echo
        image: concord.dev/echo:1
        ports: [{name: ${portName}, containerPort: ${port}}]
`;
}
