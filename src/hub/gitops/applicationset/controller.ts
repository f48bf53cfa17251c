// The ApplicationSet controller: generators -> parameter sets -> Applications rendered from the
// template, owned by the ApplicationSet, created, updated and deleted as spec.syncPolicy
// (applicationsSync, preserveResourcesOnDeletion) allows; progressive sync when the strategy is
// RollingSync; status conditions, resources and applicationStatus as Argo CD writes them. A
// generator or template that fails changes no Application at all (Argo CD's bug #18480 deleted
// them): the error is a condition and the last good state stays.

import type { Logger } from 'pino';
import { resources } from '../../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import type { KubeObject, OwnerReference } from '../../../machinery/object.js';
import { errorMessage, isConflict, isNotFound } from '../../../machinery/status.js';
import {
  APPROVED_ANNOTATION,
  APPSET_CONDITION_ERROR,
  APPSET_CONDITION_PARAMETERS_GENERATED,
  APPSET_CONDITION_RESOURCES_UP_TO_DATE,
  APPSET_CONDITION_ROLLOUT_PROGRESSING,
  APPSET_REFRESH_ANNOTATION,
  type Application,
  type ApplicationSet,
  ARGOCD_API_VERSION,
  argocdResources,
  REFRESH_ANNOTATION,
  RESOURCES_FINALIZER,
  RESOURCES_FINALIZER_BACKGROUND,
} from '../../apis/argocd/index.js';
import { type Cluster, karmadaResources } from '../../apis/karmada/index.js';
import { ROLLED_BACK_REVISION_ANNOTATION } from '../promotion/gates.js';
import type { RepoServer } from '../repo-server.js';
import { deepMerge, type Generated, generate } from './generators.js';
import { progressRollout } from './rolling-sync.js';
import { renderTemplate, TemplateError } from './template.js';

export const APPLICATIONSET_CONTROLLER = 'argocd-applicationset-controller';

/** How long Applications' changes are gathered into one reconcile of their ApplicationSet. */
const APP_CHANGES_BATCH_MS = 1000;

export interface ApplicationSetControllerOptions {
  repoServer: RepoServer;
  /** How often ApplicationSets are generated again without an event (default: the poll interval). */
  resyncIntervalMs?: number;
  recorder?: EventRecorder;
}

type AppSetCondition = NonNullable<NonNullable<ApplicationSet['status']>['conditions']>[number];

class AppSetError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function ownedBy(app: Application, uid: string | undefined): boolean {
  return (
    !!uid && (app.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.kind === 'ApplicationSet')
  );
}

/** Annotations the controller keeps on generated Applications beyond the template's. */
const KEPT_ANNOTATIONS = [
  REFRESH_ANNOTATION,
  APPROVED_ANNOTATION,
  'kubectl.kubernetes.io/last-applied-configuration',
];

