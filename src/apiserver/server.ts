// One Kubernetes API server over a Store: the resource registry with the built-in kinds and
// whatever CRDs add, authentication, RBAC, admission, discovery, OpenAPI, and an HTTPS front
// end. The hub and every simulated cluster are one of these.

import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Logger, pino } from 'pino';
import { Counter, Histogram, Registry } from 'prom-client';
import { formatApiVersion, type GroupVersionKind } from '../machinery/gvk.js';
import { joinHostPort } from '../machinery/host-port.js';
import type { KubeObject } from '../machinery/object.js';
import { ApiError, errors } from '../machinery/status.js';
import { Compactor } from '../storage/compactor.js';
import { resourcePrefix } from '../storage/keys.js';
import type { Store } from '../storage/store.js';
import {
  loadBuiltinValidators,
  validateBuiltin,
  validateBuiltinStatus,
} from './admission/builtin-validation.js';
import { quotaAdmission } from './admission/quota.js';
import { ValidatingAdmissionChain } from './admission/validating.js';
import { ServiceAllocator } from './allocators.js';
import { Authenticator, type TokenEntry, type UserInfo } from './authn.js';
import { CrdRegistrar } from './crd/registrar.js';
import { Discovery } from './discovery.js';
import { type ApiExtension, extensionCrds, extensionStrategies, strategyKey } from './extensions.js';
import { type HandlerDeps, ResourceHandler, type SubresourceHandler } from './handler.js';
import { ApiFront } from './http/front.js';
import type { HttpRoute } from './http/routes.js';
import { builtinResourceInfo, builtinResources } from './kinds/builtin.js';
import { strategyFor } from './kinds/index.js';
import { definitionSchema, schemaFor } from './openapi/definitions.js';
import { type OpenAPIDocumentSet, openAPIDocuments } from './openapi/document.js';
import { servedResource } from './openapi/operations.js';
import { serveOpenAPI } from './openapi/serve.js';
import { RbacAuthorizer } from './rbac/authorizer.js';
import { bootstrapPolicy } from './rbac/bootstrap-policy.js';
import { EscalationCheck } from './rbac/escalation.js';
import type { ResourceRegistry as RegistryType } from './registry/registry.js';
import { ResourceRegistry } from './registry/registry.js';
import type { ResourceInfo } from './registry/resource-info.js';
import { type NamespaceGate, RestStorage, type WriteScope } from './registry/rest.js';
import { StoreCache } from './store-cache.js';
import { BindingHandler, EvictionHandler, NamespaceFinalizeHandler } from './subresources/pods.js';
import { ReviewHandler } from './subresources/reviews.js';
import { ScaleHandler } from './subresources/scale.js';

/** The Kubernetes version whose API this server serves. */
export const KUBERNETES_VERSION = { major: '1', minor: '33', gitVersion: 'v1.33.0+concord' };

export const SYSTEM_USER: UserInfo = {
  username: 'system:apiserver',
  groups: ['system:masters', 'system:authenticated'],
};

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

export interface ApiServerOptions {
  /** Shown in logs and metrics: "hub", a cluster's name. */
  name: string;
  store: Store;
  /** Static bearer tokens (Kubernetes token-file entries). */
  tokens: readonly TokenEntry[];
  /**
   * Requests without a credential are system:anonymous, allowed what RBAC grants
   * system:unauthenticated (health and version by default), as kube-apiserver's --anonymous-auth
   * (default true); false answers them 401.
   */
  anonymousAuth?: boolean;
  /** Serving certificate and the CA that signs it and client certificates. */
  tls: TlsMaterial;
  logger?: Logger;
  /** Range Services' cluster IPs come from (default 10.96.0.0/12, as kubeadm). */
  serviceCIDR?: string;
  /** How often watches that asked for bookmarks get one (default 60 s, as Kubernetes). */
  bookmarkIntervalMs?: number;
  now?: () => Date;
  /**
   * Keeps the store's history bounded, as kube-apiserver's --etcd-compaction-interval does.
   * Default: a compactor of this server's own (5 minutes); a shared one serves many servers
   * (a sim host); `false` leaves compaction to whoever owns the store.
   */
  compactor?: Compactor | false;
  /**
   * Kinds beyond the built-in ones: CRDs installed (created or updated) at start, which start()
   * waits to be served, and the behaviour of custom resource kinds by group and kind.
   */
  extensions?: readonly ApiExtension[];
  /** Paths served beside the Kubernetes API (see HttpRoute): what the caller adds, e.g. a UI. */
  routes?: readonly HttpRoute[];
}

/** The field manager that owns the CRDs extensions install. */
export const EXTENSION_FIELD_MANAGER = 'concord-apiserver';

