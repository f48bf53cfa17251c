// startHub: the hub as `concord hub` and `concord up` run it — the Kubernetes API server on the
// chosen store, serving from DATA_DIR/hub (CA, serving certificate, tokens), and the controller
// manager that runs the hub's controllers while this process holds the manager Lease.
//
// High availability: hubs started on one etcd with the same data dir share its CA, serving
// certificate and tokens (one identity, so one kubeconfig works against any of them), differ by
// --port, and elect one controller manager among themselves.

import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { type Logger, pino } from 'pino';
import { lock } from 'proper-lockfile';
import { loadOrCreateTokenFile } from '../apiserver/authn.js';
import type { ApiExtension } from '../apiserver/extensions.js';
import { loadOrCreateCA, loadOrIssueServingCertificate } from '../apiserver/pki.js';
import { type RunningApiServer, serveApiServer } from '../apiserver/serving.js';
import { InProcessClient } from '../client/in-process.js';
import { writeKubeconfig } from '../client/kubeconfig-file.js';
import { type OpenStoreOptions, openStore } from '../storage/open.js';
import type { Store } from '../storage/store.js';
import { argocdApis } from './apis/argocd/index.js';
import { clusterApis } from './apis/cluster-api/index.js';
import { governanceApis } from './apis/governance/index.js';
import { infrastructureApis } from './apis/infrastructure/index.js';
import { k8gbApis } from './apis/k8gb/index.js';
import { karmadaApis } from './apis/karmada/index.js';
import { mcsApis } from './apis/mcs/index.js';
import { recoveryApis } from './apis/recovery/index.js';
import { type ClusterHealthOptions, clusterControllers } from './clusters/index.js';
import { registerCluster } from './clusters/join.js';
import { dashboardRoutes } from './dashboard/static.js';
import { gitopsControllers, gitopsOptionsFromEnv, webhookRoute } from './gitops/index.js';
import {
  governanceAdmission,
  governanceControllers,
  governanceRoles,
  residencyFilter,
} from './governance/index.js';
import { startHubInfoController } from './identity/hub-info-controller.js';
import {
  ControllerManager,
  type ControllerManagerOptions,
  type HubControllerFactory,
  type LeaderElectionTimings,
} from './manager.js';
import { type NetworkingOptions, networkingControllers } from './networking/index.js';
import { MetricsFederation } from './observability/federate.js';
import { startFleetGaugesController } from './observability/fleet-gauges.js';
import { startPropagationControllers } from './propagation/index.js';
import { startKubeadmConfigController } from './provisioning/bootstrap/index.js';
import { startKubeadmControlPlaneController } from './provisioning/controlplane/index.js';
import { startMachineHealthCheckController } from './provisioning/healthcheck/index.js';
import { type ProvisioningOptions, provisioningControllers } from './provisioning/index.js';
import { startClusterResourceSetController } from './provisioning/resourceset/index.js';
import { startClusterClassController, startTopologyController } from './provisioning/topology/index.js';
import { startRecoveryControllers } from './recovery/index.js';

/**
 * The hub's controllers, started on the leading hub. A capability adds its factory here (or a
 * caller passes its own list as HubOptions.controllers).
 */
/** The hub's controllers with the member registry's health settings given. */
export function hubControllers(
  clusterHealth: ClusterHealthOptions = {},
  networking: NetworkingOptions = {},
  provisioning: Omit<ProvisioningOptions, 'register'> = {},
): HubControllerFactory[] {
  return [
    startHubInfoController,
    clusterControllers(clusterHealth),
    // Residency reaches the scheduler as a filter: no placement, override or failover gets past it.
    (ctx) => [startPropagationControllers(ctx, { scheduler: { filters: [residencyFilter(ctx)] } })],
    (ctx) => [startRecoveryControllers(ctx)],
    governanceControllers,
    provisioningControllers({ ...provisioning, register: registerCluster }),
    startFleetGaugesController,
    (ctx) => [startKubeadmConfigController(ctx)],
    (ctx) => [startClusterResourceSetController(ctx)],
    (ctx) => [startMachineHealthCheckController(ctx)],
    (ctx) => [startKubeadmControlPlaneController(ctx)],
    (ctx) => [startClusterClassController(ctx), startTopologyController(ctx)],
    gitopsControllers(gitopsOptionsFromEnv()),
    networkingControllers(networking),
  ];
}

/**
 * The hub's controllers, started on the leading hub. A capability adds its factory to
 * hubControllers (or a caller passes its own list as HubOptions.controllers).
 */
export const HUB_CONTROLLERS: readonly HubControllerFactory[] = hubControllers();

/**
 * The kinds the hub serves beyond Kubernetes' own: Karmada's and Cluster API's, with its
 * providers', Concord's governance kinds with their admission checks, its recovery kinds, Argo
 * CD's, the Multi-Cluster Services API and k8gb's Gslb.
 */
export const HUB_APIS: readonly ApiExtension[] = [
  karmadaApis,
  clusterApis,
  infrastructureApis,
  governanceApis,
  governanceAdmission,
  governanceRoles,
  recoveryApis,
  argocdApis,
  mcsApis,
  k8gbApis,
];

