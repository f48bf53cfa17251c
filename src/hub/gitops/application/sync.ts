// A sync operation, as Argo CD runs one: tasks ordered by phase (PreSync hooks, the resources and
// Sync hooks, PostSync hooks), then by sync wave, then by kind (namespaces before what lives in
// them); each wave applied only once the one before is healthy and its hooks have completed;
// prune after the last wave; SyncFail hooks when it fails. The operation advances a step per
// call, its progress kept in operationState.syncResult, so that no reconcile waits on a cluster.

import type { ResourceRef } from '../../../client/client.js';
import { resources } from '../../../client/resources.js';
import type { KubeObject } from '../../../machinery/object.js';
import { ApiError, errorMessage, isAlreadyExists, isNotFound } from '../../../machinery/status.js';
import {
  HOOK_DELETE_POLICY_ANNOTATION,
  type HookType,
  type OperationState,
  type ResourceResult,
  type SyncPhase,
} from '../../apis/argocd/index.js';
import { hookTypes, keyOf, keyString, kindOrder, resourceSyncOption, syncWave } from './compare.js';
import type { ResolvedDestination } from './destination.js';
import { resourceHealth } from './health.js';

export const FIELD_MANAGER = 'argocd-controller';

/** A manifest to apply (or a live object to prune), with the resource serving it. */
export interface Target {
  obj: KubeObject;
  ref: ResourceRef;
  live?: KubeObject;
}

export interface SyncInput {
  dest: ResolvedDestination;
  resources: Target[];
  hooks: Target[];
  /** Live objects of the app no longer in git. */
  orphans: Target[];
  prune: boolean;
  syncOptions: ReadonlySet<string>;
  /** The destination namespace (for CreateNamespace=true). */
  namespace: string | undefined;
  state: OperationState;
  now(): Date;
}

export interface SyncStep {
  state: OperationState;
  /** Call again after this long (the operation waits on health or hooks). */
  requeueAfterMs?: number;
}

interface Task {
  target: Target;
  phase: SyncPhase;
  wave: number;
  hookType?: HookType;
}

const PHASES: SyncPhase[] = ['PreSync', 'Sync', 'PostSync'];

function resultKey(
  r: Pick<ResourceResult, 'group' | 'kind' | 'namespace' | 'name'>,
  hookType?: string,
): string {
  return `${keyString(r)}/${hookType ?? ''}`;
}

function taskKey(t: Task): string {
  return resultKey(keyOf(t.target.obj), t.hookType);
}

function tasksOf(input: SyncInput): Task[] {
  const out: Task[] = input.resources.map((target) => ({
    target,
    phase: 'Sync' as SyncPhase,
    wave: syncWave(target.obj),
  }));
  for (const target of input.hooks) {
    for (const type of hookTypes(target.obj)) {
      if (type === 'PreSync' || type === 'Sync' || type === 'PostSync') {
        out.push({ target, phase: type, wave: syncWave(target.obj), hookType: type });
      }
    }
  }
  return out.sort(
    (a, b) =>
      PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase) ||
      a.wave - b.wave ||
      kindOrder(a.target.obj.kind) - kindOrder(b.target.obj.kind) ||
      (a.target.obj.metadata.name ?? '').localeCompare(b.target.obj.metadata.name ?? ''),
  );
}

function steps(tasks: Task[]): Task[][] {
  const out: Task[][] = [];
  for (const t of tasks) {
    const last = out[out.length - 1];
    if (last && last[0]!.phase === t.phase && last[0]!.wave === t.wave) last.push(t);
    else out.push([t]);
  }
  return out;
}

function result(t: Task, status: ResourceResult['status'], message: string): ResourceResult {
  const k = keyOf(t.target.obj);
  return {
    group: k.group,
    version: k.version,
    kind: k.kind,
    namespace: k.namespace,
    name: k.name,
    status,
    message,
    syncPhase: t.phase,
    ...(t.hookType ? { hookType: t.hookType, hookPhase: 'Running' as const } : {}),
  };
}

function objectForApply(t: Target): KubeObject {
  const obj = structuredClone(t.obj);
  if (!t.ref.namespaced) delete obj.metadata.namespace;
  return obj;
}

