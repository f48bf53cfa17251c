import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../machinery/object.js';
import { fieldErrorMessage } from '../../../../machinery/status.js';
import {
  clusterOverridePolicyStrategy,
  clusterPropagationPolicyStrategy,
  overridePolicyStrategy,
  propagationPolicyStrategy,
} from './strategy.js';

type Json = Record<string, unknown>;
const ID = 'propagationpolicy.karmada.io/permanent-id';

function policy(spec: Json, kind = 'PropagationPolicy', namespace: string | undefined = 'shop'): KubeObject {
  return {
    apiVersion: 'policy.karmada.io/v1alpha1',
    kind,
    metadata: { name: 'web', ...(namespace ? { namespace } : {}), labels: { [ID]: 'fixed-id' } },
    spec,
  };
}

const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' };

function errors(strategy: typeof propagationPolicyStrategy, obj: KubeObject): string[] {
  return strategy.validate!(obj).map((e) => fieldErrorMessage(e));
}

describe('PropagationPolicy defaults', () => {
  it('puts selectors in the policy namespace and leaves an absent replicaScheduling absent (Duplicated)', () => {
    const p = policy({
      resourceSelectors: [deployment],
      placement: { clusterAffinity: { clusterNames: ['m1'] } },
    });
    propagationPolicyStrategy.applyDefaults!(p);
    expect(p.spec).toEqual({
      resourceSelectors: [{ ...deployment, namespace: 'shop' }],
      placement: { clusterAffinity: { clusterNames: ['m1'] } },
    });
  });

  it('weights Divided replicas unless a preference is given', () => {
    const p = policy({
      resourceSelectors: [deployment],
      placement: { replicaScheduling: { replicaSchedulingType: 'Divided' } },
    });
    propagationPolicyStrategy.applyDefaults!(p);
    expect((p.spec as Json).placement).toEqual({
      replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Weighted' },
    });
    const aggregated = policy({
      resourceSelectors: [deployment],
      placement: {
        replicaScheduling: { replicaSchedulingType: 'Divided', replicaDivisionPreference: 'Aggregated' },
      },
    });
    propagationPolicyStrategy.applyDefaults!(aggregated);
    expect(((aggregated.spec as Json).placement as Json).replicaScheduling).toEqual({
      replicaSchedulingType: 'Divided',
      replicaDivisionPreference: 'Aggregated',
    });
    const duplicated = policy({
      resourceSelectors: [deployment],
      placement: { replicaScheduling: { replicaSchedulingType: 'Duplicated' } },
    });
    propagationPolicyStrategy.applyDefaults!(duplicated);
    expect(((duplicated.spec as Json).placement as Json).replicaScheduling).toEqual({
      replicaSchedulingType: 'Duplicated',
    });
  });

  it('spreads by cluster over at least one group when a constraint says nothing', () => {
    const p = policy({
      resourceSelectors: [deployment],
      placement: { spreadConstraints: [{ maxGroups: 2 }, { spreadByLabel: 'topology/zone', minGroups: 2 }] },
    });
    propagationPolicyStrategy.applyDefaults!(p);
    expect(((p.spec as Json).placement as Json).spreadConstraints).toEqual([
      { spreadByField: 'cluster', maxGroups: 2, minGroups: 1 },
      { spreadByLabel: 'topology/zone', minGroups: 2 },
    ]);
  });

  it('gives graceful application failover a 600 s grace period, and ServiceImports their dependencies', () => {
    const p = policy({
      resourceSelectors: [
        deployment,
        { apiVersion: 'multicluster.x-k8s.io/v1alpha1', kind: 'ServiceImport' },
      ],
      failover: { application: { decisionConditions: { tolerationSeconds: 300 }, purgeMode: 'Gracefully' } },
    });
    propagationPolicyStrategy.applyDefaults!(p);
    expect((p.spec as Json).propagateDeps).toBe(true);
    expect((p.spec as Json).failover).toEqual({
      application: {
        decisionConditions: { tolerationSeconds: 300 },
        purgeMode: 'Gracefully',
        gracePeriodSeconds: 600,
      },
    });
  });

  it("leaves a cluster-wide policy's selectors without a namespace", () => {
    const p = policy({ resourceSelectors: [deployment] }, 'ClusterPropagationPolicy', undefined);
    clusterPropagationPolicyStrategy.applyDefaults!(p);
    expect((p.spec as Json).resourceSelectors).toEqual([deployment]);
  });
});

