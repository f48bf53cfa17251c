// The worker thread that runs the local provider's simulated clusters (sims.ts starts it): one
// sim host whose clusters' API servers, controllers and kubelets have an event loop of their own,
// so that they run beside the hub's controllers on another core instead of taking turns with them.
// It answers the provider's calls (start a cluster, its nodes, add or remove a node, remove a
// cluster) and sends its log records to the hub's logger.

import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { SimHost } from '../../../sim/host.js';
import type { SimWorkerCall, SimWorkerData, SimWorkerMessage, WorkerNodeState } from './sim-protocol.js';

const data = workerData as SimWorkerData;
const port = parentPort!;

const logger = pino(
  { level: data.logLevel, base: undefined, timestamp: false },
  { write: (line: string) => port.postMessage({ log: line } satisfies SimWorkerMessage) },
);

const hostStart = SimHost.start({
  dataDir: data.dataDir,
  logger,
  defaults: {
    ...(data.defaults.host ? { host: data.defaults.host } : {}),
    ...(data.defaults.dataPlane ? { dataPlane: data.defaults.dataPlane } : {}),
    ...(data.defaults.crds ? { extensions: [{ crds: data.defaults.crds }] } : {}),
    store: data.store,
    nodes: 0,
  },
  // The provider's clusters are one process's: one CA and serving certificate for all.
  sharedPki: true,
});
// Starts of the same cluster asked for at the same time share one.
const starting = new Map<string, Promise<unknown>>();

async function nodesOf(host: SimHost, name: string): Promise<Record<string, WorkerNodeState> | null> {
  const cluster = host.cluster(name);
  if (!cluster) return null;
  const out: Record<string, WorkerNodeState> = {};
  for (const node of cluster.kubelet.nodeNames()) {
    const state = cluster.kubelet.nodeState(node);
    if (state) out[node] = { zone: state.zone, internalIP: state.internalIP };
  }
  return out;
}

async function handle(call: SimWorkerCall): Promise<unknown> {
  const host = await hostStart;
  switch (call.op) {
    case 'ensure': {
      const { name, region, zones } = call.cluster;
      let cluster = host.cluster(name);
      if (!cluster) {
        let start = starting.get(name);
        if (!start) {
          start = host.startCluster({ name, region, zones }).finally(() => starting.delete(name));
          starting.set(name, start);
        }
        await start;
        cluster = host.cluster(name);
      }
      return { kubeconfig: cluster!.kubeconfig, port: cluster!.port };
    }
    case 'nodes':
      return nodesOf(host, call.cluster);
    case 'addNode': {
      const cluster = host.cluster(call.cluster);
      if (!cluster) throw new Error(`the simulated cluster ${call.cluster} is not running`);
      const node = await cluster.kubelet.addNode(call.node);
      return (await nodesOf(host, call.cluster))?.[node] ?? null;
    }
    case 'removeNode': {
      const cluster = host.cluster(call.cluster);
      if (cluster?.kubelet.nodeState(call.node)) await cluster.kubelet.removeNode(call.node);
      return null;
    }
    case 'stopCluster':
      await starting.get(call.cluster)?.catch(() => undefined);
      if (host.cluster(call.cluster)) await host.stopCluster(call.cluster);
      return null;
    case 'stop':
      await host.stop();
      return null;
  }
}

port.on('message', (msg: { id: number; call: SimWorkerCall }) => {
  handle(msg.call).then(
    (value) => port.postMessage({ id: msg.id, value } satisfies SimWorkerMessage),
    (err: unknown) =>
      port.postMessage({
        id: msg.id,
        error: err instanceof Error ? err.message : String(err),
      } satisfies SimWorkerMessage),
  );
});
// A host that cannot start (its data dir unwritable) fails every call; nothing else to do here.
hostStart.catch(() => undefined);
