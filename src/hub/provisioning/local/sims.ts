// The simulated clusters the local provider runs: one sim host (its clusters' kubeconfigs and
// state under DATA_DIR/clusters/, as `concord sim` and `concord up` keep them) in a worker thread
// of the hub process, started on first use. The clusters' API servers, controllers and kubelets
// then use a core of their own beside the hub's controllers; the hub reaches them over loopback
// as it reaches any member. A cluster is started once however many reconciles ask at the same
// time; one whose store is SQLite finds its objects (nodes included) again after a restart of
// the hub.

import { rm } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { clusterKubeconfigPath, clusterStateDir } from '../../../sim/cluster.js';
import type { AddNodeOptions } from '../../../sim/kubelet/kubelet.js';
import type {
  LocalSimDefaults,
  SimWorkerCall,
  SimWorkerData,
  SimWorkerMessage,
  WorkerNodeState,
} from './sim-protocol.js';

export type { LocalSimDefaults, WorkerNodeState as SimNodeState } from './sim-protocol.js';

export interface SimClusterRequest {
  name: string;
  region: string;
  zones: string[];
}

/** A running simulated cluster, as the provider needs it. */
export interface LocalSim {
  kubeconfig: string;
  port: number;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

/**
 * The worker, from the compiled module next to this one, or (when this module runs from its
 * TypeScript source, as under the test runner) from the source through tsx.
 */
function startWorker(data: SimWorkerData): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./sim-worker.js', self), { workerData: data });
  return new Worker(new URL('./sim-worker-boot.mjs', self), {
    workerData: { ...data, entry: new URL('./sim-worker.ts', self).href },
  });
}

export class LocalSims {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;
  private readonly lost = new Set<() => void>();

  constructor(
    private readonly dataDir: string,
    private readonly store: 'memory' | 'sqlite',
    private readonly logger: Logger,
    private readonly defaults: LocalSimDefaults = {},
  ) {}

  private call<T>(call: SimWorkerCall): Promise<T> {
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, call });
    });
  }

  private start(): Worker {
    const worker = startWorker({
      dataDir: this.dataDir,
      store: this.store,
      logLevel: this.logger.level,
      defaults: this.defaults,
    });
    worker.on('message', (msg: SimWorkerMessage) => {
      if ('log' in msg) return this.log(msg.log);
      const pending = this.pending.get(msg.id);
      if (!pending) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) pending.reject(new Error(msg.error));
      else pending.resolve(msg.value);
    });
    const gone = (err: Error) => {
      if (this.worker !== worker) return;
      // Its clusters are gone with it: the next call starts a new worker, and the reconciles
      // that ask for the clusters start them again from their state.
      this.worker = undefined;
      if (!this.stopped) this.logger.error({ err }, 'the simulated clusters of the local provider stopped');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (!this.stopped) for (const listener of this.lost) listener();
    };
    worker.on('error', gone);
    worker.on('exit', (code) => gone(new Error(`the simulated clusters' worker exited with code ${code}`)));
    return worker;
  }

  /** Called when the worker (and every cluster in it) is gone other than by stop(). */
  onLost(listener: () => void): void {
    this.lost.add(listener);
  }

  /** A record of the worker's logger, written by the hub's. */
  private log(line: string): void {
    try {
      const { level, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string };
      const label = this.logger.levels.labels[level] ?? 'info';
      (this.logger as unknown as Record<string, (o: object, m?: string) => void>)[label]?.(fields, msg);
    } catch {
      this.logger.info(line);
    }
  }

  /** The nodes of the running cluster of this name by node name; undefined when it is not running. */
  async nodes(name: string): Promise<Map<string, WorkerNodeState> | undefined> {
    if (!this.worker) return undefined;
    const nodes = await this.call<Record<string, WorkerNodeState> | null>({ op: 'nodes', cluster: name });
    return nodes ? new Map(Object.entries(nodes)) : undefined;
  }

  /** Adds a node to a running cluster; resolves with its state once it is registered. */
  async addNode(name: string, node: AddNodeOptions): Promise<WorkerNodeState | undefined> {
    return (await this.call<WorkerNodeState | null>({ op: 'addNode', cluster: name, node })) ?? undefined;
  }

  /** Removes a node (its Node and Lease deleted); nothing when the cluster or node is not there. */
  async removeNode(name: string, node: string): Promise<void> {
    if (!this.worker) return;
    await this.call({ op: 'removeNode', cluster: name, node });
  }

  /** The cluster, started when it is not running yet. */
  async ensure(req: SimClusterRequest): Promise<LocalSim> {
    if (this.stopped) throw new Error('the local provider is stopped');
    return this.call<LocalSim>({ op: 'ensure', cluster: req });
  }

  /** Stops the cluster and removes its state: a deleted cluster is gone for good. */
  async remove(name: string): Promise<void> {
    if (this.worker) await this.call({ op: 'stopCluster', cluster: name });
    await rm(clusterStateDir(this.dataDir, name), { recursive: true, force: true });
    await rm(clusterKubeconfigPath(this.dataDir, name), { force: true });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    if (!worker) return;
    try {
      await this.call({ op: 'stop' });
    } finally {
      this.worker = undefined;
      await worker.terminate();
    }
  }
}
