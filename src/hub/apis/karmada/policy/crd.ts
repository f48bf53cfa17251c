// The CustomResourceDefinitions of policy.karmada.io/v1alpha1, field by field from Karmada's Go
// types and their kubebuilder markers (defaults, enums, bounds, printer columns). Placement and
// failover are exported: ResourceBindings carry them too.

import type { KubeObject } from '../../../../machinery/object.js';
import type { Schema } from '../../../../machinery/schema.js';
import {
  anyValue,
  array,
  bool,
  crd,
  int32,
  int64,
  integer,
  labelSelector,
  map,
  metaConditions,
  nodeSelectorRequirement,
  object,
  oneOf,
  type PrinterColumn,
  string,
  toleration,
} from '../../schema.js';
import { CLUSTER_FIELDS, POLICY_GROUP, POLICY_VERSION, SPREAD_FIELDS } from './types.js';

const CATEGORIES = ['karmada-io'];

export function resourceSelectors(extra: { minItems?: number; description: string }): Schema {
  return array(
    object(
      {
        apiVersion: string({ description: 'API version of the selected resources.' }),
        kind: string({ description: 'Kind of the selected resources.' }),
        namespace: string({
          description: "Namespace of the selected resources; empty means the policy's own scope.",
        }),
        name: string({
          description: 'Name of the selected resource; empty selects every resource of the kind.',
        }),
        labelSelector: labelSelector({
          description: 'Selects resources by label; ignored when name is set.',
        }),
      },
      { required: ['apiVersion', 'kind'] },
    ),
    extra,
  );
}

/** The filters that select a set of clusters (ClusterAffinity). */
function clusterAffinityFields(): Record<string, Schema> {
  return {
    labelSelector: labelSelector({ description: 'Clusters whose labels match.' }),
    fieldSelector: object(
      {
        matchExpressions: array(nodeSelectorRequirement(), {
          description: `Requirements on ${CLUSTER_FIELDS.join(', ')} with the operators In or NotIn.`,
        }),
      },
      { description: 'Clusters whose provider, region or zone match.' },
    ),
    clusterNames: array(string(), { description: 'Clusters chosen by name.' }),
    exclude: array(string(), { description: 'Clusters left out by name.' }),
  };
}

export function clusterAffinity(description: string): Schema {
  return object(clusterAffinityFields(), { description });
}

function affinityName(): Schema {
  return string({ minLength: 1, maxLength: 32, description: 'Name of the cluster group.' });
}

function statePreservation(): Schema {
  return object(
    {
      rules: array(
        object(
          {
            aliasLabelName: string({ description: 'Label key the preserved value is handed over under.' }),
            jsonPath: string({ description: "JSONPath into the resource's status of the value to keep." }),
          },
          { required: ['aliasLabelName', 'jsonPath'] },
        ),
        { description: 'What to keep, one rule per value.' },
      ),
    },
    { required: ['rules'], description: 'State carried from the old cluster to the new one on failover.' },
  );
}

export function failoverBehavior(): Schema {
  return object(
    {
      application: object(
        {
          decisionConditions: object(
            {
              tolerationSeconds: int32({
                default: 300,
                description: 'Seconds the application may stay unhealthy before it fails over.',
              }),
            },
            { description: 'When to fail over.' },
          ),
          purgeMode: oneOf(['Directly', 'Gracefully', 'Never'], {
            default: 'Gracefully',
            description: 'What happens to the copy on the cluster left behind.',
          }),
          gracePeriodSeconds: int32({
            description:
              'For Gracefully: longest wait for the new copy to be healthy before the old one goes.',
          }),
          statePreservation: statePreservation(),
        },
        { required: ['decisionConditions'], description: 'Failover when the application is unhealthy.' },
      ),
      cluster: object(
        {
          purgeMode: oneOf(['Directly', 'Gracefully'], {
            default: 'Gracefully',
            description: 'What happens to the copy on the failed cluster.',
          }),
          statePreservation: statePreservation(),
        },
        { description: 'Failover when the cluster fails.' },
      ),
    },
    { description: 'How workloads move away from failures; absent means no application failover.' },
  );
}

