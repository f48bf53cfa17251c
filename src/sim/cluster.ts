// A simulated cluster: a real Kubernetes API server (own store, CA, admin token, HTTPS port and
// kubeconfig) with the built-in controllers and scheduler running against it in-process, and a
// simulated kubelet playing its nodes. From outside it is a Kubernetes cluster like any other;
// its public port is a FaultGate (the API server has no listener of its own), so outages can be
// injected and healed.
//
// On disk, under the data dir (DIR):
//   DIR/clusters/NAME.kubeconfig   admin kubeconfig
//   DIR/clusters/NAME/             state: pki/ (CA, serving certificate), tokens.csv,
//                                  store.db (with the sqlite store), cluster.json (last port,
//                                  data plane addresses)
//
// With the data plane (dataplane/), pods of the echo image answer for real on addresses carved
// from 127.0.0.0/8, behind a service proxy and a cluster DNS server.

import { access, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { type Logger, pino } from 'pino';
import { loadOrCreateTokenFile } from '../apiserver/authn.js';
import type { ApiExtension } from '../apiserver/extensions.js';
import {
  CA_CERT_FILE,
  type CertificateAuthority,
  type IssuedCertificate,
  loadOrCreateCA,
  loadOrIssueServingCertificate,
} from '../apiserver/pki.js';
import { ApiServer, KUBERNETES_VERSION } from '../apiserver/server.js';
import { InProcessClient } from '../client/in-process.js';
import { InformerFactory } from '../client/informer-factory.js';
import { writeKubeconfig } from '../client/kubeconfig-file.js';
import type { ControllerContext, RunningController } from '../controller/context.js';
import { BackgroundLane } from '../controller/lane.js';
import { type CoreControllerOptions, startCoreControllers } from '../kube/core.js';
import { type SchedulerOptions, startScheduler } from '../kube/scheduler/index.js';
import { startWorkloadControllers, type WorkloadControllersOptions } from '../kube/workloads.js';
import { joinHostPort } from '../machinery/host-port.js';
import { buildKubeconfig } from '../machinery/kubeconfig.js';
import { isDNS1123Label } from '../machinery/names.js';
import type { Compactor } from '../storage/compactor.js';
import { MemoryStore } from '../storage/memory.js';
import { openStore } from '../storage/open.js';
import type { Store } from '../storage/store.js';
import {
  ClusterDataPlane,
  claimDataPlane,
  type DataPlaneInfo,
  type DataPlaneOptions,
} from './dataplane/cluster-data-plane.js';
import { FaultGate, type FaultKind, type FaultState } from './faults.js';
import { SimKubelet, type SimKubeletOptions } from './kubelet/kubelet.js';
import { DEFAULT_NODE_SHAPE, KUBELET_VERSION, type NodeShape, nodeShape } from './kubelet/node-template.js';
import type { LifecycleTimings } from './kubelet/pod-lifecycle.js';
import { processTicker, type Ticker } from './ticker.js';

export interface SimClusterOptions {
  /** The cluster's name: a DNS label ("europe-1"). */
  name: string;
  /** The data dir (kubeconfig in DIR/clusters/NAME.kubeconfig, state in DIR/clusters/NAME/). */
  dataDir: string;
  /** Where the cluster keeps its objects (default memory; sqlite: DIR/clusters/NAME/store.db). */
  store?: 'memory' | 'sqlite';
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** See ApiServerOptions.anonymousAuth (default true, as kube-apiserver). */
  anonymousAuth?: boolean;
  /** HTTPS port (default: the port of the last run on this data dir if free, else any free one). */
  port?: number;
  /** topology.kubernetes.io/region of the nodes (default "local"). */
  region?: string;
  /** Nodes registered at start (default 3). */
  nodes?: number;
  /** A shape name (sim.small ... sim.gpu) or a full shape (default sim.xlarge). */
  nodeShape?: string | NodeShape;
  zones?: string[];
  /** Pod CIDR (default 10.244.0.0/16), service CIDR (default 10.96.0.0/12), node range (172.18.0.0/16). */
  podCIDR?: string;
  serviceCIDR?: string;
  nodeCIDR?: string;
  /**
   * A data plane that carries real traffic (docs/networking.md): ranges carved from 127.0.0.0/8,
   * echo pods that answer, a service proxy and cluster DNS. Off by default.
   */
  dataPlane?: boolean | DataPlaneOptions;
  /** Kinds served beyond the built-in ones (the MCS API, which members serve for the hub). */
  extensions?: readonly ApiExtension[];
  /** The simulated kubelet: heartbeat period, lease duration, pod timings ... */
  kubelet?: Pick<
    SimKubeletOptions,
    'heartbeatIntervalMs' | 'leaseDurationSeconds' | 'nodeStatusReportMs' | 'concurrency' | 'events'
  > & { timings?: Partial<LifecycleTimings> };
  /** Options of the built-in controllers; false leaves them out. */
  controllers?: {
    core?: CoreControllerOptions | false;
    scheduler?: SchedulerOptions | false;
    workloads?: WorkloadControllersOptions | false;
  };
  /** More controllers to run on the cluster's controller context (after the built-in ones). */
  extraControllers?: (ctx: ControllerContext) => RunningController[];
  /** Register the controllers' metrics with the API server's /metrics (default true). */
  controllerMetrics?: boolean;
  /**
   * A CA and serving certificate shared with the other clusters of a host (SimHost's sharedPki),
   * asked for only when the cluster's state holds no CA of its own: a cluster made with its own
   * keeps it. Without it, every cluster makes its own CA and serving certificate.
   */
  sharedPki?: () => Promise<SharedPki>;
  /** The host-wide ticker (default: the process's). */
  ticker?: Ticker;
  /**
   * Where the cluster's controllers, scheduler and kubelet take turns behind the requests its API
   * server is serving (lane.ts): the host's, shared by its clusters (default: one of its own).
   */
  lane?: BackgroundLane;
  /** The host-wide store compactor (default: one of the API server's own). */
  compactor?: Compactor;
  logger?: Logger;
}

/** How the cluster can be reached, as the control file and the CLI report it. */
export interface SimClusterInfo {
  name: string;
  url: string;
  port: number;
  region: string;
  nodes: string[];
  kubeconfigPath: string;
  store: string;
  faults: FaultState;
  /** Addresses of the data plane, when the cluster has one. */
  dataPlane?: DataPlaneInfo;
}

/** What the clusters of one host share: a CA and a serving certificate for their address. */
export interface SharedPki {
  ca: CertificateAuthority;
  serving: IssuedCertificate;
}

/** The cluster's CA and serving certificate: its own in DIR/clusters/NAME/pki, or the host's. */
async function clusterPki(
  stateDir: string,
  name: string,
  host: string,
  shared: SimClusterOptions['sharedPki'],
): Promise<SharedPki> {
  const dir = join(stateDir, 'pki');
  if (shared) {
    const own = await access(join(dir, CA_CERT_FILE)).then(
      () => true,
      () => false,
    );
    if (!own) return shared();
  }
  const ca = await loadOrCreateCA(dir, `${name}-ca`);
  const serving = await loadOrIssueServingCertificate(dir, ca, {
    hosts: host === '0.0.0.0' || host === '::' ? [] : [host],
  });
  return { ca, serving };
}

function validateOptions(opts: SimClusterOptions): void {
  const problems = isDNS1123Label(opts.name ?? '');
  if (problems.length > 0) throw new Error(`cluster name "${opts.name}": ${problems.join('; ')}`);
  if (!opts.dataDir) throw new Error(`cluster ${opts.name}: a data dir is required`);
  if (opts.store !== undefined && opts.store !== 'memory' && opts.store !== 'sqlite') {
    throw new Error(
      `cluster ${opts.name}: store must be "memory" or "sqlite", got ${JSON.stringify(opts.store)}`,
    );
  }
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535)) {
    throw new Error(`cluster ${opts.name}: port must be 0-65535, got ${opts.port}`);
  }
  if (opts.region !== undefined && isDNS1123Label(opts.region).length > 0) {
    throw new Error(`cluster ${opts.name}: region "${opts.region}" must be a DNS label (like "europe")`);
  }
}

