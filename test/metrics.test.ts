// Fleet metrics end to end: the hub's /metrics carries gauges derived from its Cluster and binding
// objects, /metrics/federate re-exports each member's series with a `cluster` label (a member that
// cannot be reached is named as down and does not hold the answer back), and a real Prometheus
// scrapes both over TLS with the hub's CA and a bearer token and answers queries over them.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CA_CERT_FILE } from '../src/apiserver/pki.js';
import { HttpsClient } from '../src/client/https.js';
import { InProcessClient } from '../src/client/in-process.js';
import { loadKubeconfig } from '../src/client/kubeconfig-file.js';
import { type RunningHub, startHub } from '../src/hub/hub.js';
import { startFleetGaugesController } from '../src/hub/observability/fleet-gauges.js';
import { fleetResources } from '../src/hub/observability/resources.js';
import { SimHost } from '../src/sim/host.js';
import { writeReachableMember, writeWorkload } from './support/fleet.js';
import { TestPrometheus } from './support/prometheus.js';

let dir: string;
let hub: RunningHub;
let sims: SimHost;
let admin: HttpsClient;
let prometheus: TestPrometheus | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-metrics-'));
  // Only the fleet gauges: the test writes the members' status as the registry would.
  hub = await startHub({
    dataDir: join(dir, 'data'),
    port: 0,
    federationTimeoutMs: 1_500,
    controllers: [startFleetGaugesController],
  });
  admin = new HttpsClient(await loadKubeconfig(hub.kubeconfigPath));
  sims = await SimHost.start({ dataDir: join(dir, 'sims'), defaults: { nodes: 1 } });
  const client = new InProcessClient(hub.api.server);
  for (const [name, region] of [
    ['europe-1', 'europe'],
    ['us-1', 'us'],
  ] as const) {
    const sim = await sims.startCluster({ name, region });
    const config = await loadKubeconfig(sim.kubeconfigPath);
    await writeReachableMember(client, { name, region }, config);
    // A member that has served a request over HTTPS has apiserver_request_total series to re-export.
    const member = new HttpsClient(config);
    await member.getRaw('/version');
    member.close();
  }
  await writeWorkload(client, {
    namespace: 'shop',
    name: 'web',
    replicas: 4,
    placement: { 'europe-1': 3, 'us-1': 1 },
    ready: { 'europe-1': 2, 'us-1': 1 },
  });
});