describe('PropagationPolicy identity', () => {
  it('gets a fresh permanent id on create that later writes keep and cannot change', () => {
    const p = policy({ resourceSelectors: [deployment] });
    propagationPolicyStrategy.prepareForCreate!(p);
    const id = p.metadata.labels![ID]!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(id).not.toBe('fixed-id');

    const reapplied = policy({ resourceSelectors: [deployment] });
    reapplied.metadata.labels = {};
    propagationPolicyStrategy.prepareForUpdate!(reapplied, p);
    expect(reapplied.metadata.labels![ID]).toBe(id);

    const changed = structuredClone(p);
    changed.metadata.labels![ID] = 'mine';
    (changed.spec as Json).schedulerName = 'other-scheduler';
    (p.spec as Json).schedulerName = 'default-scheduler';
    propagationPolicyStrategy.prepareForUpdate!(changed, p);
    expect(propagationPolicyStrategy.validateUpdate!(changed, p).map((e) => fieldErrorMessage(e))).toEqual([
      'spec.schedulerName: Invalid value: "other-scheduler": field is immutable',
      `metadata.labels[${ID}]: Invalid value: "mine": field is immutable`,
    ]);
  });

  it('uses its own label for cluster-wide policies', () => {
    const p = policy({ resourceSelectors: [deployment] }, 'ClusterPropagationPolicy', undefined);
    clusterPropagationPolicyStrategy.prepareForCreate!(p);
    expect(Object.keys(p.metadata.labels!).sort()).toEqual([
      'clusterpropagationpolicy.karmada.io/permanent-id',
      ID,
    ]);
  });
});

