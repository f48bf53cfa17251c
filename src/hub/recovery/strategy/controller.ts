// The strategy controller: for each DisasterRecoveryStrategy it decides the roles of its members
// (phases.ts), writes the Karmada policies those roles stand for (policies.ts) and the status with
// the measured recovery (status.ts). It watches strategies, member Clusters (health), the bindings
// its policies claim (replicas ready per member) and its own policies. It talks to propagation only
// through those policies and bindings.

import type { Informer } from '../../../client/informer.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import { updateStatus } from '../../../controller/status.js';
import { deepEqual } from '../../../machinery/json.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isAlreadyExists, isNotFound } from '../../../machinery/status.js';
import {
  CLUSTER_CONDITION_READY,
  type Cluster,
  karmadaResources,
  type OverridePolicy,
  PROPAGATION_POLICY_PERMANENT_ID_LABEL,
  type PropagationPolicy,
  type ResourceBinding,
} from '../../apis/karmada/index.js';
import {
  type DisasterRecoveryStrategy,
  recoveryResources,
  STRATEGY_LABEL,
} from '../../apis/recovery/index.js';
import { decideRoles } from './phases.js';
import { configPolicyName, desiredPolicies, workloadSelectors, workloadsPolicyName } from './policies.js';
import { resolveSites } from './sites.js';
import { capacityOn, computeStatus, resourceRefs } from './status.js';
import { routeTraffic, withTrafficCondition } from './traffic.js';

export const STRATEGY_FINALIZER = 'recovery.concord.dev/strategy';
const CONTROLLER = 'recovery-strategy';
/** While a failover runs, look again this often even if nothing is heard. */
const FAILING_OVER_RECHECK_MS = 2_000;

/** What of a member the strategies read: its labels, spec, deletion and Ready condition. */
function rolesInput(c: Cluster): string {
  const ready = c.status?.conditions?.find((x) => x.type === CLUSTER_CONDITION_READY);
  return JSON.stringify([
    c.metadata.labels,
    c.metadata.deletionTimestamp,
    c.spec,
    ready?.status,
    ready?.lastTransitionTime,
  ]);
}

export interface StrategyControllerOptions {
  recorder?: EventRecorder;
}

/** Whether `have` holds everything `want` says (the API server may have added defaults). */
function covers(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(have[i], w));
  }
  if (want && typeof want === 'object') {
    if (!have || typeof have !== 'object') return false;
    return Object.entries(want).every(([k, v]) => covers((have as Record<string, unknown>)[k], v));
  }
  return deepEqual(have, want);
}

