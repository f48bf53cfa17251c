// infrastructure.cluster.x-k8s.io/v1beta1: the Docker provider's DockerCluster, DockerMachine,
// DockerMachinePool and their templates, as Cluster API's Docker provider publishes them. Concord
// serves them so that the provider's manifests apply unchanged; simulated clusters fulfil them.

import type { KubeObject } from '../../../../machinery/object.js';
import type { Schema } from '../../../../machinery/schema.js';
import {
  AGE_COLUMN,
  CLUSTER_LABEL_COLUMN,
  crdMaker,
  failureDomains,
  machineAddresses,
  OWNER_MACHINE_COLUMN,
  templateSchema,
  V1BETA1,
  v1beta1Conditions,
  v1beta2Status,
} from '../../cluster-api/common.js';
import {
  array,
  bool,
  duration,
  int32,
  int64,
  integer,
  localObjectReference,
  object,
  string,
} from '../../schema.js';
import { contractLabels } from '../contract.js';
import { INFRASTRUCTURE_GROUP } from './constants.js';

const LABELS = contractLabels('infrastructure-docker', [V1BETA1]);
const makeCrd = crdMaker(INFRASTRUCTURE_GROUP, V1BETA1, LABELS);

function dockerClusterSpec(): Schema {
  return object(
    {
      controlPlaneEndpoint: object(
        {
          host: string({ description: 'The hostname or address.' }),
          port: integer({ description: 'The port; default 6443.' }),
        },
        { description: 'Where the control plane answers; set by the provider.' },
      ),
      failureDomains: failureDomains('Failure domains to offer the Cluster.'),
      loadBalancer: object(
        {
          customHAProxyConfigTemplateRef: localObjectReference({
            description: 'A ConfigMap whose "value" replaces the load balancer configuration template.',
          }),
          imageRepository: string({ description: 'Where the load balancer image comes from.' }),
          imageTag: string({ description: 'The load balancer image tag.' }),
        },
        { description: 'The load balancer in front of the control plane.' },
      ),
    },
    { description: 'The desired state of the DockerCluster.' },
  );
}

function dockerMachineSpec(): Schema {
  return object(
    {
      bootstrapTimeout: duration({ description: 'How long bootstrapping may take; default 3m.' }),
      bootstrapped: bool({ description: 'Deprecated: whether the machine has been bootstrapped.' }),
      customImage: string({
        description: 'The node image to run, instead of the kindest/node for the version.',
      }),
      extraMounts: mounts(),
      preLoadImages: array(string(), { description: 'Images to load onto the node before bootstrapping.' }),
      providerID: string({ description: 'The identity of the machine (docker:////<name>).' }),
    },
    { description: 'The desired state of the DockerMachine.' },
  );
}

function mounts(): Schema {
  return array(
    object({
      containerPath: string({ description: 'The path in the node container.' }),
      hostPath: string({ description: 'The path on the host.' }),
      readOnly: bool({ description: 'Mount read-only.' }),
    }),
    { description: 'Host paths mounted into the node container.' },
  );
}

function dockerMachinePoolSpec(): Schema {
  return object(
    {
      providerID: string({ description: 'The identity of the pool.' }),
      providerIDList: array(string(), { description: 'The identities of the machines of the pool.' }),
      template: object(
        {
          customImage: string({ description: 'The node image to run.' }),
          extraMounts: mounts(),
          preLoadImages: array(string(), { description: 'Images to load onto the nodes.' }),
        },
        { description: 'What each machine of the pool looks like.' },
      ),
    },
    { description: 'The desired state of the DockerMachinePool.' },
  );
}

