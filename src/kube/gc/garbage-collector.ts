// The garbage collector, as Kubernetes' (pkg/controller/garbagecollector): objects whose owners
// are all gone are deleted; ownerReferences are verified by uid (an owner that exists with another
// uid, or in another namespace, or not at all, is absent); foreground deletion waits for the
// dependents that block their owner; orphaning strips the owner's references from its dependents.
//
// Two queues of graph nodes (by uid):
// - attempt-to-delete: decide whether a node is garbage (all owners absent -> delete it, with the
//   policy its own finalizers ask for; some owners absent -> drop those references), or, for an
//   owner deleting in the foreground, whether its blocking dependents are gone (then drop the
//   foregroundDeletion finalizer) or still to be deleted;
// - attempt-to-orphan: drop an orphaning owner's references from its dependents, then its
//   "orphan" finalizer.
// Owners are looked up in the graph when an informer has shown them, and at the API server only
// when nothing has (a virtual node); deletions and patches carry uid and resourceVersion
// preconditions, so a stale view never deletes the wrong thing.

import type { Logger } from 'pino';
import type { ResourceRef } from '../../client/client.js';
import { builtinRef } from '../../client/resources.js';
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
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { isConflict, isNotFound } from '../../machinery/status.js';
import {
  DependencyGraph,
  FOREGROUND_FINALIZER,
  type GraphNode,
  type ObjectIdentity,
  ORPHAN_FINALIZER,
  refMatchesIdentity,
} from './graph.js';
import { ResourceMonitors } from './monitors.js';

export const GC_COMPONENT = 'garbage-collector-controller';

export interface GarbageCollectorOptions {
  /** Concurrent attempt-to-delete workers (default 5). */
  workers?: number;
  /** Monitors shared with other controllers (the namespace controller); default its own. */
  monitors?: ResourceMonitors;
  recorder?: EventRecorder;
}

export interface RunningGarbageCollector extends RunningController {
  readonly graph: DependencyGraph;
  readonly monitors: ResourceMonitors;
  /** True once every watched resource has been listed and the workers run. */
  hasSynced(): boolean;
}

const ABSENT_CACHE_SIZE = 500;

/** A cluster-scoped object names a namespaced owner: never valid, never retried. */
class NamespacedOwnerOfClusterScopedObject extends Error {}

function isDiscoveryClient(client: unknown): client is DiscoveryClient {
  return typeof (client as { discover?: unknown }).discover === 'function';
}

interface OwnerState {
  beingDeleted: boolean;
  foreground: boolean;
}

/** Recently proven absent owners, by uid and the namespace they were looked for in. */
class AbsentOwners {
  private readonly keys = new Map<string, true>();
  has(uid: string, namespace: string): boolean {
    return this.keys.has(`${uid}\u0000${namespace}`);
  }
  add(uid: string, namespace: string): void {
    const key = `${uid}\u0000${namespace}`;
    this.keys.delete(key);
    this.keys.set(key, true);
    if (this.keys.size > ABSENT_CACHE_SIZE) this.keys.delete(this.keys.keys().next().value as string);
  }
}

class GarbageCollector {
  readonly graph: DependencyGraph;
  readonly deleter: Controller;
  readonly orphaner: Controller;
  private readonly logger: Logger;
  private readonly mapper: RESTMapper | undefined;
  private readonly absent = new AbsentOwners();
  readonly recorder: EventRecorder;
  readonly ownRecorder: boolean;

  constructor(
    private readonly ctx: ControllerContext,
    readonly monitors: ResourceMonitors,
    opts: GarbageCollectorOptions,
  ) {
    this.logger = ctx.logger.child({ controller: 'garbagecollector' });
    this.mapper = isDiscoveryClient(ctx.client) ? new RESTMapper(ctx.client) : undefined;
    this.ownRecorder = !opts.recorder;
    this.recorder = eventRecorder(ctx, GC_COMPONENT, opts.recorder);
    this.deleter = reconcileLoop(ctx, {
      name: 'garbagecollector-attempt-to-delete',
      workers: opts.workers ?? 5,
      reconcile: (uid) => this.attemptToDelete(uid),
    });
    this.orphaner = reconcileLoop(ctx, {
      name: 'garbagecollector-attempt-to-orphan',
      workers: 2,
      reconcile: (uid) => this.attemptToOrphan(uid),
    });
    this.graph = new DependencyGraph({
      attemptToDelete: (node) => this.deleter.enqueue(node.identity.uid),
      attemptToOrphan: (node) => this.orphaner.enqueue(node.identity.uid),
      invalidOwnerNamespace: (dep, owner) => this.reportInvalidNamespace(dep, owner),
      ownerAbsent: (id) => this.absent.add(id.uid, id.namespace),
    });
  }