/** What the last run on this data dir recorded: its port and data plane block. */
async function readLastRun(stateDir: string): Promise<{ port?: number; dataPlaneIndex?: number }> {
  try {
    const saved = JSON.parse(await readFile(join(stateDir, 'cluster.json'), 'utf8')) as {
      port?: unknown;
      dataPlane?: { index?: unknown };
    };
    return {
      ...(typeof saved.port === 'number' ? { port: saved.port } : {}),
      ...(typeof saved.dataPlane?.index === 'number' ? { dataPlaneIndex: saved.dataPlane.index } : {}),
    };
  } catch {
    return {};
  }
}

async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

/** The kubeconfig path of a cluster in a data dir. */
export function clusterKubeconfigPath(dataDir: string, name: string): string {
  return join(resolve(dataDir), 'clusters', `${name}.kubeconfig`);
}

/** The state folder of a cluster in a data dir. */
export function clusterStateDir(dataDir: string, name: string): string {
  return join(resolve(dataDir), 'clusters', name);
}

export class SimCluster {
  readonly name: string;
  readonly region: string;
  readonly server: ApiServer;
  readonly store: Store;
  /** As system:masters, in-process (what the controllers use). */
  readonly client: InProcessClient;
  readonly informers: InformerFactory;
  readonly kubelet: SimKubelet;
  readonly gate: FaultGate;
  readonly kubeconfig: string;
  readonly kubeconfigPath: string;
  readonly url: string;
  readonly logger: Logger;
  /** The data plane, when the cluster has one. */
  readonly dataPlane: ClusterDataPlane | undefined;
  private readonly controllers: RunningController[];
  private stopping: Promise<void> | undefined;

