// The disruption controller, as Kubernetes' (pkg/controller/disruption): the status of every
// PodDisruptionBudget — how many of the pods its selector picks are healthy (Ready and not being
// deleted), how many must stay healthy (minAvailable, or the expected count less maxUnavailable;
// percentages of the expected count, rounded up), the expected count (the pods, or the scale of
// their controllers: Deployments through their ReplicaSets, ReplicaSets, StatefulSets, anything
// with a scale subresource), how many disruptions are allowed now, and the DisruptionAllowed
// condition. The eviction subresource spends from it, which is what `kubectl drain` relies on.

import { objectKey, splitKey } from '../../client/cache.js';
import type { ResourceRef } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import { builtinRef, resources } from '../../client/resources.js';
import { type DiscoveryClient, RESTMapper } from '../../client/rest-mapper.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../controller/context.js';
import type { Controller, ReconcileResult } from '../../controller/controller.js';
import type { EventRecorder } from '../../controller/events.js';
import { runController } from '../../controller/runner.js';
import { setCondition } from '../../machinery/conditions.js';
import { parseApiVersion } from '../../machinery/gvk.js';
import { labelSelectorMatches } from '../../machinery/labels.js';
import type { Condition, KubeObject, LabelSelector, OwnerReference } from '../../machinery/object.js';
import { isMethodNotSupported, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import type { Pod } from '../workloads/types.js';

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
/** How long a pod the eviction API recorded as disrupted is not counted (Kubernetes: 2 min). */
const DELETION_TIMEOUT_MS = 2 * 60 * 1000;

export interface Pdb extends KubeObject {
  spec?: {
    selector?: LabelSelector | null;
    minAvailable?: number | string;
    maxUnavailable?: number | string;
  };
  status?: {
    observedGeneration?: number;
    disruptedPods?: Record<string, string>;
    disruptionsAllowed?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
    expectedPods?: number;
    conditions?: Condition[];
  };
}

interface Scalable extends KubeObject {
  spec?: { replicas?: number };
}

export interface DisruptionControllerOptions {
  workers?: number;
  recorder?: EventRecorder;
}

/** intstr.GetScaledValueFromIntOrPercent, rounding up as the disruption controller asks. */
export function scaledValue(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  const m = /^(-?\d+)%$/.exec(value);
  if (!m) {
    const n = Number(value);
    if (Number.isInteger(n) && value.trim() !== '') return n;
    throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  }
  return Math.ceil((Number(m[1]) * total) / 100);
}

function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((o) => o.controller === true);
}

function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A nil selector picks nothing; an empty one picks every pod of the namespace (policy/v1). */
function selects(pdb: Pdb, pod: KubeObject): boolean {
  const sel = pdb.spec?.selector;
  if (!sel) return false;
  return labelSelectorMatches(sel, pod.metadata.labels ?? {});
}

class DisruptionController {
  readonly controller: Controller;
  readonly pdbs: Informer<Pdb>;
  readonly pods: Informer<Pod>;
  private readonly replicaSets: Informer<Scalable>;
  private readonly deployments: Informer<Scalable>;
  private readonly statefulSets: Informer<Scalable>;
  private readonly mapper: RESTMapper | undefined;
  readonly recorder: EventRecorder;
  readonly ownRecorder: boolean;

  constructor(
    private readonly ctx: ControllerContext,
    opts: DisruptionControllerOptions,
  ) {
    this.pdbs = ctx.informers.informerFor<Pdb>(resources.poddisruptionbudgets);
    this.pods = ctx.informers.informerFor<Pod>(resources.pods);
    this.replicaSets = ctx.informers.informerFor<Scalable>(resources.replicasets);
    this.deployments = ctx.informers.informerFor<Scalable>(resources.deployments);
    this.statefulSets = ctx.informers.informerFor<Scalable>(resources.statefulsets);
    const client = ctx.client as unknown as Partial<DiscoveryClient>;
    this.mapper =
      typeof client.discover === 'function' ? new RESTMapper(client as DiscoveryClient) : undefined;
    this.ownRecorder = !opts.recorder;
    this.recorder = eventRecorder(ctx, 'controllermanager', opts.recorder);
    this.controller = reconcileLoop(ctx, {
      name: 'disruption',
      workers: opts.workers ?? 2,
      reconcile: (key) => this.sync(key),
    });
  }

  informers(): Informer[] {
    return [
      this.pdbs,
      this.pods,
      this.replicaSets,
      this.deployments,
      this.statefulSets,
    ] as unknown as Informer[];
  }

  /** The budgets a pod change may matter to. */
  pdbsFor(pod: KubeObject): string[] {
    return this.pdbs
      .list({ namespace: pod.metadata.namespace })
      .filter((pdb) => selects(pdb, pod))
      .map((pdb) => objectKey(pdb));
  }

