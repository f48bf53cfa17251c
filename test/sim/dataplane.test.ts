// The data plane of a simulated cluster, with real traffic on loopback: echo pods that answer on
// their own 127.x addresses, a Service's ClusterIP forwarding to its ready pods in turn, real
// readiness probes, a failed node's pods going silent, and the cluster DNS asked with the real dig.

import { execFile, execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Json, podReady, startTestSim, type TestSim, waitFor } from './support.js';

let sim: TestSim;
let dns: { address: string; port: number };

function requireDig(): void {
  try {
    execFileSync('dig', ['-v'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'dig is not installed: run scripts/install-test-deps.sh (installs Debian bind9-dnsutils)',
    );
  }
}

function dig(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'dig',
      [`@${dns.address}`, '-p', String(dns.port), '+time=2', '+tries=1', ...args],
      (err, stdout) => (err && !stdout ? reject(err) : resolve(stdout)),
    ),
  );
}

function status(out: string): string | undefined {
  return /status: ([A-Z]+)/.exec(out)?.[1];
}

/** One HTTP request on a fresh connection; the parsed JSON answer, or the error's code. */
function get(host: string, port: number, path = '/', method = 'GET'): Promise<Json> {
  return new Promise((resolve) => {
    const req = http.request({ host, port, path, method, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, ...JSON.parse(body) });
        } catch {
          resolve({ status: res.statusCode, text: body });
        }
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

async function echoPods(): Promise<Json[]> {
  return (await sim.json(['get', 'pods', '-l', 'app=echo'])).items as Json[];
}

async function readyPodIPs(): Promise<string[]> {
  return (await echoPods())
    .filter(podReady)
    .map((p) => p.status.podIP as string)
    .sort();
}

async function sliceAddresses(service: string): Promise<string[]> {
  const slices = await sim.json(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`]);
  return (slices.items as Json[])
    .flatMap((s) => (s.endpoints ?? []) as Json[])
    .filter((e) => e.conditions?.ready !== false)
    .map((e) => e.addresses[0] as string)
    .sort();
}

/** Who answers `n` requests to the ClusterIP. */
async function answerers(clusterIP: string, n: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(clusterIP, 80);
    names.push(r.pod ?? `error:${r.error}`);
  }
  return names;
}

const MANIFESTS = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      containers:
      - name: echo
        image: concord.dev/echo:1
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /readyz, port: http}
          periodSeconds: 1
          failureThreshold: 1
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: web, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-headless}
spec:
  clusterIP: None
  selector: {app: echo}
  ports: [{name: web, port: 8080}]
`;

beforeAll(async () => {
  requireDig();
  sim = await startTestSim({
    name: 'dataplane',
    dataPlane: true,
    controllers: { core: { nodeMonitorGracePeriodMs: 3000, nodeMonitorPeriodMs: 500 } },
  });
  const saved = JSON.parse(await readFile(join(sim.dir, 'clusters', 'dataplane', 'cluster.json'), 'utf8'));
  dns = saved.dataPlane.dns;
  await sim.ok(['apply', '-f', '-'], { input: MANIFESTS });
  await sim.ok(['rollout', 'status', 'deployment/echo', '--timeout=60s']);
});

afterAll(async () => {
  await sim?.stop();
});

describe('a simulated cluster with a data plane', () => {
  let clusterIP: string;
  let pods: Json[];

  it('gives pods and Services addresses in 127.0.0.0/8, and each pod answers on its own address', async () => {
    pods = await echoPods();
    expect(pods).toHaveLength(3);
    const svc = await sim.json(['get', 'service', 'echo']);
    clusterIP = svc.spec.clusterIP;
    expect(clusterIP).toMatch(/^127\.\d+\.\d+\.\d+$/);
    expect(dns.address).toMatch(/^127\./);
    for (const pod of pods) {
      const ip = pod.status.podIP as string;
      expect(ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
      expect(ip).not.toBe('127.0.0.1');
      const answer = await get(ip, 8080);
      expect(answer).toMatchObject({
        status: 200,
        pod: pod.metadata.name,
        namespace: 'default',
        node: pod.spec.nodeName,
        cluster: 'dataplane',
        region: 'europe',
        ip,
        port: 8080,
      });
    }
    // Only on its own address: another pod's address does not reach it, and a free one refuses.
    const lastOctet = Number((pods[0]!.status.podIP as string).split('.')[3]);
    const unused = (pods[0]!.status.podIP as string).replace(/\.\d+$/, `.${lastOctet === 250 ? 251 : 250}`);
    expect((await get(unused, 8080)).error).toBe('ECONNREFUSED');
  });

  it('forwards the ClusterIP to the ready pods in turn', async () => {
    const names = await answerers(clusterIP, 6);
    expect(new Set(names)).toEqual(new Set(pods.map((p) => p.metadata.name)));
  });

  it('answers dig for a ClusterIP Service, a headless Service, missing names, other zones and bad packets', async () => {
    expect((await dig('echo.default.svc.cluster.local', '+short')).trim()).toBe(clusterIP);
    const viaTcp = await dig('echo.default.svc.cluster.local', '+tcp', '+short');
    expect(viaTcp.trim()).toBe(clusterIP);
    const headless = (await dig('echo-headless.default.svc.cluster.local', '+short'))
      .trim()
      .split('\n')
      .sort();
    expect(headless).toEqual(pods.map((p) => p.status.podIP).sort());
    const srv = await dig('_web._tcp.echo.default.svc.cluster.local', 'SRV', '+short');
    expect(srv.trim()).toBe('0 100 80 echo.default.svc.cluster.local.');
    const missing = await dig('nothing.default.svc.cluster.local');
    expect(status(missing)).toBe('NXDOMAIN');
    expect(missing).toMatch(/flags: qr aa/);
    expect(status(await dig('example.com'))).toBe('REFUSED');

    // A header that promises a question and then garbage.
    const socket = dgram.createSocket('udp4');
    try {
      const reply = await new Promise<Buffer>((resolve, reject) => {
        socket.once('message', resolve);
        socket.once('error', reject);
        const bad = Buffer.from([
          0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x61,
        ]);
        socket.send(bad, dns.port, dns.address);
      });
      const decoded = dnsPacket.decode(reply);
      expect(decoded.id).toBe(0x1234);
      expect(decoded.flags! & 0xf).toBe(1); // FORMERR
    } finally {
      socket.close();
    }
    // The server is still there.
    expect((await dig('echo.default.svc.cluster.local', '+short')).trim()).toBe(clusterIP);
  });

  it('takes a pod out of the Service when its readiness probe fails, and back when it passes', async () => {
    const victim = pods[0]!;
    const ip = victim.status.podIP as string;
    expect((await get(ip, 8080, '/readyz/disable', 'POST')).status).toBe(200);
    await waitFor('the pod to be not ready', async () => {
      const p = await sim.json(['get', 'pod', victim.metadata.name]);
      return !podReady(p);
    });
    await waitFor('the endpoints to drop it', async () => !(await sliceAddresses('echo')).includes(ip));
    await waitFor('the proxy and DNS to follow', async () => {
      const names = await answerers(clusterIP, 4);
      const headless = (await dig('echo-headless.default.svc.cluster.local', '+short')).trim().split('\n');
      return !names.includes(victim.metadata.name) && !headless.includes(ip);
    });
    const events = await sim.ok([
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${victim.metadata.name}`,
    ]);
    expect(events).toContain('Readiness probe failed: HTTP probe failed with statuscode: 503');

    await get(ip, 8080, '/readyz/enable', 'POST');
    await waitFor('the pod to be back', async () => (await readyPodIPs()).includes(ip));
    await waitFor('the proxy to send it requests again', async () =>
      (await answerers(clusterIP, 3)).includes(victim.metadata.name),
    );
  });

  it("stops a failed node's pods at once, and the endpoints drop them", async () => {
    const victim = pods[1]!;
    const ip = victim.status.podIP as string;
    sim.cluster.kubelet.failNode(victim.spec.nodeName);
    await waitFor('the responder to stop', async () => (await get(ip, 8080)).error === 'ECONNREFUSED');
    await waitFor(
      'the endpoints to drop it',
      async () => !(await sliceAddresses('echo')).includes(ip),
      30_000,
    );
    await waitFor('the proxy to follow', async () => {
      const names = await answerers(clusterIP, 4);
      return names.every((n) => !n.startsWith('error:') && n !== victim.metadata.name);
    });
    sim.cluster.kubelet.healNode(victim.spec.nodeName);
    await waitFor('the pod to answer again', async () => (await get(ip, 8080)).pod === victim.metadata.name);
  });

  it('restarts a container whose liveness probe fails, with a fresh responder', async () => {
    await sim.ok(['apply', '-f', '-'], {
      input: `
apiVersion: v1
kind: Pod
metadata: {name: lively}
spec:
  containers:
  - name: echo
    image: concord.dev/echo:1
    ports: [{containerPort: 9000}]
    livenessProbe:
      httpGet: {path: /healthz, port: 9000}
      periodSeconds: 1
      failureThreshold: 2
`,
    });
    const again = await waitFor('the pod to run', async () => {
      const p = await sim.json(['get', 'pod', 'lively']);
      return podReady(p) ? p : undefined;
    });
    const newIP = again.status.podIP as string;
    expect((await get(newIP, 9000, '/healthz/disable', 'POST')).status).toBe(200);
    expect((await get(newIP, 9000, '/healthz')).status).toBe(503);
    const restarted = await waitFor('the container to be restarted', async () => {
      const p = await sim.json(['get', 'pod', 'lively']);
      return p.status.containerStatuses?.[0]?.restartCount === 1 ? p : undefined;
    });
    expect(restarted.status.containerStatuses[0].lastState.terminated.exitCode).toBe(137);
    await waitFor(
      'the fresh responder to be healthy',
      async () => (await get(newIP, 9000, '/healthz')).status === 200,
    );
    await sim.ok(['delete', 'pod', 'lively', '--wait=false']);
  });

  it('goes away with its cluster: down refuses, heal restores', async () => {
    await sim.cluster.inject('down');
    expect((await get(clusterIP, 80)).error).toBe('ECONNREFUSED');
    expect((await get(pods[2]!.status.podIP, 8080)).error).toBe('ECONNREFUSED');
    expect(await dig('echo.default.svc.cluster.local', '+short')).toMatch(/refused|no servers/);
    await sim.cluster.heal();
    expect((await dig('echo.default.svc.cluster.local', '+short')).trim()).toBe(clusterIP);
    await waitFor('the Service to answer again', async () => (await get(clusterIP, 80)).status === 200);
  });
});
