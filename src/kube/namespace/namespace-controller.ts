// Namespace lifecycle, as Kubernetes' namespace controller: a namespace being deleted is emptied
// of every namespaced resource the server serves (found by discovery, custom resources included),
// and once nothing is left its "kubernetes" finalizer is removed through the finalize subresource,
// which lets the API server remove it. While it waits, its status conditions say why
// (NamespaceContentRemaining, NamespaceFinalizersRemaining, ...). Objects with finalizers of their
// own keep it Terminating until they go.
//
// It looks again after the delay Kubernetes uses (half the longest pod grace period, or of the
// 15 s allowed for finalizers), and as soon as anything in a terminating namespace is deleted.

import type { ResourceRef } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import { type ControllerContext, type RunningController, reconcileLoop } from '../../controller/context.js';
import type { Controller, ReconcileResult } from '../../controller/controller.js';
import { runController } from '../../controller/runner.js';
import type { Condition, KubeObject } from '../../machinery/object.js';
import { isConflict, isMethodNotSupported, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import { type DiscoveredResource, discoverResources, ResourceMonitors } from '../gc/monitors.js';
import { type ContentReport, conditionsFor, mergeConditions } from './conditions.js';

export const KUBERNETES_FINALIZER = 'kubernetes';
/** How long content with finalizers is given before the next look (Kubernetes: 15 s). */
const FINALIZER_ESTIMATE_SECONDS = 15;

export interface NamespaceControllerOptions {
  workers?: number;
  /** Monitors shared with the garbage collector: deletions in terminating namespaces wake it. */
  monitors?: ResourceMonitors;
}

interface NamespaceObject extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: Condition[] };
}

interface PodLike extends KubeObject {
  spec?: { terminationGracePeriodSeconds?: number };
  status?: { phase?: string };
}

function notSupported(err: unknown): boolean {
  return isMethodNotSupported(err) || isNotFound(err);
}

class NamespaceController {
  readonly controller: Controller;
  private readonly namespaces: Informer<NamespaceObject>;

  constructor(
    private readonly ctx: ControllerContext,
    opts: NamespaceControllerOptions,
  ) {
    this.namespaces = ctx.informers.informerFor<NamespaceObject>(resources.namespaces);
    this.controller = reconcileLoop(ctx, {
      name: 'namespace',
      workers: opts.workers ?? 2,
      reconcile: (name) => this.sync(name),
    });
  }

  /** A deleted object in a namespace being terminated: look at the namespace again. */
  contentGone(obj: KubeObject): void {
    const ns = obj.metadata.namespace;
    if (!ns) return;
    if (this.namespaces.get(ns)?.metadata.deletionTimestamp) this.controller.enqueue(ns);
  }

  watchNamespaces(): () => void {
    const enqueue = (ns: NamespaceObject) => {
      if (ns.metadata.deletionTimestamp) this.controller.enqueue(ns.metadata.name!);
    };
    return this.namespaces.addEventHandler({ onAdd: enqueue, onUpdate: (_o, ns) => enqueue(ns) });
  }

