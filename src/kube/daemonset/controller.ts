// The DaemonSet controller, as Kubernetes' (pkg/controller/daemon): one pod per eligible node
// (nodeName, nodeSelector, required node affinity; taints tolerated by the pod's tolerations plus
// those every daemon pod gets), each pinned to its node by a required node affinity on
// metadata.name so that the scheduler places it. New nodes get a pod; pods leave nodes they no
// longer fit and nodes that are gone. Failed pods are replaced (with a backoff per node).
// Updates by RollingUpdate (maxUnavailable, or maxSurge) or OnDelete, with ControllerRevisions of
// the template and pods labelled controller-revision-hash and pod-template-generation. Status:
// desired/current/ready/available/updated/misscheduled/unavailable counts and observedGeneration.

import { objectKey } from '../../client/cache.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../controller/context.js';
import type { Controller, ReconcileResult } from '../../controller/controller.js';
import { claimObjects, controllerRefOf, newControllerRef } from '../../controller/controller-ref.js';
import type { EventRecorder } from '../../controller/events.js';
import { ControllerExpectations } from '../../controller/expectations.js';
import { acquireOwnerIndex, type OwnerIndex } from '../../controller/owner-index.js';
import { type OwnerKind, resolveControllerRef, selectingOwners } from '../../controller/owners.js';
import { runController } from '../../controller/runner.js';
import { SLOW_START_INITIAL_BATCH_SIZE } from '../../controller/slow-start.js';
import { deepEqual } from '../../machinery/json.js';
import { fromLabelSelector, type Selector } from '../../machinery/labels.js';
import type { KubeObject, LabelSelector } from '../../machinery/object.js';
import { wireStatus } from '../../machinery/object.js';
import {
  errorMessage,
  isAlreadyExists,
  isConflict,
  isNamespaceTerminating,
  isNotFound,
} from '../../machinery/status.js';
import { ControllerHistory, templatePatch } from '../history/history.js';
import { computeHash, semanticValue } from '../workloads/hash.js';
import { scaledValue } from '../workloads/int-or-percent.js';
import { isPodAvailable, isPodReady, podFromTemplate } from '../workloads/pods.js';
import type { ControllerRevision, IntOrString, Node, Pod, PodTemplateSpec } from '../workloads/types.js';
import { nodeShouldRunDaemonPod, pinToNode, targetNodeName, withDaemonPodTolerations } from './node-fit.js';

export const DAEMONSET_CONTROLLER = 'daemonset-controller';
/** Most pods created or deleted in one sync (kube-controller-manager's DaemonSet BurstReplicas). */
export const DAEMONSET_BURST_REPLICAS = 250;
export const REVISION_HASH_LABEL = 'controller-revision-hash';
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
const BACKOFF_INITIAL_MS = 1000;
const BACKOFF_MAX_MS = 15 * 60 * 1000;

export interface DaemonSetSpec {
  selector?: LabelSelector;
  template?: PodTemplateSpec;
  updateStrategy?: {
    type?: 'RollingUpdate' | 'OnDelete';
    rollingUpdate?: { maxUnavailable?: IntOrString; maxSurge?: IntOrString };
  };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
}

export interface DaemonSetStatus {
  currentNumberScheduled?: number;
  numberMisscheduled?: number;
  desiredNumberScheduled?: number;
  numberReady?: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: unknown[];
}

export interface DaemonSet extends KubeObject {
  spec: DaemonSetSpec;
  status?: DaemonSetStatus;
}

export interface DaemonSetControllerOptions {
  /** Concurrent syncs (kube-controller-manager's --concurrent-daemonset-syncs, default 2). */
  workers?: number;
  burstReplicas?: number;
  recorder?: EventRecorder;
}

const DAEMONSET_KIND: OwnerKind = { group: 'apps', kind: 'DaemonSet' };

/** Oldest first; among equals, the one further along (Running before Pending...). */
function byCreationAndPhase(a: Pod, b: Pod): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const order = (p: Pod) =>
    ({ Running: 0, Pending: 1, Unknown: 2, Succeeded: 3, Failed: 4 })[p.status?.phase ?? 'Unknown'] ?? 5;
  return order(a) - order(b);
}