export function startStrategyController(
  ctx: ControllerContext,
  opts: StrategyControllerOptions = {},
): RunningController {
  const recorder = eventRecorder(ctx, 'recovery-controller', opts.recorder);
  const strategies: Informer<DisasterRecoveryStrategy> = ctx.informers.informerFor(
    recoveryResources.strategies,
  );
  const clusters: Informer<Cluster> = ctx.informers.informerFor(karmadaResources.clusters);
  const bindings: Informer<ResourceBinding> = ctx.informers.informerFor(karmadaResources.resourcebindings);
  const pps: Informer<PropagationPolicy> = ctx.informers.informerFor(karmadaResources.propagationpolicies, {
    labelSelector: STRATEGY_LABEL,
  });
  const ops: Informer<OverridePolicy> = ctx.informers.informerFor(karmadaResources.overridepolicies, {
    labelSelector: STRATEGY_LABEL,
  });

  function claimedBy(namespace: string, policyName: string): ResourceBinding[] {
    const id = pps.get(policyName, namespace)?.metadata.labels?.[PROPAGATION_POLICY_PERMANENT_ID_LABEL];
    if (!id) return [];
    return bindings
      .list({ namespace, labelSelector: `${PROPAGATION_POLICY_PERMANENT_ID_LABEL}=${id}` })
      .filter((b) => !b.metadata.deletionTimestamp)
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  }

  async function deleteIgnoringMissing(ref: typeof karmadaResources.propagationpolicies, obj: KubeObject) {
    try {
      await ctx.client.delete(ref, obj.metadata.name ?? '', { namespace: obj.metadata.namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function applyPolicy<T extends KubeObject & { spec: unknown }>(
    ref: typeof karmadaResources.propagationpolicies,
    informer: Informer<T>,
    desired: T,
  ): Promise<void> {
    const ns = desired.metadata.namespace;
    const existing = informer.get(desired.metadata.name ?? '', ns);
    if (!existing) {
      try {
        await ctx.client.create(ref, desired, { namespace: ns });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      return;
    }
    if (covers(existing.spec, desired.spec) && covers(existing.metadata.labels, desired.metadata.labels))
      return;
    await ctx.client.update(
      ref,
      {
        ...existing,
        metadata: {
          ...existing.metadata,
          labels: { ...existing.metadata.labels, ...desired.metadata.labels },
        },
        spec: desired.spec,
      },
      { namespace: ns },
    );
  }

  async function release(drs: DisasterRecoveryStrategy): Promise<void> {
    const ns = drs.metadata.namespace;
    const selector = `${STRATEGY_LABEL}=${drs.metadata.name}`;
    for (const op of ops.list({ namespace: ns, labelSelector: selector })) {
      await deleteIgnoringMissing(karmadaResources.overridepolicies, op);
    }
    for (const pp of pps.list({ namespace: ns, labelSelector: selector })) {
      await deleteIgnoringMissing(karmadaResources.propagationpolicies, pp);
    }
  }

  async function reconcile(key: string) {
    const [namespace, name] = key.split('/') as [string, string];
    const drs = strategies.get(name, namespace);
    if (!drs) return undefined;
    const finalizers = drs.metadata.finalizers ?? [];
    if (drs.metadata.deletionTimestamp) {
      if (!finalizers.includes(STRATEGY_FINALIZER)) return undefined;
      await release(drs);
      await ctx.client.update(
        recoveryResources.strategies,
        {
          ...drs,
          metadata: { ...drs.metadata, finalizers: finalizers.filter((f) => f !== STRATEGY_FINALIZER) },
        },
        { namespace },
      );
      return undefined;
    }
    if (!finalizers.includes(STRATEGY_FINALIZER)) {
      // The hub may run no garbage collector: the strategy removes its policies itself.
      await ctx.client.update(
        recoveryResources.strategies,
        { ...drs, metadata: { ...drs.metadata, finalizers: [...finalizers, STRATEGY_FINALIZER] } },
        { namespace },
      );
      return undefined;
    }

    const now = ctx.now();
    const sites = resolveSites(drs.spec.primary, drs.spec.secondary, clusters.list());
    const decision = decideRoles(drs, sites, now);
    const next: DisasterRecoveryStrategy = { ...drs, status: decision.status };
    const workloadBindings = claimedBy(namespace, workloadsPolicyName(drs));
    const configBindings = claimedBy(namespace, configPolicyName(drs));

    const selector = `${STRATEGY_LABEL}=${name}`;
    const existingOps = ops.list({ namespace, labelSelector: selector });
    const desired = desiredPolicies(
      next,
      workloadBindings,
      new Set(existingOps.map((o) => o.metadata.name ?? '')),
    );
    let policiesError: string | undefined;
    try {
      for (const pp of desired.propagation) await applyPolicy(karmadaResources.propagationpolicies, pps, pp);
      for (const op of desired.overrides) await applyPolicy(karmadaResources.overridepolicies, ops, op);
      const keepOps = new Set(desired.overrides.map((o) => o.metadata.name));
      for (const op of existingOps) {
        if (!keepOps.has(op.metadata.name))
          await deleteIgnoringMissing(karmadaResources.overridepolicies, op);
      }
      const keepPps = new Set(desired.propagation.map((p) => p.metadata.name));
      for (const pp of pps.list({ namespace, labelSelector: selector })) {
        if (!keepPps.has(pp.metadata.name))
          await deleteIgnoringMissing(karmadaResources.propagationpolicies, pp);
      }
    } catch (err) {
      policiesError = `writing the policies failed: ${(err as Error).message}`;
    }

    const capacity = capacityOn(
      decision.status.currentPrimary,
      workloadBindings,
      workloadSelectors(drs).length > 0,
    );
    const status = computeStatus({
      drs,
      decision,
      sites,
      capacity,
      resources: [...resourceRefs(workloadBindings, 'Workload'), ...resourceRefs(configBindings, 'Config')],
      ...(policiesError ? { policiesError } : {}),
      now,
    });
    let trafficError: string | undefined;
    try {
      const route = await routeTraffic(ctx.client, drs, clusters.get(status.currentPrimary ?? ''));
      status.conditions = withTrafficCondition(status.conditions, route, now.toISOString());
    } catch (err) {
      trafficError = `routing traffic failed: ${(err as Error).message}`;
    }
    if (!deepEqual(status, drs.status)) {
      await updateStatus(ctx.client, recoveryResources.strategies, drs, status);
    }
    if (decision.promoted) {
      const p = decision.promoted;
      recorder.eventf(
        drs,
        'Warning',
        'FailedOver',
        'primary %s failed (%s): promoted %s',
        p.from,
        p.reason,
        p.to,
      );
    }
    if (decision.failedBack) {
      const f = decision.failedBack;
      recorder.eventf(drs, 'Normal', 'FailingBack', 'failing back from %s to %s', f.from, f.to);
    }
    if (status.lastFailover?.fullCapacityTime && !drs.status?.lastFailover?.fullCapacityTime) {
      recorder.eventf(
        drs,
        'Normal',
        'Recovered',
        '%s runs every workload at full replicas, %s after %s failed',
        status.lastFailover.to,
        status.lastFailover.recoveryTime,
        status.lastFailover.from,
      );
    }
    if (policiesError || trafficError) throw new Error(policiesError ?? trafficError);
    if (decision.recheckAfterMs !== undefined) return { requeueAfter: Math.max(50, decision.recheckAfterMs) };
    if (status.state === 'FailingOver' || status.state === 'Degraded')
      return { requeueAfter: FAILING_OVER_RECHECK_MS };
    return undefined;
  }

  const controller = reconcileLoop(ctx, { name: CONTROLLER, workers: 2, reconcile: (key) => reconcile(key) });
  const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;
  const enqueueAll = (namespace?: string) => {
    for (const s of strategies.list(namespace ? { namespace } : {})) controller.enqueue(keyOf(s));
  };
  const enqueueOwner = (p: KubeObject) => {
    const owner = p.metadata.labels?.[STRATEGY_LABEL];
    if (owner) controller.enqueue(`${p.metadata.namespace}/${owner}`);
  };
  const policyHandler = {
    onAdd: (p: KubeObject, initial?: boolean) => {
      if (!initial) enqueueOwner(p);
    },
    onUpdate: (_o: KubeObject, p: KubeObject) => enqueueOwner(p),
    onDelete: (p: KubeObject) => enqueueOwner(p),
  };
  const offs = [
    strategies.addEventHandler({
      onAdd: (s) => controller.enqueue(keyOf(s)),
      onUpdate: (_o, s) => controller.enqueue(keyOf(s)),
      onDelete: (s) => controller.enqueue(keyOf(s)),
    }),
    clusters.addEventHandler({
      onAdd: (_c, initial) => {
        if (!initial) enqueueAll();
      },
      // Only what roles are decided by: a member's status changes often during a failover (its
      // resource summary as the standby scales up), and each change would reconcile every strategy.
      onUpdate: (old, cur) => {
        if (rolesInput(old) !== rolesInput(cur)) enqueueAll();
      },
      onDelete: () => enqueueAll(),
    }),
    bindings.addEventHandler({
      onAdd: (b, initial) => {
        if (!initial) enqueueAll(b.metadata.namespace);
      },
      onUpdate: (_o, b) => enqueueAll(b.metadata.namespace),
      onDelete: (b) => enqueueAll(b.metadata.namespace),
    }),
    pps.addEventHandler(policyHandler),
    ops.addEventHandler(policyHandler),
  ];
  let stopped = false;
  void Promise.all([strategies, clusters, bindings, pps, ops].map((i) => i.waitForSync())).then((ok) => {
    if (!stopped && ok.every(Boolean)) controller.start();
  });
  return {
    name: CONTROLLER,
    async stop() {
      stopped = true;
      for (const off of offs) off();
      await controller.stop();
    },
  };
}
