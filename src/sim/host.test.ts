import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpsClient } from '../client/https.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { NetworkError } from '../client/network-error.js';
import { resources } from '../client/resources.js';
import { type ControlFile, controlFilePath, requestFault } from './control.js';
import { SimHost } from './host.js';

let host: SimHost | undefined;
let dir: string | undefined;

afterEach(async () => {
  await host?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  host = undefined;
  dir = undefined;
});

async function startHost(opts: { sharedPki?: boolean } = {}): Promise<SimHost> {
  dir ??= await mkdtemp(join(tmpdir(), 'concord-host-'));
  host = await SimHost.start({
    dataDir: dir,
    defaults: { nodes: 1, kubelet: { timings: { startDelayMs: 20 } } },
    ...opts,
  });
  return host;
}

describe('SimHost', () => {
  it('runs several clusters, each on its own port with its own credentials', async () => {
    const h = await startHost();
    const a = await h.startCluster({ name: 'alpha', region: 'europe' });
    const b = await h.startCluster({ name: 'beta', region: 'us' });
    expect(a.port).not.toBe(b.port);
    const ka = await HttpsClient.fromKubeconfigFile(a.kubeconfigPath);
    const kb = await HttpsClient.fromKubeconfigFile(b.kubeconfigPath);
    try {
      const na = (await ka.list(resources.nodes)).items[0]!;
      const nb = (await kb.list(resources.nodes)).items[0]!;
      expect(na.metadata.labels?.['topology.kubernetes.io/region']).toBe('europe');
      expect(nb.metadata.labels?.['topology.kubernetes.io/region']).toBe('us');
      // One cluster's token is not valid on another, nor its CA.
      const ca = await loadKubeconfig(a.kubeconfigPath);
      const cb = await loadKubeconfig(b.kubeconfigPath);
      expect(ca.caPem).not.toBe(cb.caPem);
      const crossed = new HttpsClient({ ...cb, token: ca.token! });
      try {
        await expect(crossed.list(resources.nodes)).rejects.toMatchObject({ code: 401 });
      } finally {
        crossed.close();
      }
    } finally {
      ka.close();
      kb.close();
    }
    await expect(h.startCluster({ name: 'alpha' })).rejects.toThrow(/runs a cluster "alpha" already/);
  });

  it('with sharedPki, serves every cluster under one CA, each with its own token, across restarts', async () => {
    // A cluster made before keeps the CA its kubeconfigs trust.
    let h = await startHost();
    await h.startCluster({ name: 'before' });
    const ownCa = await readFile(join(h.dataDir, 'clusters', 'before', 'pki', 'ca.crt'), 'utf8');
    await h.stop();

    h = await startHost({ sharedPki: true });
    const [old, a, b] = await Promise.all(
      ['before', 'alpha', 'beta'].map((name) => h.startCluster({ name, region: 'europe' })),
    );
    const sharedCa = await readFile(join(h.dataDir, 'sim-pki', 'ca.crt'), 'utf8');
    const [ko, ka, kb] = await Promise.all([old!, a!, b!].map((c) => loadKubeconfig(c.kubeconfigPath)));
    expect(ko!.caPem).toBe(ownCa);
    expect(ka!.caPem).toBe(sharedCa);
    expect(kb!.caPem).toBe(sharedCa);
    await expect(stat(join(h.dataDir, 'clusters', 'alpha', 'pki'))).rejects.toMatchObject({ code: 'ENOENT' });
    const clients = [ko!, ka!, kb!].map((k) => new HttpsClient(k));
    const crossed = new HttpsClient({ ...kb!, token: ka!.token! });
    try {
      for (const c of clients) expect((await c.list(resources.nodes)).items).toHaveLength(1);
      // The CA is shared, the credentials are not.
      await expect(crossed.list(resources.nodes)).rejects.toMatchObject({ code: 401 });
    } finally {
      for (const c of [...clients, crossed]) c.close();
    }
    await h.stop();

    h = await startHost({ sharedPki: true });
    const again = await h.startCluster({ name: 'alpha' });
    const k = new HttpsClient(await loadKubeconfig(again.kubeconfigPath));
    try {
      expect((await loadKubeconfig(again.kubeconfigPath)).caPem).toBe(sharedCa);
      expect((await k.list(resources.nodes)).items).toHaveLength(1);
    } finally {
      k.close();
    }
  });

  it('takes faults through its control API, found from the control file', async () => {
    const h = await startHost();
    const c = await h.startCluster({ name: 'gamma' });
    const path = controlFilePath(h.dataDir, 'gamma');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const control = JSON.parse(await readFile(path, 'utf8')) as ControlFile;
    expect(control.url).toBe(h.controlUrl);

    const k = await HttpsClient.fromKubeconfigFile(c.kubeconfigPath, undefined, { timeoutMs: 5000 });
    try {
      expect(await requestFault(h.dataDir, 'gamma', { action: 'down' })).toEqual({
        cluster: 'gamma',
        faults: { network: 'down', failedNodes: [] },
      });
      await expect(k.list(resources.namespaces)).rejects.toBeInstanceOf(NetworkError);
      const node = c.kubelet.nodeNames()[0]!;
      const after = await requestFault(h.dataDir, 'gamma', { action: 'node-down', node });
      expect(after.faults).toEqual({ network: 'down', failedNodes: [node] });
      await requestFault(h.dataDir, 'gamma', { action: 'heal' });
      await requestFault(h.dataDir, 'gamma', { action: 'node-up', node });
      expect(c.faults()).toEqual({ network: 'up', failedNodes: [] });
      await k.list(resources.namespaces);
    } finally {
      k.close();
    }
  });

  it('answers bad control requests with what was wrong', async () => {
    const h = await startHost();
    await h.startCluster({ name: 'delta' });
    await expect(requestFault(h.dataDir, 'delta', { action: 'node-down', node: 'nope' })).rejects.toThrow(
      /cluster "delta" has no node "nope"; its nodes are delta-node-1/,
    );
    await expect(requestFault(h.dataDir, 'delta', { action: 'explode' } as never)).rejects.toThrow(
      /action: must be one of down, partition, slow, heal, node-down, node-up/,
    );
    await expect(requestFault(h.dataDir, 'delta', { action: 'slow' })).rejects.toThrow(/latencyMs/);
    await expect(requestFault(h.dataDir, 'nowhere', { action: 'down' })).rejects.toThrow(
      /cluster "nowhere" is not running/,
    );
    const res = await fetch(`${h.controlUrl}/v1/clusters`);
    expect(res.status).toBe(401);
    const control = JSON.parse(await readFile(controlFilePath(h.dataDir, 'delta'), 'utf8')) as ControlFile;
    const list = await fetch(`${h.controlUrl}/v1/clusters`, {
      headers: { authorization: `Bearer ${control.token}` },
    });
    expect(((await list.json()) as { clusters: { name: string }[] }).clusters.map((c) => c.name)).toEqual([
      'delta',
    ]);
  });

  it('removes the control file of a stopped cluster', async () => {
    const h = await startHost();
    await h.startCluster({ name: 'eps' });
    const path = controlFilePath(h.dataDir, 'eps');
    await stat(path);
    await h.stopCluster('eps');
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(requestFault(h.dataDir, 'eps', { action: 'down' })).rejects.toThrow(/not running/);
  });
});