const DEFAULT_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const SYSTEM_SCOPE: WriteScope = {
  dryRun: false,
  fieldManager: 'kube-apiserver',
  fieldValidation: 'Ignore',
  warnings: [],
};

function nsKey(name: string): string {
  return `${resourcePrefix('', 'namespaces')}${name}`;
}

export class ApiServer {
  readonly registry: RegistryType;
  readonly rest: RestStorage;
  readonly handler: ResourceHandler;
  readonly authorizer: RbacAuthorizer;
  readonly authenticator: Authenticator;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly services: ServiceAllocator;
  private readonly caches: StoreCache[] = [];
  private readonly crds: CrdRegistrar;
  private readonly front: ApiFront;
  private server: http2.Http2SecureServer | undefined;
  private readonly sessions = new Set<http2.ServerHttp2Session | import('node:net').Socket>();
  private address = '127.0.0.1:0';
  private isReady = false;
  private openapiSet: { generation: number; set: OpenAPIDocumentSet } | undefined;
  private compactor: Compactor | undefined;

  private constructor(
    private readonly opts: ApiServerOptions,
    private readonly now: () => Date,
  ) {
    this.logger = opts.logger ?? pino({ level: process.env.CONCORD_LOG_LEVEL ?? 'warn' });
    // Checked before anything starts, so that a bad extension leaves nothing running.
    const strategies = extensionStrategies(opts.extensions ?? [], (group, kind) =>
      builtinResources.some((r) => r.group === group && r.kind === kind),
    );
    const store = opts.store;
    this.registry = new ResourceRegistry();
    for (const r of builtinResources) {
      const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
      const info = builtinResourceInfo(r, strategyFor(r.group, r.kind), () => schemaFor(gvk));
      info.validateSchema = (obj) => validateBuiltin(gvk, obj);
      info.validateStatusSchema = (obj) => validateBuiltinStatus(gvk, obj);
      this.registry.add(info);
    }

    this.services = new ServiceAllocator(opts.serviceCIDR ?? '10.96.0.0/12');
    const serviceCache = new StoreCache(store, resourcePrefix('', 'services'));
    serviceCache.onEvent((e) =>
      e.type === 'delete' ? this.services.release(e.object) : this.services.observe(e.object),
    );
    this.caches.push(serviceCache);
    this.registry.get('', 'v1', 'services')!.allocate = (obj) => this.services.allocate(obj);

    const namespaces = new StoreCache(store, resourcePrefix('', 'namespaces'));
    this.caches.push(namespaces);
    const gate: NamespaceGate = {
      admitCreate: async (namespace, info, name) => {
        let ns = namespaces.get(nsKey(namespace));
        if (!ns) ns = (await store.get(nsKey(namespace)))?.value as KubeObject | undefined;
        if (!ns) throw errors.notFound('', 'namespaces', namespace);
        const phase = (ns.status as { phase?: string } | undefined)?.phase;
        if (ns.metadata.deletionTimestamp || phase === 'Terminating') {
          throw new ApiError(
            403,
            'Forbidden',
            `${info.group === '' ? info.resource : `${info.resource}.${info.group}`} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
            {
              name,
              group: info.group,
              kind: info.resource,
              causes: [
                {
                  reason: 'NamespaceTerminating',
                  message: `namespace ${namespace} is being terminated`,
                  field: 'metadata.namespace',
                },
              ],
            },
          );
        }
      },
    };
    this.authorizer = new RbacAuthorizer();
    const admission = new ValidatingAdmissionChain(store, this.registry, [
      new EscalationCheck(this.authorizer, this.authorizer.privilegedGroups),
      quotaAdmission,
      ...(opts.extensions ?? []).flatMap((e) => e.validatingAdmission ?? []),
    ]);
    this.rest = new RestStorage({
      store,
      now: this.now,
      namespaces: gate,
      admission,
    });

    for (const resource of ['roles', 'rolebindings', 'clusterroles', 'clusterrolebindings']) {
      const cache = new StoreCache(store, resourcePrefix('rbac.authorization.k8s.io', resource));
      cache.onEvent((e) => {
        if (e.type === 'delete') this.authorizer.remove(e.object);
        else this.authorizer.upsert(e.object);
        if (resource === 'clusterroles') this.aggregateClusterRoles();
      });
      this.caches.push(cache);
    }
    this.authenticator = new Authenticator({
      tokens: opts.tokens,
      clientCA: opts.tls.caPem,
      anonymous: opts.anonymousAuth ?? true,
    });

    const crdCache = new StoreCache(
      store,
      resourcePrefix('apiextensions.k8s.io', 'customresourcedefinitions'),
    );
    this.caches.push(crdCache);
    this.crds = new CrdRegistrar({
      cache: crdCache,
      registry: this.registry,
      rest: this.rest,
      crdInfo: () => this.registry.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!,
      objectMetaSchema: () => definitionSchema('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'),
      now: this.now,
      logger: this.logger,
      strategyFor: (group, kind) => strategies.get(strategyKey(group, kind)),
    });

    const special = new Map<string, SubresourceHandler>();
    const scale = new ScaleHandler(this.rest);
    special.set('*/scale', scale);
    const binding = new BindingHandler(this.rest, this.registry);
    special.set('/pods/binding', binding);
    special.set('/bindings', binding);
    special.set('/pods/eviction', new EvictionHandler(this.rest, this.registry));
    special.set('/namespaces/finalize', new NamespaceFinalizeHandler(this.rest));
    const reviews = new ReviewHandler(this.authorizer, this.authenticator);
    for (const r of [
      'selfsubjectaccessreviews',
      'subjectaccessreviews',
      'localsubjectaccessreviews',
      'selfsubjectrulesreviews',
    ]) {
      special.set(`authorization.k8s.io/${r}`, reviews);
    }
    special.set('authentication.k8s.io/selfsubjectreviews', reviews);
    special.set('authentication.k8s.io/tokenreviews', reviews);

    const deps: HandlerDeps = {
      registry: this.registry,
      rest: this.rest,
      watch: {
        store,
        bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
        // Like Kubernetes: a watch without timeoutSeconds lasts 30 to 60 minutes.
        defaultTimeoutMs: () => (1800 + Math.floor(Math.random() * 1800)) * 1000,
      },
      authorizer: this.authorizer,
      special,
    };
    this.handler = new ResourceHandler(deps);

    this.metrics = new Registry();
    this.metrics.setDefaultLabels({ server: opts.name });
    const requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Requests served, by verb, resource and HTTP code.',
      labelNames: ['verb', 'resource', 'code'],
      registers: [this.metrics],
    });
    const latency = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Time to serve a request (watches excluded), by verb and resource.',
      labelNames: ['verb', 'resource'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.metrics],
    });

    const discovery = new Discovery(this.registry, () => this.address);
    this.front = new ApiFront({
      authenticator: this.authenticator,
      authorizer: this.authorizer,
      handler: this.handler,
      discovery,
      openapi: {
        document: (path, accept) =>
          serveOpenAPI(this.openapiDocuments(), path, {
            accept,
            serverVersion: KUBERNETES_VERSION.gitVersion,
          }),
      },
      version: {
        major: KUBERNETES_VERSION.major,
        minor: KUBERNETES_VERSION.minor,
        gitVersion: KUBERNETES_VERSION.gitVersion,
        gitCommit: '',
        gitTreeState: 'clean',
        buildDate: '',
        goVersion: `node${process.versions.node}`,
        compiler: 'node',
        platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
      },
      metrics: { registry: this.metrics, requests, latency },
      logger: this.logger,
      now: this.now,
      ready: () => this.isReady,
      ...(opts.routes ? { routes: opts.routes } : {}),
    });
  }

  /**
   * Builds a server, waits for its caches, writes the objects every cluster starts with and
   * installs the extensions' CRDs; resolves once every extension kind is served.
   */
  static async start(opts: ApiServerOptions): Promise<ApiServer> {
    const crds = extensionCrds(opts.extensions ?? []);
    await loadBuiltinValidators(
      builtinResources.map((r) => ({ group: r.group, version: r.version, kind: r.kind })),
    );
    const server = new ApiServer(opts, opts.now ?? (() => new Date()));
    try {
      await Promise.all(server.caches.map((c) => c.ready()));
      server.crds.start();
      await server.bootstrap();
      await Promise.all(crds.map((crd) => server.crds.install(crd, EXTENSION_FIELD_MANAGER)));
    } catch (err) {
      await server.close();
      throw err;
    }
    if (opts.compactor !== false) {
      server.compactor = opts.compactor ?? new Compactor();
      server.compactor.add(opts.store);
      if (!opts.compactor) server.compactor.start();
    }
    server.isReady = true;
    return server;
  }

  /** The in-process entry point: requests served as `user` (default: the API server itself). */
  get systemUser(): UserInfo {
    return SYSTEM_USER;
  }

  /** Starts serving HTTPS (HTTP/2 with HTTP/1.1 fallback). */
  async listen(port = 0, host = '127.0.0.1'): Promise<{ port: number; url: string }> {
    const server = this.httpsServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    this.address = joinHostPort(host, addr.port);
    return { port: addr.port, url: `https://${this.address}` };
  }

  /**
   * Serves connections accepted elsewhere (a simulated cluster's fault gate hands over its
   * sockets, so a connection costs no second socket pair); `address` is where clients reach it.
   */
  acceptConnections(address: { host: string; port: number }): (socket: Duplex) => void {
    const server = this.httpsServer();
    this.address = joinHostPort(address.host, address.port);
    return (socket) => server.emit('connection', socket);
  }

  private httpsServer(): http2.Http2SecureServer {
    if (this.server) return this.server;
    const server = http2.createSecureServer(
      {
        key: this.opts.tls.keyPem,
        cert: this.opts.tls.certPem,
        ca: this.opts.tls.caPem,
        requestCert: true,
        rejectUnauthorized: false,
        allowHTTP1: true,
        minVersion: 'TLSv1.2',
        settings: { maxConcurrentStreams: 1000 },
      },
      this.front.listener,
    );
    server.on('session', (s) => {
      this.sessions.add(s);
      s.on('close', () => this.sessions.delete(s));
    });
    server.on('secureConnection', (socket) => {
      this.sessions.add(socket);
      socket.on('close', () => this.sessions.delete(socket));
    });
    server.on('tlsClientError', () => {
      // A client that fails the handshake is its own problem, not the server's.
    });
    this.server = server;
    return server;
  }

  async close(): Promise<void> {
    this.isReady = false;
    this.crds.stop();
    if (this.compactor) {
      this.compactor.remove(this.opts.store);
      // The server's own compactor stops with it; a shared one goes on for the others.
      if (!this.opts.compactor) await this.compactor.stop();
      this.compactor = undefined;
    }
    for (const c of this.caches) c.close();
    const server = this.server;
    this.server = undefined;
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of this.sessions) {
        if ('destroy' in s) s.destroy();
      }
      await closed;
    }
  }

  private openapiDocuments(): OpenAPIDocumentSet {
    const generation = this.registry.generation;
    if (this.openapiSet?.generation !== generation) {
      const resources = this.registry
        .all()
        .map((info: ResourceInfo) =>
          info.crdName ? servedResource(info, info.crdOpenAPISchema ?? null) : servedResource(info),
        );
      this.openapiSet = { generation, set: openAPIDocuments(resources) };
    }
    return this.openapiSet.set;
  }

  /** Keeps aggregated ClusterRoles (admin, edit, view ...) equal to the union of their sources. */
  private aggregateClusterRoles(): void {
    if (!this.isReady) return;
    const info = this.registry.get('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
    for (const update of this.authorizer.pendingAggregations()) {
      void this.rest
        .modify(
          info,
          undefined,
          update.name,
          { ...SYSTEM_SCOPE, fieldManager: 'clusterrole-aggregation-controller' },
          (role) => {
            role.rules = update.rules as never;
            return role;
          },
          { admit: false },
        )
        .catch((err) => this.logger.warn({ err, role: update.name }, 'aggregating a ClusterRole failed'));
    }
  }

  private async bootstrap(): Promise<void> {
    // Concurrent writes: the store commits them together (one transaction instead of one each).
    const nsInfo = this.registry.get('', 'v1', 'namespaces')!;
    await Promise.all(
      DEFAULT_NAMESPACES.map((name) =>
        this.ensure(nsInfo, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }),
      ),
    );
    const clusterRoles = this.registry.get('rbac.authorization.k8s.io', 'v1', 'clusterroles')!;
    const writes: Promise<void>[] = [];
    writes.push(
      this.ensure(this.registry.get('', 'v1', 'services')!, 'default', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { component: 'apiserver', provider: 'kubernetes' },
        },
        spec: {
          type: 'ClusterIP',
          clusterIP: this.services.apiServerIP,
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
          sessionAffinity: 'None',
        },
      }),
    );
    for (const obj of bootstrapPolicy()) {
      const resource = obj.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings';
      const info = this.registry.get('rbac.authorization.k8s.io', 'v1', resource)!;
      writes.push(this.ensure(info, undefined, obj as unknown as KubeObject));
    }
    for (const role of (this.opts.extensions ?? []).flatMap((e) => e.clusterRoles ?? [])) {
      writes.push(this.ensure(clusterRoles, undefined, role));
    }
    await Promise.all(writes);
    this.isReady = true;
    this.aggregateClusterRoles();
  }

  /** Creates an object unless it exists (a restart keeps what users changed). */
  private async ensure(info: ResourceInfo, namespace: string | undefined, obj: KubeObject): Promise<void> {
    try {
      await this.rest.get(info, namespace, obj.metadata.name!);
      return;
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
    try {
      await this.rest.create(
        info,
        namespace,
        { ...obj, apiVersion: formatApiVersion(info) },
        { ...SYSTEM_SCOPE },
      );
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'AlreadyExists') return;
      throw err;
    }
  }
}
