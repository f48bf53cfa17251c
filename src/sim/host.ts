// A sim host: one process running one or thousands of simulated clusters, each on its own port,
// sharing what can be shared — the host-wide ticker all heartbeats hang off, one compactor for
// every cluster's store, the process's loaded schemas and validators, one control API for fault
// injection, and with sharedPki one CA and serving certificate — while each keeps its own store,
// API server, credentials (its admin token) and controllers.

import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Logger, pino } from 'pino';
import { loadOrCreateCA, loadOrIssueServingCertificate } from '../apiserver/pki.js';
import { BackgroundLane } from '../controller/lane.js';
import { Compactor } from '../storage/compactor.js';
import { type SharedPki, SimCluster, type SimClusterInfo, type SimClusterOptions } from './cluster.js';
import { ControlError, ControlServer, type FaultRequest } from './control.js';
import type { FaultState } from './faults.js';
import { Ticker } from './ticker.js';

export interface SimHostOptions {
  /** Where every cluster's kubeconfig, state and control file go. */
  dataDir: string;
  /** Defaults for every cluster this host starts (region, nodes, timings ...). */
  defaults?: Omit<
    Partial<SimClusterOptions>,
    'name' | 'dataDir' | 'ticker' | 'compactor' | 'sharedPki' | 'lane'
  >;
  /**
   * One CA and serving certificate (in DIR/sim-pki/) for every cluster of the host that listens
   * on the host's default address, instead of one each: a cluster starts without any X.509 work.
   * The clusters then trust each other's serving certificate; each still has its own admin token
   * (docs/security.md). A cluster that has a CA of its own from an earlier start keeps it.
   */
  sharedPki?: boolean;
  /** Serve the control API (default true). */
  control?: boolean;
  /** Port of the control API on 127.0.0.1 (default: any free one). */
  controlPort?: number;
  logger?: Logger;
}

export class SimHost {
  readonly dataDir: string;
  readonly ticker: Ticker;
  readonly compactor: Compactor;
  /** One lane for every cluster's controllers: the host's requests go first (lane.ts). */
  readonly lane = new BackgroundLane();
  readonly logger: Logger;
  private readonly running = new Map<string, SimCluster>();
  private readonly starting = new Set<string>();
  private readonly control: ControlServer | undefined;
  private readonly defaults: SimHostOptions['defaults'];
  private readonly sharedPki: (() => Promise<SharedPki>) | undefined;
  private stopped = false;

