// Joining a member as users do: a separately started `concord sim` joined to a `concord hub` (both
// child processes) with the built `concord join`, then watched by the hub's registry with its
// default settings: Ready with the member's version, APIs, nodes and capacity (GPUs included) as
// the sim's shapes make them; `concord fault down` makes it Ready False (not reachable), tainted
// NoSchedule then NoExecute, with Events; `fault heal` makes it Ready again and untainted;
// kubeconfigs that cannot work are refused with a message naming why, leaving nothing behind;
// a member behind an HTTP proxy is joined through the kubeconfig's proxy-url and reached through
// spec.proxyURL with spec.proxyHeader, and through a SOCKS5 proxy; `concord unjoin` removes the Cluster and its Secret.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProxy } from 'proxy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createCA } from '../../src/apiserver/pki.js';
import { waitFor } from '../sim/support.js';
import { type CliProcess, concord, startBuiltConcord } from '../support/cli.js';
import { HubProcess } from '../support/hub.js';
import { runKubectl } from '../support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
type Json = Record<string, any>;

const DANTED = '/usr/sbin/danted';

let dir: string;
let hub: HubProcess;
let hubKubeconfig: string;
let sim: CliProcess;
let simKubeconfig: string;
let simUrl: string;

async function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const r = await runKubectl('1.33', kubeconfig, args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

const onHub = (args: string[]) => kubectl(hubKubeconfig, args);
const hubJson = async (args: string[]): Promise<Json> => JSON.parse(await onHub([...args, '-o', 'json']));
const cluster = (name: string) => hubJson(['get', 'clusters.cluster.karmada.io', name]);
const ready = (c: Json) => (c.status?.conditions ?? []).find((x: Json) => x.type === 'Ready');

async function joinMember(name: string, kubeconfig: string, extra: string[] = []) {
  return concord(['join', name, '--kubeconfig', kubeconfig, '--hub-kubeconfig', hubKubeconfig, ...extra]);
}

/** The names of the Clusters, and of the Secrets in karmada-cluster, on the hub. */
async function registered(): Promise<{ clusters: string[]; secrets: string[] }> {
  const clusters = await hubJson(['get', 'clusters.cluster.karmada.io']);
  const secrets = await onHub(['get', 'secrets', '-n', 'karmada-cluster', '-o', 'json']);
  return {
    clusters: clusters.items.map((c: Json) => c.metadata.name),
    secrets: (JSON.parse(secrets).items as Json[]).map((s) => s.metadata.name),
  };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A copy of the sim's kubeconfig with `change` applied to its parsed document. */
async function variant(file: string, change: (cfg: Json) => void): Promise<string> {
  const cfg = parseYaml(await readFile(simKubeconfig, 'utf8')) as Json;
  change(cfg);
  const path = join(dir, file);
  await writeFile(path, stringifyYaml(cfg), { mode: 0o600 });
  return path;
}

/** Debian's danted on 127.0.0.1:port, passing SOCKS5 connects between loopback addresses only. */
async function startDanted(port: number): Promise<{ log(): string; stop(): Promise<void> }> {
  if (!existsSync(DANTED))
    throw new Error(`${DANTED} is not installed: run scripts/install-test-deps.sh (dante-server)`);
  const conf = join(dir, 'danted.conf');
  await writeFile(
    conf,
    [
      'logoutput: stderr',
      `internal: 127.0.0.1 port = ${port}`,
      'external: 127.0.0.1',
      'socksmethod: none',
      'clientmethod: none',
      'user.privileged: root',
      'user.unprivileged: nobody',
      'client pass {',
      '  from: 127.0.0.0/8 to: 0.0.0.0/0',
      '}',
      'socks pass {',
      '  from: 127.0.0.0/8 to: 127.0.0.0/8',
      '  command: connect',
      '  log: connect',
      '}',
      'socks block {',
      '  from: 0.0.0.0/0 to: 0.0.0.0/0',
      '  log: connect',
      '}',
      '',
    ].join('\n'),
  );
  const child = spawn(DANTED, ['-f', conf, '-N', '1', '-p', join(dir, 'danted.pid')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let out = '';
  child.stderr.on('data', (b: Buffer) => {
    out += b.toString();
  });
  await waitFor('danted running', async () => / running/.test(out) || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`danted exited: ${out}`);
  return {
    log: () => out,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-join-'));
  hub = await HubProcess.start(join(dir, 'hub'));
  hubKubeconfig = join(dir, 'hub', 'hub.kubeconfig');
  sim = await startBuiltConcord(
    ['sim', '--name', 'east', '--nodes', '2', '--shape', 'sim.gpu', '--region', 'europe', '--data-dir', dir],
    /^kubeconfig: /m,
  );
  simUrl = /listening on (https:\/\/\S+)/.exec(sim.output())![1]!;
  simKubeconfig = join(dir, 'clusters', 'east.kubeconfig');
}, 120_000);

afterAll(async () => {
  await sim?.stop();
  await hub?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('concord join', () => {
  it('registers the member with its credentials in a Secret and Karmada fields on the Cluster', async () => {
    const r = await joinMember('east', simKubeconfig, [
      '--region',
      'europe',
      '--zone',
      'europe-a',
      '--zone',
      'europe-b',
      '--provider',
      'sim',
      '--labels',
      'env=test,tier=gold',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`cluster east joined (Push, ${simUrl})`);

    const c = await cluster('east');
    expect(c.metadata.labels).toEqual({ env: 'test', tier: 'gold' });
    const kubeSystem = JSON.parse(
      await kubectl(simKubeconfig, ['get', 'namespace', 'kube-system', '-o', 'json']),
    );
    expect(c.spec).toMatchObject({
      syncMode: 'Push',
      apiEndpoint: simUrl,
      id: kubeSystem.metadata.uid,
      secretRef: { namespace: 'karmada-cluster', name: 'east' },
      provider: 'sim',
      region: 'europe',
      zones: ['europe-a', 'europe-b'],
    });

    const secret = await hubJson(['get', 'secret', 'east', '-n', 'karmada-cluster']);
    const member = parseYaml(await readFile(simKubeconfig, 'utf8')) as Json;
    const decode = (v: string) => Buffer.from(v, 'base64').toString('utf8');
    expect(Object.keys(secret.data).sort()).toEqual(['caBundle', 'token']);
    expect(decode(secret.data.token)).toBe(member.users[0].user.token);
    expect(decode(secret.data.caBundle)).toBe(
      decode(member.clusters[0].cluster['certificate-authority-data']),
    );
    expect(secret.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'Cluster', name: 'east', uid: c.metadata.uid, controller: true }),
    ]);
  });

  it("shows the member Ready with its version, APIs, nodes and capacity from the sim's shape", async () => {
    const c = await waitFor('east to be Ready with its summary', async () => {
      const got = await cluster('east');
      return ready(got)?.status === 'True' && got.status.resourceSummary && got.status.apiEnablements
        ? got
        : undefined;
    });
    expect(ready(c)).toMatchObject({ status: 'True', reason: 'ClusterReady' });
    expect(c.status.kubernetesVersion).toBe('v1.33.0+concord');
    expect(c.status.nodeSummary).toEqual({ totalNum: 2, readyNum: 2 });
    // Two sim.gpu nodes: 16 cpu, 128Gi less the kubelet's 100Mi, 90 % of 400Gi, 110 pods, 4 GPUs each.
    expect(c.status.resourceSummary.allocatable).toEqual({
      cpu: '32',
      'ephemeral-storage': '773094113280',
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: '261944Mi',
      'nvidia.com/gpu': '8',
      pods: '220',
    });
    // Karmada's default grades: 16 cpu would be grade 5, but 127.9Gi of memory is grade 4 (64-128Gi).
    expect(c.status.resourceSummary.allocatableModelings).toEqual(
      [0, 1, 2, 3, 4, 5, 6, 7, 8].map((grade) => ({ grade, count: grade === 4 ? 2 : 0 })),
    );
    const apps = c.status.apiEnablements.find((e: Json) => e.groupVersion === 'apps/v1');
    expect(apps.resources).toContainEqual({ name: 'deployments', kind: 'Deployment' });
    expect(c.status.apiEnablements.find((e: Json) => e.groupVersion === 'v1').resources).toContainEqual({
      name: 'pods',
      kind: 'Pod',
    });
    expect((c.status.conditions as Json[]).find((x) => x.type === 'CompleteAPIEnablements')).toMatchObject({
      status: 'True',
      reason: 'Complete',
    });
    expect(c.metadata.finalizers).toContain('karmada.io/cluster-controller');
    expect(c.spec.taints ?? []).toEqual([]);
    const space = await hubJson(['get', 'namespace', 'karmada-es-east']);
    expect(space.metadata.labels).toMatchObject({ 'karmada.io/system': 'true' });
    const table = await onHub(['get', 'clusters']);
    expect(table).toMatch(/^east\s+v1\.33\.0\+concord\s+Push\s+True\s+/m);
  });

  it("counts the pods' requests as allocated, and pods nobody can place as allocating", async () => {
    await kubectl(
      simKubeconfig,
      ['apply', '-f', '-'],
      stringifyYaml({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'train', namespace: 'default' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'train' } },
          template: {
            metadata: { labels: { app: 'train' } },
            spec: {
              containers: [
                {
                  name: 'train',
                  image: 'trainer',
                  resources: {
                    requests: { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': '1' },
                    limits: { 'nvidia.com/gpu': '1' },
                  },
                },
              ],
            },
          },
        },
      }),
    );
    await kubectl(
      simKubeconfig,
      ['apply', '-f', '-'],
      stringifyYaml({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'too-big', namespace: 'default' },
        spec: {
          containers: [
            {
              name: 'big',
              image: 'big',
              resources: {
                requests: { cpu: '64', 'nvidia.com/gpu': '16' },
                limits: { 'nvidia.com/gpu': '16' },
              },
            },
          ],
        },
      }),
    );
    const summary = await waitFor('the pods in the summary', async () => {
      const s = (await cluster('east')).status.resourceSummary;
      return s.allocated?.pods === '2' && s.allocating?.pods === '1' ? s : undefined;
    });
    expect(summary.allocated).toEqual({ cpu: '1', memory: '2Gi', 'nvidia.com/gpu': '2', pods: '2' });
    expect(summary.allocating).toEqual({ cpu: '64', 'nvidia.com/gpu': '16', pods: '1' });
  });

  it('marks a member that goes down not Ready, taints it NoSchedule then NoExecute, and heals it', async () => {
    const down = await concord(['fault', 'down', '--cluster', 'east', '--data-dir', dir]);
    expect(down.code).toBe(0);
    const notReady = await waitFor('east to be not Ready', async () => {
      const c = await cluster('east');
      return ready(c)?.status === 'False' ? c : undefined;
    });
    expect(ready(notReady).reason).toBe('ClusterNotReachable');
    expect(ready(notReady).message).toBe(`cannot reach the API server at ${simUrl}: connection refused`);
    const tainted = await waitFor('the NoExecute taint', async () => {
      const c = await cluster('east');
      return (c.spec.taints ?? []).some((t: Json) => t.effect === 'NoExecute') ? c : undefined;
    });
    expect(tainted.spec.taints).toEqual([
      { key: 'cluster.karmada.io/not-ready', effect: 'NoSchedule', timeAdded: expect.any(String) },
      { key: 'cluster.karmada.io/not-ready', effect: 'NoExecute', timeAdded: expect.any(String) },
    ]);
    const [noSchedule, noExecute] = tainted.spec.taints as Json[];
    expect(Date.parse(noExecute!.timeAdded)).toBeGreaterThan(Date.parse(noSchedule!.timeAdded));

    const heal = await concord(['fault', 'heal', '--cluster', 'east', '--data-dir', dir]);
    expect(heal.code).toBe(0);
    const healed = await waitFor('east to be Ready again, untainted', async () => {
      const c = await cluster('east');
      return ready(c)?.status === 'True' && (c.spec.taints ?? []).length === 0 ? c : undefined;
    });
    expect(ready(healed).reason).toBe('ClusterReady');

    const events = await hubJson([
      'get',
      'events',
      '-n',
      'default',
      '--field-selector',
      'involvedObject.kind=Cluster,involvedObject.name=east',
    ]);
    const seen = (events.items as Json[]).map((e) => `${e.type} ${e.reason} ${e.source.component}`);
    expect(seen).toEqual(
      expect.arrayContaining([
        'Normal CreateExecutionSpaceSucceed cluster-controller',
        'Warning ClusterNotReachable cluster-status-controller',
        'Normal TaintClusterSucceed cluster-controller',
        'Normal ClusterReady cluster-status-controller',
      ]),
    );
    const taintMessages = (events.items as Json[])
      .filter((e) => e.reason === 'TaintClusterSucceed')
      .map((e) => e.message);
    expect(taintMessages).toEqual(
      expect.arrayContaining([
        'cluster taints are now: cluster.karmada.io/not-ready:NoSchedule, cluster.karmada.io/not-ready:NoExecute',
        'cluster taints are now: none',
      ]),
    );
  });

  it('refuses kubeconfigs that cannot work, naming why, and leaves nothing behind', async () => {
    const port = await closedPort();
    const unreachable = await variant('unreachable.kubeconfig', (cfg) => {
      cfg.clusters[0].cluster.server = `https://127.0.0.1:${port}`;
    });
    const wrongToken = await variant('token.kubeconfig', (cfg) => {
      cfg.users[0].user.token = 'not-the-token';
    });
    const otherCa = await createCA('some-other-ca');
    const wrongCa = await variant('ca.kubeconfig', (cfg) => {
      cfg.clusters[0].cluster['certificate-authority-data'] = Buffer.from(otherCa.certPem).toString('base64');
    });
    const userName = (parseYaml(await readFile(simKubeconfig, 'utf8')) as Json).users[0].name;

    const cases: [string, string[], string][] = [
      ['bad-1', ['--kubeconfig', unreachable], `cannot reach https://127.0.0.1:${port}: connection refused`],
      [
        'bad-2',
        ['--kubeconfig', wrongToken],
        `the cluster at ${simUrl} refused the credential of user ${userName} (401 Unauthorized)`,
      ],
      ['bad-3', ['--kubeconfig', wrongCa], `cannot reach ${simUrl}: TLS handshake failed: `],
      [
        'bad-4',
        ['--kubeconfig', simKubeconfig, '--context', 'nope'],
        'context was not found for specified context: nope',
      ],
      ['east', ['--kubeconfig', simKubeconfig], 'a cluster named east is already joined'],
    ];
    for (const [name, args, message] of cases) {
      const r = await concord(['join', name, ...args, '--hub-kubeconfig', hubKubeconfig]);
      expect(r.code, name).toBe(1);
      expect(r.stderr, name).toContain(message);
    }
    expect(await registered()).toEqual({ clusters: ['east'], secrets: ['east'] });
  });

  it('unjoins: the Cluster and its Secret go, and so does the execution space', async () => {
    const r = await concord(['unjoin', 'east', '--hub-kubeconfig', hubKubeconfig]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('cluster east unjoined\n');
    expect(await registered()).toEqual({ clusters: [], secrets: [] });
    const space = await onHub(['get', 'namespace', 'karmada-es-east', '--ignore-not-found', '-o', 'json']);
    // Gone, or going (the namespace controller finishes it where one runs).
    if (space.trim()) expect(JSON.parse(space).metadata.deletionTimestamp).toBeDefined();
    const again = await concord(['unjoin', 'east', '--hub-kubeconfig', hubKubeconfig]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no cluster named east is joined');

    // Checked and written, then refused by the hub (a region is a label value): the Secret written
    // first is taken back.
    const refused = await joinMember('east', simKubeconfig, ['--region', 'not a region!']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the hub refused the cluster: ');
    expect(refused.stderr).toContain('spec.region');
    expect(await registered()).toEqual({ clusters: [], secrets: [] });
  });

  it('reaches a member through a proxy: the kubeconfig proxy-url at join, spec.proxyURL with spec.proxyHeader, SOCKS5', async () => {
    // A real CONNECT proxy on loopback that asks for a credential, and records the tunnels it opens.
    const credential = `Basic ${Buffer.from('hub:secret').toString('base64')}`;
    const tunnels: { target: string; authorized: boolean }[] = [];
    const proxy = createProxy(createHttpServer());
    proxy.authenticate = (req: IncomingMessage) => req.headers['proxy-authorization'] === credential;
    proxy.on('connect', (req: IncomingMessage) =>
      tunnels.push({ target: req.url ?? '', authorized: req.headers['proxy-authorization'] === credential }),
    );
    const sockets = new Set<Socket>();
    proxy.on('connection', (socket: Socket) => sockets.add(socket));
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
    const target = new URL(simUrl).host;
    try {
      // Without the credential the proxy refuses the tunnel: the join says so and leaves nothing.
      const refusedKubeconfig = await variant('proxied.kubeconfig', (cfg) => {
        cfg.clusters[0].cluster['proxy-url'] = proxyUrl;
      });
      const refused = await joinMember('behind-proxy', refusedKubeconfig);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `cannot reach ${simUrl}: the proxy ${proxyUrl} refused the tunnel: 407`,
      );
      expect((await registered()).clusters).not.toContain('behind-proxy');

      // With it (in the URL, as client-go takes it) the member joins through the proxy.
      const withCredential = await variant('proxied-auth.kubeconfig', (cfg) => {
        cfg.clusters[0].cluster['proxy-url'] = proxyUrl.replace('//', '//hub:secret@');
      });
      const joined = await joinMember('behind-proxy', withCredential);
      expect(joined.stderr).toBe('');
      expect(joined.code).toBe(0);
      const c = await cluster('behind-proxy');
      expect(c.spec.proxyURL).toBe(proxyUrl.replace('//', '//hub:secret@'));
      await waitFor(
        'behind-proxy Ready through the proxy',
        async () => ready(await cluster('behind-proxy'))?.status === 'True',
      );
      expect(tunnels).toContainEqual({ target, authorized: true });

      // Karmada's way: the proxy's URL in spec.proxyURL and its credential in spec.proxyHeader.
      const patch = (spec: Json) =>
        onHub([
          'patch',
          'clusters.cluster.karmada.io',
          'behind-proxy',
          '--type',
          'merge',
          '-p',
          JSON.stringify({ spec }),
        ]);
      await patch({ proxyURL: proxyUrl });
      const notReady = await waitFor('behind-proxy not Ready without the proxy credential', async () => {
        const r = ready(await cluster('behind-proxy'));
        return r?.status === 'False' ? r : undefined;
      });
      expect(notReady.reason).toBe('ClusterNotReachable');
      expect(notReady.message).toBe(
        `cannot reach the API server at ${simUrl}: the proxy ${proxyUrl} refused the tunnel: 407 Proxy Authentication Required`,
      );
      tunnels.length = 0;
      await patch({ proxyHeader: { 'Proxy-Authorization': credential } });
      await waitFor(
        'behind-proxy Ready again with spec.proxyHeader',
        async () => ready(await cluster('behind-proxy'))?.status === 'True',
      );
      expect(tunnels).toContainEqual({ target, authorized: true });

      // A SOCKS5 proxy (Debian's danted, passing only loopback): nothing listens at first, so the
      // member is not reachable; once the proxy runs it is Ready again, through it.
      const socksPort = await closedPort();
      await patch({ proxyURL: `socks5://127.0.0.1:${socksPort}`, proxyHeader: null });
      const refusedBySocks = await waitFor('behind-proxy not Ready with no SOCKS proxy running', async () => {
        const r = ready(await cluster('behind-proxy'));
        return r?.status === 'False' ? r : undefined;
      });
      expect(refusedBySocks.message).toBe(
        `cannot reach the API server at ${simUrl}: cannot reach the proxy socks5://127.0.0.1:${socksPort} (connect ECONNREFUSED 127.0.0.1:${socksPort})`,
      );
      const socks = await startDanted(socksPort);
      try {
        await waitFor(
          'behind-proxy Ready through the SOCKS proxy',
          async () => ready(await cluster('behind-proxy'))?.status === 'True',
        );
        const passed = new RegExp(`pass\\(1\\): tcp/connect .* -> .* ${target.replace(':', '\\.')}\\b`);
        expect(socks.log()).toMatch(passed);
      } finally {
        await socks.stop();
      }

      const gone = await concord(['unjoin', 'behind-proxy', '--hub-kubeconfig', hubKubeconfig]);
      expect(gone.code).toBe(0);
    } finally {
      // The hub keeps its tunnels open: cut them, or close() waits for them.
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => proxy.close(r));
    }
  });
});
