// The application controller: for each Application, the target revision of its source(s)
// (./repo-server), the rendered manifests, the live objects on its destination, the comparison
// (sync status, health per resource and for the app), and the sync operation when one is asked
// for (spec `operation`, a rollback) or automated sync wants one (a new revision, or drift with
// selfHeal); then the status as Argo CD writes it. Applications are reconciled again every
// resync interval (drift) and refresh their revision every poll interval or at once when
// annotated argocd.argoproj.io/refresh (the webhook does). Every call to a member carries its own
// time limit, and a member the registry reports not Ready is not called at all: its Applications
// turn Unknown without holding up the others.

import type { Logger } from 'pino';
import { HttpsClientCache } from '../../../client/client-cache.js';
import { resources } from '../../../client/resources.js';
import type { DiscoveryClient } from '../../../client/rest-mapper.js';
import { NoKindMatchError } from '../../../client/rest-mapper.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import type { KubeObject } from '../../../machinery/object.js';
import { errorMessage, isConflict, isInvalid, isNotFound } from '../../../machinery/status.js';
import {
  type Application,
  type ApplicationSource,
  type AppProject,
  argocdResources,
  CONDITION_COMPARISON_ERROR,
  CONDITION_INVALID_SPEC_ERROR,
  CONDITION_SYNC_ERROR,
  type HealthStatus,
  type Operation,
  type OperationState,
  parseBackoffDuration,
  REFRESH_ANNOTATION,
  RESOURCES_FINALIZER,
  RESOURCES_FINALIZER_BACKGROUND,
  type ResourceStatus,
  type SyncStatusCode,
} from '../../apis/argocd/index.js';
import { type Cluster, karmadaResources } from '../../apis/karmada/index.js';
import { ManifestError, ToolMissingError } from '../render/index.js';
import type { RepoServer } from '../repo-server.js';
import { GitError } from '../source/git.js';
import { comparable, hookTypes, isOutOfSync, keyOf, keyString, trackedBy, withTracking } from './compare.js';
import { DestinationError, Destinations, type ResolvedDestination } from './destination.js';
import { aggregateHealth, resourceHealth } from './health.js';
import { projectViolation } from './project.js';
import { appendHistory, mergeConditions, sortResources } from './status.js';
import { runSync, type Target } from './sync.js';

export const APPLICATION_CONTROLLER = 'argocd-application-controller';

/** How soon an Application whose resources are Progressing is compared again. */
const PROGRESSING_RECHECK_MS = 1000;

export interface ApplicationControllerOptions {
  repoServer: RepoServer;
  /** How often live state is compared again without any event (default 10 s). */
  resyncIntervalMs?: number;
  /** Limit of one request to a member (default 5 s). */
  requestTimeoutMs?: number;
  /** Shared member clients (default: the controller's own). */
  clients?: HttpsClientCache;
  recorder?: EventRecorder;
  workers?: number;
}

interface Desired {
  targets: Target[];
  hooks: Target[];
  revision: string;
  revisions: string[];
  sourceType: string;
}

/** A failure that becomes a condition on the Application. */
class AppError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

function sourcesOf(app: Application): ApplicationSource[] {
  if (app.spec.sources && app.spec.sources.length > 0) return app.spec.sources;
  return app.spec.source ? [app.spec.source] : [];
}

function automatedOf(app: Application) {
  const a = app.spec.syncPolicy?.automated;
  return a && a.enabled !== false ? a : undefined;
}

function finished(state: OperationState | undefined): boolean {
  return !state || state.phase === 'Succeeded' || state.phase === 'Failed' || state.phase === 'Error';
}

/** The wait before retry `n` (1-based): duration * factor^(n-1), at most maxDuration (Argo CD: 5s, 2, 3m). */
export function retryBackoffMs(retry: Operation['retry'], n: number): number {
  const b = retry?.backoff ?? {};
  const first = b.duration ? parseBackoffDuration(String(b.duration)) : 5_000;
  const factor = b.factor ?? 2;
  const max = b.maxDuration ? parseBackoffDuration(String(b.maxDuration)) : 180_000;
  return Math.min(max, first * factor ** Math.max(0, n - 1));
}