  private constructor(opts: SimHostOptions, control: ControlServer | undefined) {
    this.dataDir = resolve(opts.dataDir);
    this.logger = opts.logger ?? pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'warn' });
    this.ticker = new Ticker({ onError: (err) => this.logger.error({ err }, 'a periodic duty failed') });
    this.compactor = new Compactor({
      onError: (err, store) => this.logger.warn({ err, store: store.description }, 'compaction failed'),
    });
    this.compactor.start();
    this.defaults = opts.defaults;
    this.control = control;
    if (opts.sharedPki) {
      let pki: Promise<SharedPki> | undefined;
      const dir = join(this.dataDir, 'sim-pki');
      const host = opts.defaults?.host ?? '127.0.0.1';
      this.sharedPki = () => {
        pki ??= (async () => {
          const ca = await loadOrCreateCA(dir, 'concord-sim-ca');
          const serving = await loadOrIssueServingCertificate(dir, ca, {
            hosts: host === '0.0.0.0' || host === '::' ? [] : [host],
          });
          return { ca, serving };
        })();
        // A failure (a full disk) is not kept: the next cluster tries again.
        pki.catch(() => {
          pki = undefined;
        });
        return pki;
      };
    }
  }

  static async start(opts: SimHostOptions): Promise<SimHost> {
    await mkdir(join(resolve(opts.dataDir), 'clusters'), { recursive: true, mode: 0o700 });
    let host: SimHost | undefined;
    const control =
      opts.control === false
        ? undefined
        : new ControlServer({
            list: () => host!.clusters().map((c) => c.info()),
            info: (name) => host!.cluster(name)?.info(),
            apply: (name, req) => host!.applyFault(name, req),
          });
    host = new SimHost(opts, control);
    if (control) await control.listen(opts.controlPort ?? 0);
    return host;
  }

  /** The control API's URL (undefined without one). */
  get controlUrl(): string | undefined {
    return this.control?.url;
  }

  /** Starts a cluster with the host's defaults, writing its kubeconfig and control file. */
  async startCluster(
    opts: Omit<SimClusterOptions, 'dataDir' | 'ticker' | 'compactor' | 'sharedPki' | 'lane'>,
  ): Promise<SimCluster> {
    if (this.stopped) throw new Error('the sim host is stopped');
    if (this.running.has(opts.name) || this.starting.has(opts.name)) {
      throw new Error(`this host runs a cluster "${opts.name}" already`);
    }
    this.starting.add(opts.name);
    try {
      const cluster = await SimCluster.start({
        ...(this.defaults ?? {}),
        ...opts,
        kubelet: { ...(this.defaults?.kubelet ?? {}), ...(opts.kubelet ?? {}) },
        dataDir: this.dataDir,
        ticker: this.ticker,
        compactor: this.compactor,
        lane: this.lane,
        // The shared serving certificate names the host's address only.
        ...(this.sharedPki && (opts.host === undefined || opts.host === this.defaults?.host)
          ? { sharedPki: this.sharedPki }
          : {}),
        logger: opts.logger ?? this.logger,
      });
      this.running.set(opts.name, cluster);
      try {
        await this.control?.writeControlFile(this.dataDir, opts.name);
      } catch (err) {
        this.running.delete(opts.name);
        await cluster.stop();
        throw err;
      }
      return cluster;
    } finally {
      this.starting.delete(opts.name);
    }
  }

  cluster(name: string): SimCluster | undefined {
    return this.running.get(name);
  }

  clusters(): SimCluster[] {
    return [...this.running.values()];
  }

  infos(): SimClusterInfo[] {
    return this.clusters().map((c) => c.info());
  }

  /** Stops one cluster (its state stays in the data dir for a later start). */
  async stopCluster(name: string): Promise<void> {
    const cluster = this.running.get(name);
    if (!cluster) throw new Error(`this host runs no cluster "${name}"`);
    this.running.delete(name);
    await this.control?.removeControlFile(this.dataDir, name);
    await cluster.stop();
  }

  /** Applies a fault request to one of the host's clusters (what the control API calls). */
  async applyFault(name: string, req: FaultRequest): Promise<FaultState> {
    const cluster = this.running.get(name);
    if (!cluster) throw new ControlError(404, `this host runs no cluster "${name}"`);
    const node = (n: string | undefined) => {
      if (!n || !cluster.kubelet.nodeState(n)) {
        throw new ControlError(
          404,
          `cluster "${name}" has no node "${n}"; its nodes are ${cluster.kubelet.nodeNames().join(', ')}`,
        );
      }
      return n;
    };
    switch (req.action) {
      case 'down':
      case 'partition':
        await cluster.inject(req.action);
        break;
      case 'slow':
        await cluster.inject('slow', { latencyMs: req.latencyMs ?? 0 });
        break;
      case 'heal':
        await cluster.heal();
        break;
      case 'node-down':
        cluster.kubelet.failNode(node(req.node));
        break;
      case 'node-up':
        cluster.kubelet.healNode(node(req.node));
        break;
    }
    return cluster.faults();
  }

  /** Stops every cluster, the control API, the ticker and the compactor. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const names = [...this.running.keys()];
    await Promise.all(
      names.map((n) =>
        this.stopCluster(n).catch((err) =>
          this.logger.error({ err, cluster: n }, 'stopping a cluster failed'),
        ),
      ),
    );
    await this.control?.close();
    this.ticker.stop();
    await this.compactor.stop();
  }
}