  // ---------------------------------------------------------------------------------- lookups

  private async mapKind(apiVersion: string, kind: string): Promise<ResourceRef> {
    const builtin = builtinRef(apiVersion, kind);
    if (builtin) return builtin;
    if (!this.mapper) throw new Error(`no resource known for ${apiVersion}/${kind}`);
    return this.mapper.refFor(apiVersion, kind);
  }

  /** The node's object as it is now; undefined when it does not exist (or exists with another uid). */
  private async latest(node: GraphNode): Promise<{ ref: ResourceRef; obj: KubeObject | undefined }> {
    const ref = node.ref ?? (await this.mapKind(node.identity.apiVersion, node.identity.kind));
    const namespace = ref.namespaced ? node.identity.namespace : undefined;
    if (ref.namespaced && !namespace) return { ref, obj: undefined };
    if (node.observed) {
      const cached = this.monitors.informerOf(ref.group, ref.resource)?.get(node.identity.name, namespace);
      if (cached && cached.metadata.uid === node.identity.uid) return { ref, obj: cached };
    }
    try {
      const obj = await this.ctx.client.get(ref, node.identity.name, { namespace });
      return { ref, obj: obj.metadata.uid === node.identity.uid ? obj : undefined };
    } catch (err) {
      if (isNotFound(err)) return { ref, obj: undefined };
      throw err;
    }
  }

  /** Whether the owner a reference names exists; its deletion state if it does. */
  private async ownerOf(ref: OwnerReference, item: GraphNode): Promise<OwnerState | undefined> {
    if (this.absent.has(ref.uid, '') || this.absent.has(ref.uid, item.identity.namespace)) return undefined;
    const mapping = await this.mapKind(ref.apiVersion, ref.kind);
    if (item.identity.namespace === '' && mapping.namespaced)
      throw new NamespacedOwnerOfClusterScopedObject();
    const namespace = mapping.namespaced ? item.identity.namespace : '';
    const known = this.graph.get(ref.uid);
    if (
      known?.observed &&
      known.identity.namespace === namespace &&
      refMatchesIdentity(ref, known.identity)
    ) {
      return { beingDeleted: known.beingDeleted, foreground: known.deletingDependents };
    }
    let owner: KubeObject;
    try {
      owner = await this.ctx.client.get(mapping, ref.name, { namespace: namespace || undefined });
    } catch (err) {
      if (isNotFound(err)) {
        this.absent.add(ref.uid, namespace);
        return undefined;
      }
      throw err;
    }
    if (owner.metadata.uid !== ref.uid) {
      this.absent.add(ref.uid, namespace);
      return undefined;
    }
    const beingDeleted = !!owner.metadata.deletionTimestamp;
    return {
      beingDeleted,
      foreground: beingDeleted && (owner.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER),
    };
  }

  // --------------------------------------------------------------------------- attempt to delete

