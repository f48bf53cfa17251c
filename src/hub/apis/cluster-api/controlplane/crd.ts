// controlplane.cluster.x-k8s.io/v1beta1: KubeadmControlPlane and KubeadmControlPlaneTemplate.

import type { KubeObject } from '../../../../machinery/object.js';
import type { Schema } from '../../../../machinery/schema.js';
import { bool, duration, int32, int64, intOrString, object, oneOf, time } from '../../schema.js';
import { kubeadmConfigSpec } from '../bootstrap/crd.js';
import {
  AGE_COLUMN,
  bounded,
  CLUSTER_LABEL_COLUMN,
  capiObjectMeta,
  column,
  conditionGates,
  crdMaker,
  failureFields,
  machineTaints,
  namingStrategy,
  nodeTimeouts,
  ref,
  SCALE_WITH_SELECTOR,
  statusVersions,
  V1BETA1,
  v1beta1Conditions,
  v1beta2ReplicaCounters,
  v1beta2Status,
} from '../common.js';
import { CONTROL_PLANE_GROUP } from './constants.js';

const LABELS = { 'cluster.x-k8s.io/provider': 'control-plane-kubeadm', 'cluster.x-k8s.io/v1beta1': V1BETA1 };
const makeCrd = crdMaker(CONTROL_PLANE_GROUP, V1BETA1, LABELS);

/** The fields a KubeadmControlPlane and its template share. */
function sharedSpec(): Record<string, Schema> {
  return {
    kubeadmConfigSpec: kubeadmConfigSpec('How control plane Machines are bootstrapped with kubeadm.'),
    machineNamingStrategy: namingStrategy(256, 'How the control plane Machines are named.'),
    remediationStrategy: object(
      {
        maxRetry: int32({
          description: 'How often a failed Machine is replaced in a row; unset retries forever.',
        }),
        minHealthyPeriod: duration({
          description: 'A Machine healthy this long resets the retry count; default 1h.',
        }),
        retryPeriod: duration({ description: 'Time between two remediations of the same Machine.' }),
      },
      { description: 'How unhealthy control plane Machines are replaced.' },
    ),
    rolloutAfter: time({ description: 'Roll out every Machine again once this time has passed.' }),
    rolloutBefore: object(
      {
        certificatesExpiryDays: int32({
          description: 'Roll out Machines whose certificates expire within this many days (at least 7).',
        }),
      },
      { description: 'Roll out Machines before something runs out.' },
    ),
    rolloutStrategy: object(
      {
        rollingUpdate: object(
          {
            maxSurge: intOrString({
              description:
                'Extra Machines during a rollout: 1 (default) or 0 (scale in first, needs 3 replicas).',
            }),
          },
          { description: 'Rolling update settings.' },
        ),
        type: oneOf(['RollingUpdate'], { description: 'The rollout type.' }),
      },
      {
        default: { rollingUpdate: { maxSurge: 1 }, type: 'RollingUpdate' },
        description: 'How control plane Machines are replaced.',
      },
    ),
  };
}

function machineTemplate(withInfrastructure: boolean): Schema {
  return object(
    {
      ...(withInfrastructure
        ? { infrastructureRef: ref('The infrastructure template of the control plane Machines.') }
        : {}),
      metadata: capiObjectMeta('Labels and annotations of the control plane Machines.'),
      ...nodeTimeouts(),
      ...(withInfrastructure
        ? {
            readinessGates: conditionGates(
              'Extra conditions that must be true for the Machines to be ready.',
            ),
          }
        : {}),
      taints: machineTaints(),
    },
    {
      ...(withInfrastructure ? { required: ['infrastructureRef'] } : {}),
      description: 'What the control plane Machines are made of.',
    },
  );
}

export const kubeadmControlPlaneCrd: KubeObject = makeCrd({
  kind: 'KubeadmControlPlane',
  plural: 'kubeadmcontrolplanes',
  shortNames: ['kcp'],
  status: true,
  scale: SCALE_WITH_SELECTOR,
  printerColumns: [
    CLUSTER_LABEL_COLUMN,
    column('Initialized', 'boolean', '.status.initialized', 'Whether the first control plane Machine is up'),
    column('API Server Available', 'boolean', '.status.ready', 'Whether the API server answers'),
    column('Desired', 'integer', '.spec.replicas', 'Machines wanted', 10),
    column('Replicas', 'integer', '.status.replicas', 'Machines that exist'),
    column('Ready', 'integer', '.status.readyReplicas', 'Ready Machines'),
    column('Updated', 'integer', '.status.updatedReplicas', 'Machines with the current spec'),
    column('Unavailable', 'integer', '.status.unavailableReplicas', 'Machines not yet available'),
    AGE_COLUMN,
    column('Version', 'string', '.spec.version', 'The Kubernetes version'),
  ],
  schema: object(
    {
      spec: object(
        {
          ...sharedSpec(),
          machineTemplate: machineTemplate(true),
          replicas: int32({
            description: 'Control plane Machines to run: 1, 3, 5 ... with stacked etcd.',
          }),
          version: bounded(1, 256, 'The Kubernetes version of the control plane (e.g. v1.31.0).'),
        },
        {
          required: ['kubeadmConfigSpec', 'machineTemplate', 'version'],
          description: 'The desired state.',
        },
      ),
      status: object(
        {
          conditions: v1beta1Conditions(),
          ...failureFields(),
          initialized: bool({
            description: 'Whether the control plane has been initialized (kubeadm init done).',
          }),
          lastRemediation: object(
            {
              machine: bounded(1, 253, 'The Machine that was remediated.'),
              retryCount: int32({ description: 'Remediations in a row.' }),
              timestamp: time({ description: 'When it happened.' }),
            },
            { required: ['machine', 'retryCount', 'timestamp'], description: 'The last remediation.' },
          ),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          ready: bool({ description: 'Whether the API server answers.' }),
          readyReplicas: int32({ description: 'Ready Machines.' }),
          replicas: int32({ description: 'Machines that exist.' }),
          selector: bounded(1, 4096, 'The selector in string form, for the scale subresource.'),
          unavailableReplicas: int32({ description: 'Machines still missing for full availability.' }),
          updatedReplicas: int32({ description: 'Machines with the current spec.' }),
          v1beta2: v1beta2Status(v1beta2ReplicaCounters()),
          version: bounded(1, 256, 'The lowest Kubernetes version among the Machines.'),
          versions: statusVersions(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: 'A control plane of kubeadm-bootstrapped Machines.' },
  ),
});

export const kubeadmControlPlaneTemplateCrd: KubeObject = makeCrd({
  kind: 'KubeadmControlPlaneTemplate',
  plural: 'kubeadmcontrolplanetemplates',
  printerColumns: [AGE_COLUMN],
  schema: object(
    {
      spec: object(
        {
          template: object(
            {
              metadata: capiObjectMeta('Labels and annotations of the KubeadmControlPlane.'),
              spec: object(
                { ...sharedSpec(), machineTemplate: machineTemplate(false) },
                {
                  required: ['kubeadmConfigSpec'],
                  description: 'The KubeadmControlPlane spec, without version and replicas.',
                },
              ),
            },
            { required: ['spec'], description: 'The KubeadmControlPlane a ClusterClass creates.' },
          ),
        },
        { required: ['template'], description: 'The desired state.' },
      ),
    },
    { description: 'A template for KubeadmControlPlanes of a ClusterClass.' },
  ),
});

export const controlPlaneCrds: KubeObject[] = [kubeadmControlPlaneCrd, kubeadmControlPlaneTemplateCrd];