export function placement(): Schema {
  const targetCluster = clusterAffinity('Clusters this weight applies to.');
  return object(
    {
      clusterAffinity: clusterAffinity('The candidate clusters; cannot be set with clusterAffinities.'),
      clusterAffinities: array(
        object(
          {
            affinityName: affinityName(),
            ...clusterAffinityFields(),
            overflowAffinities: array(
              object(
                { affinityName: affinityName(), ...clusterAffinityFields() },
                { required: ['affinityName'] },
              ),
              { description: 'Further groups used in order when this group lacks room.' },
            ),
          },
          { required: ['affinityName'] },
        ),
        { description: 'Groups of candidate clusters, tried in order; cannot be set with clusterAffinity.' },
      ),
      clusterTolerations: array(toleration(), { description: 'Cluster taints this placement tolerates.' }),
      spreadConstraints: array(
        object({
          spreadByField: oneOf(SPREAD_FIELDS, {
            description: 'Cluster field that groups clusters; not with spreadByLabel.',
          }),
          spreadByLabel: string({
            description: 'Cluster label key that groups clusters; not with spreadByField.',
          }),
          maxGroups: integer({ description: 'Most groups to choose.' }),
          minGroups: integer({ description: 'Fewest groups to choose; defaults to 1.' }),
        }),
        { description: 'How to spread over groups of clusters.' },
      ),
      replicaScheduling: object(
        {
          replicaSchedulingType: oneOf(['Duplicated', 'Divided'], {
            default: 'Divided',
            description: 'Duplicated gives every cluster all replicas; Divided shares them out.',
          }),
          replicaDivisionPreference: oneOf(['Aggregated', 'Weighted'], {
            description:
              'For Divided: as few clusters as fit (Aggregated) or by weight (Weighted, the default).',
          }),
          weightPreference: object(
            {
              staticWeightList: array(
                object(
                  {
                    targetCluster,
                    weight: int64({ minimum: 1, description: 'Relative share of the clusters.' }),
                  },
                  { required: ['targetCluster', 'weight'] },
                ),
                { description: 'Fixed weights per cluster.' },
              ),
              dynamicWeight: oneOf(['AvailableReplicas'], {
                description: 'Weights from what each cluster can run; overrides staticWeightList.',
              }),
            },
            { description: 'Weights for Weighted division; absent weighs every cluster the same.' },
          ),
        },
        { description: 'How replicas are shared out; absent means Duplicated.' },
      ),
      workloadAffinity: object(
        {
          affinity: object(
            { groupByLabelKey: string({ description: 'Label key of the workload group to join.' }) },
            { required: ['groupByLabelKey'], description: 'Place with workloads of the same group.' },
          ),
          antiAffinity: object(
            { groupByLabelKey: string({ description: 'Label key of the workload group to avoid.' }) },
            { required: ['groupByLabelKey'], description: 'Place away from workloads of the same group.' },
          ),
        },
        { description: 'Placement relative to other workloads.' },
      ),
    },
    { description: 'Which clusters, and how replicas are shared among them.' },
  );
}

export function suspensionFields(): Record<string, Schema> {
  return {
    dispatching: bool({ description: 'Stop dispatching to every cluster.' }),
    dispatchingOnClusters: object(
      { clusterNames: array(string(), { description: 'Clusters to stop dispatching to.' }) },
      { description: 'Stop dispatching to some clusters; not with dispatching.' },
    ),
  };
}

const propagationSpec = object(
  {
    resourceSelectors: resourceSelectors({ minItems: 1, description: 'The resources to propagate.' }),
    association: bool({ description: 'Deprecated: use propagateDeps.' }),
    propagateDeps: bool({
      description: 'Also propagate what the resources refer to (ConfigMaps, Secrets ...).',
    }),
    placement: placement(),
    priority: int32({ default: 0, description: 'Higher-priority policies claim resources first.' }),
    preemption: oneOf(['Always', 'Never'], {
      default: 'Never',
      description: 'Whether to take resources from lower-priority policies.',
    }),
    dependentOverrides: array(string(), {
      description: 'OverridePolicies that must exist before this policy acts.',
    }),
    schedulerName: string({
      default: 'default-scheduler',
      description: 'Scheduler that places the resources.',
    }),
    failover: failoverBehavior(),
    conflictResolution: oneOf(['Abort', 'Overwrite'], {
      default: 'Abort',
      description: 'What to do when the resource already exists on a member.',
    }),
    activationPreference: oneOf(['Lazy'], {
      description: 'Lazy: policy changes apply only when the resource itself next changes.',
    }),
    suspension: object(suspensionFields(), { description: 'Pause parts of propagation.' }),
    preserveResourcesOnDeletion: bool({
      description: 'Keep the propagated copies on members when the template is deleted.',
    }),
    schedulePriority: object(
      {
        priorityClassSource: oneOf(['KubePriorityClass'], {
          description: 'Where the priority class is found.',
        }),
        priorityClassName: string({ description: 'The priority class.' }),
      },
      { required: ['priorityClassName', 'priorityClassSource'], description: 'Scheduling priority.' },
    ),
  },
  { required: ['resourceSelectors'], description: 'What to propagate and where.' },
);

