// The simulated clusters the local provider runs: one sim host in the hub process (its clusters'
// kubeconfigs and state under DATA_DIR/clusters/, as `concord sim` and `concord up` keep them),
// started on first use. A cluster is started once however many reconciles ask at the same time;
// one whose store is SQLite finds its objects (nodes included) again after a restart of the hub.

import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import {
  clusterKubeconfigPath,
  clusterStateDir,
  type SimCluster,
  type SimClusterOptions,
} from '../../../sim/cluster.js';
import { SimHost } from '../../../sim/host.js';

export interface SimClusterRequest {
  name: string;
  region: string;
  zones: string[];
}

/** What every simulated cluster of the provider gets besides its name, region and zones. */
export type LocalSimDefaults = Pick<SimClusterOptions, 'host' | 'dataPlane' | 'extensions'>;

export class LocalSims {
  private host: Promise<SimHost> | undefined;
  private readonly starting = new Map<string, Promise<SimCluster>>();
  private stopped = false;

  constructor(
    private readonly dataDir: string,
    private readonly store: 'memory' | 'sqlite',
    private readonly logger: Logger,
    private readonly defaults: LocalSimDefaults = {},
  ) {}

  private sims(): Promise<SimHost> {
    this.host ??= SimHost.start({
      dataDir: this.dataDir,
      logger: this.logger,
      defaults: { ...this.defaults, store: this.store, nodes: 0 },
      // The provider's clusters are one process's: one CA and serving certificate for all.
      sharedPki: true,
    });
    return this.host;
  }

  /** The running cluster of this name, if any (no start). */
  async running(name: string): Promise<SimCluster | undefined> {
    if (!this.host) return undefined;
    return (await this.host).cluster(name);
  }

  /** The cluster, started when it is not running yet. */
  async ensure(req: SimClusterRequest): Promise<SimCluster> {
    if (this.stopped) throw new Error('the local provider is stopped');
    const host = await this.sims();
    const running = host.cluster(req.name);
    if (running) return running;
    let start = this.starting.get(req.name);
    if (!start) {
      start = host
        .startCluster({ name: req.name, region: req.region, zones: req.zones })
        .finally(() => this.starting.delete(req.name));
      this.starting.set(req.name, start);
    }
    return start;
  }

  /** Stops the cluster and removes its state: a deleted cluster is gone for good. */
  async remove(name: string): Promise<void> {
    const host = this.host ? await this.host : undefined;
    await this.starting.get(name)?.catch(() => undefined);
    if (host?.cluster(name)) await host.stopCluster(name);
    await rm(clusterStateDir(this.dataDir, name), { recursive: true, force: true });
    await rm(clusterKubeconfigPath(this.dataDir, name), { force: true });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.host) await (await this.host).stop();
  }
}
