// Test support for the Cluster API controllers beside the core: a real API server serving Cluster
// API's kinds and its infrastructure providers' (in-process, no HTTPS) on SQLite in a temporary
// folder or in memory, the ControllerContext controllers are started with, and objects in
// Cluster API's shapes.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ApiServer } from '../../apiserver/server.js';
import { InProcessClient } from '../../client/in-process.js';
import { InformerFactory } from '../../client/informer-factory.js';
import { resources } from '../../client/resources.js';
import type { ControllerContext, RunningController } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { MemoryStore } from '../../storage/memory.js';
import { SqliteStore } from '../../storage/sqlite.js';
import type { Store } from '../../storage/store.js';
import { type Cluster, clusterApiResources, clusterApis } from '../apis/cluster-api/index.js';
import { infrastructureApis } from '../apis/infrastructure/index.js';

export interface CapiTestEnv {
  server: ApiServer;
  client: InProcessClient;
  ctx: ControllerContext;
  dir: string;
  /** Starts controllers on the env's context and then its informers. */
  run(...start: ((ctx: ControllerContext) => RunningController)[]): void;
  close(): Promise<void>;
}

export async function startCapiTestEnv(store: 'sqlite' | 'memory' = 'sqlite'): Promise<CapiTestEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-capi-'));
  const backend: Store =
    store === 'sqlite' ? await SqliteStore.open({ path: join(dir, 'state.db') }) : new MemoryStore();
  const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' });
  const now = () => new Date();
  const server = await ApiServer.start({
    name: 'hub',
    store: backend,
    tokens: [],
    tls: { caPem: '', certPem: '', keyPem: '' },
    logger,
    now,
    extensions: [clusterApis, infrastructureApis],
  });
  const client = new InProcessClient(server);
  const informers = new InformerFactory(client, { logger });
  const ctx: ControllerContext = { cluster: 'hub', client, informers, logger, now };
  const running: RunningController[] = [];
  return {
    server,
    client,
    ctx,
    dir,
    run(...start) {
      for (const s of start) running.push(s(ctx));
      informers.start();
    },
    close: async () => {
      for (const c of running) await c.stop();
      informers.stop();
      await server.close();
      await backend.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Creates a Cluster API Cluster in `ns` and sets its status as the core's Cluster controller would. */
export async function putCluster(
  client: InProcessClient,
  name: string,
  opts: {
    namespace?: string;
    labels?: Record<string, string>;
    spec?: Partial<Cluster['spec']>;
    infrastructureReady?: boolean;
    controlPlaneInitialized?: boolean;
  } = {},
): Promise<Cluster> {
  const namespace = opts.namespace ?? 'default';
  let cluster: Cluster;
  try {
    cluster = await client.get<Cluster>(clusterApiResources.clusters, name, { namespace });
  } catch {
    cluster = await client.create<Cluster>(
      clusterApiResources.clusters,
      {
        apiVersion: 'cluster.x-k8s.io/v1beta1',
        kind: 'Cluster',
        metadata: { name, namespace, ...(opts.labels ? { labels: opts.labels } : {}) },
        spec: { ...opts.spec },
      } as KubeObject as Cluster,
      { namespace },
    );
  }
  const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return client.update<Cluster>(
    clusterApiResources.clusters,
    {
      ...cluster,
      status: {
        infrastructureReady: opts.infrastructureReady ?? false,
        conditions: [
          {
            type: 'ControlPlaneInitialized',
            status: opts.controlPlaneInitialized ? 'True' : 'False',
            lastTransitionTime: time,
            ...(opts.controlPlaneInitialized
              ? {}
              : { reason: 'WaitingForControlPlaneProviderInitialized', severity: 'Info' }),
          },
        ],
      },
    },
    { subresource: 'status', namespace },
  );
}

/** Stores a workload cluster's kubeconfig as Cluster API does: Secret `<cluster>-kubeconfig`, key value. */
export async function putKubeconfigSecret(
  client: InProcessClient,
  cluster: string,
  kubeconfig: string,
  namespace = 'default',
): Promise<void> {
  await client.create(
    resources.secrets,
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: `${cluster}-kubeconfig`,
        namespace,
        labels: { 'cluster.x-k8s.io/cluster-name': cluster },
      },
      type: 'cluster.x-k8s.io/secret',
      stringData: { value: kubeconfig },
    } as KubeObject,
    { namespace },
  );
}