export interface HubOptions {
  /** Where state, certificates and the admin kubeconfig live (the hub's files are in DIR/hub). */
  dataDir: string;
  /** A store spec (see openStore); default sqlite:DIR/hub/store.db. */
  store?: string;
  /**
   * Further store settings: etcd key prefix, sqlite durability. On etcd the hub serves lists and
   * watches from a watch cache unless `watchCache: false`.
   */
  storeOptions?: OpenStoreOptions;
  port?: number;
  host?: string;
  /** See ApiServerOptions.anonymousAuth (default true, as kube-apiserver). */
  anonymousAuth?: boolean;
  logger?: Logger;
  /** The hub's API kinds beyond the built-in ones (default HUB_APIS). */
  extensions?: readonly ApiExtension[];
  /** The controllers the leading hub runs (default HUB_CONTROLLERS). */
  controllers?: readonly HubControllerFactory[];
  /** This hub's leader-election identity (default: host name and a random UUID). */
  identity?: string;
  leaderElection?: LeaderElectionTimings;
  /** Informer defaults of the hub's controllers (tests use short watches). */
  informers?: ControllerManagerOptions['informers'];
  /** Where the dashboard's built files are (default dist/web of this repository). */
  dashboardDir?: string;
  /** Limit for scraping one member at /metrics/federate (default 3 s). */
  federationTimeoutMs?: number;
  /**
   * Port of the hub's DNS server on 127.0.0.1 (clusterset.local and global names), with the
   * default controllers (default: a free port; `concord hub` and `concord up` use 15353). The
   * port is written to DIR/dns.port.
   */
  dnsPort?: number;
  /** Settings of the local provider's simulated clusters, with the default controllers. */
  provisioning?: Omit<ProvisioningOptions, 'register'>;
}

export interface RunningHub {
  url: string;
  port: number;
  identity: string;
  store: Store;
  api: RunningApiServer;
  manager: ControllerManager;
  /** DIR/hub.kubeconfig, the admin kubeconfig (of the hub started last, when several share DIR). */
  kubeconfigPath: string;
  close(): Promise<void>;
}

export function defaultHubStore(dataDir: string): string {
  return `sqlite:${join(resolve(dataDir), 'hub', 'store.db')}`;
}

export async function startHub(opts: HubOptions): Promise<RunningHub> {
  const dataDir = resolve(opts.dataDir);
  const stateDir = join(dataDir, 'hub');
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'warn' });
  const identity = opts.identity ?? `${hostname()}_${randomUUID()}`;
  await prepareIdentity(stateDir, host);

  const store = await openStore(opts.store ?? defaultHubStore(dataDir), {
    watchCache: true,
    ...opts.storeOptions,
  });
  const federation = new MetricsFederation({
    logger,
    ...(opts.federationTimeoutMs ? { timeoutMs: opts.federationTimeoutMs } : {}),
  });
  let api: RunningApiServer;
  let webhookClient: InProcessClient | undefined;
  try {
    api = await serveApiServer({
      name: 'concord-hub',
      stateDir,
      store,
      port: opts.port,
      host,
      logger,
      ...(opts.anonymousAuth !== undefined ? { anonymousAuth: opts.anonymousAuth } : {}),
      extensions: opts.extensions ?? HUB_APIS,
      routes: [...dashboardRoutes(opts.dashboardDir), federation.route(), webhookRoute(() => webhookClient)],
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  federation.setHubClient(new InProcessClient(api.server, { userAgent: 'concord-hub-federation/v0.1.0' }));
  webhookClient = new InProcessClient(api.server, { userAgent: 'concord-hub-webhook/v0.1.0' });
  const kubeconfigPath = join(dataDir, 'hub.kubeconfig');
  const manager = new ControllerManager({
    context: {
      cluster: 'hub',
      client: new InProcessClient(api.server, { userAgent: 'concord-hub-controller-manager/v0.1.0' }),
      logger,
      metrics: api.server.metrics,
      now: () => new Date(),
      dataDir,
      identity,
      endpoint: { url: api.url, caPem: api.caPem },
      storeDescription: store.description,
    },
    controllers:
      opts.controllers ??
      (opts.dnsPort !== undefined || opts.provisioning
        ? hubControllers({}, opts.dnsPort !== undefined ? { dnsPort: opts.dnsPort } : {}, opts.provisioning)
        : HUB_CONTROLLERS),
    ...opts.leaderElection,
    ...(opts.informers ? { informers: opts.informers } : {}),
  });
  try {
    await writeKubeconfig(kubeconfigPath, api.kubeconfig);
  } catch (err) {
    await api.close();
    await store.close();
    throw err;
  }
  manager.start();
  let closing: Promise<void> | undefined;
  return {
    url: api.url,
    port: api.port,
    identity,
    store,
    api,
    manager,
    kubeconfigPath,
    close() {
      closing ??= (async () => {
        // Controllers first (and the Lease released, so a standby takes over at once).
        await manager.stop();
        await api.close();
        federation.close();
        await store.close();
      })();
      return closing;
    },
  };
}

/**
 * Creates the CA, the serving certificate (covering `host` besides the names it has) and the
 * token file under an exclusive lock, so that hubs started together on a fresh data dir end up
 * with one identity rather than each writing its own.
 */
async function prepareIdentity(stateDir: string, host: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const release = await lock(stateDir, {
    lockfilePath: join(stateDir, 'identity.lock'),
    retries: { retries: 100, minTimeout: 50, maxTimeout: 500 },
  });
  try {
    const pkiDir = join(stateDir, 'pki');
    const ca = await loadOrCreateCA(pkiDir, 'concord-hub-ca');
    await loadOrIssueServingCertificate(pkiDir, ca, { hosts: [host] });
    await loadOrCreateTokenFile(stateDir);
  } finally {
    await release();
  }
}