function isRollingUpdate(ds: DaemonSet): boolean {
  return (ds.spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

function surgeCount(ds: DaemonSet, count: number): number {
  if (!isRollingUpdate(ds)) return 0;
  return scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxSurge ?? 0, count, true);
}

function unavailableCount(ds: DaemonSet, count: number): number {
  if (!isRollingUpdate(ds)) return 0;
  return scaledValue(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, count, true);
}

const allowsSurge = (ds: DaemonSet) => surgeCount(ds, 1) !== 0;

/** Whether a pod is of the DaemonSet's current template (by revision hash or generation). */
function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  const hashMatches = hash !== '' && labels[REVISION_HASH_LABEL] === hash;
  const generationMatches =
    generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation);
  return hashMatches || generationMatches;
}

export class DaemonSetController {
  readonly controller: Controller;
  readonly expectations: ControllerExpectations;
  private readonly dsInformer: Informer<DaemonSet>;
  private readonly podInformer: Informer<Pod>;
  private readonly nodeInformer: Informer<Node>;
  private readonly revisionInformer: Informer<ControllerRevision>;
  private readonly pods: OwnerIndex<Pod>;
  private readonly history: ControllerHistory;
  private readonly releaseIndexes: (() => void)[];
  private readonly recorder: EventRecorder;
  private readonly burstReplicas: number;
  /** Backoff per (DaemonSet, node) for replacing failed pods. */
  private readonly failedBackoff = new Map<string, { delay: number; at: number }>();

  constructor(
    private readonly ctx: ControllerContext,
    opts: DaemonSetControllerOptions = {},
  ) {
    this.burstReplicas = opts.burstReplicas ?? DAEMONSET_BURST_REPLICAS;
    this.expectations = new ControllerExpectations(ctx.now);
    this.recorder = eventRecorder(ctx, DAEMONSET_CONTROLLER, opts.recorder);
    this.dsInformer = ctx.informers.informerFor<DaemonSet>(resources.daemonsets);
    this.podInformer = ctx.informers.informerFor<Pod>(resources.pods);
    this.nodeInformer = ctx.informers.informerFor<Node>(resources.nodes);
    this.revisionInformer = ctx.informers.informerFor<ControllerRevision>(resources.controllerrevisions);
    const pods = acquireOwnerIndex(this.podInformer);
    const revisions = acquireOwnerIndex(this.revisionInformer);
    this.pods = pods.index;
    this.history = new ControllerHistory(ctx.client, revisions.index);
    this.releaseIndexes = [pods.release, revisions.release];
    this.controller = reconcileLoop(ctx, {
      name: 'daemonset',
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 2,
    });
  }

