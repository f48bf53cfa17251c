// No placement breaks a residency rule: random members (regions, providers, countries), random
// rules and random placements (no affinity, names, ordered affinity groups with overflow;
// duplicated, static and dynamic weights, aggregated), with the binding already spread over
// random members (as when a rule is added after the policy), scheduled with the residency filter.
// The model of which members a resource may use is written here, apart from the rule matching.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ResidencyRule } from '../../apis/governance/index.js';
import type { Cluster, Placement, ResourceBindingSpec, TargetCluster } from '../../apis/karmada/index.js';
import { schedule } from '../../propagation/scheduler/schedule.js';
import { residencyRefusal, ruleCovers } from './match.js';

const NAMES = ['m0', 'm1', 'm2', 'm3', 'm4'] as const;
const REGIONS = ['eu-west', 'eu-central', 'us-east', 'ap-south'] as const;
const PROVIDERS = ['onprem', 'cloud'] as const;
const NAMESPACES = ['shop', 'billing'] as const;

interface Member {
  region: (typeof REGIONS)[number];
  provider: (typeof PROVIDERS)[number];
  capacity: number;
}

interface Rule {
  namespaces: string[];
  regions: string[];
  providers: string[];
  includeConfig: boolean;
}

const memberArb = fc.record<Member>({
  region: fc.constantFrom(...REGIONS),
  provider: fc.constantFrom(...PROVIDERS),
  capacity: fc.integer({ min: 0, max: 6 }),
});
const subset = <T>(values: readonly T[]) => fc.subarray([...values]);
const ruleArb = fc.record<Rule>({
  namespaces: subset(NAMESPACES).filter((a) => a.length > 0),
  regions: subset(REGIONS).filter((a) => a.length > 0),
  providers: subset(PROVIDERS),
  includeConfig: fc.boolean(),
});
const placementArb: fc.Arbitrary<Placement> = fc
  .oneof(
    fc.constant({}),
    subset(NAMES).map((names) => ({ clusterAffinity: { clusterNames: names.length ? names : ['none'] } })),
    fc.tuple(subset(NAMES), subset(NAMES)).map(([a, b]) => ({
      clusterAffinities: [
        { affinityName: 'primary', clusterNames: a.length ? a : ['none'] },
        {
          affinityName: 'backup',
          clusterNames: b.length ? b : ['none'],
          overflowAffinities: [{ affinityName: 'burst' }],
        },
      ],
    })),
  )
  .chain((p) =>
    fc
      .constantFrom<Placement['replicaScheduling'] | undefined>(
        undefined,
        {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: {
            staticWeightList: NAMES.map((n, i) => ({ targetCluster: { clusterNames: [n] }, weight: i + 1 })),
          },
        },
        {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: { dynamicWeight: 'AvailableReplicas' },
        },
        { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Aggregated' },
      )
      .map((rs) => (rs ? { ...p, replicaScheduling: rs } : p)),
  );

function clusterOf(m: Member, i: number): Cluster {
  return {
    apiVersion: 'cluster.karmada.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name: NAMES[i]! },
    spec: { syncMode: 'Push', region: m.region, provider: m.provider },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      resourceSummary: { allocatable: { pods: String(m.capacity) } },
    },
  } as Cluster;
}

function ruleOf(r: Rule, i: number): ResidencyRule {
  return {
    apiVersion: 'governance.concord.dev/v1alpha1',
    kind: 'ResidencyRule',
    metadata: { name: `rule-${i}` },
    spec: {
      resourceSelector: { namespaces: r.namespaces },
      allowedClusters: { regions: r.regions, ...(r.providers.length ? { providers: r.providers } : {}) },
      includeConfigAndSecrets: r.includeConfig,
    },
  };
}

/** The model: a member may hold the resource when every rule for its namespace (and kind) allows it. */
function allowedByModel(rules: Rule[], members: Member[], namespace: string, kind: string): Set<string> {
  const out = new Set<string>();
  members.forEach((m, i) => {
    const ok = rules.every((r) => {
      const covers = r.namespaces.includes(namespace) && (kind !== 'ConfigMap' || r.includeConfig);
      if (!covers) return true;
      return r.regions.includes(m.region) && (r.providers.length === 0 || r.providers.includes(m.provider));
    });
    if (ok) out.add(NAMES[i]!);
  });
  return out;
}

describe('residency in the scheduler (property)', () => {
  it('never places a covered resource on a member a rule does not allow', () => {
    fc.assert(
      fc.property(
        fc.array(memberArb, { minLength: 5, maxLength: 5 }),
        fc.array(ruleArb, { minLength: 1, maxLength: 3 }),
        placementArb,
        fc.constantFrom(...NAMESPACES),
        fc.constantFrom('Deployment', 'ConfigMap'),
        fc.integer({ min: 1, max: 10 }),
        subset(NAMES),
        fc.boolean(),
        (members, rules, placement, namespace, kind, replicas, previous, fresh) => {
          const clusters = members.map(clusterOf);
          const objects = rules.map(ruleOf);
          const covering = objects.filter((r) => ruleCovers(r, { kind, namespace, labels: {} }, {}));
          const workload = kind === 'Deployment';
          const spec: ResourceBindingSpec = {
            resource: { apiVersion: workload ? 'apps/v1' : 'v1', kind, namespace, name: 'data' },
            placement,
            ...(workload ? { replicas } : {}),
            clusters: previous.map((name): TargetCluster => (workload ? { name, replicas: 1 } : { name })),
          };
          const result = schedule(spec, undefined, clusters, {
            fresh,
            refuse: covering.length ? (c) => residencyRefusal(covering, c) : undefined,
          });
          const allowed = allowedByModel(rules, members, namespace, kind);
          for (const t of result.clusters ?? spec.clusters ?? []) {
            expect(allowed, `${t.name} placed outside; result ${JSON.stringify(result)}`).toContain(t.name);
          }
          const everyMember = !placement.clusterAffinity && !placement.clusterAffinities;
          if (everyMember && allowed.size === 0) {
            expect(result.outcome).toBe('NoClusterFit');
            expect(result.message).toMatch(/cluster\(s\) were outside residency rule rule-\d/);
          }
        },
      ),
      { numRuns: Number(process.env.CONCORD_PROPERTY_RUNS ?? 300) },
    );
  }, 60_000);
});