afterAll(async () => {
  await prometheus?.stop();
  admin?.close();
  await sims?.stop();
  await hub?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function text(path: string): Promise<string> {
  return (await admin.getRaw(path, 'text/plain')) as string;
}

/** The value of one series in an exposition ("name{labels} value"), undefined if absent. */
function seriesValue(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('fleet gauges on the hub /metrics', () => {
  it('says how many members are in which state, their nodes and capacity, as their Cluster objects say', async () => {
    await expect
      .poll(
        async () =>
          seriesValue(await text('/metrics'), 'concord_clusters{state="Ready",server="concord-hub"}'),
        {
          timeout: 30_000,
        },
      )
      .toBe(2);
    const metrics = await text('/metrics');
    const member = (name: string) =>
      seriesValue(metrics, `${name}{member_cluster="europe-1",server="concord-hub"}`);
    expect(member('cluster_ready_state')).toBe(1);
    expect(member('cluster_node_number')).toBe(3);
    expect(member('cluster_cpu_allocatable_number')).toBe(24);
    expect(member('cluster_cpu_allocated_number')).toBe(3.5);
    expect(member('cluster_memory_allocatable_bytes')).toBe(96 * 2 ** 30);
    expect(seriesValue(metrics, 'concord_clusters{state="NotReady",server="concord-hub"}')).toBe(0);
  });

  it("gives each binding's replicas desired, placed and ready", async () => {
    const metrics = await text('/metrics');
    const labels = '{namespace="shop",name="web-deployment",kind="Deployment",server="concord-hub"}';
    expect(seriesValue(metrics, `concord_binding_desired_replicas${labels}`)).toBe(4);
    expect(seriesValue(metrics, `concord_binding_placed_replicas${labels}`)).toBe(4);
    expect(seriesValue(metrics, `concord_binding_ready_replicas${labels}`)).toBe(3);
    // The latency histograms other controllers record are there from the start.
    expect(metrics).toContain('# TYPE karmada_scheduler_e2e_scheduling_duration_seconds histogram');
  });

  it('counts a binding that could not be placed, and drops its series once it is deleted', async () => {
    const client = new InProcessClient(hub.api.server);
    const unschedulable = { reason: 'NoClusterFit', message: '0/2 clusters are available' };
    const b = await writeWorkload(client, {
      namespace: 'shop',
      name: 'batch',
      replicas: 2,
      placement: {},
      ready: {},
      unschedulable,
    });
    const labels = '{namespace="shop",name="batch-deployment",kind="Deployment",server="concord-hub"}';
    const unplaced = async () =>
      seriesValue(await text('/metrics'), 'concord_bindings_unschedulable{server="concord-hub"}');
    await expect.poll(unplaced, { timeout: 10_000 }).toBe(1);
    expect(seriesValue(await text('/metrics'), `concord_binding_desired_replicas${labels}`)).toBe(2);

    await client.delete(fleetResources.resourcebindings, b.metadata.name!, { namespace: 'shop' });
    await expect.poll(unplaced, { timeout: 10_000 }).toBe(0);
    const metrics = await text('/metrics');
    expect(seriesValue(metrics, `concord_binding_desired_replicas${labels}`)).toBeUndefined();
    // The other binding's series stay.
    expect(
      seriesValue(
        metrics,
        'concord_binding_desired_replicas{namespace="shop",name="web-deployment",kind="Deployment",server="concord-hub"}',
      ),
    ).toBe(4);
  });
});

describe('/metrics/federate', () => {
  it("re-exports each member's series with its cluster label", async () => {
    const federated = await text('/metrics/federate');
    expect(federated).toContain('# TYPE apiserver_request_total counter');
    expect(federated).toMatch(/^apiserver_request_total\{cluster="europe-1",verb="[A-Z]+",/m);
    expect(federated).toMatch(/^apiserver_request_total\{cluster="us-1",/m);
    expect(seriesValue(federated, 'concord_federation_member_up{cluster="europe-1"}')).toBe(1);
    expect(seriesValue(federated, 'concord_federation_member_up{cluster="us-1"}')).toBe(1);
    // The controller runtime's own cluster label is kept under another name.
    expect(federated).toMatch(/^workqueue_depth\{cluster="us-1",name="[^"]+",exported_cluster="us-1"/m);
  });

  it('re-exports only the series match[] names, and refuses selectors it cannot honour', async () => {
    const only = await text('/metrics/federate?match[]=workqueue_depth');
    expect(only).toContain('workqueue_depth{cluster="europe-1"');
    expect(only).not.toContain('apiserver_request_total');
    await expect(admin.getRaw('/metrics/federate?match[]={job="x"}', 'text/plain')).rejects.toThrow(
      'match[]: Invalid value: "{job=\\"x\\"}": only metric names are supported, not selectors',
    );
  });

  it('is refused to anonymous users, like /metrics', async () => {
    const ca = await readFile(join(dir, 'data', 'hub', 'pki', CA_CERT_FILE), 'utf8');
    const anonymous = (path: string) =>
      new Promise<number>((resolve, reject) => {
        request(`${hub.url}${path}`, { ca }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    // system:anonymous is authenticated but granted neither path (kube-apiserver's answer: 403).
    expect(await anonymous('/metrics/federate')).toBe(403);
    expect(await anonymous('/metrics')).toBe(403);
  });
});

describe('a real Prometheus', () => {
  it('scrapes the hub and its federation endpoint and answers queries over the members', async () => {
    const config = await loadKubeconfig(hub.kubeconfigPath);
    const target = new URL(hub.url).host;
    const job = (name: string, path: string) => ({
      job_name: name,
      scheme: 'https',
      metrics_path: path,
      honor_labels: true,
      tls_config: { ca_file: 'ca.crt' },
      authorization: { type: 'Bearer', credentials_file: 'token' },
      static_configs: [{ targets: [target] }],
    });
    prometheus = await TestPrometheus.start(
      [job('concord-hub', '/metrics'), job('concord-federate', '/metrics/federate')],
      {
        'ca.crt': config.caPem!,
        token: config.token!,
      },
    );
    await expect
      .poll(async () => (await prometheus!.query('apiserver_request_total{cluster="us-1"}')).length, {
        timeout: 30_000,
        interval: 500,
      })
      .toBeGreaterThan(0);
    // The two jobs are scraped on their own schedules: wait for the hub's own series too.
    await expect
      .poll(
        async () =>
          (await prometheus!.query('cluster_ready_state{member_cluster="europe-1"}')).map((s) => s.value[1]),
        { timeout: 30_000, interval: 500 },
      )
      .toEqual(['1']);
    const byCluster = await prometheus.query('sum by (cluster) (concord_federation_member_up)');
    expect(Object.fromEntries(byCluster.map((s) => [s.metric.cluster, s.value[1]]))).toEqual({
      'europe-1': '1',
      'us-1': '1',
    });
    expect((await prometheus.targets()).map((t) => t.health)).toEqual(['up', 'up']);
  });
});

describe('a member that cannot be reached', () => {
  it('is reported down while the others are still re-exported', async () => {
    await sims.applyFault('us-1', { action: 'partition' });
    const federated = await text('/metrics/federate');
    expect(seriesValue(federated, 'concord_federation_member_up{cluster="us-1"}')).toBe(0);
    expect(seriesValue(federated, 'concord_federation_member_up{cluster="europe-1"}')).toBe(1);
    expect(federated).toMatch(/^apiserver_request_total\{cluster="europe-1",/m);
    expect(federated).not.toMatch(/^apiserver_request_total\{cluster="us-1",/m);
  });
});