  start(): RunningController {
    const enqueue = (ds: DaemonSet) => this.controller.enqueue(objectKey(ds));
    const unregister = [
      this.dsInformer.addEventHandler({
        onAdd: enqueue,
        onUpdate: (_o, ds) => enqueue(ds),
        onDelete: (ds) => {
          this.expectations.delete(objectKey(ds));
          enqueue(ds);
        },
      }),
      this.podInformer.addEventHandler({
        onAdd: (pod) => {
          if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
          const ds = this.ownerOf(pod);
          if (ds) {
            this.expectations.creationObserved(objectKey(ds));
            enqueue(ds);
          } else if (!controllerRefOf(pod)) {
            this.enqueueMatching(pod);
          }
        },
        onUpdate: (old, pod) => {
          if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
          if (pod.metadata.deletionTimestamp) return this.podDeleted(pod);
          const oldOwner = this.ownerOf(old);
          const owner = this.ownerOf(pod);
          if (oldOwner && oldOwner !== owner) enqueue(oldOwner);
          if (owner) {
            enqueue(owner);
            const minReady = owner.spec.minReadySeconds ?? 0;
            if (minReady > 0 && !isPodReady(old) && isPodReady(pod)) {
              this.controller.enqueueAfter(objectKey(owner), minReady * 1000 + 1000);
            }
          } else if (!controllerRefOf(pod)) {
            this.enqueueMatching(pod);
          }
        },
        onDelete: (pod) => this.podDeleted(pod),
      }),
      this.nodeInformer.addEventHandler({
        onAdd: (node) => {
          for (const ds of this.dsInformer.list()) {
            if (nodeShouldRunDaemonPod(ds.spec.template?.spec ?? {}, node).shouldRun) enqueue(ds);
          }
        },
        onUpdate: (old, node) => {
          // Heartbeats change status only: what decides placement is labels, taints and the name.
          if (
            deepEqual(old.metadata.labels ?? {}, node.metadata.labels ?? {}) &&
            deepEqual(old.spec?.taints ?? [], node.spec?.taints ?? []) &&
            (old.spec?.unschedulable ?? false) === (node.spec?.unschedulable ?? false)
          ) {
            return;
          }
          for (const ds of this.dsInformer.list()) {
            const spec = ds.spec.template?.spec ?? {};
            const a = nodeShouldRunDaemonPod(spec, old);
            const b = nodeShouldRunDaemonPod(spec, node);
            if (a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning)
              enqueue(ds);
          }
        },
        // Pods bound to a node that is gone are removed (Kubernetes' pod garbage collector's job).
        onDelete: () => {
          for (const ds of this.dsInformer.list()) enqueue(ds);
        },
      }),
      this.revisionInformer.addEventHandler({
        onAdd: (r) => this.revisionChanged(r),
        onUpdate: (_o, r) => this.revisionChanged(r),
        onDelete: (r) => this.revisionChanged(r),
      }),
    ];
    return runController({
      controllers: [this.controller],
      informers: [this.dsInformer, this.podInformer, this.nodeInformer, this.revisionInformer],
      unregister: [...unregister, ...this.releaseIndexes],
      recorder: this.recorder,
    });
  }

  private resolve(
    namespace: string | undefined,
    ref: { apiVersion: string; kind: string; name: string; uid: string },
  ) {
    return resolveControllerRef(this.dsInformer, DAEMONSET_KIND, namespace, ref);
  }

  private ownerOf(obj: KubeObject): DaemonSet | undefined {
    const ref = controllerRefOf(obj);
    return ref ? this.resolve(obj.metadata.namespace, ref) : undefined;
  }

  private enqueueMatching(obj: KubeObject): void {
    for (const ds of selectingOwners(this.dsInformer, obj)) this.controller.enqueue(objectKey(ds));
  }

  private podDeleted(pod: Pod): void {
    const ds = this.ownerOf(pod);
    if (!ds) return;
    const key = objectKey(ds);
    this.expectations.deletionObserved(key, objectKey(pod));
    this.controller.enqueue(key);
  }

  private revisionChanged(r: ControllerRevision): void {
    const ds = this.ownerOf(r);
    if (ds) this.controller.enqueue(objectKey(ds));
    else if (!controllerRefOf(r)) this.enqueueMatching(r);
  }

  // --- sync ----------------------------------------------------------------------------------------

  private async sync(key: string): Promise<ReconcileResult | undefined> {
    const cached = this.dsInformer.getByKey(key);
    if (!cached) {
      this.expectations.delete(key);
      for (const k of this.failedBackoff.keys())
        if (k.startsWith(`${key}\u0000`)) this.failedBackoff.delete(k);
      return undefined;
    }
    const ds = structuredClone(cached) as DaemonSet;
    const sel = ds.spec.selector;
    if (sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
      this.recorder.event(
        ds,
        'Warning',
        'SelectingAll',
        'This daemon set is selecting all pods. A non-empty selector is required.',
      );
      return undefined;
    }
    let selector: Selector;
    try {
      selector = fromLabelSelector(ds.spec.selector);
    } catch (err) {
      this.controller.logger.warn({ err, key }, 'invalid selector');
      return undefined;
    }
    // While being deleted, what it owns may already be going: leave it to the garbage collector.
    if (ds.metadata.deletionTimestamp) return undefined;
    const nodes = this.nodeInformer.list();
    const { current, old } = await this.constructHistory(ds, selector);
    const hash = current.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
    const state: { requeueAfter?: number } = {};
    if (!this.expectations.satisfied(key)) {
      // Waiting for earlier creates or deletes to show: only report status.
      await this.updateStatus(ds, selector, nodes, hash, false, state);
      return state.requeueAfter !== undefined ? state : undefined;
    }
    let syncError: unknown;
    try {
      const nodeToPods = await this.nodesToDaemonPods(ds, selector);
      await this.manage(ds, key, nodes, nodeToPods, hash, state);
      if (this.expectations.satisfied(key) && isRollingUpdate(ds)) {
        await this.rollingUpdate(ds, key, nodes, await this.nodesToDaemonPods(ds, selector), hash);
      }
      await this.cleanupHistory(ds, old);
    } catch (err) {
      syncError = err;
    }
    await this.updateStatus(ds, selector, nodes, hash, true, state);
    if (syncError !== undefined) throw syncError;
    return state.requeueAfter !== undefined ? state : undefined;
  }

