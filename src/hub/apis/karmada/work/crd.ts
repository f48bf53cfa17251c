// The CustomResourceDefinitions of work.karmada.io: Work (v1alpha1) and the bindings, field by
// field from Karmada's Go types. Karmada also serves the bindings at v1alpha1 and converts with
// a webhook; the hub's API server has no conversion webhooks, so the bindings are served at
// v1alpha2 alone, Karmada's storage version.

import type { KubeObject } from '../../../../machinery/object.js';
import type { Schema } from '../../../../machinery/schema.js';
import {
  array,
  bool,
  crd,
  int32,
  int64,
  integer,
  map,
  metaConditions,
  nodeSelector,
  object,
  oneOf,
  type PrinterColumn,
  preserveUnknown,
  resourceList,
  string,
  time,
  toleration,
} from '../../schema.js';
import { failoverBehavior, placement, suspensionFields } from '../policy/crd.js';
import { BINDING_VERSION, WORK_GROUP, WORK_VERSION } from './types.js';

const CATEGORIES = ['karmada-io'];
const HEALTH = ['Healthy', 'Unhealthy', 'Unknown'];

const work = object(
  {
    spec: object(
      {
        workload: object(
          {
            manifests: array(preserveUnknown(), { description: 'Resources to apply to the member, whole.' }),
          },
          { description: 'What to apply to the member.' },
        ),
        suspendDispatching: bool({ description: 'Stop applying the manifests to the member.' }),
        preserveResourcesOnDeletion: bool({
          description: 'Keep the applied resources on the member when the Work is deleted.',
        }),
      },
      { description: 'Resources for one member cluster.' },
    ),
    status: object(
      {
        conditions: metaConditions({ description: 'Applied, Available and others.' }),
        manifestStatuses: array(
          object(
            {
              identifier: object(
                {
                  ordinal: integer({ description: 'Index of the manifest in spec.workload.manifests.' }),
                  group: string({ description: 'API group of the resource.' }),
                  version: string({ description: 'API version of the resource.' }),
                  kind: string({ description: 'Kind of the resource.' }),
                  resource: string({ description: 'Plural resource name.' }),
                  namespace: string({ description: 'Namespace of the resource.' }),
                  name: string({ description: 'Name of the resource.' }),
                },
                { required: ['kind', 'name', 'ordinal', 'resource', 'version'] },
              ),
              status: preserveUnknown({ description: "The resource's status on the member." }),
              health: oneOf(HEALTH, { description: "The resource's health on the member." }),
            },
            { required: ['identifier'] },
          ),
          { description: 'Status of each applied resource.' },
        ),
      },
      { description: 'What happened on the member.' },
    ),
  },
  {
    required: ['spec'],
    description: 'Resources to apply to one member cluster, in its execution namespace.',
  },
);

function nodeClaim(): Schema {
  return object(
    {
      hardNodeAffinity: nodeSelector({ description: 'Node affinity the pods require.' }),
      nodeSelector: map(string(), { description: 'Node labels the pods require.' }),
      tolerations: array(toleration(), { description: 'Node taints the pods tolerate.' }),
    },
    { description: 'Node constraints of the pods.' },
  );
}

function targetClusters(description: string): Schema {
  return array(
    object(
      {
        name: string({ description: 'The cluster.' }),
        replicas: int32({ description: 'Replicas on this cluster.' }),
        components: array(
          object(
            {
              name: string({ description: 'The component.' }),
              replicas: int32({ description: 'Replicas of the component on this cluster.' }),
            },
            { required: ['name', 'replicas'] },
          ),
          { description: 'Replicas per component on this cluster.' },
        ),
      },
      { required: ['name'] },
    ),
    { description },
  );
}