  private async sync(name: string): Promise<ReconcileResult | undefined> {
    let ns: NamespaceObject;
    try {
      ns = await this.ctx.client.get<NamespaceObject>(resources.namespaces, name);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    if (!ns.metadata.deletionTimestamp) return undefined;
    if (ns.status?.phase !== 'Terminating') {
      ns = await this.ctx.client.update<NamespaceObject>(
        resources.namespaces,
        { ...ns, status: { ...(ns.status ?? {}), phase: 'Terminating' } },
        { subresource: 'status' },
      );
    }
    if (!(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return undefined;

    const { estimate, report } = await this.deleteAllContent(ns);
    await this.updateConditions(ns, report);
    if (estimate > 0) return { requeueAfter: (Math.floor(estimate / 2) + 1) * 1000 };
    if (report.deleteErrors.length > 0) {
      throw new Error(`deleting the content of namespace ${name} failed: ${report.deleteErrors.join('; ')}`);
    }
    if ([...report.remaining.values()].some((n) => n > 0)) {
      throw new Error(`content remains in namespace ${name}`);
    }
    await this.finalize(ns);
    return undefined;
  }

  /** Deletes everything in the namespace; returns how long to wait for what remains. */
  private async deleteAllContent(ns: NamespaceObject): Promise<{ estimate: number; report: ContentReport }> {
    const name = ns.metadata.name!;
    const report: ContentReport = { deleteErrors: [], remaining: new Map(), finalizers: new Map() };
    let discovered: DiscoveredResource[];
    try {
      discovered = await discoverResources(this.ctx.client);
    } catch (err) {
      report.discoveryError = (err as Error).message;
      discovered = await discoverResources(undefined);
    }
    const deletedAt = Date.parse(ns.metadata.deletionTimestamp!);
    let estimate = 0;
    for (const r of discovered) {
      if (!r.namespaced || !r.verbs.includes('delete')) continue;
      const ref: ResourceRef = {
        group: r.group,
        version: r.version,
        resource: r.resource,
        kind: r.kind,
        namespaced: true,
      };
      try {
        const left = await this.deleteResource(ref, r.verbs, name, deletedAt);
        estimate = Math.max(estimate, left.estimate);
        if (left.error) report.deleteErrors.push(left.error);
        if (left.remaining > 0) {
          report.remaining.set(`${r.resource}.${r.group}`, left.remaining);
          for (const [f, n] of left.finalizers) report.finalizers.set(f, (report.finalizers.get(f) ?? 0) + n);
        }
      } catch (err) {
        report.deleteErrors.push((err as Error).message);
      }
    }
    return { estimate, report };
  }

  private async deleteResource(
    ref: ResourceRef,
    verbs: string[],
    namespace: string,
    deletedAt: number,
  ): Promise<{ estimate: number; remaining: number; finalizers: Map<string, number>; error?: string }> {
    const client = this.ctx.client;
    const canList = verbs.includes('list');
    let estimate = 0;
    if (ref.group === '' && ref.resource === 'pods') estimate = await this.podsEstimate(namespace, deletedAt);
    let collected = false;
    if (verbs.includes('deletecollection')) {
      try {
        await client.deleteCollection(ref, { namespace, propagationPolicy: 'Background' });
        collected = true;
      } catch (err) {
        if (!notSupported(err)) throw err;
      }
    }
    if (!canList) return { estimate, remaining: 0, finalizers: new Map() };
    const listRemaining = async () => {
      try {
        return (await client.list(ref, { namespace })).items;
      } catch (err) {
        if (notSupported(err)) return [];
        throw err;
      }
    };
    if (!collected) {
      for (const item of await listRemaining()) {
        try {
          await client.delete(ref, item.metadata.name!, { namespace, propagationPolicy: 'Background' });
        } catch (err) {
          if (!notSupported(err)) throw err;
        }
      }
    }
    const left = await listRemaining();
    if (left.length === 0) return { estimate: 0, remaining: 0, finalizers: new Map() };
    const finalizers = new Map<string, number>();
    for (const item of left) {
      for (const f of item.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
    }
    if (estimate > 0) return { estimate, remaining: left.length, finalizers };
    // Finalizers are a normal reason to wait; anything else left over is unexpected.
    if (finalizers.size > 0)
      return { estimate: FINALIZER_ESTIMATE_SECONDS, remaining: left.length, finalizers };
    return {
      estimate,
      remaining: left.length,
      finalizers,
      error: `unexpected items still remain in namespace: ${namespace} for gvr: ${ref.group}/${ref.version}, Resource=${ref.resource}`,
    };
  }

  /** The longest grace period of the namespace's running pods, unless it has passed already. */
  private async podsEstimate(namespace: string, deletedAt: number): Promise<number> {
    const pods = await this.ctx.client.list<PodLike>(resources.pods, { namespace });
    let estimate = 0;
    for (const p of pods.items) {
      const phase = p.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      estimate = Math.max(estimate, p.spec?.terminationGracePeriodSeconds ?? 0);
    }
    return this.ctx.now().getTime() - deletedAt >= estimate * 1000 ? 0 : estimate;
  }

  private async updateConditions(ns: NamespaceObject, report: ContentReport): Promise<void> {
    const next = mergeConditions(
      ns.status?.conditions ?? [],
      conditionsFor(report),
      metaTime(this.ctx.now()),
    );
    if (!next) return;
    try {
      await this.ctx.client.update(
        resources.namespaces,
        { ...ns, status: { ...(ns.status ?? {}), conditions: next } },
        { subresource: 'status' },
      );
    } catch (err) {
      // As Kubernetes: conditions are informative; the deletion goes on.
      if (!isNotFound(err))
        this.ctx.logger.debug({ err, namespace: ns.metadata.name }, 'updating conditions failed');
    }
  }

  private async finalize(ns: NamespaceObject): Promise<void> {
    const name = ns.metadata.name!;
    let current = ns;
    for (let attempt = 0; attempt < 5; attempt++) {
      const finalizers = (current.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
      try {
        await this.ctx.client.update(
          resources.namespaces,
          {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: { name, resourceVersion: current.metadata.resourceVersion, uid: current.metadata.uid },
            spec: { finalizers },
          },
          { subresource: 'finalize' },
        );
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
      try {
        current = await this.ctx.client.get<NamespaceObject>(resources.namespaces, name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (current.metadata.uid !== ns.metadata.uid) return;
    }
    throw new Error(`could not finalize namespace ${name}: it kept changing`);
  }
}

/** Starts the namespace lifecycle controller of a cluster. */
export function startNamespaceController(
  ctx: ControllerContext,
  opts: NamespaceControllerOptions = {},
): RunningController {
  const nc = new NamespaceController(ctx, opts);
  const ownMonitors = !opts.monitors;
  const monitors = opts.monitors ?? new ResourceMonitors(ctx);
  const offMonitors = monitors.addHandler({ onDelete: (_ref, obj) => nc.contentGone(obj) });
  const offNamespaces = nc.watchNamespaces();
  void monitors.start();
  return runController({
    name: 'namespace',
    controllers: [nc.controller],
    informers: [ctx.informers.informerFor(resources.namespaces)],
    unregister: [offNamespaces, offMonitors],
    onStop: () => {
      if (ownMonitors) monitors.stop();
    },
  });
}