export function startApplicationSetController(
  ctx: ControllerContext,
  opts: ApplicationSetControllerOptions,
): RunningController {
  const logger: Logger = ctx.logger.child({ controller: APPLICATIONSET_CONTROLLER });
  const recorder = eventRecorder(ctx, APPLICATIONSET_CONTROLLER, opts.recorder);
  const resyncMs = opts.resyncIntervalMs ?? opts.repoServer.pollIntervalMs;
  const sets = ctx.informers.informerFor<ApplicationSet>(argocdResources.applicationsets);
  const apps = ctx.informers.informerFor<Application>(argocdResources.applications);
  const clusters = ctx.informers.informerFor<Cluster>(karmadaResources.clusters);
  const secrets = ctx.informers.informerFor<KubeObject>(resources.secrets);
  /** ApplicationSets deleted, kept until their Applications are dealt with. */
  const gone = new Map<string, ApplicationSet>();
  let stopped = false;

  const loop = reconcileLoop(ctx, {
    name: APPLICATIONSET_CONTROLLER,
    workers: 4,
    reconcile: (key) => reconcile(key),
  });
  sets.addEventHandler({
    onAdd: (s) => loop.enqueue(`${s.metadata.namespace}/${s.metadata.name}`),
    onUpdate: (_o, s) => loop.enqueue(`${s.metadata.namespace}/${s.metadata.name}`),
    onDelete: (s) => {
      const key = `${s.metadata.namespace}/${s.metadata.name}`;
      gone.set(key, s);
      loop.enqueue(key);
    },
  });
  // An Application's change reaches its ApplicationSet's status (and a RollingSync's progress) at
  // once when it is deleted or the set rolls out step by step; otherwise changes within a second
  // make one reconcile: a commit to a thousand Applications changes each several times, and every
  // reconcile of the set renders and compares all of them.
  apps.addEventHandler(
    loop.ownerHandler(argocdResources.applicationsets, {
      onlyController: true,
      delayMs: (key) =>
        sets.getByKey(key)?.spec?.strategy?.type === 'RollingSync' ? 0 : APP_CHANGES_BATCH_MS,
    }),
  );
  const enqueueAll = () => {
    for (const s of sets.list()) loop.enqueue(`${s.metadata.namespace}/${s.metadata.name}`);
  };
  const membership = (c: Cluster) => JSON.stringify([c.metadata.labels, c.spec?.apiEndpoint, c.spec?.region]);
  clusters.addEventHandler({
    onAdd: enqueueAll,
    onUpdate: (o, c) => {
      if (membership(o) !== membership(c)) enqueueAll();
    },
    onDelete: enqueueAll,
  });
  secrets.addEventHandler({
    onAdd: (s) => {
      if (s.metadata.labels?.['argocd.argoproj.io/secret-type'] === 'cluster') enqueueAll();
    },
    onUpdate: (_o, s) => {
      if (s.metadata.labels?.['argocd.argoproj.io/secret-type'] === 'cluster') enqueueAll();
    },
    onDelete: (s) => {
      if (s.metadata.labels?.['argocd.argoproj.io/secret-type'] === 'cluster') enqueueAll();
    },
  });
  loop.start();

  async function deleteApp(app: Application, preserve: boolean): Promise<void> {
    const ns = app.metadata.namespace;
    if (preserve) {
      const fin = (app.metadata.finalizers ?? []).filter(
        (f) => f !== RESOURCES_FINALIZER && f !== RESOURCES_FINALIZER_BACKGROUND,
      );
      if (fin.length !== (app.metadata.finalizers ?? []).length) {
        await ctx.client.patch(
          argocdResources.applications,
          app.metadata.name ?? '',
          { metadata: { finalizers: fin } },
          'merge',
          { namespace: ns },
        );
      }
    }
    await ctx.client
      .delete(argocdResources.applications, app.metadata.name ?? '', { namespace: ns })
      .catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
  }

  async function release(app: Application, uid: string | undefined): Promise<void> {
    const refs = (app.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
    await ctx.client.patch(
      argocdResources.applications,
      app.metadata.name ?? '',
      { metadata: { ownerReferences: refs.length ? refs : null } },
      'merge',
      {
        namespace: app.metadata.namespace,
      },
    );
  }

  /** The ApplicationSet is gone: its Applications go too, or stay freed, as its policy says. */
  async function cleanUp(key: string): Promise<void> {
    const set = gone.get(key);
    if (!set) return;
    const policy = set.spec?.syncPolicy?.applicationsSync ?? 'sync';
    const keep = policy === 'create-only' || policy === 'create-update';
    for (const app of apps.list({ namespace: set.metadata.namespace ?? '' })) {
      if (!ownedBy(app, set.metadata.uid)) continue;
      if (keep) await release(app, set.metadata.uid);
      else await deleteApp(app, set.spec?.syncPolicy?.preserveResourcesOnDeletion === true);
    }
    gone.delete(key);
  }

  async function desiredApps(set: ApplicationSet, refresh: boolean): Promise<Application[]> {
    const genCtx = {
      clusters: () => clusters.list(),
      secrets: () => secrets.list(),
      repoServer: opts.repoServer,
      goTemplate: set.spec.goTemplate === true,
      goTemplateOptions: set.spec.goTemplateOptions ?? [],
      refresh,
      gitResults: new Map(),
    };
    const generated: Generated[] = [];
    for (const g of set.spec.generators ?? []) {
      try {
        generated.push(...(await generate(g, genCtx)));
      } catch (err) {
        throw new AppSetError('ApplicationGenerationFromParamsError', errorMessage(err));
      }
    }
    const owner: OwnerReference = {
      apiVersion: ARGOCD_API_VERSION,
      kind: 'ApplicationSet',
      name: set.metadata.name ?? '',
      uid: set.metadata.uid ?? '',
      controller: true,
      blockOwnerDeletion: true,
    };
    const rolling = set.spec.strategy?.type === 'RollingSync';
    const out: Application[] = [];
    const names = new Set<string>();
    for (const g of generated) {
      const template = g.template
        ? (deepMerge(
            set.spec.template as Record<string, unknown>,
            g.template as Record<string, unknown>,
          ) as typeof set.spec.template)
        : set.spec.template;
      let rendered: typeof template;
      try {
        rendered = renderTemplate(template, g.params, genCtx);
      } catch (err) {
        throw new AppSetError(
          'RenderTemplateParamsError',
          err instanceof TemplateError ? err.message : errorMessage(err),
        );
      }
      const name = rendered.metadata?.name ?? '';
      if (!name)
        throw new AppSetError(
          'ApplicationValidationError',
          'the template renders an Application without a name',
        );
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253) {
        throw new AppSetError(
          'ApplicationValidationError',
          `application name "${name}" is not a valid resource name`,
        );
      }
      if (names.has(name))
        throw new AppSetError(
          'ApplicationValidationError',
          `ApplicationSet ${set.metadata.name} contains applications with duplicate name: ${name}`,
        );
      names.add(name);
      const spec = structuredClone(rendered.spec ?? {}) as Application['spec'];
      if (rolling && spec.syncPolicy?.automated) {
        // RollingSync syncs the Applications itself, step by step.
        delete spec.syncPolicy.automated;
      }
      out.push({
        apiVersion: ARGOCD_API_VERSION,
        kind: 'Application',
        metadata: {
          name,
          namespace: set.metadata.namespace,
          ...(rendered.metadata?.labels ? { labels: rendered.metadata.labels } : {}),
          ...(rendered.metadata?.annotations ? { annotations: rendered.metadata.annotations } : {}),
          ...(rendered.metadata?.finalizers ? { finalizers: rendered.metadata.finalizers } : {}),
          ownerReferences: [owner],
        },
        spec,
      });
    }
    return out;
  }

  function updatedApp(
    existing: Application,
    want: Application,
    set: ApplicationSet,
  ): Application | undefined {
    const keep = new Set([...KEPT_ANNOTATIONS, ...(set.spec.preservedFields?.annotations ?? [])]);
    const annotations: Record<string, string> = { ...(want.metadata.annotations ?? {}) };
    for (const [k, v] of Object.entries(existing.metadata.annotations ?? {}))
      if (keep.has(k)) annotations[k] = v;
    const keepLabels = new Set(set.spec.preservedFields?.labels ?? []);
    const labels: Record<string, string> = { ...(want.metadata.labels ?? {}) };
    for (const [k, v] of Object.entries(existing.metadata.labels ?? {})) if (keepLabels.has(k)) labels[k] = v;
    const next: Application = {
      ...existing,
      metadata: {
        ...existing.metadata,
        labels,
        annotations,
        ...(want.metadata.finalizers ? { finalizers: want.metadata.finalizers } : {}),
        ownerReferences: want.metadata.ownerReferences,
      },
      spec: want.spec,
    };
    if (!Object.keys(labels).length) delete next.metadata.labels;
    if (!Object.keys(annotations).length) delete next.metadata.annotations;
    const same = (a: Application) =>
      JSON.stringify([
        a.metadata.labels ?? {},
        a.metadata.annotations ?? {},
        a.metadata.finalizers ?? [],
        a.metadata.ownerReferences ?? [],
        a.spec,
      ]);
    return same(next) === same(existing) ? undefined : next;
  }

  function conditionsFor(
    set: ApplicationSet,
    error: AppSetError | undefined,
    rollout: { step?: number } | undefined,
  ): AppSetCondition[] {
    const now = ctx.now().toISOString();
    const next: AppSetCondition[] = error
      ? [
          { type: APPSET_CONDITION_ERROR, status: 'True', reason: error.reason, message: error.message },
          {
            type: APPSET_CONDITION_PARAMETERS_GENERATED,
            status: 'False',
            reason: 'ErrorOccurred',
            message: error.message,
          },
          {
            type: APPSET_CONDITION_RESOURCES_UP_TO_DATE,
            status: 'False',
            reason: error.reason,
            message: error.message,
          },
        ]
      : [
          {
            type: APPSET_CONDITION_ERROR,
            status: 'False',
            reason: 'ApplicationSetUpToDate',
            message: 'All applications have been generated successfully',
          },
          {
            type: APPSET_CONDITION_PARAMETERS_GENERATED,
            status: 'True',
            reason: 'ParametersGenerated',
            message: 'Successfully generated parameters for all Applications',
          },
          {
            type: APPSET_CONDITION_RESOURCES_UP_TO_DATE,
            status: 'True',
            reason: 'ApplicationSetUpToDate',
            message: 'All applications have been generated successfully',
          },
        ];
    if (rollout) {
      next.push(
        rollout.step !== undefined
          ? {
              type: APPSET_CONDITION_ROLLOUT_PROGRESSING,
              status: 'True',
              reason: 'ApplicationSetModified',
              message: `ApplicationSet is performing rollout of step ${rollout.step}`,
            }
          : {
              type: APPSET_CONDITION_ROLLOUT_PROGRESSING,
              status: 'False',
              reason: 'ApplicationSetRolloutComplete',
              message: 'ApplicationSet Rollout has completed',
            },
      );
    } else if (
      error &&
      set.status?.conditions?.some((c) => c.type === APPSET_CONDITION_ROLLOUT_PROGRESSING)
    ) {
      next.push(set.status.conditions.find((c) => c.type === APPSET_CONDITION_ROLLOUT_PROGRESSING)!);
    }
    return next.map((c) => {
      const prev = set.status?.conditions?.find((o) => o.type === c.type);
      return {
        ...c,
        lastTransitionTime:
          prev && prev.status === c.status && prev.reason === c.reason
            ? (prev.lastTransitionTime ?? now)
            : (c.lastTransitionTime ?? now),
      };
    });
  }

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    if (stopped) return undefined;
    if (!sets.hasSynced() || !apps.hasSynced() || !clusters.hasSynced() || !secrets.hasSynced())
      return { requeueAfter: 200 };
    const set = sets.getByKey(key);
    if (!set) {
      await cleanUp(key);
      return undefined;
    }
    if (set.metadata.deletionTimestamp) return undefined;
    gone.delete(key);
    const refresh = !!set.metadata.annotations?.[APPSET_REFRESH_ANNOTATION];
    const policy = set.spec.syncPolicy?.applicationsSync ?? 'sync';
    const allowUpdate = policy === 'sync' || policy === 'create-update';
    const allowDelete = policy === 'sync' || policy === 'create-delete';
    const owned = apps
      .list({ namespace: set.metadata.namespace ?? '' })
      .filter((a) => ownedBy(a, set.metadata.uid));
    let error: AppSetError | undefined;
    let desired: Application[] | undefined;
    try {
      desired = await desiredApps(set, refresh);
    } catch (err) {
      error = err instanceof AppSetError ? err : new AppSetError('ErrorOccurred', errorMessage(err));
      logger.info({ appset: key, err: error.message }, 'generation failed; Applications left as they are');
    }
    if (desired) {
      const byName = new Map(owned.map((a) => [a.metadata.name ?? '', a]));
      try {
        for (const want of desired) {
          const have =
            byName.get(want.metadata.name ?? '') ??
            apps.get(want.metadata.name ?? '', set.metadata.namespace);
          if (!have) {
            await ctx.client.create(argocdResources.applications, want, {
              namespace: set.metadata.namespace,
            });
            recorder.event(set, 'Normal', 'created', `created Application ${want.metadata.name}`);
            continue;
          }
          if (!ownedBy(have, set.metadata.uid)) {
            throw new AppSetError(
              'CreateApplicationError',
              `application ${want.metadata.name} already exists and is not owned by ApplicationSet ${set.metadata.name}`,
            );
          }
          if (!allowUpdate) continue;
          const next = updatedApp(have, want, set);
          if (next) {
            await ctx.client.update(argocdResources.applications, next, {
              namespace: set.metadata.namespace,
            });
            recorder.event(set, 'Normal', 'updated', `updated Application ${want.metadata.name}`);
          }
        }
        if (allowDelete) {
          const wanted = new Set(desired.map((a) => a.metadata.name));
          for (const app of owned) {
            if (wanted.has(app.metadata.name) || app.metadata.deletionTimestamp) continue;
            await deleteApp(app, set.spec.syncPolicy?.preserveResourcesOnDeletion === true);
            recorder.event(set, 'Normal', 'deleted', `deleted Application ${app.metadata.name}`);
          }
        }
      } catch (err) {
        if (isConflict(err)) return { requeueAfter: 100 };
        error =
          err instanceof AppSetError ? err : new AppSetError('UpdateApplicationError', errorMessage(err));
      }
    }

    // Progressive sync over the Applications as they are now.
    const current = apps
      .list({ namespace: set.metadata.namespace ?? '' })
      .filter((a) => ownedBy(a, set.metadata.uid));
    let rollout: ReturnType<typeof progressRollout> | undefined;
    if (set.spec.strategy?.type === 'RollingSync') {
      rollout = progressRollout(set, current, ctx.now());
      for (const action of rollout.actions) {
        await ctx.client.patch(
          argocdResources.applications,
          action.app.metadata.name ?? '',
          { operation: action.operation },
          'merge',
          {
            namespace: action.app.metadata.namespace,
          },
        );
        recorder.event(
          action.app,
          action.reason === 'RolledBack' ? 'Warning' : 'Normal',
          action.reason,
          action.message,
        );
      }
      if (rollout.rolledBack) {
        await ctx.client.patch(
          argocdResources.applicationsets,
          set.metadata.name ?? '',
          { metadata: { annotations: { [ROLLED_BACK_REVISION_ANNOTATION]: rollout.rolledBack } } },
          'merge',
          { namespace: set.metadata.namespace },
        );
        recorder.event(set, 'Warning', 'RolledBack', `rolled back revision ${rollout.rolledBack}`);
      }
    }

    const status: NonNullable<ApplicationSet['status']> = {
      ...(set.status ?? {}),
      conditions: conditionsFor(set, error, rollout),
      resources: current
        .map((a) => ({
          group: 'argoproj.io',
          version: 'v1alpha1',
          kind: 'Application',
          namespace: a.metadata.namespace ?? '',
          name: a.metadata.name ?? '',
          ...(a.status?.sync?.status ? { status: a.status.sync.status } : {}),
          ...(a.status?.health?.status ? { health: { status: a.status.health.status } } : {}),
        }))
        .sort((x, y) => x.name.localeCompare(y.name)),
      resourcesCount: current.length,
      ...(rollout ? { applicationStatus: rollout.statuses } : {}),
    };
    if (JSON.stringify(status) !== JSON.stringify(set.status ?? {})) {
      // The status holds the rollout's progress, computed from what was just done: written over
      // a newer ApplicationSet rather than lost to a conflict.
      let base: ApplicationSet = set;
      for (let attempt = 0; ; attempt++) {
        try {
          await ctx.client.update(
            argocdResources.applicationsets,
            { ...base, status },
            { namespace: set.metadata.namespace, subresource: 'status' },
          );
          break;
        } catch (err) {
          if (isNotFound(err)) return undefined;
          if (!isConflict(err) || attempt >= 5) throw err;
          base = await ctx.client.get<ApplicationSet>(
            argocdResources.applicationsets,
            set.metadata.name ?? '',
            { namespace: set.metadata.namespace },
          );
        }
      }
    }
    if (refresh) {
      await ctx.client
        .patch(
          argocdResources.applicationsets,
          set.metadata.name ?? '',
          { metadata: { annotations: { [APPSET_REFRESH_ANNOTATION]: null } } },
          'merge',
          {
            namespace: set.metadata.namespace,
          },
        )
        .catch(() => undefined);
    }
    const busy = rollout && rollout.step !== undefined;
    return { requeueAfter: error ? Math.min(resyncMs, 10_000) : busy ? Math.min(resyncMs, 2_000) : resyncMs };
  }

  return {
    name: APPLICATIONSET_CONTROLLER,
    async stop() {
      stopped = true;
      await loop.stop();
    },
  };
}
