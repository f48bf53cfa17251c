// The Works of one member (its execution space karmada-es-<member> on the hub) kept applied to
// that member: Karmada's execution controller and work status controller for one cluster, with a
// queue and workers of its own so that a slow or dead member holds up only itself. The hub's
// push execution runs one per Push member; the agent runs one beside its Pull member.
//
// A Work is applied when it changes, when its member comes back, and when the object it made on
// the member drifts (deleted, or its spec edited there: its generation moves; for kinds without a
// generation, such as RBAC objects and ConfigMaps, anything but metadata and status changed); a
// drift put right is recorded as a DriftCorrected Event on the Work. Otherwise the member is not
// asked again. The member's objects of the Works' kinds are watched (the cache is also the
// conflict check of a new object) and the status of the hub's objects is reported in the Work:
// conditions Applied, Available, Degraded and Dispatching, and manifestStatuses with each
// object's interpreted status and health.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Client, ResourceRef } from '../../../../client/client.js';
import { Informer, type InformerOptions } from '../../../../client/informer.js';
import { NoKindMatchError, type RESTMapper } from '../../../../client/rest-mapper.js';
import { Controller } from '../../../../controller/controller.js';
import type { EventRecorder } from '../../../../controller/events.js';
import { setCondition } from '../../../../machinery/conditions.js';
import { parseApiVersion } from '../../../../machinery/gvk.js';
import { deepEqual } from '../../../../machinery/json.js';
import type { Condition, KubeObject } from '../../../../machinery/object.js';
import { errorMessage, isConflict, isNotFound } from '../../../../machinery/status.js';
import { executionSpaceName } from '../cluster/types.js';
import { karmadaResources } from '../resources.js';
import {
  EXECUTION_CONTROLLER_FINALIZER,
  type ManifestStatus,
  WORK_APPLIED,
  WORK_AVAILABLE,
  WORK_DEGRADED,
  WORK_DISPATCHING,
  WORK_NAME_ANNOTATION,
  WORK_NAMESPACE_ANNOTATION,
  WORK_REASON_APPLIED_FAILED,
  WORK_REASON_APPLIED_SUCCESSFUL,
  type Work,
  type WorkStatus,
} from '../work/types.js';
import { isManagedResource, WorkExecutor } from './executor.js';
import { interpretHealth, reflectStatus } from './interpreter.js';

// Condition messages and reasons (Karmada's where Karmada sets the condition).
export const WORK_DISPATCHING_MESSAGE = 'Work is being dispatched to member clusters.';
export const WORK_SUSPEND_DISPATCHING_MESSAGE = 'Work dispatching is in a suspended state.';
export const WORK_REASON_DISPATCHING = 'Dispatching';
export const WORK_REASON_SUSPEND_DISPATCHING = 'SuspendDispatching';
export const WORK_APPLIED_MESSAGE = 'Manifest has been successfully applied';
export const WORK_REASON_RESOURCES_AVAILABLE = 'ResourcesAvailable';
export const WORK_REASON_RESOURCES_MISSING = 'ResourcesMissing';
export const WORK_REASON_RESOURCES_HEALTHY = 'ResourcesHealthy';
export const WORK_REASON_RESOURCES_UNHEALTHY = 'ResourcesUnhealthy';

export interface MemberWorksOptions {
  cluster: string;
  /** The hub, written as this executor's identity: Work status and finalizers. */
  hub: Client;
  /** The hub's Works (at least those of the member's execution space), shared with the caller. */
  works: Informer<Work>;
  member: Client;
  mapper: RESTMapper;
  logger: Logger;
  metrics?: Registry;
  now(): Date;
  /** Works reconciled at once for this member (default 4). */
  workers?: number;
  /** Whether Works may be applied now (push: the Cluster is Ready; pull: always). */
  dispatchable(): boolean;
  /** The member is leaving (its Cluster is being deleted or gone): deleted Works need not wait for it. */
  leaving(): boolean;
  /** Options of the informers on the member's objects (short watches in tests). */
  informerOptions?: Pick<InformerOptions, 'watchTimeoutSeconds' | 'backoff'>;
  /** Where drift put right is reported (an Event on the Work); none: not reported. */
  recorder?: EventRecorder;
}

/** How long a change of a member object's status alone waits before the Work's status is written. */
export const STATUS_BATCH_MS = 200;

/** The Event reason of an object put back after it was deleted or changed on the member. */
export const WORK_REASON_DRIFT_CORRECTED = 'DriftCorrected';