  private constructor(parts: {
    name: string;
    region: string;
    server: ApiServer;
    store: Store;
    client: InProcessClient;
    informers: InformerFactory;
    kubelet: SimKubelet;
    gate: FaultGate;
    kubeconfig: string;
    kubeconfigPath: string;
    url: string;
    logger: Logger;
    controllers: RunningController[];
    dataPlane: ClusterDataPlane | undefined;
  }) {
    this.name = parts.name;
    this.region = parts.region;
    this.server = parts.server;
    this.store = parts.store;
    this.client = parts.client;
    this.informers = parts.informers;
    this.kubelet = parts.kubelet;
    this.gate = parts.gate;
    this.kubeconfig = parts.kubeconfig;
    this.kubeconfigPath = parts.kubeconfigPath;
    this.url = parts.url;
    this.logger = parts.logger;
    this.controllers = parts.controllers;
    this.dataPlane = parts.dataPlane;
  }

  /** Starts the cluster; resolves once it serves HTTPS and its nodes are registered. */
  static async start(opts: SimClusterOptions): Promise<SimCluster> {
    validateOptions(opts);
    const name = opts.name;
    const region = opts.region ?? 'local';
    const stateDir = clusterStateDir(opts.dataDir, name);
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const logger = (opts.logger ?? pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'warn' })).child({
      cluster: name,
    });
    const host = opts.host ?? '127.0.0.1';
    const shape =
      typeof opts.nodeShape === 'string'
        ? nodeShape(opts.nodeShape)
        : (opts.nodeShape ?? nodeShape(DEFAULT_NODE_SHAPE));

    const store: Store =
      opts.store === 'sqlite' ? await openStore(`sqlite:${join(stateDir, 'store.db')}`) : new MemoryStore();
    const cleanup: (() => Promise<void>)[] = [() => store.close()];
    const undo = async () => {
      for (const c of cleanup.reverse()) await c().catch(() => {});
    };
    try {
      const { ca, serving } = await clusterPki(stateDir, name, host, opts.sharedPki);
      const lastRun = await readLastRun(stateDir);
      let dataPlane: ClusterDataPlane | undefined;
      if (opts.dataPlane) {
        const dpOpts = opts.dataPlane === true ? {} : opts.dataPlane;
        // A store that keeps objects keeps their addresses: such a cluster keeps its block.
        const claim = await claimDataPlane(dpOpts, lastRun.dataPlaneIndex, opts.store === 'sqlite');
        cleanup.push(() => claim.dns.close());
        dataPlane = new ClusterDataPlane(claim.addresses, claim.dns, {
          cluster: name,
          region,
          logger,
          ...(dpOpts.clusterDomain ? { clusterDomain: dpOpts.clusterDomain } : {}),
          ...(opts.podCIDR ? { podCIDR: opts.podCIDR } : {}),
          ...(opts.serviceCIDR ? { serviceCIDR: opts.serviceCIDR } : {}),
          ...(opts.nodeCIDR ? { nodeCIDR: opts.nodeCIDR } : {}),
        });
        const plane = dataPlane;
        cleanup.push(() => plane.stop());
      }
      const ranges = dataPlane?.ranges ?? {
        ...(opts.podCIDR ? { podCIDR: opts.podCIDR } : {}),
        ...(opts.serviceCIDR ? { serviceCIDR: opts.serviceCIDR } : {}),
        ...(opts.nodeCIDR ? { nodeCIDR: opts.nodeCIDR } : {}),
      };
      const tokens = await loadOrCreateTokenFile(stateDir);
      if (!tokens.adminToken) throw new Error(`${tokens.path} names no member of system:masters`);
      const server = await ApiServer.start({
        name,
        store,
        tokens: tokens.entries,
        tls: { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem },
        logger,
        ...(opts.anonymousAuth !== undefined ? { anonymousAuth: opts.anonymousAuth } : {}),
        ...(ranges.serviceCIDR ? { serviceCIDR: ranges.serviceCIDR } : {}),
        ...(opts.compactor ? { compactor: opts.compactor } : {}),
        ...(opts.extensions ? { extensions: opts.extensions } : {}),
      });
      cleanup.push(() => server.close());

      // The gate accepts connections and hands them to the API server, which is given its
      // address once the port is known (connections before that are turned away).
      let serve: (socket: Duplex) => void = (socket) => socket.destroy();
      const handOver = (socket: Duplex) => serve(socket);
      let port = opts.port;
      if (port === undefined) port = lastRun.port ?? 0;
      let gate = new FaultGate({ serve: handOver, host, port });
      try {
        await gate.listen();
      } catch (err) {
        // The last run's port is taken: any port will do unless one was asked for.
        if (opts.port !== undefined || port === 0) throw err;
        gate = new FaultGate({ serve: handOver, host, port: 0 });
        await gate.listen();
      }
      const listening = gate;
      cleanup.push(() => listening.close());
      const shownHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
      serve = server.acceptConnections({ host: shownHost, port: gate.port });
      const url = `https://${joinHostPort(shownHost, gate.port)}`;
      const kubeconfig = buildKubeconfig({
        name,
        server: url,
        caPem: ca.certPem,
        user: { token: tokens.adminToken },
      });
      const kubeconfigPath = clusterKubeconfigPath(opts.dataDir, name);
      await writeKubeconfig(kubeconfigPath, kubeconfig);
      await writeJsonAtomic(join(stateDir, 'cluster.json'), {
        port: gate.port,
        region,
        ...(dataPlane ? { dataPlane: dataPlane.info() } : {}),
      });

      const version = KUBERNETES_VERSION.gitVersion;
      const managerClient = new InProcessClient(server, {
        userAgent: `kube-controller-manager/${version} (linux/amd64) kubernetes/concord`,
      });
      const informers = new InformerFactory(managerClient, { logger });
      cleanup.push(async () => informers.stop());
      const metrics = opts.controllerMetrics === false ? undefined : server.metrics;
      const now = () => new Date();
      const lane = opts.lane ?? new BackgroundLane();
      const managerCtx: ControllerContext = {
        cluster: name,
        client: managerClient,
        informers,
        logger,
        now,
        lane,
      };
      if (metrics) managerCtx.metrics = metrics;
      const controllers: RunningController[] = [];
      cleanup.push(async () => {
        await Promise.all(controllers.map((c) => c.stop()));
      });
      const wanted = opts.controllers ?? {};
      if (wanted.core !== false) controllers.push(startCoreControllers(managerCtx, wanted.core ?? {}));
      if (wanted.workloads !== false)
        controllers.push(startWorkloadControllers(managerCtx, wanted.workloads ?? {}));
      if (wanted.scheduler !== false) {
        const schedulerCtx: ControllerContext = {
          ...managerCtx,
          client: new InProcessClient(server, {
            userAgent: `kube-scheduler/${version} (linux/amd64) kubernetes/concord`,
          }),
        };
        controllers.push(startScheduler(schedulerCtx, wanted.scheduler ?? {}));
      }
      if (opts.extraControllers) controllers.push(...opts.extraControllers(managerCtx));

      const kubelet = new SimKubelet({
        cluster: name,
        region,
        client: new InProcessClient(server, {
          userAgent: `kubelet/${KUBELET_VERSION} (linux/amd64) kubernetes/concord`,
        }),
        informers,
        logger,
        ticker: opts.ticker ?? processTicker(),
        lane,
        nodes: opts.nodes ?? 3,
        nodeShape: shape,
        ...(opts.zones ? { zones: opts.zones } : {}),
        ...(ranges.podCIDR ? { podCIDR: ranges.podCIDR } : {}),
        ...(ranges.nodeCIDR ? { nodeCIDR: ranges.nodeCIDR } : {}),
        ...(opts.kubelet ?? {}),
        ...(dataPlane ? { runtime: dataPlane.runtime } : {}),
      });
      // A cluster that serves the MCS API reaches imported services through its data plane.
      const servesImports = (opts.extensions ?? []).some((e) =>
        (e.crds ?? []).some((c) => c.metadata.name === 'serviceimports.multicluster.x-k8s.io'),
      );
      dataPlane?.attach(informers, { clusterset: servesImports });
      informers.start();
      cleanup.push(() => kubelet.stop());
      await kubelet.start();
      return new SimCluster({
        name,
        region,
        server,
        store,
        client: new InProcessClient(server),
        informers,
        kubelet,
        gate,
        kubeconfig,
        kubeconfigPath,
        url,
        logger,
        controllers,
        dataPlane,
      });
    } catch (err) {
      await undo();
      throw err;
    }
  }

  get port(): number {
    return this.gate.port;
  }

  /** The cluster's current faults: the network edge and the failed nodes. */
  faults(): FaultState {
    const state: FaultState = {
      network: this.gate.mode,
      failedNodes: this.kubelet.nodeNames().filter((n) => this.kubelet.nodeState(n)?.failed),
    };
    if (this.gate.mode === 'slow') state.latencyMs = this.gate.latencyMs;
    return state;
  }

  /** Injects a network fault (see faults.ts). */
  async inject(kind: FaultKind, opts: { latencyMs?: number } = {}): Promise<void> {
    switch (kind) {
      case 'down':
        await this.gate.down();
        await this.dataPlane?.setReachability('down');
        break;
      case 'partition':
        await this.gate.partition();
        await this.dataPlane?.setReachability('silent');
        break;
      case 'slow':
        if (opts.latencyMs === undefined) throw new Error('a slow fault needs a latency');
        await this.gate.slow(opts.latencyMs);
        // Latency is the API's only: the data plane answers at its own pace.
        await this.dataPlane?.setReachability('up');
        break;
      default:
        throw new Error(`unknown fault "${String(kind)}": expected down, partition or slow`);
    }
    this.logger.info({ fault: kind, ...opts }, 'fault injected');
  }

  /** Heals the network edge (every node fault stays until its node is brought up). */
  async heal(): Promise<void> {
    await this.gate.heal();
    await this.dataPlane?.setReachability('up');
    this.logger.info('network fault healed');
  }

  info(): SimClusterInfo {
    return {
      name: this.name,
      url: this.url,
      port: this.port,
      region: this.region,
      nodes: this.kubelet.nodeNames(),
      kubeconfigPath: this.kubeconfigPath,
      store: this.store.description,
      faults: this.faults(),
      ...(this.dataPlane ? { dataPlane: this.dataPlane.info() } : {}),
    };
  }

  /** Stops everything: kubelet, controllers, informers, listener, API server, store. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.kubelet.stop();
      await this.dataPlane?.stop();
      await Promise.all(this.controllers.map((c) => c.stop()));
      this.informers.stop();
      await this.gate.close();
      await this.server.close();
      await this.store.close();
    })();
    return this.stopping;
  }
}