  /** The DaemonSet's pods by the node they are for, after adoption and release. */
  private async nodesToDaemonPods(ds: DaemonSet, selector: Selector): Promise<Map<string, Pod[]>> {
    const owned = [...this.pods.owned(ds.metadata.uid ?? '').values()];
    const orphans = [...this.pods.orphansIn(ds.metadata.namespace ?? '').values()];
    const pods =
      orphans.length === 0 && owned.every((p) => selector.matches(p.metadata.labels ?? {}))
        ? owned
        : await claimObjects(
            {
              client: this.ctx.client,
              ref: resources.pods,
              owner: ds,
              ownerRef: resources.daemonsets,
              selector,
            },
            [...owned, ...orphans],
          );
    const out = new Map<string, Pod[]>();
    for (const pod of pods) {
      const node = targetNodeName(pod.spec);
      if (!node) continue;
      let list = out.get(node);
      if (!list) {
        list = [];
        out.set(node, list);
      }
      list.push(pod);
    }
    return out;
  }

  private async manage(
    ds: DaemonSet,
    key: string,
    nodes: Node[],
    nodeToPods: Map<string, Pod[]>,
    hash: string,
    state: { requeueAfter?: number },
  ): Promise<void> {
    const spec = ds.spec.template?.spec ?? {};
    const needPods: string[] = [];
    const toDelete: Pod[] = [];
    const now = this.ctx.now();
    const known = new Set<string>();
    for (const node of nodes) {
      const name = node.metadata.name ?? '';
      known.add(name);
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(spec, node);
      const pods = nodeToPods.get(name);
      if (shouldRun && !pods) {
        needPods.push(name);
        continue;
      }
      if (shouldContinueRunning) {
        const running: Pod[] = [];
        for (const pod of pods ?? []) {
          if (pod.metadata.deletionTimestamp) continue;
          if (pod.status?.phase === 'Failed') {
            const backoffKey = `${key}\u0000${name}`;
            const wait = this.backoffRemaining(backoffKey, now.getTime());
            if (wait > 0) {
              state.requeueAfter = Math.min(state.requeueAfter ?? wait, wait);
              continue;
            }
            this.backoffNext(backoffKey, now.getTime());
            this.recorder.event(
              ds,
              'Warning',
              'FailedDaemonPod',
              `Found failed daemon pod ${pod.metadata.namespace}/${pod.metadata.name} on node ${name}, will try to kill it`,
            );
            toDelete.push(pod);
          } else if (pod.status?.phase === 'Succeeded') {
            toDelete.push(pod);
          } else {
            running.push(pod);
          }
        }
        running.sort(byCreationAndPhase);
        if (!allowsSurge(ds)) {
          // One pod per node: all but the oldest go.
          toDelete.push(...running.slice(1));
          continue;
        }
        if (running.length <= 1) {
          if (running.length === 0 && shouldRun) needPods.push(name);
          continue;
        }
        // Surging: keep the oldest new pod and, while it is not available, the oldest old one.
        let oldestNew: Pod | undefined;
        let oldestOld: Pod | undefined;
        for (const pod of running) {
          if (pod.metadata.labels?.[REVISION_HASH_LABEL] === hash) {
            if (!oldestNew) {
              oldestNew = pod;
              continue;
            }
          } else if (!oldestOld) {
            oldestOld = pod;
            continue;
          }
          toDelete.push(pod);
        }
        if (oldestNew && oldestOld) {
          if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec.minReadySeconds ?? 0, now))
            toDelete.push(oldestOld);
        }
        continue;
      }
      for (const pod of pods ?? []) if (!pod.metadata.deletionTimestamp) toDelete.push(pod);
    }
    // Pods for nodes that do not exist (any more) go.
    for (const [node, pods] of nodeToPods) {
      if (known.has(node)) continue;
      for (const pod of pods) if (!pod.metadata.deletionTimestamp) toDelete.push(pod);
    }
    await this.syncNodes(ds, key, toDelete, needPods, hash);
  }

  private backoffRemaining(key: string, now: number): number {
    const b = this.failedBackoff.get(key);
    if (!b) return 0;
    if (now - b.at > 2 * BACKOFF_MAX_MS) {
      this.failedBackoff.delete(key);
      return 0;
    }
    return Math.max(0, b.at + b.delay - now);
  }

  private backoffNext(key: string, now: number): void {
    const b = this.failedBackoff.get(key);
    const delay =
      !b || now - b.at > 2 * BACKOFF_MAX_MS ? BACKOFF_INITIAL_MS : Math.min(b.delay * 2, BACKOFF_MAX_MS);
    this.failedBackoff.set(key, { delay, at: now });
  }

  /** Creates pods for nodes (slow start, pinned by node affinity) and deletes pods, within the burst limit. */
  private async syncNodes(
    ds: DaemonSet,
    key: string,
    toDelete: Pod[],
    nodes: string[],
    hash: string,
  ): Promise<void> {
    const create = nodes.slice(0, this.burstReplicas);
    const remove = toDelete.slice(0, this.burstReplicas);
    this.expectations.expect(key, create.length, remove.map(objectKey));
    const errs: unknown[] = [];
    const template = this.podTemplate(ds, hash);
    const controllerRef = newControllerRef(ds);
    let pos = 0;
    for (let batch = Math.min(create.length, SLOW_START_INITIAL_BATCH_SIZE); pos < create.length; ) {
      const before = errs.length;
      const chunk = create.slice(pos, pos + batch);
      await Promise.all(
        chunk.map(async (node) => {
          const t = structuredClone(template);
          t.spec = { ...t.spec, affinity: pinToNode(t.spec?.affinity, node) };
          const pod = podFromTemplate(t, ds, controllerRef);
          try {
            const created = await this.ctx.client.create<Pod>(resources.pods, pod, {
              namespace: ds.metadata.namespace,
            });
            this.recorder.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
          } catch (err) {
            this.expectations.creationObserved(key);
            if (isNamespaceTerminating(err)) return;
            this.recorder.event(ds, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`);
            errs.push(err);
          }
        }),
      );
      pos += chunk.length;
      const skipped = create.length - pos;
      if (errs.length > before && skipped > 0) {
        this.expectations.lowerCreations(key, skipped);
        break;
      }
      batch = Math.min(2 * batch, create.length - pos);
    }
    await Promise.all(
      remove.map(async (pod) => {
        try {
          await this.ctx.client.delete(resources.pods, pod.metadata.name ?? '', {
            namespace: pod.metadata.namespace,
          });
          this.recorder.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (err) {
          this.expectations.deletionObserved(key, objectKey(pod));
          if (isNotFound(err)) return;
          this.recorder.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`);
          errs.push(err);
        }
      }),
    );
    if (errs.length > 0) throw errs[0];
  }

  /** The template pods are made from: daemon tolerations, generation and revision hash labels. */
  private podTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
    const t = structuredClone(ds.spec.template ?? {});
    t.spec = { ...t.spec, tolerations: withDaemonPodTolerations(t.spec ?? {}) };
    const labels: Record<string, string> = {
      ...t.metadata?.labels,
      [TEMPLATE_GENERATION_LABEL]: String(ds.metadata.generation ?? 0),
    };
    if (hash) labels[REVISION_HASH_LABEL] = hash;
    t.metadata = { ...t.metadata, labels };
    return t;
  }

  private async rollingUpdate(
    ds: DaemonSet,
    key: string,
    nodes: Node[],
    nodeToPods: Map<string, Pod[]>,
    hash: string,
  ): Promise<void> {
    const spec = ds.spec.template?.spec ?? {};
    const generation = ds.metadata.generation;
    const now = this.ctx.now();
    const minReady = ds.spec.minReadySeconds ?? 0;
    let desired = 0;
    for (const node of nodes) {
      if (!nodeShouldRunDaemonPod(spec, node).shouldRun) continue;
      desired++;
      const name = node.metadata.name ?? '';
      if (!nodeToPods.has(name)) nodeToPods.set(name, []);
    }
    let maxUnavailable = unavailableCount(ds, desired);
    const maxSurge = surgeCount(ds, desired);
    if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;

    const split = (pods: Pod[]): { newPod?: Pod; oldPod?: Pod; ok: boolean } => {
      let newPod: Pod | undefined;
      let oldPod: Pod | undefined;
      for (const pod of pods) {
        if (pod.metadata.deletionTimestamp) continue;
        if (isPodUpdated(pod, hash, generation)) {
          if (newPod) return { ok: false };
          newPod = pod;
        } else {
          if (oldPod) return { ok: false };
          oldPod = pod;
        }
      }
      return { newPod, oldPod, ok: true };
    };

    if (maxSurge === 0) {
      // Delete just enough old pods to stay within maxUnavailable; manage() creates their replacements.
      let unavailable = 0;
      const replacements: Pod[] = [];
      const candidates: Pod[] = [];
      for (const pods of nodeToPods.values()) {
        const { newPod, oldPod, ok } = split(pods);
        if (!ok) {
          unavailable++;
          continue;
        }
        if ((!oldPod && !newPod) || (oldPod && newPod)) {
          unavailable++;
        } else if (newPod) {
          if (!isPodAvailable(newPod, minReady, now)) unavailable++;
        } else if (oldPod) {
          if (!isPodAvailable(oldPod, minReady, now)) {
            replacements.push(oldPod);
            unavailable++;
          } else if (unavailable < maxUnavailable) {
            candidates.push(oldPod);
          }
        }
      }
      const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
      await this.syncNodes(ds, key, [...replacements, ...candidates.slice(0, room)], [], hash);
      return;
    }

    // Surge: new pods beside old ones (up to maxSurge), old ones deleted once the new are available.
    const oldToDelete: Pod[] = [];
    const shouldNotRun: Pod[] = [];
    const candidateNodes: string[] = [];
    const allowedNodes: string[] = [];
    let surge = 0;
    let available = 0;
    const nodeByName = new Map(nodes.map((n) => [n.metadata.name ?? '', n]));
    for (const [name, pods] of nodeToPods) {
      const { newPod, oldPod, ok } = split(pods);
      if (!ok) {
        surge++;
        continue;
      }
      if (oldPod) {
        if (isPodAvailable(oldPod, minReady, now)) available++;
      } else if (newPod && isPodAvailable(newPod, minReady, now)) {
        available++;
      }
      if (!oldPod) continue;
      const node = nodeByName.get(name);
      const shouldRun = node ? nodeShouldRunDaemonPod(spec, node).shouldRun : false;
      if (!newPod) {
        if (!isPodAvailable(oldPod, minReady, now)) {
          if (!shouldRun) oldToDelete.push(oldPod);
          else allowedNodes.push(name);
        } else if (!shouldRun) {
          shouldNotRun.push(oldPod);
        } else if (surge < maxSurge) {
          candidateNodes.push(name);
        }
        continue;
      }
      if (!isPodAvailable(newPod, minReady, now)) {
        surge++;
        continue;
      }
      oldToDelete.push(oldPod);
    }
    const deletable = Math.min(available - desired, shouldNotRun.length);
    if (deletable > 0) oldToDelete.push(...shouldNotRun.slice(0, deletable));
    const room = Math.min(Math.max(0, maxSurge - surge), candidateNodes.length);
    await this.syncNodes(ds, key, oldToDelete, [...allowedNodes, ...candidateNodes.slice(0, room)], hash);
  }

  // --- history --------------------------------------------------------------------------------------

  /** The current revision (created or renumbered as needed) and the old ones. */
  private async constructHistory(
    ds: DaemonSet,
    selector: Selector,
  ): Promise<{ current: ControllerRevision; old: ControllerRevision[] }> {
    let revisions = this.history.list(ds, selector);
    revisions = await this.history.adoptOrphans(ds, resources.daemonsets, selector, revisions);
    const patch = templatePatch(ds.spec.template);
    const currents: ControllerRevision[] = [];
    const old: ControllerRevision[] = [];
    for (const r of revisions) {
      let rev = r;
      if (!rev.metadata.labels?.[REVISION_HASH_LABEL]) {
        // Labelled with its name, which is unique, rather than a hash that could collide.
        rev = await this.ctx.client.update<ControllerRevision>(
          resources.controllerrevisions,
          {
            ...rev,
            metadata: {
              ...rev.metadata,
              labels: { ...rev.metadata.labels, [REVISION_HASH_LABEL]: rev.metadata.name ?? '' },
            },
          },
          { namespace: rev.metadata.namespace },
        );
      }
      if (deepEqual(semanticValue(rev.data) ?? null, semanticValue(patch) ?? null)) currents.push(rev);
      else old.push(rev);
    }
    let max = 0;
    for (const r of old) max = Math.max(max, r.revision);
    const next = max + 1;
    if (currents.length === 0) return { current: await this.snapshot(ds, next), old };
    // Duplicates of the current revision: keep the newest, move pods' labels to it, drop the rest.
    currents.sort((a, b) => b.revision - a.revision);
    let current = currents[0]!;
    for (const dup of currents.slice(1)) await this.dropDuplicate(ds, current, dup);
    if (current.revision < next) current = await this.history.updateRevision(current, next);
    return { current, old };
  }

  private async dropDuplicate(
    ds: DaemonSet,
    keep: ControllerRevision,
    dup: ControllerRevision,
  ): Promise<void> {
    const keepHash = keep.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
    const dupHash = dup.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
    for (const pod of this.pods.owned(ds.metadata.uid ?? '').values()) {
      if (pod.metadata.labels?.[REVISION_HASH_LABEL] !== dupHash) continue;
      await this.ctx.client.patch(
        resources.pods,
        pod.metadata.name ?? '',
        { metadata: { labels: { [REVISION_HASH_LABEL]: keepHash } } },
        'merge',
        {
          namespace: pod.metadata.namespace,
        },
      );
    }
    await this.history.delete(dup);
  }

  /** A new revision of the current template, named "<ds>-<template hash>". */
  private async snapshot(ds: DaemonSet, revision: number): Promise<ControllerRevision> {
    const hash = computeHash(ds.spec.template ?? {}, ds.status?.collisionCount);
    const cr: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${ds.metadata.name}-${hash}`,
        namespace: ds.metadata.namespace,
        labels: { ...ds.spec.template?.metadata?.labels, [REVISION_HASH_LABEL]: hash },
        ownerReferences: [newControllerRef(ds)],
      },
      data: templatePatch(ds.spec.template),
      revision,
    };
    if (ds.metadata.annotations) cr.metadata.annotations = { ...ds.metadata.annotations };
    try {
      return await this.ctx.client.create<ControllerRevision>(resources.controllerrevisions, cr, {
        namespace: ds.metadata.namespace,
      });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.ctx.client.get<ControllerRevision>(
        resources.controllerrevisions,
        cr.metadata.name!,
        {
          namespace: ds.metadata.namespace,
        },
      );
      if (deepEqual(semanticValue(existing.data) ?? null, semanticValue(cr.data) ?? null)) return existing;
      // A hash collision: bump collisionCount (if ours is current) and try again later.
      const fresh = await this.ctx.client.get<DaemonSet>(resources.daemonsets, ds.metadata.name ?? '', {
        namespace: ds.metadata.namespace,
      });
      if ((fresh.status?.collisionCount ?? 0) !== (ds.status?.collisionCount ?? 0)) {
        throw new Error(
          `found a stale collision count of DaemonSet "${ds.metadata.name}" while processing; will retry until it is updated`,
        );
      }
      await this.ctx.client.update(
        resources.daemonsets,
        { ...fresh, status: { ...fresh.status, collisionCount: (fresh.status?.collisionCount ?? 0) + 1 } },
        { namespace: ds.metadata.namespace, subresource: 'status' },
      );
      throw err;
    }
  }

  /** Keeps revisionHistoryLimit old revisions that no pod uses. */
  private async cleanupHistory(ds: DaemonSet, old: ControllerRevision[]): Promise<void> {
    let toKill = old.length - (ds.spec.revisionHistoryLimit ?? 10);
    if (toKill <= 0) return;
    const live = new Set<string>();
    for (const pod of this.pods.owned(ds.metadata.uid ?? '').values()) {
      const h = pod.metadata.labels?.[REVISION_HASH_LABEL];
      if (h) live.add(h);
    }
    for (const r of [...old].sort((a, b) => a.revision - b.revision)) {
      if (toKill <= 0) break;
      if (live.has(r.metadata.labels?.[REVISION_HASH_LABEL] ?? '')) continue;
      await this.history.delete(r);
      toKill--;
    }
  }

  // --- status ---------------------------------------------------------------------------------------

  private async updateStatus(
    ds: DaemonSet,
    selector: Selector,
    nodes: Node[],
    hash: string,
    observed: boolean,
    state: { requeueAfter?: number },
  ): Promise<void> {
    const nodeToPods = new Map<string, Pod[]>();
    for (const pod of this.pods.owned(ds.metadata.uid ?? '').values()) {
      if (!selector.matches(pod.metadata.labels ?? {})) continue;
      const node = targetNodeName(pod.spec);
      if (!node) continue;
      const list = nodeToPods.get(node) ?? [];
      list.push(pod);
      nodeToPods.set(node, list);
    }
    const spec = ds.spec.template?.spec ?? {};
    const now = this.ctx.now();
    const minReady = ds.spec.minReadySeconds ?? 0;
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const node of nodes) {
      const { shouldRun } = nodeShouldRunDaemonPod(spec, node);
      const pods = nodeToPods.get(node.metadata.name ?? '');
      const scheduled = (pods?.length ?? 0) > 0;
      if (!shouldRun) {
        if (scheduled) misscheduled++;
        continue;
      }
      desired++;
      if (!scheduled) continue;
      current++;
      const pod = [...pods!].sort(byCreationAndPhase)[0]!;
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
      }
      if (isPodUpdated(pod, hash, ds.metadata.generation)) updated++;
    }
    const status: DaemonSetStatus = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: observed ? (ds.metadata.generation ?? 0) : ds.status?.observedGeneration,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: desired - available,
    };
    if (ds.status?.collisionCount !== undefined) status.collisionCount = ds.status.collisionCount;
    if (ds.status?.conditions) status.conditions = ds.status.conditions;
    if (minReady > 0 && ready !== available) {
      state.requeueAfter = Math.min(state.requeueAfter ?? minReady * 1000, minReady * 1000);
    }
    const old = ds.status ?? {};
    const same =
      (old.currentNumberScheduled ?? 0) === current &&
      (old.numberMisscheduled ?? 0) === misscheduled &&
      (old.desiredNumberScheduled ?? 0) === desired &&
      (old.numberReady ?? 0) === ready &&
      (old.updatedNumberScheduled ?? 0) === updated &&
      (old.numberAvailable ?? 0) === available &&
      (old.numberUnavailable ?? 0) === desired - available &&
      (old.observedGeneration ?? 0) >= (ds.metadata.generation ?? 0);
    if (same) return;
    const wire = wireStatus(status, {
      always: ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'],
      whenSet: ['collisionCount'],
    });
    try {
      await this.ctx.client.update(
        resources.daemonsets,
        { ...ds, status: wire },
        { namespace: ds.metadata.namespace, subresource: 'status' },
      );
    } catch (err) {
      if (!isConflict(err)) throw err;
      const fresh = await this.ctx.client.get<DaemonSet>(resources.daemonsets, ds.metadata.name ?? '', {
        namespace: ds.metadata.namespace,
      });
      await this.ctx.client.update(
        resources.daemonsets,
        { ...fresh, status: { ...wire, collisionCount: fresh.status?.collisionCount } },
        { namespace: ds.metadata.namespace, subresource: 'status' },
      );
    }
  }
}

export function startDaemonSetController(
  ctx: ControllerContext,
  opts: DaemonSetControllerOptions = {},
): RunningController {
  return new DaemonSetController(ctx, opts).start();
}
