// The MachineSet controller, as Cluster API's: it keeps spec.replicas Machines matching its
// selector, each made from its template (infrastructure and bootstrap config cloned from their
// templates first, then the Machine that refers to them), adopts orphans its selector matches,
// scales down by its deletePolicy (Random, Newest, Oldest), deletes the Machines a
// MachineHealthCheck marked OwnerRemediated=False (remediation), and writes its status
// (status.ts). A deleted MachineSet deletes its Machines before its finalizer goes.

import type { InProcessClient } from '../../../client/in-process.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { newControllerRef } from '../../../controller/controller-ref.js';
import { updateStatus } from '../../../controller/status.js';
import { canonicalJson } from '../../../machinery/hash.js';
import { fromLabelSelector, selectorToString } from '../../../machinery/labels.js';
import { isNotFound } from '../../../machinery/status.js';
import {
  CLUSTER_API_VERSION,
  type Cluster,
  ConditionType,
  clusterApiResources,
  Finalizers,
  Labels,
  type Machine,
  type MachineSet,
} from '../../apis/cluster-api/index.js';
import { ofCluster } from '../cluster-index.js';
import { isPaused } from '../cluster-state.js';
import { createFromTemplate, References, randomSuffix } from '../templates.js';
import { type DeletePolicy, machinesToDelete } from './delete-policy.js';
import { machineSetStatus } from './status.js';

export const MACHINE_SET_CONTROLLER = 'machineset-controller';

/** Machines created or deleted per MachineSet in one pass (Cluster API creates them one after the other; this keeps a burst bounded). */
const BURST = 50;

