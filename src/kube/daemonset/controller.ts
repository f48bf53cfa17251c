// The DaemonSet controller, as Kubernetes' (pkg/controller/daemon): one pod per eligible node
// (nodeName, nodeSelector, required node affinity; taints tolerated by the pod's tolerations plus
// those every daemon pod gets), each pinned to its node by a required node affinity on
// metadata.name so that the scheduler places it. New nodes get a pod; pods leave nodes they no
// longer fit and nodes that are gone. Failed pods are replaced (with a backoff per node).
// Updates by RollingUpdate (maxUnavailable, or maxSurge) or OnDelete, with ControllerRevisions of
// the template and pods labelled controller-revision-hash and pod-template-generation. Status:
// desired/current/ready/available/updated/misscheduled/unavailable counts and observedGeneration.
//
// This file wires the controller (informers, expectations) and runs a sync; phases.ts places and
// updates pods, revisions.ts keeps the ControllerRevisions, status.ts writes the status.

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
import { claimObjects, controllerRefOf } from '../../controller/controller-ref.js';
import type { EventRecorder } from '../../controller/events.js';
import { ControllerExpectations } from '../../controller/expectations.js';
import type { OwnerIndex } from '../../controller/owner-index.js';
import { type OwnerKind, resolveControllerRef, selectingOwners } from '../../controller/owners.js';
import { runController } from '../../controller/runner.js';
import { deepEqual } from '../../machinery/json.js';
import { fromLabelSelector, type Selector } from '../../machinery/labels.js';
import type { KubeObject } from '../../machinery/object.js';
import type { ControllerHistory } from '../history/history.js';
import { type RevisionedWorkload, revisionedWorkload } from '../history/revisioned.js';
import { isPodReady } from '../workloads/pods.js';
import type { ControllerRevision, Node, Pod } from '../workloads/types.js';
import { nodeShouldRunDaemonPod, targetNodeName } from './node-fit.js';
import { manage, rollingUpdate } from './phases.js';
import { cleanupHistory, constructHistory } from './revisions.js';
import { updateStatus } from './status.js';
import {
  DAEMONSET_BURST_REPLICAS,
  DAEMONSET_CONTROLLER,
  type DaemonSet,
  type DaemonSetReconciler,
  isRollingUpdate,
  REVISION_HASH_LABEL,
} from './types.js';

export interface DaemonSetControllerOptions {
  /** Concurrent syncs (kube-controller-manager's --concurrent-daemonset-syncs, default 2). */
  workers?: number;
  burstReplicas?: number;
  recorder?: EventRecorder;
}

const DAEMONSET_KIND: OwnerKind = { group: 'apps', kind: 'DaemonSet' };

export class DaemonSetController implements DaemonSetReconciler {
  readonly controller: Controller;
  readonly expectations: ControllerExpectations;
  private readonly nodeInformer: Informer<Node>;
  /** The DaemonSets, their pods and ControllerRevisions, and the history over those. */
  private readonly w: RevisionedWorkload<DaemonSet>;
  readonly pods: OwnerIndex<Pod>;
  readonly history: ControllerHistory;
  readonly recorder: EventRecorder;
  readonly burstReplicas: number;
  /** Backoff per (DaemonSet, node) for replacing failed pods. */
  readonly failedBackoff = new Map<string, { delay: number; at: number }>();

  constructor(
    readonly ctx: ControllerContext,
    opts: DaemonSetControllerOptions = {},
  ) {
    this.burstReplicas = opts.burstReplicas ?? DAEMONSET_BURST_REPLICAS;
    this.expectations = new ControllerExpectations(ctx.now);
    this.recorder = eventRecorder(ctx, DAEMONSET_CONTROLLER, opts.recorder);
    this.w = revisionedWorkload<DaemonSet>(ctx, resources.daemonsets);
    this.pods = this.w.pods;
    this.history = this.w.history;
    this.nodeInformer = ctx.informers.informerFor<Node>(resources.nodes);
    this.controller = reconcileLoop(ctx, {
      name: 'daemonset',
      reconcile: (key) => this.sync(key),
      workers: opts.workers ?? 2,
    });
  }

  start(): RunningController {
    const enqueue = (ds: DaemonSet) => this.controller.enqueue(objectKey(ds));
    const unregister = [
      this.w.owners.addEventHandler({
        onAdd: enqueue,
        onUpdate: (_o, ds) => enqueue(ds),
        onDelete: (ds) => {
          this.expectations.delete(objectKey(ds));
          enqueue(ds);
        },
      }),
      this.w.podInformer.addEventHandler({
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
          for (const ds of this.w.owners.list()) {
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
          for (const ds of this.w.owners.list()) {
            const spec = ds.spec.template?.spec ?? {};
            const a = nodeShouldRunDaemonPod(spec, old);
            const b = nodeShouldRunDaemonPod(spec, node);
            if (a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning)
              enqueue(ds);
          }
        },
        // Pods bound to a node that is gone are removed (Kubernetes' pod garbage collector's job).
        onDelete: () => {
          for (const ds of this.w.owners.list()) enqueue(ds);
        },
      }),
      this.w.revisionInformer.addEventHandler({
        onAdd: (r) => this.revisionChanged(r),
        onUpdate: (_o, r) => this.revisionChanged(r),
        onDelete: (r) => this.revisionChanged(r),
      }),
    ];
    return runController({
      controllers: [this.controller],
      informers: [this.w.owners, this.w.podInformer, this.nodeInformer, this.w.revisionInformer],
      unregister: [...unregister, ...this.w.release],
      recorder: this.recorder,
    });
  }

  private resolve(
    namespace: string | undefined,
    ref: { apiVersion: string; kind: string; name: string; uid: string },
  ) {
    return resolveControllerRef(this.w.owners, DAEMONSET_KIND, namespace, ref);
  }

  private ownerOf(obj: KubeObject): DaemonSet | undefined {
    const ref = controllerRefOf(obj);
    return ref ? this.resolve(obj.metadata.namespace, ref) : undefined;
  }

  private enqueueMatching(obj: KubeObject): void {
    for (const ds of selectingOwners(this.w.owners, obj)) this.controller.enqueue(objectKey(ds));
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
    const cached = this.w.owners.getByKey(key);
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
    const { current, old } = await constructHistory(this, ds, selector);
    const hash = current.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
    const state: { requeueAfter?: number } = {};
    if (!this.expectations.satisfied(key)) {
      // Waiting for earlier creates or deletes to show: only report status.
      await updateStatus(this, ds, selector, nodes, hash, false, state);
      return state.requeueAfter !== undefined ? state : undefined;
    }
    let syncError: unknown;
    try {
      const nodeToPods = await this.nodesToDaemonPods(ds, selector);
      await manage(this, ds, key, nodes, nodeToPods, hash, state);
      if (this.expectations.satisfied(key) && isRollingUpdate(ds)) {
        await rollingUpdate(this, ds, key, nodes, await this.nodesToDaemonPods(ds, selector), hash);
      }
      await cleanupHistory(this, ds, old);
    } catch (err) {
      syncError = err;
    }
    await updateStatus(this, ds, selector, nodes, hash, true, state);
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

  // --- history --------------------------------------------------------------------------------------

  // --- status ---------------------------------------------------------------------------------------
}

export function startDaemonSetController(
  ctx: ControllerContext,
  opts: DaemonSetControllerOptions = {},
): RunningController {
  return new DaemonSetController(ctx, opts).start();
}