  private async attemptToDelete(uid: string): Promise<ReconcileResult | undefined> {
    const node = this.graph.get(uid);
    if (!node) return undefined;
    // Being deleted is a one-way trip; its dependents are looked at when it is gone.
    if (node.beingDeleted && !node.deletingDependents) return undefined;
    const { ref, obj } = await this.latest(node);
    if (!obj) {
      this.logger.debug({ item: String(node) }, 'item not found: removing it from the graph');
      this.graph.removeVerifiedAbsent(node);
      return undefined;
    }
    if (node.deletingDependents) return this.processDeletingDependents(node, ref);

    const owners = obj.metadata.ownerReferences ?? [];
    if (owners.length === 0) return node.observed ? undefined : { requeue: true };

    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    try {
      for (const o of owners) {
        const state = await this.ownerOf(o, node);
        if (!state) dangling.push(o);
        else if (state.beingDeleted && state.foreground) waiting.push(o);
        else solid.push(o);
      }
    } catch (err) {
      if (err instanceof NamespacedOwnerOfClusterScopedObject) {
        this.logger.info({ item: String(node) }, 'cluster-scoped item refers to a namespaced owner');
        return undefined;
      }
      throw err;
    }

    if (solid.length > 0) {
      if (dangling.length > 0 || waiting.length > 0) {
        const drop = new Set([...dangling, ...waiting].map((o) => o.uid));
        this.logger.debug({ item: String(node), drop: [...drop] }, 'removing dangling owner references');
        await this.patchOwners(ref, obj, (refs) => refs.filter((r) => !drop.has(r.uid)));
      }
    } else if (waiting.length > 0 && node.dependents.size > 0) {
      // An owner waits for this one, which has dependents of its own: it goes in the foreground
      // too. A dependent already deleting in the foreground could wait on us in a cycle: unblock.
      if ([...node.dependents].some((d) => d.deletingDependents)) {
        await this.patchOwners(ref, obj, (refs) =>
          refs.map((r) => (r.blockOwnerDeletion ? { ...r, blockOwnerDeletion: false } : r)),
        );
      }
      await this.deleteObject(node, ref, obj, 'Foreground');
    } else {
      const finalizers = obj.metadata.finalizers ?? [];
      const policy = finalizers.includes(ORPHAN_FINALIZER)
        ? 'Orphan'
        : finalizers.includes(FOREGROUND_FINALIZER)
          ? 'Foreground'
          : 'Background';
      this.logger.debug({ item: String(node), policy }, 'deleting an object whose owners are all gone');
      await this.deleteObject(node, ref, obj, policy);
    }
    // A node only named so far stays under watch until an informer shows it.
    return node.observed ? undefined : { requeue: true };
  }

  private async processDeletingDependents(node: GraphNode, ref: ResourceRef): Promise<undefined> {
    const blocking = node.blockingDependents();
    if (blocking.length === 0) {
      this.logger.debug({ item: String(node) }, 'dependents gone: removing the foregroundDeletion finalizer');
      await this.removeFinalizer(node, ref, FOREGROUND_FINALIZER);
      return undefined;
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.deleter.enqueue(dep.identity.uid);
    return undefined;
  }

  private async deleteObject(
    node: GraphNode,
    ref: ResourceRef,
    obj: KubeObject,
    policy: 'Background' | 'Foreground' | 'Orphan',
  ): Promise<void> {
    const namespace = ref.namespaced ? obj.metadata.namespace : undefined;
    const name = obj.metadata.name!;
    const remove = (resourceVersion: string | undefined) =>
      this.ctx.client.delete(ref, name, {
        namespace,
        propagationPolicy: policy,
        preconditions: { uid: node.identity.uid, resourceVersion },
      });
    try {
      await remove(obj.metadata.resourceVersion);
    } catch (err) {
      if (isNotFound(err)) {
        this.graph.removeVerifiedAbsent(node);
        return;
      }
      if (!isConflict(err)) throw err;
      // Changed since we looked: delete anyway if its owners did not change.
      const live = await this.ctx.client.get(ref, name, { namespace }).catch((e: unknown) => {
        if (isNotFound(e)) return undefined;
        throw e;
      });
      if (!live || live.metadata.uid !== node.identity.uid) return;
      const same =
        JSON.stringify(live.metadata.ownerReferences ?? []) ===
        JSON.stringify(obj.metadata.ownerReferences ?? []);
      if (!same) throw err;
      await remove(live.metadata.resourceVersion);
    }
  }

  /** Rewrites an object's ownerReferences (guarded by its resourceVersion, retried on conflict). */
  private async patchOwners(
    ref: ResourceRef,
    obj: KubeObject,
    change: (refs: OwnerReference[]) => OwnerReference[],
  ): Promise<void> {
    const name = obj.metadata.name!;
    const done = await this.rewriteMetadataList(
      ref,
      { name, namespace: obj.metadata.namespace, uid: obj.metadata.uid },
      'ownerReferences',
      (current) => {
        const before = current.metadata.ownerReferences ?? [];
        const after = change(before);
        return JSON.stringify(after) === JSON.stringify(before) ? undefined : after;
      },
      obj,
    );
    if (!done) throw new Error(`could not update the ownerReferences of ${name}: it kept changing`);
  }

  private async removeFinalizer(node: GraphNode, ref: ResourceRef, finalizer: string): Promise<void> {
    const done = await this.rewriteMetadataList(ref, node.identity, 'finalizers', (current) => {
      const finalizers = current.metadata.finalizers ?? [];
      return finalizers.includes(finalizer) ? finalizers.filter((f) => f !== finalizer) : undefined;
    });
    if (!done) {
      throw new Error(
        `could not remove the ${finalizer} finalizer from ${node.identity.name}: it kept changing`,
      );
    }
  }

  /**
   * Writes a new value of one list in an object's metadata, guarded by the resourceVersion it was
   * computed from, and computed again from a fresh read after a conflict. `change` answers
   * undefined when there is nothing to write. True when done (or when the object is gone or was
   * replaced by another of its name); false when it kept changing under five attempts.
   */
  private async rewriteMetadataList(
    ref: ResourceRef,
    id: { name: string; namespace?: string; uid?: string },
    field: 'ownerReferences' | 'finalizers',
    change: (current: KubeObject) => unknown[] | undefined,
    known?: KubeObject,
  ): Promise<boolean> {
    const namespace = ref.namespaced ? id.namespace : undefined;
    let current = known;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (!current) {
        try {
          current = await this.ctx.client.get(ref, id.name, { namespace });
        } catch (err) {
          if (isNotFound(err)) return true;
          throw err;
        }
        if (current.metadata.uid !== id.uid) return true;
      }
      const after = change(current);
      if (after === undefined) return true;
      try {
        await this.ctx.client.patch(
          ref,
          id.name,
          {
            metadata: {
              [field]: after.length > 0 ? after : null,
              resourceVersion: current.metadata.resourceVersion,
            },
          },
          'merge',
          { namespace },
        );
        return true;
      } catch (err) {
        if (isNotFound(err)) return true;
        if (!isConflict(err)) throw err;
      }
      current = undefined;
    }
    return false;
  }