export function startMachineSetController(ctx: ControllerContext): RunningController {
  const sets = ctx.informers.informerFor<MachineSet>(clusterApiResources.machinesets);
  const machines = ctx.informers.informerFor<Machine>(clusterApiResources.machines);
  const clusters = ctx.informers.informerFor<Cluster>(clusterApiResources.clusters);
  const refs = new References(ctx.client as InProcessClient);
  const loop = reconcileLoop(ctx, {
    name: MACHINE_SET_CONTROLLER,
    workers: 8,
    reconcile: (key) => reconcile(key),
  });
  /** Machines created but not yet seen by the informer, per MachineSet (client-go's expectations). */
  const pending = new Map<string, Set<string>>();

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    if (!sets.hasSynced() || !machines.hasSynced() || !clusters.hasSynced()) return { requeueAfter: 100 };
    const [namespace = '', name = ''] = key.split('/');
    const ms = sets.get(name, namespace);
    if (!ms) {
      pending.delete(key);
      return undefined;
    }
    const owned = ofCluster(machines, namespace, ms.spec.clusterName).filter((m) =>
      m.metadata.ownerReferences?.some((r) => r.uid === ms.metadata.uid && r.controller),
    );
    if (ms.metadata.deletionTimestamp) {
      if (!ms.metadata.finalizers?.includes(Finalizers.machineSet)) return undefined;
      await Promise.all(owned.filter((m) => !m.metadata.deletionTimestamp).map((m) => deleteMachine(m)));
      if (owned.length > 0) return undefined; // their deletion enqueues us
      await patchMeta(ms, {
        finalizers: (ms.metadata.finalizers ?? []).filter((f) => f !== Finalizers.machineSet),
      });
      return undefined;
    }
    const cluster = clusters.get(ms.spec.clusterName, namespace);
    if (!cluster || isPaused(cluster, ms)) return undefined;
    if (await ensureMetadata(ms, cluster)) return undefined;

    const selector = fromLabelSelector(ms.spec.selector);
    // Orphans the selector matches are adopted, as Cluster API's MachineSets do.
    const orphans = ofCluster(machines, namespace, ms.spec.clusterName).filter(
      (m) =>
        !m.metadata.ownerReferences?.some((r) => r.controller) &&
        !m.metadata.deletionTimestamp &&
        selector.matches(m.metadata.labels ?? {}),
    );
    for (const m of orphans) {
      await ctx.client.patch(
        clusterApiResources.machines,
        m.metadata.name ?? '',
        {
          metadata: {
            resourceVersion: m.metadata.resourceVersion,
            ownerReferences: [...(m.metadata.ownerReferences ?? []), newControllerRef(ms)],
          },
        },
        'merge',
        { namespace },
      );
    }
    if (orphans.length > 0) return undefined;

    const seen = new Set(owned.map((m) => m.metadata.name));
    const waiting = pending.get(key);
    if (waiting) for (const n of waiting) if (seen.has(n)) waiting.delete(n);
    if (waiting && waiting.size > 0) return { requeueAfter: 1000 }; // the informer catches up first

    // Remediation: Machines a health check handed to their owner are replaced.
    const remediate = owned.filter(
      (m) =>
        !m.metadata.deletionTimestamp &&
        (m.status?.conditions ?? []).some(
          (c) => c.type === ConditionType.OwnerRemediated && c.status === 'False',
        ),
    );
    await Promise.all(remediate.map((m) => deleteMachine(m)));

    const active = owned.filter((m) => !m.metadata.deletionTimestamp && !remediate.includes(m));
    const replicas = ms.spec.replicas ?? 1;
    let createError: string | undefined;
    if (active.length < replicas) {
      const n = Math.min(replicas - active.length, BURST);
      try {
        await Promise.all(Array.from({ length: n }, () => createMachine(ms, key)));
      } catch (err) {
        createError = (err as Error).message;
      }
      // The informer has not seen the new Machines yet: a status now would count none of them
      // and be replaced at once. Their events bring the next pass, which writes it.
      if (!createError) return undefined;
    } else if (active.length > replicas) {
      const victims = machinesToDelete(
        (ms.spec.deletePolicy ?? 'Random') as DeletePolicy,
        active,
        Math.min(active.length - replicas, BURST),
        ctx.now().getTime(),
      );
      await Promise.all(victims.map((m) => deleteMachine(m)));
    }
    const status = machineSetStatus(ms, owned, selectorToString(selector), {
      now: ctx.now(),
      ...(createError ? { createError } : {}),
    });
    if (canonicalJson(status) !== canonicalJson(ms.status ?? {})) {
      await updateStatus(ctx.client, clusterApiResources.machinesets, ms, status);
    }
    if (createError) throw new Error(`MachineSet ${key}: ${createError}`);
    // Availability after minReadySeconds is a matter of time, not of an event.
    const minReady = ms.spec.minReadySeconds ?? 0;
    if (minReady > 0 && (status.availableReplicas ?? 0) < (status.readyReplicas ?? 0))
      return { requeueAfter: 1000 };
    return undefined;
  }

  async function createMachine(ms: MachineSet, key: string): Promise<void> {
    const namespace = ms.metadata.namespace ?? '';
    const template = ms.spec.template;
    if (!template) throw new Error('spec.template is not set');
    const name = `${ms.metadata.name}-${randomSuffix()}`;
    const labels: Record<string, string> = {
      ...(template.metadata?.labels ?? {}),
      [Labels.setName]: ms.metadata.name ?? '',
      [Labels.clusterName]: ms.spec.clusterName,
    };
    const mdName = ms.metadata.labels?.[Labels.deploymentName];
    if (mdName) labels[Labels.deploymentName] = mdName;
    const owner = {
      apiVersion: CLUSTER_API_VERSION,
      kind: 'MachineSet',
      name: ms.metadata.name ?? '',
      uid: ms.metadata.uid ?? '',
    };
    const annotations = template.metadata?.annotations ?? {};
    const infrastructureRef = await createFromTemplate(refs, {
      template: { ...template.spec.infrastructureRef, namespace },
      namespace,
      name,
      clusterName: ms.spec.clusterName,
      owner,
      labels,
      annotations,
    });
    let bootstrap = { ...template.spec.bootstrap };
    if (template.spec.bootstrap?.configRef) {
      const configRef = await createFromTemplate(refs, {
        template: { ...template.spec.bootstrap.configRef, namespace },
        namespace,
        name,
        clusterName: ms.spec.clusterName,
        owner,
        labels,
        annotations,
      });
      bootstrap = { configRef };
    }
    let waiting = pending.get(key);
    if (!waiting) {
      waiting = new Set();
      pending.set(key, waiting);
    }
    waiting.add(name);
    try {
      await ctx.client.create(
        clusterApiResources.machines,
        {
          apiVersion: CLUSTER_API_VERSION,
          kind: 'Machine',
          metadata: {
            name,
            namespace,
            labels,
            annotations,
            ownerReferences: [newControllerRef(ms)],
            // As Cluster API's MachineSet does: the Machine controller then has no finalizer to add.
            finalizers: [Finalizers.machine],
          },
          spec: { ...template.spec, clusterName: ms.spec.clusterName, bootstrap, infrastructureRef },
        },
        { namespace },
      );
    } catch (err) {
      waiting.delete(name);
      throw err;
    }
  }

  async function deleteMachine(m: Machine): Promise<void> {
    await ctx.client
      .delete(clusterApiResources.machines, m.metadata.name ?? '', { namespace: m.metadata.namespace })
      .catch((err) => {
        if (!isNotFound(err)) throw err;
      });
  }

  async function ensureMetadata(ms: MachineSet, cluster: Cluster): Promise<boolean> {
    const needsLabel = ms.metadata.labels?.[Labels.clusterName] !== cluster.metadata.name;
    const needsFinalizer = !ms.metadata.finalizers?.includes(Finalizers.machineSet);
    const needsOwner = (ms.metadata.ownerReferences ?? []).length === 0;
    if (!needsLabel && !needsFinalizer && !needsOwner) return false;
    await patchMeta(ms, {
      ...(needsLabel
        ? { labels: { ...(ms.metadata.labels ?? {}), [Labels.clusterName]: cluster.metadata.name } }
        : {}),
      ...(needsFinalizer ? { finalizers: [...(ms.metadata.finalizers ?? []), Finalizers.machineSet] } : {}),
      ...(needsOwner
        ? {
            ownerReferences: [
              {
                apiVersion: cluster.apiVersion,
                kind: 'Cluster',
                name: cluster.metadata.name,
                uid: cluster.metadata.uid,
              },
            ],
          }
        : {}),
    });
    return true;
  }

  async function patchMeta(ms: MachineSet, metadata: Record<string, unknown>): Promise<void> {
    await ctx.client.patch(
      clusterApiResources.machinesets,
      ms.metadata.name ?? '',
      { metadata: { resourceVersion: ms.metadata.resourceVersion, ...metadata } },
      'merge',
      { namespace: ms.metadata.namespace },
    );
  }

  sets.addEventHandler(loop.objectHandler());
  machines.addEventHandler(loop.ownerHandler(clusterApiResources.machinesets));
  clusters.addEventHandler({
    onUpdate: (old, c) => {
      if (old.spec.paused === c.spec.paused) return;
      for (const ms of ofCluster(sets, c.metadata.namespace ?? '', c.metadata.name ?? ''))
        loop.enqueue(`${ms.metadata.namespace}/${ms.metadata.name}`);
    },
  });
  loop.start();
  return { name: MACHINE_SET_CONTROLLER, stop: () => loop.stop() };
}