describe('PropagationPolicy validation', () => {
  it('accepts a full placement', () => {
    const p = policy({
      resourceSelectors: [
        { ...deployment, namespace: 'shop', labelSelector: { matchLabels: { app: 'web' } } },
      ],
      propagateDeps: true,
      placement: {
        clusterAffinities: [
          {
            affinityName: 'primary',
            labelSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['gold'] }] },
            overflowAffinities: [{ affinityName: 'burst', clusterNames: ['cloud-1'] }],
          },
          {
            affinityName: 'backup',
            fieldSelector: { matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['eu'] }] },
          },
        ],
        spreadConstraints: [
          { spreadByField: 'cluster', minGroups: 1, maxGroups: 3 },
          { spreadByField: 'region', minGroups: 2, maxGroups: 2 },
        ],
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          replicaDivisionPreference: 'Weighted',
          weightPreference: { dynamicWeight: 'AvailableReplicas' },
        },
        clusterTolerations: [
          {
            key: 'cluster.karmada.io/not-ready',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 30,
          },
        ],
      },
      failover: {
        application: {
          decisionConditions: { tolerationSeconds: 60 },
          purgeMode: 'Gracefully',
          gracePeriodSeconds: 120,
        },
      },
    });
    expect(errors(propagationPolicyStrategy, p)).toEqual([]);
  });

  it('refuses broken spread constraints, naming each', () => {
    const p = policy({
      resourceSelectors: [deployment],
      placement: {
        spreadConstraints: [
          { spreadByField: 'region', spreadByLabel: 'zone', minGroups: 1 },
          { spreadByField: 'region', minGroups: 3, maxGroups: 2 },
          { spreadByLabel: 'x', minGroups: -1 },
        ],
      },
    });
    expect(errors(propagationPolicyStrategy, p)).toEqual([
      'spec.placement.spreadConstraints[0]: Invalid value: {"spreadByField":"region","spreadByLabel":"zone","minGroups":1}: spreadByLabel should not co-exist with spreadByField',
      'spec.placement.spreadConstraints[1].maxGroups: Invalid value: 2: must not be lower than minGroups',
      'spec.placement.spreadConstraints: Invalid value: "region": multiple region spread constraints are not allowed',
      'spec.placement.spreadConstraints[2].minGroups: Invalid value: -1: must be greater than or equal to 0',
      'spec.placement.spreadConstraints: Invalid value: ["region"]: the cluster spread constraint must be enabled in one of the constraints in case of spreadByField is enabled',
    ]);
  });

  it('refuses conflicting and duplicate cluster affinities, bad field selectors and misplaced overflow groups', () => {
    const p = policy({
      resourceSelectors: [deployment],
      placement: {
        clusterAffinity: {
          fieldSelector: { matchExpressions: [{ key: 'name', operator: 'In', values: ['a'] }] },
        },
        clusterAffinities: [
          { affinityName: 'group', overflowAffinities: [{ affinityName: 'group' }] },
          { affinityName: 'group' },
        ],
      },
    });
    expect(errors(propagationPolicyStrategy, p)).toEqual([
      expect.stringMatching(
        /^spec\.placement: Invalid value: .*: clusterAffinities cannot co-exist with clusterAffinity$/,
      ),
      'spec.placement.clusterAffinities[0].overflowAffinities: Invalid value: [{"affinityName":"group"}]: overflowAffinities can only be used together with dynamic weight or aggregated scheduling',
      'spec.placement.clusterAffinity.fieldSelector: Invalid value: {"matchExpressions":[{"key":"name","operator":"In","values":["a"]}]}: unsupported key "name", must be provider, region, or zone',
      'spec.placement.clusterAffinities[0].overflowAffinities: Invalid value: [{"affinityName":"group"}]: overflowAffinities can only be used together with the inline cluster affinity',
      'spec.placement.clusterAffinities[0].overflowAffinities[0].affinityName: Invalid value: "group": overflow affinity names must be unique and differ from the group\'s own affinityName',
      'spec.placement.clusterAffinities[1].affinityName: Duplicate value: "group": each affinity term in a policy must have a unique name',
    ]);
  });

  it('refuses label selectors that cannot parse, wherever they are', () => {
    const p = policy({
      resourceSelectors: [
        {
          ...deployment,
          labelSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] },
        },
      ],
      placement: {
        replicaScheduling: {
          replicaSchedulingType: 'Divided',
          weightPreference: {
            staticWeightList: [
              { targetCluster: { labelSelector: { matchLabels: { 'bad key': 'x' } } }, weight: 1 },
            ],
          },
        },
      },
    });
    const errs = errors(propagationPolicyStrategy, p);
    expect(errs[0]).toBe(
      "spec.placement.replicaScheduling.weightPreference.staticWeightList[0].targetCluster.labelSelector.matchLabels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
    expect(errs[1]).toBe(
      'spec.resourceSelectors[0].labelSelector.matchExpressions[0].operator: Invalid value: "Equals": not a valid selector operator',
    );
  });

  it('refuses selectors of other namespaces, nameless selectors under preemption and a suspension at odds with itself', () => {
    const p = policy({
      resourceSelectors: [
        { ...deployment, namespace: 'other' },
        { apiVersion: 'v1', kind: 'Service', namespace: 'shop' },
      ],
      preemption: 'Always',
      suspension: { dispatching: true, dispatchingOnClusters: { clusterNames: ['m1'] } },
    });
    expect(errors(propagationPolicyStrategy, p)).toEqual([
      'spec.resourceSelectors[0].namespace: Invalid value: "other": namespace of resource selector must be the same as the namespace of the policy',
      'spec.resourceSelectors[1].name: Invalid value: "": name cannot be empty if preemption is Always, the empty name may cause unexpected resources preemption',
      'spec.suspension: Invalid value: {"dispatching":true,"dispatchingOnClusters":{"clusterNames":["m1"]}}: suspension dispatching cannot co-exist with dispatchingOnClusters.clusterNames',
    ]);
  });

  it('requires dependencies to follow a failing-over application, and a sound grace period', () => {
    const p = policy({
      resourceSelectors: [deployment],
      failover: {
        application: {
          decisionConditions: { tolerationSeconds: -1 },
          purgeMode: 'Directly',
          gracePeriodSeconds: 0,
        },
      },
    });
    expect(errors(propagationPolicyStrategy, p)).toEqual([
      'spec.propagateDeps: Invalid value: false: application failover is set, propagateDeps must be true',
      'spec.failover.application.decisionConditions.tolerationSeconds: Invalid value: -1: must be greater than or equal to 0',
      'spec.failover.application.gracePeriodSeconds: Invalid value: 0: only takes effect when purgeMode is Gracefully',
      'spec.failover.application.gracePeriodSeconds: Invalid value: 0: must be greater than 0',
    ]);
  });

  it('refuses the comparison toleration operators and two workload affinities on one key', () => {
    const p = policy({
      resourceSelectors: [deployment],
      placement: {
        clusterTolerations: [{ key: 'gpu', operator: 'Gt', value: '2' }],
        workloadAffinity: {
          affinity: { groupByLabelKey: 'app.group' },
          antiAffinity: { groupByLabelKey: 'app.group' },
        },
      },
    });
    expect(errors(propagationPolicyStrategy, p)).toEqual([
      'spec.placement.workloadAffinity: Invalid value: {"affinity":{"groupByLabelKey":"app.group"},"antiAffinity":{"groupByLabelKey":"app.group"}}: affinity and antiAffinity must not use the same groupByLabelKey',
      'spec.placement.clusterTolerations[0].operator: Unsupported value: "Gt": supported values: "", "Exists", "Equal"',
    ]);
  });
});