  // --------------------------------------------------------------------------- attempt to orphan

  private async attemptToOrphan(uid: string): Promise<undefined> {
    const owner = this.graph.get(uid);
    if (!owner) return undefined;
    const failures: string[] = [];
    await Promise.all(
      [...owner.dependents].map(async (dep) => {
        try {
          const { ref, obj } = await this.latest(dep);
          if (!obj) return;
          await this.patchOwners(ref, obj, (refs) => refs.filter((r) => r.uid !== uid));
        } catch (err) {
          failures.push(`${String(dep)}: ${(err as Error).message}`);
        }
      }),
    );
    if (failures.length > 0) {
      throw new Error(`failed to orphan dependents of owner ${String(owner)}: ${failures.join('; ')}`);
    }
    const ref = owner.ref ?? (await this.mapKind(owner.identity.apiVersion, owner.identity.kind));
    await this.removeFinalizer(owner, ref, ORPHAN_FINALIZER);
    return undefined;
  }

  private reportInvalidNamespace(dep: GraphNode, owner: OwnerReference): void {
    const id: ObjectIdentity = dep.identity;
    const involved: KubeObject = {
      apiVersion: id.apiVersion,
      kind: id.kind,
      metadata: { name: id.name, namespace: id.namespace || undefined, uid: id.uid },
    };
    this.recorder.event(
      involved,
      'Warning',
      'OwnerRefInvalidNamespace',
      `ownerRef [${owner.apiVersion}/${owner.kind}, namespace: ${id.namespace}, name: ${owner.name}, uid: ${owner.uid}] does not exist in namespace "${id.namespace}"`,
    );
  }
}

/**
 * Starts the garbage collector of a cluster: it watches every deletable resource (custom ones
 * too, picked up as their CRDs come and go) and starts working once all have been listed.
 */
export function startGarbageCollector(
  ctx: ControllerContext,
  opts: GarbageCollectorOptions = {},
): RunningGarbageCollector {
  const ownMonitors = !opts.monitors;
  const monitors = opts.monitors ?? new ResourceMonitors(ctx);
  const gc = new GarbageCollector(ctx, monitors, opts);
  const unregister = monitors.addHandler({
    onAdd: (ref, obj) => gc.graph.observe(ref, undefined, obj),
    onUpdate: (ref, old, obj) => gc.graph.observe(ref, old, obj),
    onDelete: (_ref, obj) => gc.graph.forget(obj),
  });
  const running = runController({
    name: 'garbagecollector',
    controllers: [gc.deleter, gc.orphaner],
    // Every deletable resource, listed once discovery has been read.
    informers: [{ waitForSync: () => monitors.start() }],
    unregister: [unregister],
    onStop: () => {
      if (ownMonitors) monitors.stop();
    },
    ...(gc.ownRecorder ? { recorder: gc.recorder } : {}),
  });
  return { ...running, graph: gc.graph, monitors };
}
