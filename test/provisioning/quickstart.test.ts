// Cluster API's Docker quick start on a hub driven by the real kubectl (SQLite store and memory
// store): the quick-start ClusterClass with its templates and the development Cluster, applied
// unchanged (clusterctl's variables filled in), become a provisioned simulated cluster through
// the topology, the KubeadmControlPlane, kubeadm bootstrap data and the local provider; its
// kubeconfig Secret reaches the Node; a ClusterResourceSet (Cluster API's e2e crs.yaml) puts its
// ConfigMap into the cluster; a topology version bump rolls the control plane Machine.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import type { HubContext } from '../../src/hub/manager.js';
import { startKubeadmConfigController } from '../../src/hub/provisioning/bootstrap/index.js';
import { startKubeadmControlPlaneController } from '../../src/hub/provisioning/controlplane/index.js';
import { startMachineHealthCheckController } from '../../src/hub/provisioning/healthcheck/index.js';
import { provisioningControllers } from '../../src/hub/provisioning/index.js';
import { startClusterResourceSetController } from '../../src/hub/provisioning/resourceset/index.js';
import {
  startClusterClassController,
  startTopologyController,
} from '../../src/hub/provisioning/topology/index.js';
import { waitFor } from '../../src/kube/core.testing.js';
import { envsubst } from '../support/envsubst.js';
import { runKubectl } from '../support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: objects read back from kubectl's JSON
type Json = Record<string, any>;

const FIXTURES = '/work/shared/fixtures/cluster-api';
const TEMPLATES = `${FIXTURES}/test/infrastructure/docker/templates`;
const CRS = `${FIXTURES}/test/e2e/data/infrastructure-docker/main/bases/crs.yaml`;

const condition = (obj: Json | undefined, type: string): Json | undefined =>
  (obj?.status?.conditions ?? []).find((c: Json) => c.type === type);

