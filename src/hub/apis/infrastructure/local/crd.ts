// infrastructure.concord.dev/v1alpha1: Concord's simulated infrastructure for Cluster API.
// A LocalCluster is a simulated Kubernetes cluster (its API server is the control plane
// endpoint); a LocalMachine is one simulated node in it. They follow Cluster API's
// infrastructure contract in the shape of the Docker provider's kinds, with the few fields a
// simulated cluster needs: region, zones, node shape, node labels and GPUs.

import type { KubeObject } from '../../../../machinery/object.js';
import type { Schema } from '../../../../machinery/schema.js';
import {
  AGE_COLUMN,
  apiEndpoint,
  CLUSTER_LABEL_COLUMN,
  crdMaker,
  failureDomains,
  failureFields,
  machineAddresses,
  OWNER_MACHINE_COLUMN,
  templateSchema,
  v1beta1Conditions,
  v1beta2Status,
} from '../../cluster-api/common.js';
import { array, bool, int32, map, object, oneOf, string } from '../../schema.js';
import { contractLabels } from '../contract.js';
import {
  DEFAULT_INSTANCE_TYPE,
  DEFAULT_REGION,
  INSTANCE_TYPES,
  LOCAL_GROUP,
  LOCAL_VERSION,
} from './constants.js';

const LABELS = contractLabels('infrastructure-local', [LOCAL_VERSION]);
const makeCrd = crdMaker(LOCAL_GROUP, LOCAL_VERSION, LABELS, ['cluster-api', 'concord']);
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

function localClusterSpec(): Schema {
  return object(
    {
      controlPlaneEndpoint: apiEndpoint("The simulated cluster's API server; set by the provider."),
      region: string({
        minLength: 1,
        maxLength: 63,
        pattern: DNS_LABEL,
        default: DEFAULT_REGION,
        description:
          "The region of the cluster: its nodes' topology.kubernetes.io/region and the member's region. Default local.",
      }),
      zones: array(string({ minLength: 1, maxLength: 63, pattern: DNS_LABEL }), {
        listType: 'set',
        minItems: 1,
        maxItems: 32,
        description:
          "The zones of the cluster, offered to Cluster API as failure domains and set as nodes' " +
          'topology.kubernetes.io/zone. Default <region>-a, <region>-b, <region>-c.',
      }),
    },
    { description: 'The desired state of the LocalCluster.' },
  );
}

function localMachineSpec(): Schema {
  return object(
    {
      gpus: int32({
        minimum: 0,
        maximum: 64,
        description:
          'nvidia.com/gpu devices of the node; default: what the instance type has (sim.gpu: 4, others: 0).',
      }),
      instanceType: oneOf(INSTANCE_TYPES, {
        default: DEFAULT_INSTANCE_TYPE,
        description:
          "The node's shape (CPU, memory, pods, GPUs), also its node.kubernetes.io/instance-type: " +
          `${INSTANCE_TYPES.join(', ')}. Default ${DEFAULT_INSTANCE_TYPE}.`,
      }),
      nodeLabels: map(string(), {
        description:
          'Extra labels of the node (not the topology, instance type or hostname labels, which the provider sets).',
      }),
      providerID: string({
        minLength: 1,
        maxLength: 512,
        description:
          'The identity of the node, concord://<namespace>/<cluster>/<machine>; set by the provider.',
      }),
    },
    { description: 'The desired state of the LocalMachine.' },
  );
}

export const localClusterCrd: KubeObject = makeCrd({
  kind: 'LocalCluster',
  plural: 'localclusters',
  status: true,
  printerColumns: [
    CLUSTER_LABEL_COLUMN,
    {
      name: 'Region',
      type: 'string',
      jsonPath: '.spec.region',
      description: 'The region of the cluster',
    },
    {
      name: 'Endpoint',
      type: 'string',
      jsonPath: '.spec.controlPlaneEndpoint.host',
      description: 'The API server host',
    },
    {
      name: 'Ready',
      type: 'boolean',
      jsonPath: '.status.ready',
      description: 'Whether the cluster runs',
    },
    AGE_COLUMN,
  ],
  schema: object(
    {
      spec: localClusterSpec(),
      status: object(
        {
          conditions: v1beta1Conditions(),
          ...failureFields(),
          failureDomains: failureDomains('The zones, as failure domains for Cluster API.'),
          ready: bool({ description: 'Whether the simulated cluster runs and answers.' }),
          v1beta2: v1beta2Status(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: 'The infrastructure of a Cluster: a simulated Kubernetes cluster run by Concord.' },
  ),
});

export const localClusterTemplateCrd: KubeObject = makeCrd({
  kind: 'LocalClusterTemplate',
  plural: 'localclustertemplates',
  printerColumns: [AGE_COLUMN],
  schema: templateSchema(localClusterSpec(), 'LocalCluster'),
});

export const localMachineCrd: KubeObject = makeCrd({
  kind: 'LocalMachine',
  plural: 'localmachines',
  status: true,
  printerColumns: [
    CLUSTER_LABEL_COLUMN,
    OWNER_MACHINE_COLUMN,
    {
      name: 'InstanceType',
      type: 'string',
      jsonPath: '.spec.instanceType',
      description: 'The node shape',
    },
    {
      name: 'Zone',
      type: 'string',
      jsonPath: '.status.failureDomain',
      description: 'The zone of the node',
    },
    { name: 'ProviderID', type: 'string', jsonPath: '.spec.providerID', description: 'The provider ID' },
    {
      name: 'Ready',
      type: 'boolean',
      jsonPath: '.status.ready',
      description: 'Whether the node is registered',
    },
    AGE_COLUMN,
  ],
  schema: object(
    {
      spec: localMachineSpec(),
      status: object(
        {
          addresses: machineAddresses('The addresses of the simulated node.'),
          conditions: v1beta1Conditions(),
          ...failureFields(),
          failureDomain: string({ maxLength: 256, description: 'The zone the node was placed in.' }),
          ready: bool({ description: 'Whether the simulated node is registered.' }),
          v1beta2: v1beta2Status(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: "The host of one Machine: a simulated node in the Cluster's simulated cluster." },
  ),
});

export const localMachineTemplateCrd: KubeObject = makeCrd({
  kind: 'LocalMachineTemplate',
  plural: 'localmachinetemplates',
  printerColumns: [AGE_COLUMN],
  schema: templateSchema(localMachineSpec(), 'LocalMachine'),
});

export const localCrds: KubeObject[] = [
  localClusterCrd,
  localClusterTemplateCrd,
  localMachineCrd,
  localMachineTemplateCrd,
];