  private async sync(key: string): Promise<ReconcileResult | undefined> {
    const { namespace, name } = splitKey(key);
    const pdb = this.pdbs.get(name, namespace);
    if (!pdb) return undefined;
    const pods = this.pods.list({ namespace }).filter((p) => selects(pdb, p));
    if (pods.length === 0) this.recorder.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let expected: number;
    let desired: number;
    try {
      ({ expected, desired } = await this.expectedCount(pdb, pods));
    } catch (err) {
      this.recorder.event(
        pdb,
        'Warning',
        'CalculateExpectedPodCountFailed',
        `Failed to calculate the number of expected pods: ${(err as Error).message}`,
      );
      await this.failSafe(pdb, err as Error);
      throw err;
    }
    const now = this.ctx.now().getTime();
    const { disrupted, recheckAt } = this.disruptedPods(pdb, pods, now);
    let healthy = 0;
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      if (disrupted[p.metadata.name!]) continue;
      if (isPodReady(p)) healthy++;
    }
    await this.updateStatus(pdb, { healthy, desired, expected, disrupted });
    return recheckAt !== undefined ? { requeueAfter: Math.max(1, recheckAt - now) } : undefined;
  }

  private async expectedCount(pdb: Pdb, pods: Pod[]): Promise<{ expected: number; desired: number }> {
    const spec = pdb.spec ?? {};
    if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
      const expected = await this.expectedScale(pdb, pods);
      const maxUnavailable = scaledValue(spec.maxUnavailable, expected);
      return { expected, desired: Math.max(0, expected - maxUnavailable) };
    }
    if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
      if (typeof spec.minAvailable === 'number') return { expected: pods.length, desired: spec.minAvailable };
      const expected = await this.expectedScale(pdb, pods);
      return { expected, desired: scaledValue(spec.minAvailable, expected) };
    }
    return { expected: 0, desired: 0 };
  }

  /** The summed scale of the pods' controllers (each counted once). */
  private async expectedScale(pdb: Pdb, pods: Pod[]): Promise<number> {
    const seen = new Set<string>();
    let total = 0;
    let unmanaged = 0;
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (!ref) {
        unmanaged++;
        continue;
      }
      const found = await this.scaleOf(ref, pod.metadata.namespace!);
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
      if (seen.has(found.uid)) continue;
      seen.add(found.uid);
      total += found.replicas;
    }
    if (unmanaged > 0) {
      this.recorder.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector)}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    return total;
  }

  /** The finders: Deployment (through its ReplicaSet), ReplicaSet, StatefulSet, then any scale. */
  private async scaleOf(
    ref: OwnerReference,
    namespace: string,
  ): Promise<{ uid: string; replicas: number } | undefined> {
    const group = parseApiVersion(ref.apiVersion).group;
    if (group === 'apps' && ref.kind === 'ReplicaSet') {
      const rs = this.replicaSets.get(ref.name, namespace);
      if (!rs || rs.metadata.uid !== ref.uid) return undefined;
      const owner = controllerRefOf(rs);
      if (owner && owner.kind === 'Deployment' && parseApiVersion(owner.apiVersion).group === 'apps') {
        const d = this.deployments.get(owner.name, namespace);
        if (!d || d.metadata.uid !== owner.uid) return undefined;
        return { uid: d.metadata.uid!, replicas: d.spec?.replicas ?? 1 };
      }
      return { uid: rs.metadata.uid!, replicas: rs.spec?.replicas ?? 1 };
    }
    if (group === 'apps' && ref.kind === 'StatefulSet') {
      const sts = this.statefulSets.get(ref.name, namespace);
      if (!sts || sts.metadata.uid !== ref.uid) return undefined;
      return { uid: sts.metadata.uid!, replicas: sts.spec?.replicas ?? 1 };
    }
    // Anything else that scales: its scale subresource.
    let mapping: ResourceRef | undefined = builtinRef(ref.apiVersion, ref.kind);
    if (!mapping && this.mapper)
      mapping = await this.mapper.refFor(ref.apiVersion, ref.kind).catch(() => undefined);
    if (!mapping) return undefined;
    try {
      const scale = await this.ctx.client.get<KubeObject & { spec?: { replicas?: number } }>(
        mapping,
        ref.name,
        {
          namespace: mapping.namespaced ? namespace : undefined,
          subresource: 'scale',
        },
      );
      if (scale.metadata.uid && scale.metadata.uid !== ref.uid) return undefined;
      return { uid: ref.uid, replicas: scale.spec?.replicas ?? 0 };
    } catch (err) {
      if (isNotFound(err) || isMethodNotSupported(err)) return undefined;
      throw err;
    }
  }

  /** disruptedPods still within their timeout; the rest are dropped. */
  private disruptedPods(
    pdb: Pdb,
    pods: Pod[],
    now: number,
  ): { disrupted: Record<string, string>; recheckAt: number | undefined } {
    const disrupted: Record<string, string> = {};
    let recheckAt: number | undefined;
    const present = new Map(pods.map((p) => [p.metadata.name!, p]));
    for (const [name, since] of Object.entries(pdb.status?.disruptedPods ?? {})) {
      const pod = present.get(name);
      // Gone, or already being deleted: nothing to hold back any more.
      if (!pod || pod.metadata.deletionTimestamp) continue;
      const expires = Date.parse(since) + DELETION_TIMEOUT_MS;
      if (Number.isNaN(expires) || expires < now) continue;
      disrupted[name] = since;
      recheckAt = recheckAt === undefined ? expires : Math.min(recheckAt, expires);
    }
    return { disrupted, recheckAt };
  }

  private async updateStatus(
    pdb: Pdb,
    s: { healthy: number; desired: number; expected: number; disrupted: Record<string, string> },
  ): Promise<void> {
    const allowed = Math.max(0, s.healthy - s.desired);
    const generation = pdb.metadata.generation ?? 0;
    const conditions = setCondition(
      pdb.status?.conditions ?? [],
      allowed > 0
        ? {
            type: DISRUPTION_ALLOWED,
            status: 'True',
            reason: 'SufficientPods',
            message: '',
            observedGeneration: generation,
          }
        : {
            type: DISRUPTION_ALLOWED,
            status: 'False',
            reason: 'InsufficientPods',
            message: '',
            observedGeneration: generation,
          },
      metaTime(this.ctx.now()),
    );
    await this.writeStatus(pdb, {
      ...(pdb.status ?? {}),
      currentHealthy: s.healthy,
      desiredHealthy: s.desired,
      expectedPods: s.expected,
      disruptionsAllowed: allowed,
      disruptedPods: Object.keys(s.disrupted).length > 0 ? s.disrupted : undefined,
      observedGeneration: generation,
      conditions,
    });
  }

  /** failSafe: when the budget cannot be computed, nothing may be disrupted. */
  private async failSafe(pdb: Pdb, err: Error): Promise<void> {
    const generation = pdb.metadata.generation ?? 0;
    await this.writeStatus(pdb, {
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
      ...(pdb.status ?? {}),
      disruptionsAllowed: 0,
      observedGeneration: generation,
      conditions: setCondition(
        pdb.status?.conditions ?? [],
        {
          type: DISRUPTION_ALLOWED,
          status: 'False',
          reason: 'SyncFailed',
          message: err.message,
          observedGeneration: generation,
        },
        metaTime(this.ctx.now()),
      ),
    }).catch((e: unknown) =>
      this.ctx.logger.debug({ err: e, pdb: pdb.metadata.name }, 'writing a failed status failed'),
    );
  }

  private async writeStatus(pdb: Pdb, status: NonNullable<Pdb['status']>): Promise<void> {
    const clean = JSON.parse(JSON.stringify(status)) as NonNullable<Pdb['status']>;
    if (JSON.stringify(clean) === JSON.stringify(pdb.status ?? {})) return;
    await this.ctx.client.update(
      resources.poddisruptionbudgets,
      { ...pdb, status: clean },
      { namespace: pdb.metadata.namespace, subresource: 'status' },
    );
  }
}