describe.each(['sqlite', 'memory'] as const)('the Docker quick start (%s store)', (store) => {
  let dir: string;
  let hub: RunningHub;

  const kubectl = (args: string[], input?: string, kubeconfig = hub.kubeconfigPath) =>
    runKubectl('1.33', kubeconfig, args, { input, home: join(dir, 'home') });
  async function ok(args: string[], input?: string, kubeconfig?: string): Promise<string> {
    const r = await kubectl(args, input, kubeconfig);
    expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }
  const get = async (
    resource: string,
    name: string,
    kubeconfig?: string,
    namespace = 'default',
  ): Promise<Json | undefined> => {
    const r = await kubectl(['get', '-n', namespace, resource, name, '-o', 'json'], undefined, kubeconfig);
    return r.code === 0 ? JSON.parse(r.stdout) : undefined;
  };
  const list = async (resource: string, selector: string): Promise<Json[]> =>
    JSON.parse(await ok(['get', resource, '-l', selector, '-o', 'json'])).items;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `concord-quickstart-${store}-`));
    await mkdir(join(dir, 'home'));
    hub = await startHub({
      dataDir: dir,
      port: 0,
      ...(store === 'memory' ? { store: 'memory' } : {}),
      controllers: [
        provisioningControllers(),
        (ctx: HubContext) => [
          startKubeadmConfigController(ctx),
          startKubeadmControlPlaneController(ctx),
          startMachineHealthCheckController(ctx),
          startClusterResourceSetController(ctx),
          startClusterClassController(ctx),
          startTopologyController(ctx),
        ],
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('provisions the development Cluster from the quick-start ClusterClass', async () => {
    await ok(['apply', '-f', `${TEMPLATES}/clusterclass-quick-start.yaml`]);
    const cluster = envsubst(await readFile(`${TEMPLATES}/cluster-template-development.yaml`, 'utf8'), {
      CLUSTER_NAME: 'capi-quickstart',
      NAMESPACE: 'default',
      KUBERNETES_VERSION: 'v1.33.0',
      CONTROL_PLANE_MACHINE_COUNT: '1',
      WORKER_MACHINE_COUNT: '1',
    });
    await ok(['apply', '-f', '-'], cluster);

    const provisioned = await waitFor(
      'capi-quickstart provisioned with its control plane ready',
      async () => {
        const c = await get('clusters.cluster.x-k8s.io', 'capi-quickstart');
        return c?.status?.phase === 'Provisioned' && c.status.controlPlaneReady ? c : undefined;
      },
      60_000,
    );
    expect(condition(provisioned, 'TopologyReconciled')?.status).toBe('True');
    expect(provisioned.spec.infrastructureRef.kind).toBe('DockerCluster');
    const kcp = await waitFor('the control plane initialized and ready', async () => {
      const k = await get(
        'kubeadmcontrolplanes.controlplane.cluster.x-k8s.io',
        provisioned.spec.controlPlaneRef.name,
      );
      return k?.status?.initialized && k.status.readyReplicas === 1 ? k : undefined;
    });
    expect(kcp.status).toMatchObject({ replicas: 1, updatedReplicas: 1, ready: true, version: 'v1.33.0' });

    const [machine] = await list('machines.cluster.x-k8s.io', 'cluster.x-k8s.io/control-plane-name');
    expect(machine?.status.phase).toBe('Running');
    const config = await get('kubeadmconfigs.bootstrap.cluster.x-k8s.io', machine?.metadata.name);
    expect(config?.status).toMatchObject({ ready: true, dataSecretName: machine?.metadata.name });
    expect(machine?.status.bootstrapReady).toBe(true);

    // The Cluster's kubeconfig reaches the simulated cluster and its control plane Node.
    const secret = await get('secret', 'capi-quickstart-kubeconfig');
    const workload = join(dir, 'capi-quickstart.kubeconfig');
    await writeFile(workload, Buffer.from(secret?.data.value, 'base64'));
    const node = await get('node', machine?.status.nodeRef.name, workload);
    expect(node?.status.nodeInfo.kubeletVersion).toBe('v1.33.0');

    // The worker of md-0 joins once the control plane is initialized.
    const worker = await waitFor('the md-0 worker running', async () => {
      const [w] = await list('machines.cluster.x-k8s.io', 'topology.cluster.x-k8s.io/deployment-name=md-0');
      return w?.status?.phase === 'Running' ? w : undefined;
    });
    const workerConfig = await get(
      'kubeadmconfigs.bootstrap.cluster.x-k8s.io',
      worker.spec.bootstrap.configRef.name,
    );
    expect(workerConfig?.status.ready).toBe(true);
    expect(await get('node', worker.status.nodeRef.name, workload)).toBeDefined();
  }, 90_000);

  // The rest once, on the default store: what they add does not depend on the hub's store. Not
  // registered at all on the other store (rather than reported as skipped).
  const onDefaultStore: (name: string, fn: () => Promise<void>, timeout: number) => void =
    store === 'sqlite' ? it : () => undefined;
  onDefaultStore(
    'applies a ClusterResourceSet to the Cluster it selects',
    async () => {
      await ok(['label', 'clusters.cluster.x-k8s.io', 'capi-quickstart', 'cni=capi-quickstart-crs-0']);
      const cni =
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cni\n  namespace: kube-system\ndata:\n  plugin: kindnet\n';
      await ok(
        ['apply', '-f', '-'],
        envsubst(await readFile(CRS, 'utf8'), {
          CLUSTER_NAME: 'capi-quickstart',
          CNI_RESOURCES: JSON.stringify({ 'cni.yaml': cni }),
        }),
      );
      const workload = join(dir, 'capi-quickstart.kubeconfig');
      const cm = await waitFor('the CNI ConfigMap in the cluster', () =>
        get('configmap', 'cni', workload, 'kube-system')
          .then((c) => (c ? c : undefined))
          .catch(() => undefined),
      );
      expect(cm.data).toEqual({ plugin: 'kindnet' });
      const binding = await waitFor('the binding', () =>
        get('clusterresourcesetbindings.addons.cluster.x-k8s.io', 'capi-quickstart'),
      );
      expect(binding.spec.bindings[0].resources[0]).toMatchObject({
        name: 'cni-capi-quickstart-crs-0',
        applied: true,
      });
    },
    60_000,
  );

  onDefaultStore(
    'replaces a worker whose Node a MachineHealthCheck finds unhealthy',
    async () => {
      const [worker] = await list(
        'machines.cluster.x-k8s.io',
        'topology.cluster.x-k8s.io/deployment-name=md-0',
      );
      await ok(
        ['apply', '-f', '-'],
        `apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineHealthCheck
metadata:
  name: capi-quickstart-md-0
spec:
  clusterName: capi-quickstart
  maxUnhealthy: 100%
  selector:
    matchLabels:
      topology.cluster.x-k8s.io/deployment-name: md-0
  unhealthyConditions:
  - type: e2e.remediation.condition
    status: "False"
    timeout: 10s
`,
      );
      // As Cluster API's e2e does: the Node reports the condition (here since a minute ago).
      const since = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
      const workload = join(dir, 'capi-quickstart.kubeconfig');
      const node = (await get('node', worker?.status.nodeRef.name, workload)) as Json;
      const conditions = [
        ...node.status.conditions,
        {
          type: 'e2e.remediation.condition',
          status: 'False',
          reason: 'E2E',
          message: '',
          lastTransitionTime: since,
          lastHeartbeatTime: since,
        },
      ];
      await ok(
        [
          'patch',
          'node',
          node.metadata.name,
          '--subresource=status',
          '--type=merge',
          '-p',
          JSON.stringify({ status: { conditions } }),
        ],
        undefined,
        workload,
      );
      const replacement = await waitFor(
        'a new md-0 worker running in its place',
        async () => {
          const ws = await list(
            'machines.cluster.x-k8s.io',
            'topology.cluster.x-k8s.io/deployment-name=md-0',
          );
          const others = ws.filter((w) => w.metadata.name !== worker?.metadata.name);
          return !ws.some((w) => w.metadata.name === worker?.metadata.name) &&
            others[0]?.status?.phase === 'Running'
            ? others[0]
            : undefined;
        },
        60_000,
      );
      expect(replacement.metadata.name).not.toBe(worker?.metadata.name);
      const mhc = await waitFor('all healthy again', async () => {
        const m = await get('machinehealthchecks.cluster.x-k8s.io', 'capi-quickstart-md-0');
        return m?.status?.currentHealthy === 1 && m.status.targets?.[0] === replacement.metadata.name
          ? m
          : undefined;
      });
      expect(mhc.status).toMatchObject({ expectedMachines: 1, remediationsAllowed: 1 });
    },
    90_000,
  );

  onDefaultStore(
    'rolls the control plane to a new topology version',
    async () => {
      await ok([
        'patch',
        'clusters.cluster.x-k8s.io',
        'capi-quickstart',
        '--type=merge',
        '-p',
        '{"spec":{"topology":{"version":"v1.34.0"}}}',
      ]);
      const c = await get('clusters.cluster.x-k8s.io', 'capi-quickstart');
      const kcp = await waitFor(
        'the control plane on v1.34.0',
        async () => {
          const k = await get(
            'kubeadmcontrolplanes.controlplane.cluster.x-k8s.io',
            c?.spec.controlPlaneRef.name,
          );
          return k?.status?.version === 'v1.34.0' && k.status.updatedReplicas === 1 && k.status.replicas === 1
            ? k
            : undefined;
        },
        60_000,
      );
      expect(kcp.spec.version).toBe('v1.34.0');
      const [machine] = await list('machines.cluster.x-k8s.io', 'cluster.x-k8s.io/control-plane-name');
      expect(machine?.spec.version).toBe('v1.34.0');
      const node = await waitFor('the new Node', () =>
        get('node', machine?.status?.nodeRef?.name ?? 'none', join(dir, 'capi-quickstart.kubeconfig')),
      );
      expect(node.status.nodeInfo.kubeletVersion).toBe('v1.34.0');
    },
    90_000,
  );
});