const POLICY_COLUMNS: PrinterColumn[] = [
  { name: 'CONFLICT-RESOLUTION', type: 'string', jsonPath: '.spec.conflictResolution' },
  { name: 'PRIORITY', type: 'string', jsonPath: '.spec.priority' },
  { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

function labelAnnotationOverrider(what: string): Schema {
  return array(
    object(
      {
        operator: oneOf(['add', 'remove', 'replace'], { description: `How to change the ${what}.` }),
        value: map(string(), { description: `The ${what} to add, remove or replace.` }),
      },
      { required: ['operator', 'value'] },
    ),
    { description: `Changes to ${what}.` },
  );
}

function commandArgsOverrider(what: string): Schema {
  return array(
    object(
      {
        containerName: string({ description: 'The container to change.' }),
        operator: oneOf(['add', 'remove'], { description: `Add or remove ${what}.` }),
        value: array(string(), { description: `The ${what}.` }),
      },
      { required: ['containerName', 'operator'] },
    ),
    { description: `Changes to container ${what}.` },
  );
}

function patchOperations(language: string): Schema {
  return array(
    object(
      {
        subPath: string({ description: 'JSON pointer inside the embedded document.' }),
        operator: oneOf(['add', 'remove', 'replace'], { description: 'The patch operation.' }),
        value: anyValue({ description: 'Value for add and replace.' }),
      },
      { required: ['operator', 'subPath'] },
    ),
    { description: `Patches to a field holding ${language}.` },
  );
}

function overriders(): Schema {
  return object(
    {
      plaintext: array(
        object(
          {
            path: string({ description: 'JSON pointer to the field.' }),
            operator: oneOf(['add', 'remove', 'replace'], { description: 'The patch operation.' }),
            value: anyValue({ description: 'Value for add and replace.' }),
          },
          { required: ['operator', 'path'] },
        ),
        { description: 'JSON patches applied to the resource.' },
      ),
      imageOverrider: array(
        object(
          {
            predicate: object(
              { path: string({ description: 'JSON pointer to the image field.' }) },
              { required: ['path'], description: 'Which image; absent means every container image.' },
            ),
            component: oneOf(['Registry', 'Repository', 'Tag'], {
              description: 'Part of the image to change.',
            }),
            operator: oneOf(['add', 'remove', 'replace'], { description: 'How to change it.' }),
            value: string({ description: 'The new registry, repository or tag.' }),
          },
          { required: ['component', 'operator'] },
        ),
        { description: 'Changes to container images.' },
      ),
      commandOverrider: commandArgsOverrider('commands'),
      argsOverrider: commandArgsOverrider('args'),
      labelsOverrider: labelAnnotationOverrider('labels'),
      annotationsOverrider: labelAnnotationOverrider('annotations'),
      fieldOverrider: array(
        object(
          {
            fieldPath: string({ description: 'JSON pointer to a field holding a JSON or YAML document.' }),
            json: patchOperations('JSON'),
            yaml: patchOperations('YAML'),
          },
          { required: ['fieldPath'] },
        ),
        { description: 'Changes inside fields that hold JSON or YAML documents.' },
      ),
    },
    { description: 'The changes to make.' },
  );
}

const overrideSpec = object(
  {
    resourceSelectors: resourceSelectors({
      description: 'The resources to change; empty means every resource.',
    }),
    overrideRules: array(
      object(
        {
          targetCluster: clusterAffinity('Clusters the rule applies to; absent means every cluster.'),
          overriders: overriders(),
        },
        { required: ['overriders'] },
      ),
      { description: 'Changes per set of clusters.' },
    ),
    targetCluster: clusterAffinity('Deprecated: use overrideRules.'),
    overriders: overriders(),
  },
  { description: 'Which resources to change, where, and how.' },
);

// Propagation policies report in status whether they select anything (Karmada's have no status).
const propagationStatus = object(
  { conditions: metaConditions({ description: 'Whether the policy selects and claims resources.' }) },
  { description: 'What the policy selects, as the hub observed it.' },
);

function policyCrd(
  kind: string,
  plural: string,
  shortName: string,
  namespaced: boolean,
  spec: Schema,
  columns?: PrinterColumn[],
  status?: Schema,
): KubeObject {
  return crd({
    group: POLICY_GROUP,
    kind,
    plural,
    shortNames: [shortName],
    categories: CATEGORIES,
    scope: namespaced ? 'Namespaced' : 'Cluster',
    versions: [
      {
        name: POLICY_VERSION,
        storage: true,
        ...(columns ? { printerColumns: columns } : {}),
        ...(status ? { status: true } : {}),
        schema: object(status ? { spec, status } : { spec }, { required: ['spec'] }),
      },
    ],
  });
}

export const propagationPolicyCrd = policyCrd(
  'PropagationPolicy',
  'propagationpolicies',
  'pp',
  true,
  propagationSpec,
  POLICY_COLUMNS,
  propagationStatus,
);
export const clusterPropagationPolicyCrd = policyCrd(
  'ClusterPropagationPolicy',
  'clusterpropagationpolicies',
  'cpp',
  false,
  propagationSpec,
  POLICY_COLUMNS,
  propagationStatus,
);
export const overridePolicyCrd = policyCrd('OverridePolicy', 'overridepolicies', 'op', true, overrideSpec);
export const clusterOverridePolicyCrd = policyCrd(
  'ClusterOverridePolicy',
  'clusteroverridepolicies',
  'cop',
  false,
  overrideSpec,
);
