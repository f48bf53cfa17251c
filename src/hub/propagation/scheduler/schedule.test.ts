import { describe, expect, it } from 'vitest';
import type {
  Cluster,
  Placement,
  ResourceBindingSpec,
  ResourceBindingStatus,
  Taint,
  TargetCluster,
} from '../../apis/karmada/index.js';
import { allocateWebsterSeats, divideByWeight } from './division.js';
import { maxAvailableReplicas } from './estimate.js';
import { schedule } from './schedule.js';

interface MemberOpts {
  /** Pods the member still allows (its room for replicas without requests). */
  pods?: number;
  region?: string;
  zones?: string[];
  provider?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  ready?: 'True' | 'False' | 'Unknown';
}

function member(name: string, o: MemberOpts = {}): Cluster {
  return {
    apiVersion: 'cluster.karmada.io/v1alpha1',
    kind: 'Cluster',
    metadata: { name, labels: o.labels ?? {} },
    spec: {
      syncMode: 'Push',
      ...(o.region ? { region: o.region } : {}),
      ...(o.zones ? { zones: o.zones } : {}),
      ...(o.provider ? { provider: o.provider } : {}),
      ...(o.taints ? { taints: o.taints } : {}),
    },
    status: {
      conditions: [{ type: 'Ready', status: o.ready ?? 'True', reason: 'ClusterReady', message: '' }],
      resourceSummary: { allocatable: { pods: String(o.pods ?? 110) } },
    },
  };
}

function binding(replicas: number, placement: Placement, clusters?: TargetCluster[]): ResourceBindingSpec {
  return {
    resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'nginx' },
    replicas,
    placement,
    ...(clusters ? { clusters } : {}),
  };
}

const dividedBy = (
  weightPreference: NonNullable<Placement['replicaScheduling']>['weightPreference'],
): Placement => ({
  replicaScheduling: {
    replicaSchedulingType: 'Divided',
    replicaDivisionPreference: 'Weighted',
    weightPreference,
  },
});
const dynamic = dividedBy({ dynamicWeight: 'AvailableReplicas' });
const aggregated: Placement = {
  replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Aggregated' },
};
const weights = (...w: [string, number][]): Placement =>
  dividedBy({ staticWeightList: w.map(([n, weight]) => ({ targetCluster: { clusterNames: [n] }, weight })) });

describe('Webster division', () => {
  it('gives the seats of the Sainte-Laguë examples', () => {
    const votes = new Map([
      ['Alpha', 1200],
      ['Beta', 900],
      ['Gamma', 400],
    ]);
    expect(allocateWebsterSeats(4, votes).map((p) => [p.name, p.seats])).toEqual([
      ['Alpha', 2],
      ['Beta', 1],
      ['Gamma', 1],
    ]);
    const classic = new Map([
      ['PartyA', 100000],
      ['PartyB', 80000],
      ['PartyC', 30000],
      ['PartyD', 20000],
    ]);
    expect(allocateWebsterSeats(8, classic).map((p) => p.seats)).toEqual([3, 3, 1, 1]);
    expect(allocateWebsterSeats(5, classic).map((p) => p.seats)).toEqual([2, 2, 1, 0]);
  });

  it('divides 9 replicas 1:2 as 3:6 and 1:3 as 2:7', () => {
    const w = (a: number, b: number) => [
      { name: 'A', weight: a },
      { name: 'B', weight: b },
    ];
    expect(divideByWeight(9, w(1, 2), undefined)).toEqual([
      { name: 'A', replicas: 3 },
      { name: 'B', replicas: 6 },
    ]);
    expect(divideByWeight(9, w(1, 3), undefined)).toEqual([
      { name: 'A', replicas: 2 },
      { name: 'B', replicas: 7 },
    ]);
  });

  it('breaks a tie by fewer replicas, then by name in the order the uid hash picks', () => {
    const even = [
      { name: 'member1', weight: 1 },
      { name: 'member2', weight: 1 },
    ];
    // No uid: names ascending, so member1 takes the odd replica.
    expect(divideByWeight(3, even, undefined)).toEqual([
      { name: 'member1', replicas: 2 },
      { name: 'member2', replicas: 1 },
    ]);
    // fnv32a("b") = 0xe70c2de5 is odd: names descending.
    expect(divideByWeight(3, even, 'b')).toEqual([
      { name: 'member1', replicas: 1 },
      { name: 'member2', replicas: 2 },
    ]);
  });
});

