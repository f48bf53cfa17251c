// `concord up` as a new user runs it (`npm start`: the built bin/concord.js, in an empty folder,
// data dir .concord/ under it): three clusters in three regions, provisioned through Cluster API
// objects on the hub (each a control plane Machine and one worker), become Ready members, the demo's
// replicas run across them divided by its weights and answer real requests through its clusterset
// IP, Ctrl-C (SIGINT) stops it cleanly, and a second run resumes the same fleet — the hub's and the
// clusters' objects, whose default store is SQLite.

import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConcord } from '../support/cli.js';
import { runKubectl } from '../support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
type Json = Record<string, any>;

/** One request on its own connection (the clusterset IP balances connections, not requests). */
function askOnce(url: string): Promise<{ region: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
}

describe('concord up [sqlite]', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-up-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Ports 0: the test must not take the machine's 6443 and 15353.
  const up = () =>
    startConcord(
      ['up', '--nodes', '1', '--port', '0', '--dns-port', '0'],
      'Ctrl-C stops everything.',
      120_000,
      { cwd: dir },
    );
  const kubectl = async (kubeconfig: string, ...args: string[]): Promise<string> => {
    const r = await runKubectl('1.33', join(dir, '.concord', kubeconfig), args, { home: join(dir, 'home') });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const demoPods = async (cluster: string): Promise<Json[]> =>
    JSON.parse(await kubectl(`clusters/${cluster}.kubeconfig`, 'get', 'pods', '-n', 'demo', '-o', 'json'))
      .items;

  it('brings up three Ready members serving the demo, stops on Ctrl-C and resumes the same fleet', async () => {
    const first = await up();
    let uids: string[];
    let machines: Json[];
    try {
      const clusters = JSON.parse(await kubectl('hub.kubeconfig', 'get', 'clusters', '-o', 'json'))
        .items as Json[];
      expect(clusters.map((c) => c.metadata.name).sort()).toEqual(['asia-1', 'europe-1', 'us-1']);
      for (const c of clusters)
        expect(c.status.conditions.find((x: Json) => x.type === 'Ready')?.status, c.metadata.name).toBe(
          'True',
        );

      // 8 replicas by weight 2:1:1 over Europe, the US and Asia, all Running.
      const running: Record<string, number> = {};
      for (const name of ['europe-1', 'us-1', 'asia-1'])
        running[name] = (await demoPods(name)).filter((p) => p.status.phase === 'Running').length;
      expect(running).toEqual({ 'europe-1': 4, 'us-1': 2, 'asia-1': 2 });

      // Real requests through the clusterset IP the summary names reach pods in every region.
      const ip = /demo +web\.demo: http:\/\/(127\.[\d.]+)\//.exec(first.output)?.[1];
      expect(ip, first.output).toBeDefined();
      // (The hub gathers each member's endpoints as they become ready: keep asking until all answer.)
      const regions = new Set<string>();
      for (const deadline = Date.now() + 60_000; regions.size < 3 && Date.now() < deadline; ) {
        regions.add((await askOnce(`http://${ip}/`)).region);
      }
      expect([...regions].sort()).toEqual(['asia', 'europe', 'us']);

      // The fleet is Cluster API's: three Provisioned Clusters labelled with their region, each
      // with a control plane Machine and a worker (--nodes 1), all Running with a Node.
      const capi = JSON.parse(
        await kubectl('hub.kubeconfig', 'get', 'clusters.cluster.x-k8s.io', '-o', 'json'),
      ).items as Json[];
      expect(
        capi.map((c) => [
          c.metadata.name,
          c.status.phase,
          c.metadata.labels['topology.kubernetes.io/region'],
          c.spec.infrastructureRef.kind,
          c.spec.controlPlaneRef.kind,
        ]),
      ).toEqual([
        ['asia-1', 'Provisioned', 'asia', 'LocalCluster', 'KubeadmControlPlane'],
        ['europe-1', 'Provisioned', 'europe', 'LocalCluster', 'KubeadmControlPlane'],
        ['us-1', 'Provisioned', 'us', 'LocalCluster', 'KubeadmControlPlane'],
      ]);
      machines = JSON.parse(await kubectl('hub.kubeconfig', 'get', 'machines', '-o', 'json')).items;
      expect(machines.map((m) => m.status.phase)).toEqual(Array(6).fill('Running'));
      const perCluster = (cluster: string) =>
        machines
          .filter((m) => m.spec.clusterName === cluster)
          .map((m) =>
            m.metadata.labels['cluster.x-k8s.io/control-plane'] !== undefined ? 'control-plane' : 'worker',
          )
          .sort();
      for (const name of ['europe-1', 'us-1', 'asia-1'])
        expect(perCluster(name), name).toEqual(['control-plane', 'worker']);
      // Each Machine is a Node of its cluster.
      const nodes = await kubectl('clusters/us-1.kubeconfig', 'get', 'nodes', '-o', 'name');
      expect(nodes.trim().split('\n').sort()).toEqual(
        machines
          .filter((m) => m.spec.clusterName === 'us-1')
          .map((m) => `node/${m.status.nodeRef.name}`)
          .sort(),
      );

      uids = JSON.parse(await kubectl('hub.kubeconfig', 'get', 'clusters', '-o', 'json')).items.map(
        (c: Json) => c.metadata.uid,
      );
      await kubectl('clusters/europe-1.kubeconfig', 'create', 'configmap', 'kept', '--from-literal=a=1');
    } finally {
      expect(await first.stop('SIGINT')).toBe(0);
    }
    expect(first.output).toContain('concord up: SIGINT, stopping');
    // The terminal shows progress and the summary; the servers' logs went to the file it names.
    expect(first.output).toMatch(/logs +\.concord\/concord\.log/);
    expect(first.output).not.toMatch(/"level":\d+/);

    const second = await up();
    try {
      const again = JSON.parse(await kubectl('hub.kubeconfig', 'get', 'clusters', '-o', 'json')).items;
      expect(again.map((c: Json) => c.metadata.uid)).toEqual(uids);
      // The same Machines: resumed, not provisioned again.
      const machinesAgain = JSON.parse(
        await kubectl('hub.kubeconfig', 'get', 'machines', '-o', 'json'),
      ).items;
      expect(machinesAgain.map((m: Json) => m.metadata.uid)).toEqual(machines.map((m) => m.metadata.uid));
      expect(
        await kubectl('clusters/europe-1.kubeconfig', 'get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}'),
      ).toBe('1');
      expect(second.output).toMatch(/demo +web\.demo: http:\/\/127\./);
    } finally {
      expect(await second.stop('SIGINT')).toBe(0);
    }
  }, 300_000);
});