interface AppliedRecord {
  /** The manifest applied, as JSON. */
  manifest: string;
  uid: string | undefined;
  generation: number | undefined;
  /** For kinds without a generation: the object as applied, metadata and status aside. */
  content?: unknown;
}

function contentOf(o: KubeObject): unknown {
  const { metadata: _m, status: _s, ...rest } = o as KubeObject & { status?: unknown };
  return rest;
}

/** How the member's object differs from what was applied last, if it does. */
function driftOf(last: AppliedRecord, current: KubeObject | undefined): string | undefined {
  if (!current) return 'deleted';
  if (last.uid !== current.metadata.uid) return 'deleted and made again';
  if (last.generation !== undefined || current.metadata.generation !== undefined) {
    return last.generation === current.metadata.generation ? undefined : 'changed';
  }
  return deepEqual(last.content, contentOf(current)) ? undefined : 'changed';
}

const refKey = (ref: ResourceRef) => `${ref.group}/${ref.version}/${ref.resource}`;

function objectKeyOf(ref: ResourceRef, m: KubeObject): string {
  return `${refKey(ref)}/${ref.namespaced ? m.metadata.namespace || 'default' : ''}/${m.metadata.name}`;
}

function condition(type: string, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/** Whether two Work statuses say the same, transition times aside. */
export function sameWorkStatus(a: WorkStatus | undefined, b: WorkStatus): boolean {
  const strip = (s: WorkStatus | undefined) => ({
    conditions: (s?.conditions ?? []).map(({ lastTransitionTime: _t, ...rest }) => rest),
    manifestStatuses: s?.manifestStatuses ?? [],
  });
  return deepEqual(strip(a), strip(b));
}

export class MemberWorks {
  readonly cluster: string;
  readonly namespace: string;
  private readonly opts: MemberWorksOptions;
  private readonly executor: WorkExecutor;
  private readonly controller: Controller;
  private readonly informers = new Map<string, Informer>();
  private readonly applied = new Map<string, AppliedRecord>();
  /**
   * Each Work as this writer's last status write returned it, with the version that write
   * replaced: until the Works cache has caught up with it (an agent's cache follows the hub over
   * a watch), the next status is written against this one, not against the cache's older copy,
   * which would only be refused as a conflict and retried after a backoff.
   */
  private readonly written = new Map<string, { work: Work; replaced: string | undefined }>();
  private stopped = false;

  constructor(opts: MemberWorksOptions) {
    this.opts = opts;
    this.cluster = opts.cluster;
    this.namespace = executionSpaceName(opts.cluster);
    this.executor = new WorkExecutor({ cluster: opts.cluster, member: opts.member, mapper: opts.mapper });
    this.controller = new Controller({
      name: 'execution-controller',
      cluster: opts.cluster,
      logger: opts.logger,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
      workers: opts.workers ?? 4,
      reconcile: (key) => this.reconcile(key),
    });
  }

  start(): void {
    this.controller.start();
    this.resume();
  }

  /** Every Work of the member again (it is back, or its connection changed). */
  resume(): void {
    if (this.stopped) return;
    for (const w of this.opts.works.list({ namespace: this.namespace })) this.enqueue(w);
  }

  enqueue(work: KubeObject): void {
    if (work.metadata.namespace === this.namespace) this.controller.enqueue(work.metadata.name ?? '');
  }

  /** Informer handler for the hub's Works: changes of spec and deletion, as Karmada's generation predicate. */
  onWorkUpdate(old: Work, cur: Work): void {
    if (
      old.metadata.generation !== cur.metadata.generation ||
      !!old.metadata.deletionTimestamp !== !!cur.metadata.deletionTimestamp ||
      !deepEqual(old.metadata.finalizers, cur.metadata.finalizers)
    ) {
      this.enqueue(cur);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const i of this.informers.values()) i.stop();
    await this.controller.stop();
  }

  // Member objects ---------------------------------------------------------------------------

  /**
   * The informer on the member's objects of a resource, started on first use. It holds every object
   * of the kind, not only the hub's (as Karmada's member informers do), so that the conflict check
   * of a new object is a look into the cache rather than a read of the member before each apply.
   */
  private informerFor(ref: ResourceRef): Informer {
    const key = refKey(ref);
    let informer = this.informers.get(key);
    if (!informer) {
      informer = new Informer(this.opts.member, ref, {
        logger: this.opts.logger,
        ...this.opts.informerOptions,
      });
      const onObject = (o: KubeObject, afterMs = 0) => {
        const annotations = o.metadata.annotations ?? {};
        if (annotations[WORK_NAMESPACE_ANNOTATION] !== this.namespace) return;
        const name = annotations[WORK_NAME_ANNOTATION];
        if (name) this.controller.enqueueAfter(name, afterMs);
      };
      informer.addEventHandler({
        onAdd: (o) => onObject(o),
        onUpdate: (old, cur) => {
          if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
          const generation = cur.metadata.generation;
          // The spec unchanged (the member's controllers reporting status): reported a moment
          // later, so that their several updates of a new object make one Work status write
          // rather than one each, which the hub and the other members' applies would wait behind.
          if (generation !== undefined && generation === old.metadata.generation)
            onObject(cur, STATUS_BATCH_MS);
          else onObject(cur);
        },
        onDelete: (o) => onObject(o),
      });
      this.informers.set(key, informer);
      if (!this.stopped) informer.start();
    }
    return informer;
  }

  // Reconcile --------------------------------------------------------------------------------

  private async reconcile(name: string) {
    if (this.stopped) return undefined;
    const work = this.latest(this.opts.works.get(name, this.namespace));
    if (!work) {
      this.written.delete(name);
      return undefined;
    }
    if (work.metadata.deletionTimestamp) return this.finalize(work);
    if (!this.opts.dispatchable()) return undefined; // resume() brings it back
    const suspended = work.spec.suspendDispatching === true;
    const dispatching = suspended
      ? condition(WORK_DISPATCHING, false, WORK_REASON_SUSPEND_DISPATCHING, WORK_SUSPEND_DISPATCHING_MESSAGE)
      : condition(WORK_DISPATCHING, true, WORK_REASON_DISPATCHING, WORK_DISPATCHING_MESSAGE);
    if (suspended) {
      await this.writeStatus(work, { ...work.status, conditions: this.conditions(work, [dispatching]) });
      return undefined;
    }

    const manifests = work.spec.workload?.manifests ?? [];
    const errors: string[] = [];
    const statuses: ManifestStatus[] = [];
    let present = 0;
    let unhealthy = 0;
    for (const [ordinal, manifest] of manifests.entries()) {
      try {
        const observed = await this.applyOne(manifest, work);
        present++;
        const health = interpretHealth(observed);
        if (health === 'Unhealthy') unhealthy++;
        const { group, version } = parseApiVersion(observed.apiVersion ?? manifest.apiVersion);
        const status = reflectStatus(observed);
        const ref = await this.executor.refFor(manifest);
        statuses.push({
          identifier: {
            ordinal,
            ...(group ? { group } : {}),
            version,
            kind: manifest.kind,
            resource: ref.resource,
            ...(observed.metadata.namespace ? { namespace: observed.metadata.namespace } : {}),
            name: manifest.metadata.name ?? '',
          },
          ...(status ? { status } : {}),
          health,
        });
      } catch (err) {
        errors.push(err instanceof NoKindMatchError ? err.message : errorMessage(err));
      }
    }
    const applied =
      errors.length === 0
        ? condition(WORK_APPLIED, true, WORK_REASON_APPLIED_SUCCESSFUL, WORK_APPLIED_MESSAGE)
        : condition(
            WORK_APPLIED,
            false,
            WORK_REASON_APPLIED_FAILED,
            `Failed to apply all manifests (${manifests.length - errors.length}/${manifests.length}): ${errors.join(', ')}`,
          );
    const available =
      present === manifests.length
        ? condition(
            WORK_AVAILABLE,
            true,
            WORK_REASON_RESOURCES_AVAILABLE,
            'All resources of the Work exist on the member cluster',
          )
        : condition(
            WORK_AVAILABLE,
            false,
            WORK_REASON_RESOURCES_MISSING,
            `${manifests.length - present} of ${manifests.length} resources of the Work are not on the member cluster`,
          );
    const degraded =
      unhealthy > 0
        ? condition(
            WORK_DEGRADED,
            true,
            WORK_REASON_RESOURCES_UNHEALTHY,
            `${unhealthy} of ${manifests.length} resources of the Work are not healthy on the member cluster`,
          )
        : condition(
            WORK_DEGRADED,
            false,
            WORK_REASON_RESOURCES_HEALTHY,
            'The resources of the Work are healthy',
          );
    await this.writeStatus(work, {
      conditions: this.conditions(work, [dispatching, applied, available, degraded]),
      ...(statuses.length > 0 ? { manifestStatuses: statuses } : {}),
    });
    // A failed apply is retried with the queue's backoff.
    return errors.length > 0 ? { requeue: true } : undefined;
  }

  /** Applies one manifest unless the member already has what was last applied; returns the member's object. */
  private async applyOne(manifest: KubeObject, work: Work): Promise<KubeObject> {
    const ref = await this.executor.refFor(manifest);
    const informer = this.informerFor(ref);
    const key = objectKeyOf(ref, manifest);
    const synced = informer.hasSynced();
    const cached = synced
      ? informer.get(
          manifest.metadata.name ?? '',
          ref.namespaced ? manifest.metadata.namespace || 'default' : undefined,
        )
      : undefined;
    const json = JSON.stringify(manifest);
    const last = this.applied.get(key);
    const drift = last?.manifest === json && synced ? driftOf(last, cached) : undefined;
    // An object that lost the hub's label is applied again (a conflict unless the Work overwrites).
    if (cached && isManagedResource(cached) && last && last.manifest === json && drift === undefined) {
      return cached;
    }
    // The synced cache has every object of the kind: one it lacks is absent (null), and the
    // executor applies without reading the member first; before the cache syncs it reads.
    const result = await this.executor.apply(ref, manifest, synced ? (cached ?? null) : undefined);
    this.applied.set(key, {
      manifest: json,
      uid: result.metadata.uid,
      generation: result.metadata.generation,
      ...(result.metadata.generation === undefined ? { content: contentOf(result) } : {}),
    });
    if (drift) {
      const ns = result.metadata.namespace ? `${result.metadata.namespace}/` : '';
      this.opts.recorder?.event(
        work,
        'Warning',
        WORK_REASON_DRIFT_CORRECTED,
        `${manifest.kind} ${ns}${manifest.metadata.name} was ${drift} on ${this.cluster}; applied again`,
      );
    }
    return result;
  }

  private conditions(work: Work, next: Condition[]): Condition[] {
    const now = this.opts.now().toISOString();
    let out = work.status?.conditions ?? [];
    for (const c of next) out = setCondition(out, c, now);
    return out;
  }

  /** The cached Work, or this writer's own later write of it while the cache has not seen that. */
  private latest(cached: Work | undefined): Work | undefined {
    if (!cached) return undefined;
    const own = this.written.get(cached.metadata.name ?? '');
    if (!own || own.work.metadata.uid !== cached.metadata.uid) return cached;
    if (own.replaced === cached.metadata.resourceVersion) return own.work;
    this.written.delete(cached.metadata.name ?? '');
    return cached;
  }

  private async writeStatus(work: Work, status: WorkStatus): Promise<void> {
    if (sameWorkStatus(work.status, status)) return;
    try {
      const updated = await this.opts.hub.update<Work>(
        karmadaResources.works,
        { ...work, status },
        {
          namespace: this.namespace,
          subresource: 'status',
        },
      );
      this.written.set(work.metadata.name ?? '', { work: updated, replaced: work.metadata.resourceVersion });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  }

  /** A deleted Work: its objects leave the member (or stay, released), then its finalizer goes. */
  private async finalize(work: Work) {
    const finalizers = work.metadata.finalizers ?? [];
    if (!finalizers.includes(EXECUTION_CONTROLLER_FINALIZER)) return undefined;
    if (this.opts.dispatchable()) {
      for (const manifest of work.spec.workload?.manifests ?? []) {
        let ref: ResourceRef;
        try {
          ref = await this.executor.refFor(manifest);
        } catch (err) {
          // A kind the member never served left nothing there.
          if (err instanceof NoKindMatchError) continue;
          throw err;
        }
        if (work.spec.preserveResourcesOnDeletion) await this.executor.release(ref, manifest);
        else await this.executor.remove(ref, manifest);
        this.applied.delete(objectKeyOf(ref, manifest));
      }
    } else if (!this.opts.leaving()) {
      return undefined; // resume() brings it back once the member is reachable
    }
    try {
      await this.opts.hub.update(
        karmadaResources.works,
        {
          ...work,
          metadata: {
            ...work.metadata,
            finalizers: finalizers.filter((f) => f !== EXECUTION_CONTROLLER_FINALIZER),
          },
        },
        { namespace: this.namespace },
      );
    } catch (err) {
      if (isNotFound(err)) return undefined;
      if (isConflict(err)) return { requeue: true };
      throw err;
    }
    return undefined;
  }
}