describe('estimation from the resource summary', () => {
  it('takes the least of pods left and each requested resource left', () => {
    const c = member('m');
    c.status!.resourceSummary = {
      allocatable: { cpu: '8', memory: '16Gi', pods: '110' },
      allocated: { cpu: '2500m', memory: '4Gi', pods: '10' },
      allocating: { cpu: '500m', pods: '2' },
    };
    expect(maxAvailableReplicas(c, undefined)).toBe(98);
    // cpu: 5000m / 500m = 10; memory: 12Gi / 1Gi = 12.
    expect(maxAvailableReplicas(c, { resourceRequest: { cpu: '500m', memory: '1Gi' } })).toBe(10);
    expect(maxAvailableReplicas(c, { resourceRequest: { 'nvidia.com/gpu': '1' } })).toBe(0);
    delete c.status!.resourceSummary;
    expect(maxAvailableReplicas(c, undefined)).toBe(0);
  });
});

describe('schedule', () => {
  const two = [member('member1'), member('member2')];

  it('divides the nginx sample 1:1 with static weights', () => {
    const r = schedule(binding(2, weights(['member1', 1], ['member2', 1])), undefined, two);
    expect(r.outcome).toBe('Success');
    expect(r.clusters).toEqual([
      { name: 'member1', replicas: 1 },
      { name: 'member2', replicas: 1 },
    ]);
  });

  it('gives member i exactly i replicas for weights 1..N and replicas sum(1..N)', () => {
    const four = ['member1', 'member2', 'member3', 'member4'].map((n) => member(n));
    const p = weights(['member1', 1], ['member2', 2], ['member3', 3], ['member4', 4]);
    expect(schedule(binding(10, p), undefined, four).clusters).toEqual([
      { name: 'member1', replicas: 1 },
      { name: 'member2', replicas: 2 },
      { name: 'member3', replicas: 3 },
      { name: 'member4', replicas: 4 },
    ]);
    // Weighted without a weight list: all alike, 2N replicas give 2 each.
    const even = dividedBy(undefined);
    expect(schedule(binding(8, even), undefined, four).clusters?.map((c) => c.replicas)).toEqual([
      2, 2, 2, 2,
    ]);
  });

  it('duplicates every replica to each selected member when replicaScheduling is absent', () => {
    const r = schedule(binding(3, { clusterAffinity: { clusterNames: ['member1', 'member2'] } }), undefined, [
      ...two,
      member('member3'),
    ]);
    expect(r.clusters).toEqual([
      { name: 'member1', replicas: 3 },
      { name: 'member2', replicas: 3 },
    ]);
  });

  it('divides by available replicas: 12 over 18:12:6 is 6:4:2, over 6:12:6 is 3:6:3', () => {
    const members = (a: number, b: number, c: number) => [
      member('member1', { pods: a }),
      member('member2', { pods: b }),
      member('member3', { pods: c }),
    ];
    expect(schedule(binding(12, dynamic), undefined, members(18, 12, 6)).clusters).toEqual([
      { name: 'member1', replicas: 6 },
      { name: 'member2', replicas: 4 },
      { name: 'member3', replicas: 2 },
    ]);
    expect(schedule(binding(12, dynamic), undefined, members(6, 12, 6)).clusters).toEqual([
      { name: 'member1', replicas: 3 },
      { name: 'member2', replicas: 6 },
      { name: 'member3', replicas: 3 },
    ]);
  });

  it('aggregates onto as few members as hold the replicas: 12:6:6 takes one, 6:6:6 two', () => {
    const r1 = schedule(binding(12, aggregated), undefined, [
      member('member1', { pods: 6 }),
      member('member2', { pods: 12 }),
      member('member3', { pods: 6 }),
    ]);
    expect(r1.clusters).toEqual([{ name: 'member2', replicas: 12 }]);
    const r2 = schedule(binding(12, aggregated), undefined, [
      member('member1', { pods: 6 }),
      member('member2', { pods: 6 }),
      member('member3', { pods: 6 }),
    ]);
    expect(r2.clusters).toEqual([
      { name: 'member1', replicas: 6 },
      { name: 'member2', replicas: 6 },
    ]);
  });

  it('places the new replicas of a scale-up and keeps the others where they are', () => {
    // 4 on member1 and 2 on member2; two more with room 10:2 go 10:2 -> 2:0 by Webster.
    const spec = binding(8, dynamic, [
      { name: 'member1', replicas: 4 },
      { name: 'member2', replicas: 2 },
    ]);
    const r = schedule(spec, undefined, [member('member1', { pods: 10 }), member('member2', { pods: 2 })]);
    expect(r.clusters).toEqual([
      { name: 'member1', replicas: 6 },
      { name: 'member2', replicas: 2 },
    ]);
    // A scale-down divides by what each member has: 6 from 4:2 is 4:2 scaled to 3:... Webster of 4:2 for 3 is 2:1.
    const down = schedule(binding(3, dynamic, r.clusters), undefined, [
      member('member1', { pods: 10 }),
      member('member2', { pods: 2 }),
    ]);
    expect(down.clusters).toEqual([
      { name: 'member1', replicas: 2 },
      { name: 'member2', replicas: 1 },
    ]);
  });

  it('places what fits when the fleet is short, and says how many replicas are missing', () => {
    const r = schedule(binding(10, dynamic), undefined, [
      member('member1', { pods: 4 }),
      member('member2', { pods: 3 }),
    ]);
    expect(r.outcome).toBe('Unschedulable');
    expect(r.missing).toBe(3);
    expect(r.clusters).toEqual([
      { name: 'member1', replicas: 4 },
      { name: 'member2', replicas: 3 },
    ]);
    expect(r.message).toBe(
      '3 of 10 replicas could not be placed: the selected clusters have room for 7 (room for more replicas: member1: 4, member2: 3).',
    );
    // Capacity appears (a third member): the missing three go there, nothing else moves.
    const done = schedule(binding(10, dynamic, r.clusters), undefined, [
      member('member1', { pods: 0 }),
      member('member2', { pods: 0 }),
      member('member3', { pods: 5 }),
    ]);
    expect(done.outcome).toBe('Success');
    expect(done.clusters).toEqual([
      { name: 'member1', replicas: 4 },
      { name: 'member2', replicas: 3 },
      { name: 'member3', replicas: 3 },
    ]);
  });

  it('filters by affinity, fields and taints and says why no member fits', () => {
    const members = [
      member('a', { region: 'us' }),
      member('b', { region: 'eu', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
      member('c', { region: 'eu', ready: 'False' }),
    ];
    const p: Placement = {
      clusterAffinity: {
        fieldSelector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] },
      },
    };
    const r = schedule(binding(1, p), undefined, members);
    expect(r.outcome).toBe('NoClusterFit');
    expect(r.clusters).toEqual([]);
    expect(r.message).toBe(
      '0/3 clusters are available: 1 cluster(s) did not match the placement cluster affinity constraint, ' +
        '1 cluster(s) had untolerated taint {cluster.karmada.io/not-ready:NoSchedule}, ' +
        '1 cluster(s) had untolerated taint {dedicated=gpu:NoSchedule}.',
    );
    const tolerated = schedule(
      binding(1, { ...p, clusterTolerations: [{ key: 'dedicated', operator: 'Exists' }] }),
      undefined,
      members,
    );
    expect(tolerated.clusters).toEqual([{ name: 'b', replicas: 1 }]);
  });

  it('keeps a member it already placed on when the member goes not ready', () => {
    const spec = binding(2, { clusterAffinity: { clusterNames: ['m1', 'm2'] } }, [
      { name: 'm1', replicas: 2 },
    ]);
    const r = schedule(spec, undefined, [member('m1', { ready: 'Unknown' }), member('m2')]);
    expect(r.clusters).toEqual([
      { name: 'm1', replicas: 2 },
      { name: 'm2', replicas: 2 },
    ]);
  });

  it('moves to the backup group when the primary has no member that fits', () => {
    const p: Placement = {
      clusterAffinities: [
        { affinityName: 'primary', clusterNames: ['m1'] },
        { affinityName: 'backup', clusterNames: ['m2'] },
      ],
    };
    const status: ResourceBindingStatus = { schedulerObservingAffinityName: 'primary' };
    const healthy = schedule(binding(2, p), status, [member('m1'), member('m2')]);
    expect([healthy.affinityName, healthy.clusters]).toEqual(['primary', [{ name: 'm1', replicas: 2 }]]);
    const down = schedule(binding(2, p), status, [member('m1', { ready: 'False' }), member('m2')]);
    expect([down.affinityName, down.clusters]).toEqual(['backup', [{ name: 'm2', replicas: 2 }]]);
    // Back in the backup group the binding stays there when the primary recovers ...
    const back = { schedulerObservingAffinityName: 'backup' };
    expect(schedule(binding(2, p), back, [member('m1'), member('m2')]).affinityName).toBe('backup');
    // ... unless a fresh schedule starts again from the first group.
    expect(schedule(binding(2, p), back, [member('m1'), member('m2')], { fresh: true }).affinityName).toBe(
      'primary',
    );
  });

  it('spreads over two regions with one member each (the region constraint wins over cluster maxGroups)', () => {
    const p: Placement = {
      spreadConstraints: [
        { spreadByField: 'cluster', minGroups: 1, maxGroups: 1 },
        { spreadByField: 'region', minGroups: 2, maxGroups: 2 },
      ],
    };
    const r = schedule(binding(1, p), undefined, [
      member('m1', { region: '1' }),
      member('m2', { region: '2' }),
      member('m3', { region: '2' }),
    ]);
    expect(r.clusters?.map((c) => c.name).sort()).toEqual(['m1', 'm2']);
  });

  it('spreads by zone and by label, which Karmada ignores', () => {
    const zoned = [
      member('m1', { zones: ['z1'] }),
      member('m2', { zones: ['z1'] }),
      member('m3', { zones: ['z2'] }),
    ];
    const byZone: Placement = {
      spreadConstraints: [
        { spreadByField: 'cluster', minGroups: 2, maxGroups: 2 },
        { spreadByField: 'zone', minGroups: 2, maxGroups: 2 },
      ],
    };
    const r = schedule(binding(1, byZone), undefined, zoned);
    expect(r.clusters?.map((c) => c.name).sort()).toEqual(['m1', 'm3']);
    const labelled = [
      member('m1', { labels: { rack: 'a' } }),
      member('m2', { labels: { rack: 'a' } }),
      member('m3', { labels: { rack: 'b' } }),
      member('m4'),
    ];
    const byLabel: Placement = { spreadConstraints: [{ spreadByLabel: 'rack', minGroups: 2, maxGroups: 2 }] };
    const l = schedule(binding(1, byLabel), undefined, labelled);
    expect(l.clusters?.map((c) => c.name).sort()).toEqual(['m1', 'm2', 'm3']);
    const tooFew: Placement = { spreadConstraints: [{ spreadByLabel: 'rack', minGroups: 3 }] };
    const t = schedule(binding(1, tooFew), undefined, labelled);
    expect([t.outcome, t.message]).toEqual([
      'Unschedulable',
      'the number of feasible label rack is less than spreadConstraint.MinGroups',
    ]);
  });

  it('propagates a non-workload to every selected member without replica counts', () => {
    const spec: ResourceBindingSpec = {
      resource: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'cfg' },
      placement: { clusterAffinity: { clusterNames: ['member1', 'member2'] } },
    };
    expect(schedule(spec, undefined, two).clusters).toEqual([{ name: 'member1' }, { name: 'member2' }]);
  });
});