const bindingSpec = object(
  {
    resource: object(
      {
        apiVersion: string({ description: 'API version of the template.' }),
        kind: string({ description: 'Kind of the template.' }),
        namespace: string({ description: 'Namespace of the template.' }),
        name: string({ description: 'Name of the template.' }),
        uid: string({ description: 'UID of the template.' }),
        resourceVersion: string({ description: 'Resource version of the template last seen.' }),
      },
      { required: ['apiVersion', 'kind', 'name'], description: 'The resource template this binding is for.' },
    ),
    propagateDeps: bool({ description: 'Propagate what the resource refers to as well.' }),
    replicaRequirements: object(
      {
        nodeClaim: nodeClaim(),
        resourceRequest: resourceList({ description: 'Resources one replica requests.' }),
        namespace: string({ description: 'Namespace of the workload.' }),
        priorityClassName: string({ description: 'Priority class of the pods.' }),
      },
      { description: 'What one replica needs.' },
    ),
    replicas: int32({ description: 'Replicas of the template.' }),
    components: array(
      object(
        {
          name: string({ maxLength: 32, description: 'Name of the component.' }),
          replicas: int32({ description: 'Replicas of the component.' }),
          replicaRequirements: object(
            {
              nodeClaim: nodeClaim(),
              resourceRequest: resourceList({ description: 'Resources one replica requests.' }),
              priorityClassName: string({ description: 'Priority class of the pods.' }),
            },
            { description: 'What one replica of the component needs.' },
          ),
        },
        { required: ['name', 'replicas'] },
      ),
      { description: 'Pod templates of a workload with several.' },
    ),
    clusters: targetClusters("The scheduler's result: clusters and their replicas."),
    placement: placement(),
    gracefulEvictionTasks: array(
      object(
        {
          fromCluster: string({ description: 'Cluster the resource is being removed from.' }),
          purgeMode: oneOf(['Directly', 'Gracefully', 'Never'], { description: 'How the removal proceeds.' }),
          replicas: int32({ description: 'Replicas on that cluster.' }),
          reason: string({
            minLength: 1,
            maxLength: 32,
            pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
            description: 'Why, in CamelCase.',
          }),
          message: string({ maxLength: 1024, description: 'Why, for people.' }),
          producer: string({ description: 'The controller that asked for the removal.' }),
          gracePeriodSeconds: int32({ description: 'Longest wait before the removal.' }),
          suppressDeletion: bool({
            description: 'Hold the removal (true) or let it go ahead at once (false).',
          }),
          preservedLabelState: map(string(), { description: 'State carried to the new cluster as labels.' }),
          creationTimestamp: time({ description: 'When the task was created.' }),
          clustersBeforeFailover: array(string(), {
            description: 'Clusters the resource was on before failover.',
          }),
        },
        { required: ['fromCluster', 'producer', 'reason'] },
      ),
      { description: 'Clusters the resource is leaving, gracefully.' },
    ),
    requiredBy: array(
      object(
        {
          namespace: string({ description: 'Namespace of the dependent binding.' }),
          name: string({ description: 'Name of the dependent binding.' }),
          clusters: targetClusters('Where the dependent binding was scheduled.'),
        },
        { required: ['name'] },
      ),
      { description: 'Bindings whose resources depend on this one.' },
    ),
    schedulerName: string({ description: 'Scheduler that places the resource.' }),
    failover: failoverBehavior(),
    conflictResolution: oneOf(['Abort', 'Overwrite'], {
      default: 'Abort',
      description: 'What to do when the resource already exists on a member.',
    }),
    rescheduleTriggeredAt: time({ description: 'A time after the last schedule asks for a fresh one.' }),
    suspension: object(
      { ...suspensionFields(), scheduling: bool({ description: 'Stop scheduling.' }) },
      { description: 'Pause parts of propagation.' },
    ),
    preserveResourcesOnDeletion: bool({
      description: 'Keep the propagated copies on members when the template is deleted.',
    }),
    schedulePriority: object(
      { priority: int32({ default: 0, description: 'Higher is scheduled first.' }) },
      { description: 'Scheduling priority.' },
    ),
    workloadAffinityGroups: object(
      {
        affinityGroup: string({ description: 'Affinity group of the workload.' }),
        antiAffinityGroup: string({ description: 'Anti-affinity group of the workload.' }),
      },
      { description: 'Workload groups of the template.' },
    ),
  },
  { required: ['resource'], description: 'The template, its needs, and where it was scheduled.' },
);

const bindingStatus = object(
  {
    schedulerObservedGeneration: int64({ description: 'Generation the scheduler last acted on.' }),
    schedulerObservingAffinityName: string({ description: 'The cluster affinity group in use.' }),
    lastScheduledTime: time({ description: 'When the resource was last scheduled.' }),
    conditions: metaConditions({ description: 'Scheduled and FullyApplied.' }),
    aggregatedStatus: array(
      object(
        {
          clusterName: string({ description: 'The member.' }),
          status: preserveUnknown({ description: "The resource's status on the member." }),
          applied: bool({ description: 'Whether the resource was applied.' }),
          appliedMessage: string({ description: 'Why it was not.' }),
          health: oneOf(HEALTH, { description: "The resource's health on the member." }),
        },
        { required: ['clusterName'] },
      ),
      { description: 'Status of the resource on each member.' },
    ),
  },
  { description: 'Scheduling and application results.' },
);

const BINDING_COLUMNS: PrinterColumn[] = [
  { name: 'SCHEDULED', type: 'string', jsonPath: '.status.conditions[?(@.type=="Scheduled")].status' },
  { name: 'FULLYAPPLIED', type: 'string', jsonPath: '.status.conditions[?(@.type=="FullyApplied")].status' },
  { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

export const workCrd: KubeObject = crd({
  group: WORK_GROUP,
  kind: 'Work',
  plural: 'works',
  shortNames: ['wk'],
  categories: CATEGORIES,
  scope: 'Namespaced',
  versions: [
    {
      name: WORK_VERSION,
      storage: true,
      status: true,
      printerColumns: [
        { name: 'WORKLOAD-KIND', type: 'string', jsonPath: '.spec.workload.manifests[*].kind' },
        { name: 'APPLIED', type: 'string', jsonPath: '.status.conditions[?(@.type=="Applied")].status' },
        { name: 'AGE', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
      schema: work,
    },
  ],
});

function bindingCrd(kind: string, plural: string, shortName: string, namespaced: boolean): KubeObject {
  return crd({
    group: WORK_GROUP,
    kind,
    plural,
    shortNames: [shortName],
    categories: CATEGORIES,
    scope: namespaced ? 'Namespaced' : 'Cluster',
    versions: [
      {
        name: BINDING_VERSION,
        storage: true,
        status: true,
        printerColumns: BINDING_COLUMNS,
        schema: object(
          { spec: bindingSpec, status: bindingStatus },
          {
            required: ['spec'],
            description: namespaced
              ? 'Where a namespaced resource template is scheduled.'
              : 'Where a cluster-scoped resource template is scheduled.',
          },
        ),
      },
    ],
  });
}

export const resourceBindingCrd = bindingCrd('ResourceBinding', 'resourcebindings', 'rb', true);
export const clusterResourceBindingCrd = bindingCrd(
  'ClusterResourceBinding',
  'clusterresourcebindings',
  'crb',
  false,
);