export function startApplicationController(
  ctx: ControllerContext,
  opts: ApplicationControllerOptions,
): RunningController {
  const logger: Logger = ctx.logger.child({ controller: APPLICATION_CONTROLLER });
  const recorder = eventRecorder(ctx, APPLICATION_CONTROLLER, opts.recorder);
  const resyncMs = opts.resyncIntervalMs ?? 10_000;
  const timeoutMs = opts.requestTimeoutMs ?? 5_000;
  const repo = opts.repoServer;
  const ownClients = !opts.clients;
  const clients =
    opts.clients ??
    new HttpsClientCache({
      clientOptions: { timeoutMs, userAgent: 'concord-hub/argocd-application-controller' },
    });
  const apps = ctx.informers.informerFor<Application>(argocdResources.applications);
  const projects = ctx.informers.informerFor<AppProject>(argocdResources.appprojects);
  const clusters = ctx.informers.informerFor<Cluster>(karmadaResources.clusters);
  const secrets = ctx.informers.informerFor<KubeObject>(resources.secrets);
  const destinations = new Destinations(ctx.client as typeof ctx.client & DiscoveryClient, clients, {
    clusters: () => clusters.list(),
    secret: (ns, name) => secrets.get(name, ns),
    clusterSecrets: () => secrets.list(),
  });
  let stopped = false;

  const loop = reconcileLoop(ctx, {
    name: APPLICATION_CONTROLLER,
    workers: opts.workers ?? 8,
    reconcile: (key) => reconcile(key),
  });
  apps.addEventHandler(loop.objectHandler());
  // When each Application's refresh annotation was first seen: its refresh needs refs read no
  // earlier, and every refresh one webhook asked for can share that one reading.
  const refreshSeen = new Map<string, number>();
  const noteRefresh = (a: Application) => {
    const k = `${a.metadata.namespace}/${a.metadata.name}`;
    if (!a.metadata.annotations?.[REFRESH_ANNOTATION]) refreshSeen.delete(k);
    else if (!refreshSeen.has(k)) refreshSeen.set(k, Date.now());
  };
  apps.addEventHandler({
    onAdd: noteRefresh,
    onUpdate: (_o, a) => noteRefresh(a),
    onDelete: (a) => refreshSeen.delete(`${a.metadata.namespace}/${a.metadata.name}`),
  });
  const enqueueAll = (filter: (a: Application) => boolean) => {
    for (const a of apps.list()) if (filter(a)) loop.enqueue(`${a.metadata.namespace}/${a.metadata.name}`);
  };
  projects.addEventHandler({
    onAdd: (p) => enqueueAll((a) => a.spec?.project === p.metadata.name),
    onUpdate: (_o, p) => enqueueAll((a) => a.spec?.project === p.metadata.name),
    onDelete: (p) => enqueueAll((a) => a.spec?.project === p.metadata.name),
  });
  // A member turning Ready or not changes what its Applications can report.
  const readyOf = (c: Cluster) => (c.status?.conditions ?? []).find((x) => x.type === 'Ready')?.status;
  clusters.addEventHandler({
    onAdd: (c) =>
      enqueueAll((a) => a.spec?.destination?.name === c.metadata.name || !!a.spec?.destination?.server),
    onUpdate: (o, c) => {
      if (readyOf(o) !== readyOf(c) || o.spec?.apiEndpoint !== c.spec?.apiEndpoint) {
        enqueueAll((a) => a.spec?.destination?.name === c.metadata.name || !!a.spec?.destination?.server);
      }
    },
    onDelete: (c) =>
      enqueueAll((a) => a.spec?.destination?.name === c.metadata.name || !!a.spec?.destination?.server),
  });

  const secretList = () => secrets.list();
  loop.start();

  async function render(
    app: Application,
    dest: ResolvedDestination,
    refresh: boolean | number,
    revisionOverride?: string,
    sourceOverride?: ApplicationSource,
  ): Promise<Desired> {
    const sources = sourceOverride ? [sourceOverride] : sourcesOf(app);
    if (sources.length === 0)
      throw new AppError(CONDITION_INVALID_SPEC_ERROR, 'spec.source or spec.sources must be specified');
    const revisions: string[] = [];
    const manifests: KubeObject[] = [];
    let sourceType = 'Directory';
    for (const source of sources) {
      if (source.ref && !source.path && !source.chart) {
        // A source that only provides values files to the others: nothing to render itself.
        revisions.push(await repo.resolveRevision(source, secretList(), refresh));
        continue;
      }
      const revision = await repo.resolveRevision(
        source,
        secretList(),
        refresh,
        sources.length === 1 ? revisionOverride : undefined,
      );
      revisions.push(revision);
      const m = await repo.manifests(source, revision, secretList(), {
        appName: app.metadata.name ?? '',
        ...(app.spec.destination?.namespace ? { namespace: app.spec.destination.namespace } : {}),
      });
      sourceType = m.sourceType;
      manifests.push(...m.manifests);
    }
    return {
      revision: revisions[0] ?? '',
      revisions,
      sourceType,
      ...(await toTargets(app, dest, manifests)),
    };
  }

  async function toTargets(
    app: Application,
    dest: ResolvedDestination,
    manifests: KubeObject[],
  ): Promise<{ targets: Target[]; hooks: Target[] }> {
    const targets: Target[] = [];
    const hooks: Target[] = [];
    const seen = new Set<string>();
    for (const obj of manifests) {
      let ref: Target['ref'];
      try {
        ref = await dest.mapper.refFor(obj.apiVersion, obj.kind);
      } catch (err) {
        if (err instanceof NoKindMatchError) {
          throw new AppError(
            CONDITION_COMPARISON_ERROR,
            `the server could not find the requested resource: ${err.message}`,
          );
        }
        throw err;
      }
      if (ref.namespaced) {
        if (!obj.metadata.namespace) obj.metadata.namespace = app.spec.destination?.namespace || 'default';
      } else {
        delete obj.metadata.namespace;
      }
      const isHook = hookTypes(obj).length > 0;
      if (!isHook) {
        const k = keyString(keyOf(obj));
        if (seen.has(k))
          throw new AppError(
            CONDITION_COMPARISON_ERROR,
            `resource ${k} appeared more than once in the manifests`,
          );
        seen.add(k);
        withTracking(obj, app.metadata.name ?? '');
      }
      (isHook ? hooks : targets).push({ obj, ref });
    }
    return { targets, hooks };
  }

  async function readLive(dest: ResolvedDestination, targets: Target[]): Promise<void> {
    await Promise.all(
      targets.map(async (t) => {
        try {
          const ns = t.ref.namespaced ? t.obj.metadata.namespace : undefined;
          t.live = await dest.client.get(t.ref, t.obj.metadata.name ?? '', ns ? { namespace: ns } : {});
        } catch (err) {
          if (!isNotFound(err)) throw err;
          t.live = undefined;
        }
      }),
    );
  }

  /** Live objects of the app (from its last status) that git no longer has. */
  async function orphansOf(
    app: Application,
    dest: ResolvedDestination,
    desired: Target[],
  ): Promise<Target[]> {
    const wanted = new Set(desired.map((t) => keyString(keyOf(t.obj))));
    const out: Target[] = [];
    for (const r of app.status?.resources ?? []) {
      if (r.hook || !r.kind || !r.name) continue;
      const k = keyString({ group: r.group ?? '', kind: r.kind, namespace: r.namespace ?? '', name: r.name });
      if (wanted.has(k)) continue;
      const apiVersion = r.group ? `${r.group}/${r.version}` : (r.version ?? 'v1');
      let ref: Target['ref'];
      try {
        ref = await dest.mapper.refFor(apiVersion, r.kind);
      } catch {
        continue;
      }
      try {
        const live = await dest.client.get(
          ref,
          r.name,
          ref.namespaced && r.namespace ? { namespace: r.namespace } : {},
        );
        if (trackedBy(live, app.metadata.name ?? '')) out.push({ obj: live, ref, live });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return out;
  }

  function resourceStatuses(
    desired: Desired,
    orphans: Target[],
    lastFailure?: Map<string, string>,
  ): { list: ResourceStatus[]; sync: SyncStatusCode; health: HealthStatus } {
    const list: ResourceStatus[] = [];
    const healths: (HealthStatus | undefined)[] = [];
    for (const t of desired.targets) {
      const k = keyOf(t.obj);
      const out = isOutOfSync(t.obj, t.live);
      let health = t.live ? resourceHealth(t.live) : { status: 'Missing' as const };
      const failure = lastFailure?.get(keyString(k));
      if (!t.live && failure) health = { status: 'Degraded', message: failure };
      healths.push(health);
      list.push({
        group: k.group,
        version: k.version,
        kind: k.kind,
        namespace: k.namespace,
        name: k.name,
        status: out ? 'OutOfSync' : 'Synced',
        ...(health
          ? { health: { status: health.status, ...(health.message ? { message: health.message } : {}) } }
          : {}),
        ...(t.obj.metadata.annotations?.['argocd.argoproj.io/sync-wave']
          ? { syncWave: Number(t.obj.metadata.annotations['argocd.argoproj.io/sync-wave']) }
          : {}),
      });
    }
    for (const o of orphans) {
      const k = keyOf(o.obj);
      list.push({
        group: k.group,
        version: k.version,
        kind: k.kind,
        namespace: k.namespace,
        name: k.name,
        status: 'OutOfSync',
        requiresPruning: true,
      });
    }
    const sync: SyncStatusCode = list.some((r) => r.status === 'OutOfSync') ? 'OutOfSync' : 'Synced';
    return { list: sortResources(list), sync, health: aggregateHealth(healths) };
  }

  async function finalize(app: Application): Promise<void> {
    const fin = app.metadata.finalizers ?? [];
    if (fin.includes(RESOURCES_FINALIZER) || fin.includes(RESOURCES_FINALIZER_BACKGROUND)) {
      let dest: ResolvedDestination | undefined;
      try {
        dest = destinations.resolve(app.spec.destination ?? {});
      } catch {
        dest = undefined; // nothing reachable to clean up
      }
      if (dest && !dest.unavailable) {
        const orphans = await orphansOf(app, dest, []);
        for (const o of orphans) {
          const ns = o.ref.namespaced ? o.obj.metadata.namespace : undefined;
          await dest.client
            .delete(o.ref, o.obj.metadata.name ?? '', {
              ...(ns ? { namespace: ns } : {}),
              propagationPolicy: 'Foreground',
            })
            .catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
        }
      }
    }
    const rest = fin.filter((f) => f !== RESOURCES_FINALIZER && f !== RESOURCES_FINALIZER_BACKGROUND);
    if (rest.length !== fin.length) {
      await ctx.client.patch(
        argocdResources.applications,
        app.metadata.name ?? '',
        { metadata: { finalizers: rest, resourceVersion: app.metadata.resourceVersion } },
        'merge',
        {
          namespace: app.metadata.namespace,
        },
      );
    }
  }

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    if (stopped) return undefined;
    if (!apps.hasSynced() || !projects.hasSynced() || !clusters.hasSynced() || !secrets.hasSynced())
      return { requeueAfter: 200 };
    const cached = apps.getByKey(key);
    if (!cached) return undefined;
    if (cached.metadata.deletionTimestamp) {
      await finalize(cached);
      return undefined;
    }
    const app = structuredClone(cached);
    const now = ctx.now().toISOString();
    const status = app.status ?? {};
    const refreshAsked = !!app.metadata.annotations?.[REFRESH_ANNOTATION];
    const refreshSince = refreshAsked ? (refreshSeen.get(key) ?? Date.now()) : false;
    const sources = sourcesOf(app);
    const conditions: { type: string; message: string }[] = [];
    let requeue = resyncMs;
    let desired: Desired | undefined;
    let dest: ResolvedDestination | undefined;
    let syncStatus: SyncStatusCode = 'Unknown';
    let health: HealthStatus = { status: 'Unknown' };
    let list: ResourceStatus[] = status.resources ?? [];
    let orphans: Target[] = [];
    try {
      if (sources.length === 0)
        throw new AppError(CONDITION_INVALID_SPEC_ERROR, 'spec.source or spec.sources must be specified');
      try {
        dest = destinations.resolve(app.spec.destination ?? {});
      } catch (err) {
        throw new AppError(
          CONDITION_INVALID_SPEC_ERROR,
          err instanceof DestinationError ? err.message : errorMessage(err),
        );
      }
      const projectName = app.spec.project || 'default';
      const project =
        projects.get(projectName, app.metadata.namespace) ?? projects.get(projectName, 'argocd');
      if (!project && projectName !== 'default') {
        throw new AppError(
          CONDITION_INVALID_SPEC_ERROR,
          `Application referencing project ${projectName} which does not exist`,
        );
      }
      if (project) {
        const v = projectViolation(project, sources, app.spec.destination ?? {}, dest);
        if (v) throw new AppError(CONDITION_INVALID_SPEC_ERROR, v);
      }
      if (dest.unavailable)
        throw new AppError(
          CONDITION_COMPARISON_ERROR,
          `failed to sync cluster ${dest.server}: ${dest.unavailable}`,
        );
      try {
        desired = await render(app, dest, refreshSince);
      } catch (err) {
        if (err instanceof AppError) throw err;
        if (err instanceof GitError || err instanceof ManifestError || err instanceof ToolMissingError) {
          throw new AppError(CONDITION_COMPARISON_ERROR, `Failed to load target state: ${err.message}`);
        }
        throw err;
      }
      await readLive(dest, desired.targets);
      orphans = await orphansOf(app, dest, desired.targets);
      const failures = new Map<string, string>();
      const last = status.operationState;
      if (last?.phase === 'Failed' && last.syncResult?.revision === desired.revision) {
        for (const r of last.syncResult.resources ?? [])
          if (r.status === 'SyncFailed' && !r.hookType) failures.set(keyString(r), r.message ?? '');
      }
      const r = resourceStatuses(desired, orphans, failures);
      list = r.list;
      syncStatus = r.sync;
      health = r.health;
    } catch (err) {
      if (!(err instanceof AppError)) {
        conditions.push({
          type: CONDITION_COMPARISON_ERROR,
          message: `failed to compare with the destination: ${errorMessage(err)}`,
        });
      } else {
        conditions.push({ type: err.type, message: err.message });
      }
      syncStatus = 'Unknown';
      health = { status: 'Unknown' };
      requeue = Math.min(requeue, 5_000);
    }

    // Resources on their way to health are looked at again soon, not at the next resync.
    if (health.status === 'Progressing' || (health.status === 'Missing' && automatedOf(app))) {
      requeue = Math.min(requeue, PROGRESSING_RECHECK_MS);
    }

    // The operation: asked for, under way, or wanted by automated sync.
    let operation = app.operation;
    let state = status.operationState;
    const automated = automatedOf(app);
    if (!operation && finished(state) && automated && desired && syncStatus === 'OutOfSync' && dest) {
      const lastRev = state?.syncResult?.revision;
      const syncedThis = lastRev === desired.revision;
      const onlyPrune = list.every((r) => r.status === 'Synced' || r.requiresPruning);
      if (syncedThis && state?.phase !== 'Succeeded') {
        conditions.push({ type: CONDITION_SYNC_ERROR, message: 'Failed last sync attempt' });
      } else if (onlyPrune && !automated.prune) {
        // Only pruning would change anything, and automated sync may not prune.
      } else if (syncedThis && !automated.selfHeal) {
        // This revision was synced; drift is reported, not reverted, without selfHeal.
      } else if (desired.targets.length === 0 && !automated.allowEmpty) {
        conditions.push({ type: CONDITION_SYNC_ERROR, message: 'auto-sync will wipe out all resources' });
      } else {
        operation = {
          sync: {
            revision: desired.revision,
            prune: automated.prune === true,
            ...(app.spec.syncPolicy?.syncOptions ? { syncOptions: app.spec.syncPolicy.syncOptions } : {}),
          },
          initiatedBy: { automated: true },
          ...(app.spec.syncPolicy?.retry ? { retry: app.spec.syncPolicy.retry } : {}),
        };
        app.operation = operation;
      }
    }
    if (operation && dest && !dest.unavailable) {
      if (finished(state) || JSON.stringify(state?.operation) !== JSON.stringify(operation)) {
        state = {
          operation,
          phase: 'Running',
          message: '',
          startedAt: now,
          syncResult: { revision: '', resources: [] },
        };
        recorder.event(
          app,
          'Normal',
          'OperationStarted',
          `Initiated ${operation.initiatedBy?.automated ? 'automated ' : ''}sync to ${operation.sync?.revision ?? 'HEAD'}`,
        );
      }
      const running = state!;
      const retryAt =
        running.retryCount && running.message?.startsWith('Retrying')
          ? Date.parse(running.finishedAt ?? '')
          : Number.NaN;
      if (Number.isFinite(retryAt) && retryAt > ctx.now().getTime()) {
        requeue = Math.min(requeue, retryAt - ctx.now().getTime());
      } else {
        try {
          const source =
            operation.sync?.source ?? (sourcesOf(app).length === 1 ? sourcesOf(app)[0] : undefined);
          const target =
            desired &&
            (!operation.sync?.revision || operation.sync.revision === desired.revision) &&
            !operation.sync?.source
              ? desired
              : await render(app, dest, false, operation.sync?.revision, operation.sync?.source);
          if (target !== desired) await readLive(dest, target.targets);
          const syncOptions = new Set([
            ...(app.spec.syncPolicy?.syncOptions ?? []),
            ...(operation.sync?.syncOptions ?? []),
          ]);
          const targetOrphans = target === desired ? orphans : await orphansOf(app, dest, target.targets);
          running.syncResult = {
            ...(running.syncResult ?? { resources: [] }),
            revision: target.revision,
            ...(source ? { source } : {}),
          };
          const step = await runSync({
            dest,
            resources: target.targets.filter(
              (t) =>
                !operation!.sync?.resources ||
                operation!.sync.resources.some(
                  (r) => r.kind === t.obj.kind && r.name === t.obj.metadata.name,
                ),
            ),
            hooks: target.hooks,
            orphans: targetOrphans,
            prune: operation.sync?.prune === true,
            syncOptions,
            namespace: app.spec.destination?.namespace,
            state: running,
            now: () => ctx.now(),
          });
          state = step.state;
          if (step.requeueAfterMs) requeue = Math.min(requeue, step.requeueAfterMs);
          if (state.phase === 'Succeeded') {
            status.history = appendHistory(app, state, target.revision, source, ctx.now().toISOString());
            delete app.operation;
            recorder.event(
              app,
              'Normal',
              'OperationCompleted',
              `Sync operation to ${target.revision} succeeded`,
            );
            requeue = Math.min(requeue, 100);
          } else if (state.phase === 'Failed') {
            const retry = operation.retry;
            const count = (state.retryCount ?? 0) + 1;
            if (
              retry &&
              (retry.limit ?? 0) !== 0 &&
              ((retry.limit ?? 0) < 0 || count <= (retry.limit ?? 0))
            ) {
              const wait = retryBackoffMs(retry, count);
              state = {
                ...state,
                phase: 'Running',
                retryCount: count,
                message: `Retrying attempt #${count} at ${new Date(ctx.now().getTime() + wait).toISOString()}: ${state.message ?? ''}`,
                finishedAt: new Date(ctx.now().getTime() + wait).toISOString(),
                syncResult: { ...state.syncResult!, resources: [] },
              };
              requeue = Math.min(requeue, wait);
            } else {
              delete app.operation;
              recorder.event(
                app,
                'Warning',
                'OperationCompleted',
                `Sync operation to ${target.revision} failed: ${state.message ?? ''}`,
              );
              requeue = Math.min(requeue, 100);
            }
          }
        } catch (err) {
          const message = err instanceof AppError ? err.message : errorMessage(err);
          state = { ...state!, phase: 'Error', message, finishedAt: ctx.now().toISOString() };
          delete app.operation;
        }
      }
    }
    if (
      state &&
      state.phase === 'Failed' &&
      desired &&
      state.syncResult?.revision === desired.revision &&
      !conditions.some((c) => c.type === CONDITION_SYNC_ERROR)
    ) {
      conditions.push({ type: CONDITION_SYNC_ERROR, message: 'Failed last sync attempt' });
    }

    const next: Application = {
      ...app,
      status: {
        ...status,
        resources: list,
        sync: {
          status: syncStatus,
          ...(desired
            ? {
                revision: desired.revision,
                ...(sourcesOf(app).length > 1 ? { revisions: desired.revisions } : {}),
              }
            : status.sync?.revision
              ? { revision: status.sync.revision }
              : {}),
          comparedTo: {
            ...(app.spec.sources?.length
              ? { sources: app.spec.sources }
              : app.spec.source
                ? { source: app.spec.source }
                : {}),
            destination: app.spec.destination,
          },
        },
        health: {
          status: health.status,
          ...(health.message ? { message: health.message } : {}),
          lastTransitionTime:
            status.health?.status === health.status ? (status.health?.lastTransitionTime ?? now) : now,
        },
        conditions: mergeConditions(status.conditions, conditions, now),
        reconciledAt: now,
        ...(desired ? { sourceType: desired.sourceType } : {}),
        ...(state ? { operationState: state } : {}),
        summary: { images: images(desired) },
        controllerNamespace: 'argocd',
      },
    };
    if (!next.status!.conditions!.length) delete next.status!.conditions;
    if (!app.operation) delete next.operation;
    if (refreshAsked) {
      const annotations = { ...(next.metadata.annotations ?? {}) };
      delete annotations[REFRESH_ANNOTATION];
      next.metadata = { ...next.metadata, annotations };
    }
    const before = JSON.stringify({
      s: { ...cached.status, reconciledAt: undefined, health: { ...cached.status?.health } },
      o: cached.operation,
      a: cached.metadata.annotations,
    });
    const after = JSON.stringify({
      s: { ...next.status, reconciledAt: undefined, health: { ...next.status?.health } },
      o: next.operation,
      a: next.metadata.annotations,
    });
    if (
      before !== after ||
      !cached.status?.reconciledAt ||
      Date.parse(cached.status.reconciledAt) < ctx.now().getTime() - repo.pollIntervalMs
    ) {
      // A JSON patch of what the controller owns, without a resourceVersion guard: a sync that
      // went through is recorded even when the Application changed meanwhile (a webhook's
      // annotation, a user's edit of the spec).
      const ops: unknown[] = [{ op: 'add', path: '/status', value: next.status }];
      if (next.operation && JSON.stringify(next.operation) !== JSON.stringify(cached.operation)) {
        ops.push({ op: 'add', path: '/operation', value: next.operation });
      } else if (!next.operation && cached.operation) {
        ops.push({ op: 'remove', path: '/operation' });
      }
      if (refreshAsked)
        ops.push({
          op: 'remove',
          path: `/metadata/annotations/${REFRESH_ANNOTATION.replace(/~/g, '~0').replace(/\//g, '~1')}`,
        });
      try {
        await ctx.client.patch(argocdResources.applications, app.metadata.name ?? '', ops, 'json', {
          namespace: app.metadata.namespace,
        });
      } catch (err) {
        if (isConflict(err) || isNotFound(err) || isInvalid(err)) return { requeueAfter: 50 };
        throw err;
      }
    }
    if (status.sync?.status !== syncStatus || status.health?.status !== health.status) {
      logger.debug({ app: key, sync: syncStatus, health: health.status }, 'application state changed');
    }
    return { requeueAfter: Math.max(10, requeue) };
  }

  function images(desired: Desired | undefined): string[] {
    const out = new Set<string>();
    const walk = (spec: unknown) => {
      const s = spec as
        | { containers?: { image?: string }[]; initContainers?: { image?: string }[] }
        | undefined;
      for (const c of [...(s?.containers ?? []), ...(s?.initContainers ?? [])]) if (c.image) out.add(c.image);
    };
    for (const t of desired?.targets ?? []) {
      const o = comparable(t.obj) as {
        spec?: { template?: { spec?: unknown }; jobTemplate?: { spec?: { template?: { spec?: unknown } } } };
      } & KubeObject;
      if (o.kind === 'Pod') walk(o.spec);
      walk(o.spec?.template?.spec);
      walk(o.spec?.jobTemplate?.spec?.template?.spec);
    }
    return [...out].sort();
  }

  return {
    name: APPLICATION_CONTROLLER,
    async stop() {
      stopped = true;
      await loop.stop();
      destinations.close();
      if (ownClients) clients.close();
    },
  };
}