describe('OverridePolicy', () => {
  const op = (spec: Json, kind = 'OverridePolicy', namespace: string | undefined = 'shop') =>
    policy(spec, kind, namespace);

  it('puts selectors in the policy namespace (the namespaced kind only)', () => {
    const p = op({ resourceSelectors: [deployment] });
    overridePolicyStrategy.applyDefaults!(p);
    expect((p.spec as Json).resourceSelectors).toEqual([{ ...deployment, namespace: 'shop' }]);
    expect(clusterOverridePolicyStrategy.applyDefaults).toBeUndefined();
  });

  it('accepts rules of every overrider', () => {
    const p = op({
      resourceSelectors: [{ ...deployment, namespace: 'shop' }],
      overrideRules: [
        {
          targetCluster: { clusterNames: ['m1'] },
          overriders: {
            plaintext: [{ path: '/spec/replicas', operator: 'replace', value: 1 }],
            imageOverrider: [
              {
                predicate: { path: '/spec/template/spec/containers/0/image' },
                component: 'Registry',
                operator: 'replace',
                value: 'r.example',
              },
            ],
            labelsOverrider: [{ operator: 'add', value: { env: 'prod' } }],
            annotationsOverrider: [{ operator: 'remove', value: { note: '' } }],
            fieldOverrider: [
              {
                fieldPath: '/data/config.yaml',
                yaml: [{ subPath: '/db/port', operator: 'replace', value: 5432 }],
              },
            ],
          },
        },
      ],
    });
    expect(errors(overridePolicyStrategy, p)).toEqual([]);
  });

  it('refuses mixed old and new forms, bad pointers, field overriders of both or neither language, and bad labels', () => {
    const p = op(
      {
        targetCluster: { clusterNames: ['m1'] },
        overriders: { plaintext: [{ path: '/spec/replicas', operator: 'replace', value: 1 }] },
        overrideRules: [
          {
            targetCluster: { fieldSelector: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
            overriders: {
              labelsOverrider: [{ operator: 'add', value: { env: 'not ok' } }],
              imageOverrider: [
                { predicate: { path: 'spec/image' }, component: 'Tag', operator: 'replace', value: 'v2' },
              ],
              fieldOverrider: [
                {
                  fieldPath: 'data',
                  json: [{ subPath: '/a', operator: 'add' }],
                  yaml: [{ subPath: '/b', operator: 'remove', value: 1 }],
                },
                { fieldPath: '/data/x' },
              ],
            },
          },
        ],
      },
      'ClusterOverridePolicy',
      undefined,
    );
    expect(errors(clusterOverridePolicyStrategy, p)).toEqual([
      'spec.targetCluster: Invalid value: {"clusterNames":["m1"]}: overrideRules and targetCluster cannot co-exist',
      'spec.overriders: Invalid value: {"plaintext":[{"path":"/spec/replicas","operator":"replace","value":1}]}: overrideRules and overriders cannot co-exist',
      "spec.overrideRules[0].overriders.labelsOverrider[0].value: Invalid value: \"not ok\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      'spec.overrideRules[0].overriders.imageOverrider[0].predicate.path: Invalid value: "spec/image": JSON pointer must be empty or start with a "/"',
      expect.stringMatching(
        /^spec\.overrideRules\[0\]\.overriders\.fieldOverrider\[0\]: Invalid value: .*: only one of json and yaml may be set$/,
      ),
      'spec.overrideRules[0].overriders.fieldOverrider[0].fieldPath: Invalid value: "data": JSON pointer must be empty or start with a "/"',
      'spec.overrideRules[0].overriders.fieldOverrider[0].json[0].value: Required value: value is required for add or replace operation',
      'spec.overrideRules[0].overriders.fieldOverrider[0].yaml[0].value: Invalid value: 1: value is not allowed for remove operation',
      'spec.overrideRules[0].overriders.fieldOverrider[1]: Required value: one of json or yaml must be set',
      'spec.overrideRules[0].targetCluster.fieldSelector: Invalid value: {"matchExpressions":[{"key":"zone","operator":"Exists"}]}: unsupported operator "Exists", must be In or NotIn',
    ]);
  });
});
