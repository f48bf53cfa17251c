// The Karmada policies a strategy stands for, visible to the user and owned by the strategy:
//   <name>-workloads  PropagationPolicy: the workloads, duplicated on the primary and (but for a
//                     pilot light) the standby;
//   <name>-config     PropagationPolicy: everything else selected (config, secrets, services) on both;
//   <name>-standby-<binding>  OverridePolicy per workload: the standby's replicas (0 for
//                     ActivePassive, standbyReplicas for WarmStandby).
// The primary is named first. A failover or failback changes only which member these name and in
// what order, so the scheduler and the binding controller do the moving. While a failback runs, the standby's override gives it every
// replica until the new primary runs them all.

import { newControllerRef } from '../../../controller/controller-ref.js';
import type { KubeObject } from '../../../machinery/object.js';
import {
  type OverridePolicy,
  POLICY_API_VERSION,
  type PropagationPolicy,
  type ResourceBinding,
  type ResourceSelector,
} from '../../apis/karmada/index.js';
import {
  DEFAULT_WARM_STANDBY_REPLICAS,
  type DisasterRecoveryStrategy,
  STRATEGY_LABEL,
  WORKLOAD_KINDS,
} from '../../apis/recovery/index.js';
import { failbackInProgress } from './phases.js';

/** Propagation's annotation asking for a fresh schedule on every change (docs/propagation.md). */
const REBALANCE_ANNOTATION = 'policy.concord.dev/rebalance';

export function workloadSelectors(drs: DisasterRecoveryStrategy): ResourceSelector[] {
  return drs.spec.resourceSelectors.filter((s) => WORKLOAD_KINDS.includes(s.kind));
}

export function configSelectors(drs: DisasterRecoveryStrategy): ResourceSelector[] {
  return drs.spec.resourceSelectors.filter((s) => !WORKLOAD_KINDS.includes(s.kind));
}

export const workloadsPolicyName = (drs: KubeObject) => `${drs.metadata.name}-workloads`;
export const configPolicyName = (drs: KubeObject) => `${drs.metadata.name}-config`;
export const standbyOverrideName = (drs: KubeObject, binding: string) =>
  `${drs.metadata.name}-standby-${binding}`.slice(0, 253).replace(/[-.]+$/, '');

function owned(drs: DisasterRecoveryStrategy, name: string) {
  return {
    name,
    namespace: drs.metadata.namespace,
    labels: { [STRATEGY_LABEL]: drs.metadata.name ?? '' },
    ownerReferences: [newControllerRef(drs)],
  };
}

function propagationPolicy(
  drs: DisasterRecoveryStrategy,
  name: string,
  selectors: ResourceSelector[],
  clusters: string[],
): PropagationPolicy {
  return {
    apiVersion: POLICY_API_VERSION,
    kind: 'PropagationPolicy',
    // Scheduled afresh on every change, so that a member coming back (the old primary, now the
    // standby) gets its copy again rather than staying evicted.
    metadata: { ...owned(drs, name), annotations: { [REBALANCE_ANNOTATION]: 'true' } },
    spec: {
      resourceSelectors: selectors.map((s) => ({ ...s, namespace: drs.metadata.namespace })),
      placement: {
        clusterAffinity: { clusterNames: clusters },
        replicaScheduling: { replicaSchedulingType: 'Duplicated' },
      },
    },
  } as PropagationPolicy;
}

/** The replicas the standby runs of a workload with `replicas`. */
export function standbyReplicas(drs: DisasterRecoveryStrategy, replicas: number): number {
  if (drs.spec.strategy !== 'WarmStandby') return 0;
  const want = drs.spec.standbyReplicas ?? DEFAULT_WARM_STANDBY_REPLICAS;
  if (typeof want === 'number') return Math.min(want, replicas);
  const percent = Number(String(want).replace('%', ''));
  // At least one replica: a warm standby that runs nothing is a pilot light.
  return Math.min(replicas, Math.max(1, Math.ceil((replicas * percent) / 100)));
}

export interface DesiredPolicies {
  propagation: PropagationPolicy[];
  overrides: OverridePolicy[];
}

/**
 * The policies for the current roles. `workloadBindings` are the bindings the workloads policy
 * claims; the standby is added to the workloads policy only once each has its override, so that it
 * never runs a workload's full replicas by accident.
 */
export function desiredPolicies(
  drs: DisasterRecoveryStrategy,
  workloadBindings: readonly ResourceBinding[],
  existingOverrides: ReadonlySet<string>,
): DesiredPolicies {
  const primary = drs.status?.currentPrimary;
  const standby = drs.status?.currentStandby;
  const out: DesiredPolicies = { propagation: [], overrides: [] };
  if (!primary) return out;
  const both = standby ? [primary, standby] : [primary];
  const strategy = drs.spec.strategy;
  const failingBack = failbackInProgress(drs.status);
  const scaled = strategy === 'ActivePassive' || strategy === 'WarmStandby';

  const workloads = workloadSelectors(drs);
  if (workloads.length > 0) {
    let clusters = [primary];
    if (standby && (strategy === 'ActiveActive' || failingBack)) clusters = both;
    else if (standby && scaled) {
      const ready =
        workloadBindings.length > 0 &&
        workloadBindings.every((b) => existingOverrides.has(standbyOverrideName(drs, b.metadata.name ?? '')));
      if (ready) clusters = both;
    }
    out.propagation.push(propagationPolicy(drs, workloadsPolicyName(drs), workloads, clusters));
    if (standby && scaled) {
      for (const b of workloadBindings) {
        const r = b.spec.resource;
        out.overrides.push({
          apiVersion: POLICY_API_VERSION,
          kind: 'OverridePolicy',
          metadata: owned(drs, standbyOverrideName(drs, b.metadata.name ?? '')),
          spec: {
            resourceSelectors: [
              { apiVersion: r.apiVersion, kind: r.kind, namespace: drs.metadata.namespace, name: r.name },
            ],
            overrideRules: [
              {
                targetCluster: { clusterNames: [standby] },
                overriders: {
                  plaintext: [
                    {
                      path: '/spec/replicas',
                      operator: 'replace',
                      // While failing back the standby keeps every replica; the override stays
                      // (updated, never deleted and made again), so each change is one update.
                      value: failingBack
                        ? (b.spec.replicas ?? 0)
                        : standbyReplicas(drs, b.spec.replicas ?? 0),
                    },
                  ],
                },
              },
            ],
          },
        } as OverridePolicy);
      }
    }
  }
  const config = configSelectors(drs);
  if (config.length > 0) out.propagation.push(propagationPolicy(drs, configPolicyName(drs), config, both));
  return out;
}