function podMattersChanged(old: Pod, pod: Pod): boolean {
  if (!!old.metadata.deletionTimestamp !== !!pod.metadata.deletionTimestamp) return true;
  if (isPodReady(old) !== isPodReady(pod)) return true;
  if (JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(pod.metadata.labels ?? {})) return true;
  return controllerRefOf(old)?.uid !== controllerRefOf(pod)?.uid;
}

/** Starts the disruption controller of a cluster. */
export function startDisruptionController(
  ctx: ControllerContext,
  opts: DisruptionControllerOptions = {},
): RunningController {
  const dc = new DisruptionController(ctx, opts);
  const enqueuePdb = (pdb: Pdb) => dc.controller.enqueue(objectKey(pdb));
  const enqueueFor = (...pods: Pod[]) => {
    for (const p of pods) for (const k of dc.pdbsFor(p)) dc.controller.enqueue(k);
  };
  const offs = [
    dc.pdbs.addEventHandler({ onAdd: enqueuePdb, onUpdate: (_o, pdb) => enqueuePdb(pdb) }),
    dc.pods.addEventHandler({
      onAdd: (pod) => enqueueFor(pod),
      onUpdate: (old, pod) => {
        if (podMattersChanged(old, pod)) enqueueFor(old, pod);
      },
      onDelete: (pod) => enqueueFor(pod),
    }),
  ];
  return runController({
    name: 'disruption',
    controllers: [dc.controller],
    informers: dc.informers(),
    unregister: offs,
    ...(dc.ownRecorder ? { recorder: dc.recorder } : {}),
  });
}