async function applyResource(dest: ResolvedDestination, t: Target): Promise<string> {
  const applied = await dest.client.apply(t.ref, objectForApply(t), {
    fieldManager: FIELD_MANAGER,
    force: true,
  });
  return t.live
    ? `${applied.kind.toLowerCase()}/${applied.metadata.name} configured`
    : `${applied.kind.toLowerCase()}/${applied.metadata.name} created`;
}

function deletePolicies(obj: KubeObject): string[] {
  const v = obj.metadata.annotations?.[HOOK_DELETE_POLICY_ANNOTATION] ?? 'BeforeHookCreation';
  return v.split(',').map((s) => s.trim());
}

async function createHook(dest: ResolvedDestination, t: Target): Promise<KubeObject> {
  const obj = objectForApply(t);
  const ns = t.ref.namespaced ? obj.metadata.namespace : undefined;
  if (obj.metadata.name && deletePolicies(obj).includes('BeforeHookCreation')) {
    await dest.client
      .delete(t.ref, obj.metadata.name, { ...(ns ? { namespace: ns } : {}), propagationPolicy: 'Background' })
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await dest.client.create(t.ref, obj, ns ? { namespace: ns } : {});
    } catch (err) {
      // The old hook is still going away (its finalizers); try again shortly.
      if (!isAlreadyExists(err) || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function ensureNamespace(dest: ResolvedDestination, name: string): Promise<void> {
  try {
    await dest.client.create(resources.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** A hook's live progress: Jobs and Pods run until they complete, anything else is done once created. */
async function hookPhase(
  dest: ResolvedDestination,
  t: Task,
  r: ResourceResult,
): Promise<ResourceResult['hookPhase']> {
  if (r.hookPhase === 'Succeeded' || r.hookPhase === 'Failed') return r.hookPhase;
  const kind = t.target.obj.kind;
  if (kind !== 'Job' && kind !== 'Pod' && kind !== 'Workflow') return 'Succeeded';
  let live: KubeObject;
  try {
    live = await dest.client.get(t.target.ref, r.name, r.namespace ? { namespace: r.namespace } : {});
  } catch (err) {
    if (isNotFound(err)) return 'Succeeded'; // deleted by its own policy once done
    throw err;
  }
  const h = resourceHealth(live);
  if (h?.status === 'Healthy') return 'Succeeded';
  if (h?.status === 'Degraded') return 'Failed';
  return 'Running';
}

/** Whether a step's resources are healthy and its hooks done (so the next wave may start). */
async function stepDone(
  input: SyncInput,
  step: Task[],
  results: Map<string, ResourceResult>,
): Promise<boolean | 'failed'> {
  for (const t of step) {
    const r = results.get(taskKey(t));
    if (!r) return false;
    if (t.hookType) {
      r.hookPhase = await hookPhase(input.dest, t, r);
      if (r.hookPhase === 'Failed') return 'failed';
      if (r.hookPhase !== 'Succeeded') return false;
      if (deletePolicies(t.target.obj).includes('HookSucceeded')) {
        await input.dest.client
          .delete(t.target.ref, r.name, {
            ...(r.namespace ? { namespace: r.namespace } : {}),
            propagationPolicy: 'Background',
          })
          .catch(() => undefined);
      }
      continue;
    }
    const live = await input.dest.client
      .get(t.target.ref, r.name, r.namespace ? { namespace: r.namespace } : {})
      .catch((err) => (isNotFound(err) ? undefined : Promise.reject(err)));
    if (!live) return false;
    const h = resourceHealth(live);
    if (h && h.status !== 'Healthy') return false;
  }
  return true;
}

async function runTask(input: SyncInput, t: Task): Promise<ResourceResult> {
  try {
    if (t.hookType) {
      const created = await createHook(input.dest, t.target);
      const r = result(t, 'Synced', `${created.kind.toLowerCase()}/${created.metadata.name} created`);
      r.name = created.metadata.name ?? r.name;
      return r;
    }
    return result(t, 'Synced', await applyResource(input.dest, t.target));
  } catch (err) {
    const r = result(t, 'SyncFailed', err instanceof ApiError ? err.message : errorMessage(err));
    if (t.hookType) r.hookPhase = 'Failed';
    return r;
  }
}

async function prune(input: SyncInput): Promise<ResourceResult[]> {
  const out: ResourceResult[] = [];
  for (const o of input.orphans) {
    const t: Task = { target: o, phase: 'Sync', wave: syncWave(o.obj) };
    const live = o.live ?? o.obj;
    if (!input.prune || resourceSyncOption(live, 'Prune=false')) {
      out.push(result(t, 'PruneSkipped', 'ignored (requires pruning)'));
      continue;
    }
    try {
      const ns = o.ref.namespaced ? o.obj.metadata.namespace : undefined;
      await input.dest.client.delete(o.ref, o.obj.metadata.name ?? '', {
        ...(ns ? { namespace: ns } : {}),
        propagationPolicy: 'Foreground',
      });
      out.push(result(t, 'Pruned', 'pruned'));
    } catch (err) {
      if (isNotFound(err)) out.push(result(t, 'Pruned', 'pruned'));
      else out.push(result(t, 'SyncFailed', errorMessage(err)));
    }
  }
  return out;
}

async function runSyncFailHooks(input: SyncInput): Promise<ResourceResult[]> {
  const out: ResourceResult[] = [];
  for (const target of input.hooks) {
    if (!hookTypes(target.obj).includes('SyncFail')) continue;
    out.push(
      await runTask(input, { target, phase: 'SyncFail', wave: syncWave(target.obj), hookType: 'SyncFail' }),
    );
  }
  return out;
}

/** Advances the operation in `input.state` as far as it can go now. */
export async function runSync(input: SyncInput): Promise<SyncStep> {
  const state = structuredClone(input.state);
  const syncResult = state.syncResult ?? { revision: '', resources: [] };
  state.syncResult = syncResult;
  const results = new Map<string, ResourceResult>();
  for (const r of syncResult.resources ?? []) results.set(resultKey(r, r.hookType), r);
  const finish = (phase: OperationState['phase'], message: string): SyncStep => {
    syncResult.resources = [...results.values()];
    state.phase = phase;
    state.message = message;
    state.finishedAt = input.now().toISOString();
    return { state };
  };

  if (results.size === 0 && input.namespace && input.syncOptions.has('CreateNamespace=true')) {
    try {
      await ensureNamespace(input.dest, input.namespace);
    } catch (err) {
      return finish('Failed', `failed to create namespace ${input.namespace}: ${errorMessage(err)}`);
    }
  }
  const all = steps(tasksOf(input));
  for (let i = 0; i < all.length; i++) {
    const step = all[i]!;
    if (step.every((t) => results.has(taskKey(t)))) continue;
    if (i > 0) {
      const prev = await stepDone(input, all[i - 1]!, results);
      if (prev === 'failed') {
        for (const r of await runSyncFailHooks(input)) results.set(resultKey(r, r.hookType), r);
        return finish('Failed', 'one or more synchronization tasks completed unsuccessfully');
      }
      if (!prev) {
        syncResult.resources = [...results.values()];
        state.message = `waiting for completion of hook or healthy resources of wave ${all[i - 1]![0]!.wave}`;
        return { state, requeueAfterMs: 1000 };
      }
    }
    const done = await Promise.all(step.map((t) => runTask(input, t)));
    for (const r of done) results.set(resultKey(r, r.hookType), r);
    const failed = done.filter((r) => r.status === 'SyncFailed');
    if (failed.length > 0) {
      for (const r of await runSyncFailHooks(input)) results.set(resultKey(r, r.hookType), r);
      return finish(
        'Failed',
        `one or more objects failed to apply, reason: ${failed.map((r) => r.message).join(', ')}`,
      );
    }
  }
  const last = all[all.length - 1];
  if (last?.some((t) => t.hookType)) {
    const d = await stepDone(input, last, results);
    if (d === 'failed') {
      for (const r of await runSyncFailHooks(input)) results.set(resultKey(r, r.hookType), r);
      return finish('Failed', 'one or more synchronization tasks completed unsuccessfully');
    }
    if (!d) {
      syncResult.resources = [...results.values()];
      state.message = 'waiting for completion of hook';
      return { state, requeueAfterMs: 1000 };
    }
  }
  for (const r of await prune(input)) results.set(resultKey(r, r.hookType), r);
  const pruneFailed = [...results.values()].filter((r) => r.status === 'SyncFailed');
  if (pruneFailed.length > 0) {
    return finish(
      'Failed',
      `one or more objects failed to prune, reason: ${pruneFailed.map((r) => r.message).join(', ')}`,
    );
  }
  return finish('Succeeded', 'successfully synced (all tasks run)');
}