export const dockerClusterCrd: KubeObject = makeCrd({
  kind: 'DockerCluster',
  plural: 'dockerclusters',
  status: true,
  printerColumns: [CLUSTER_LABEL_COLUMN, AGE_COLUMN],
  schema: object(
    {
      spec: dockerClusterSpec(),
      status: object(
        {
          conditions: v1beta1Conditions(),
          failureDomains: failureDomains('The failure domains the Cluster may use.'),
          ready: bool({ description: 'Whether the infrastructure is ready.' }),
          v1beta2: v1beta2Status(),
        },
        { description: 'The observed state.' },
      ),
    },
    {
      description: "The infrastructure of a Cluster: the load balancer of Cluster API's Docker provider.",
    },
  ),
});

export const dockerClusterTemplateCrd: KubeObject = makeCrd({
  kind: 'DockerClusterTemplate',
  plural: 'dockerclustertemplates',
  printerColumns: [AGE_COLUMN],
  schema: templateSchema(dockerClusterSpec(), 'DockerCluster'),
});

export const dockerMachineCrd: KubeObject = makeCrd({
  kind: 'DockerMachine',
  plural: 'dockermachines',
  status: true,
  printerColumns: [
    CLUSTER_LABEL_COLUMN,
    OWNER_MACHINE_COLUMN,
    { name: 'ProviderID', type: 'string', jsonPath: '.spec.providerID', description: 'The provider ID' },
    {
      name: 'Ready',
      type: 'string',
      jsonPath: '.status.ready',
      description: 'Whether the machine is ready',
    },
    AGE_COLUMN,
  ],
  schema: object(
    {
      spec: dockerMachineSpec(),
      status: object(
        {
          addresses: machineAddresses(),
          conditions: v1beta1Conditions(),
          loadBalancerConfigured: bool({ description: 'Whether the load balancer knows this machine.' }),
          ready: bool({ description: 'Whether the machine is ready.' }),
          v1beta2: v1beta2Status(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: "The host of one Machine, as Cluster API's Docker provider describes it." },
  ),
});

export const dockerMachineTemplateCrd: KubeObject = makeCrd({
  kind: 'DockerMachineTemplate',
  plural: 'dockermachinetemplates',
  printerColumns: [AGE_COLUMN],
  schema: templateSchema(dockerMachineSpec(), 'DockerMachine'),
});

export const dockerMachinePoolCrd: KubeObject = makeCrd({
  kind: 'DockerMachinePool',
  plural: 'dockermachinepools',
  status: true,
  printerColumns: [AGE_COLUMN],
  schema: object(
    {
      spec: dockerMachinePoolSpec(),
      status: object(
        {
          conditions: v1beta1Conditions(),
          infrastructureMachineKind: string({
            description: 'The kind of the per-machine objects (DockerMachine).',
          }),
          instances: array(
            object({
              addresses: machineAddresses(),
              bootstrapped: bool({ description: 'Whether the machine has been bootstrapped.' }),
              instanceName: string({ description: 'The machine name.' }),
              providerID: string({ description: 'The machine identity.' }),
              ready: bool({ description: 'Whether the machine is ready.' }),
              version: string({ description: 'The Kubernetes version of the machine.' }),
            }),
            { description: 'The machines of the pool.' },
          ),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          ready: bool({ description: 'Whether the pool is ready.' }),
          replicas: int32({ description: 'Machines in the pool.' }),
        },
        { description: 'The observed state.' },
      ),
    },
    {
      description: "The infrastructure of a MachinePool, as Cluster API's Docker provider describes it.",
    },
  ),
});

export const dockerMachinePoolTemplateCrd: KubeObject = makeCrd({
  kind: 'DockerMachinePoolTemplate',
  plural: 'dockermachinepooltemplates',
  printerColumns: [AGE_COLUMN],
  schema: templateSchema(dockerMachinePoolSpec(), 'DockerMachinePool'),
});

export const dockerCrds: KubeObject[] = [
  dockerClusterCrd,
  dockerClusterTemplateCrd,
  dockerMachineCrd,
  dockerMachineTemplateCrd,
  dockerMachinePoolCrd,
  dockerMachinePoolTemplateCrd,
];
