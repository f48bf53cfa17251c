// The CustomResourceDefinition of cluster.karmada.io/v1alpha1 Cluster, field by field from
// Karmada's Go types. (Karmada serves Cluster from an aggregated API server; the hub serves it
// as a custom resource with the same schema, status subresource and columns.)

import type { KubeObject } from '../../../../machinery/object.js';
import {
  array,
  bool,
  crd,
  int32,
  integer,
  map,
  metaConditions,
  object,
  oneOf,
  type PrinterColumn,
  quantity,
  resourceList,
  string,
  taint,
} from '../../schema.js';
import { CLUSTER_GROUP, CLUSTER_SYNC_MODES, CLUSTER_VERSION } from './types.js';

function secretReference(description: string) {
  return object(
    {
      namespace: string({ description: 'Namespace of the Secret.' }),
      name: string({ description: 'Name of the Secret.' }),
    },
    { required: ['name', 'namespace'], description },
  );
}

const spec = object(
  {
    id: string({
      maxLength: 128000,
      description:
        "The member's unique identifier, normally collected at registration (the uid of its kube-system namespace).",
    }),
    syncMode: oneOf(CLUSTER_SYNC_MODES, {
      description:
        'How workloads reach the member: Push (the hub applies them) or Pull (an agent fetches them).',
    }),
    apiEndpoint: string({
      description: "The member's API server: hostname, hostname:port, IP, IP:port or a URL.",
    }),
    secretRef: secretReference('Secret holding the token and caBundle used to reach the member.'),
    impersonatorSecretRef: secretReference('Secret holding the token of the impersonator account.'),
    insecureSkipTLSVerification: bool({
      description: "Skip verifying the member's serving certificate. Default false.",
    }),
    proxyURL: string({ description: 'Proxy (http, https or socks5) the hub uses to reach the member.' }),
    proxyHeader: map(string(), {
      description: 'Headers sent to the proxy; several values of one header are comma-separated.',
    }),
    provider: string({ description: 'Cloud provider the member runs on.' }),
    region: string({ description: 'Region the member runs in.' }),
    zone: string({ description: 'Deprecated: use zones. A lone zone is moved into zones.' }),
    zones: array(string(), { description: 'Failure zones the member spans.' }),
    taints: array(taint(), { description: 'Taints repel workloads whose policy does not tolerate them.' }),
    resourceModels: array(
      object(
        {
          grade: integer({ minimum: 0, description: 'Index of this grade.' }),
          ranges: array(
            object(
              {
                name: string({ description: 'Resource name: cpu, memory, storage or ephemeral-storage.' }),
                min: quantity({ description: 'Lower bound (inclusive).' }),
                max: quantity({ description: 'Upper bound (exclusive).' }),
              },
              { required: ['max', 'min', 'name'] },
            ),
            { description: 'Interval of each resource for this grade.' },
          ),
        },
        { required: ['grade', 'ranges'] },
      ),
      {
        description:
          'Grades of node sizes used to estimate how many replicas fit; filled with the default grades 0-8 when empty.',
      },
    ),
  },
  { required: ['syncMode'], description: 'How to reach the member cluster and where it runs.' },
);

const status = object(
  {
    kubernetesVersion: string({ description: 'Kubernetes version of the member.' }),
    apiEnablements: array(
      object(
        {
          groupVersion: string({ description: 'Group and version, e.g. apps/v1.' }),
          resources: array(
            object(
              {
                name: string({ description: 'Plural resource name.' }),
                kind: string({ description: 'Kind of the resource.' }),
              },
              { required: ['kind', 'name'] },
            ),
          ),
        },
        { required: ['groupVersion'] },
      ),
      { description: 'APIs the member serves.' },
    ),
    conditions: metaConditions({ description: 'Ready and CompleteAPIEnablements.' }),
    nodeSummary: object(
      {
        totalNum: int32({ description: 'Number of nodes.' }),
        readyNum: int32({ description: 'Number of ready nodes.' }),
      },
      { description: 'Node counts of the member.' },
    ),
    resourceSummary: object(
      {
        allocatable: resourceList({ description: 'Allocatable resources of all nodes.' }),
        allocating: resourceList({ description: 'Requests of pods waiting to be scheduled.' }),
        allocated: resourceList({ description: 'Requests of pods scheduled to nodes.' }),
        allocatableModelings: array(
          object(
            {
              grade: integer({ minimum: 0, description: 'The resource model grade.' }),
              count: integer({ description: 'Nodes whose allocatable resources fall in this grade.' }),
            },
            { required: ['count', 'grade'] },
          ),
          { description: 'Node counts per resource model grade.' },
        ),
      },
      { description: 'Capacity of the member.' },
    ),
    remedyActions: array(string(), { description: 'Remedies to perform on the member.' }),
  },
  { description: 'What the registry observes of the member.' },
);

/**
 * Karmada's `kubectl get clusters` columns, for servers that only read the CRD; the hub's Cluster
 * strategy prints them exactly as Karmada does (Ready "Unknown" before the first probe).
 */
const CLUSTER_PRINTER_COLUMNS: PrinterColumn[] = [
  {
    name: 'Version',
    type: 'string',
    jsonPath: '.status.kubernetesVersion',
    description: 'Kubernetes version.',
  },
  { name: 'Mode', type: 'string', jsonPath: '.spec.syncMode', description: 'Push or Pull.' },
  {
    name: 'Ready',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: 'Whether the member accepts workloads.',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Zones', type: 'string', jsonPath: '.spec.zones', priority: 1, description: 'Failure zones.' },
  { name: 'Region', type: 'string', jsonPath: '.spec.region', priority: 1, description: 'Region.' },
  {
    name: 'Provider',
    type: 'string',
    jsonPath: '.spec.provider',
    priority: 1,
    description: 'Cloud provider.',
  },
  {
    name: 'API-Endpoint',
    type: 'string',
    jsonPath: '.spec.apiEndpoint',
    priority: 1,
    description: 'API server.',
  },
  { name: 'Proxy-URL', type: 'string', jsonPath: '.spec.proxyURL', priority: 1, description: 'Proxy.' },
];

export const clusterCrd: KubeObject = crd({
  group: CLUSTER_GROUP,
  kind: 'Cluster',
  plural: 'clusters',
  scope: 'Cluster',
  versions: [
    {
      name: CLUSTER_VERSION,
      storage: true,
      status: true,
      printerColumns: CLUSTER_PRINTER_COLUMNS,
      schema: object(
        { spec, status },
        { required: ['spec'], description: 'A member cluster: how to reach it and what is known of it.' },
      ),
    },
  ],
});
