// Test support for the propagation controllers: a real API server serving Karmada's kinds on a
// SQLite store in a temporary folder (in-process, no HTTPS), the ControllerContext controllers are
// started with, and helpers to make member Clusters with a Ready condition and room for pods.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ApiServer } from '../../apiserver/server.js';
import { InProcessClient } from '../../client/in-process.js';
import { InformerFactory } from '../../client/informer-factory.js';
import type { ControllerContext } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { SqliteStore } from '../../storage/sqlite.js';
import { type Cluster, karmadaApis, karmadaResources, type Taint } from '../apis/karmada/index.js';

export interface PropagationTestEnv {
  server: ApiServer;
  client: InProcessClient;
  informers: InformerFactory;
  ctx: ControllerContext;
  close(): Promise<void>;
}

export async function startPropagationTestEnv(): Promise<PropagationTestEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-propagation-'));
  const store = await SqliteStore.open({ path: join(dir, 'state.db') });
  const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' });
  const now = () => new Date();
  const server = await ApiServer.start({
    name: 'hub',
    store,
    tokens: [],
    tls: { caPem: '', certPem: '', keyPem: '' },
    logger,
    now,
    extensions: [karmadaApis],
  });
  const client = new InProcessClient(server);
  const informers = new InformerFactory(client, { logger });
  const ctx: ControllerContext = { cluster: 'hub', client, informers, logger, now };
  return {
    server,
    client,
    informers,
    ctx,
    close: async () => {
      informers.stop();
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface MemberSpec {
  region?: string;
  zones?: string[];
  provider?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Ready condition status (default True). */
  ready?: 'True' | 'False' | 'Unknown';
  /** Pods it still allows (default 110). */
  pods?: number;
}

export function memberStatus(s: MemberSpec): Cluster['status'] {
  return {
    conditions: [
      {
        type: 'Ready',
        status: s.ready ?? 'True',
        reason: s.ready && s.ready !== 'True' ? 'ClusterNotReady' : 'ClusterReady',
        message: '',
        lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    ],
    resourceSummary: { allocatable: { pods: String(s.pods ?? 110) } },
  };
}

/** Creates (or replaces the spec, labels and status of) a member Cluster, as the registry would. */
export async function putMember(client: InProcessClient, name: string, s: MemberSpec = {}): Promise<Cluster> {
  const spec = {
    syncMode: 'Push' as const,
    apiEndpoint: `https://127.0.0.1:6443`,
    ...(s.region ? { region: s.region } : {}),
    ...(s.zones ? { zones: s.zones } : {}),
    ...(s.provider ? { provider: s.provider } : {}),
    ...(s.taints ? { taints: s.taints } : {}),
  };
  let cluster: Cluster;
  try {
    const existing = await client.get<Cluster>(karmadaResources.clusters, name);
    cluster = await client.update<Cluster>(karmadaResources.clusters, {
      ...existing,
      metadata: { ...existing.metadata, labels: s.labels ?? {} },
      spec: { ...existing.spec, ...spec, taints: s.taints ?? [] },
    });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    cluster = await client.create<Cluster>(karmadaResources.clusters, {
      apiVersion: 'cluster.karmada.io/v1alpha1',
      kind: 'Cluster',
      metadata: { name, labels: s.labels ?? {} },
      spec,
    } as KubeObject as Cluster);
  }
  return client.update<Cluster>(
    karmadaResources.clusters,
    { ...cluster, status: memberStatus(s) },
    { subresource: 'status' },
  );
}
