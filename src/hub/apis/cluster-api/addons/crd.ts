// addons.cluster.x-k8s.io/v1beta1: ClusterResourceSet and ClusterResourceSetBinding.

import type { KubeObject } from '../../../../machinery/object.js';
import { array, bool, int64, labelSelector, object, oneOf, time } from '../../schema.js';
import { AGE_COLUMN, bounded, crdMaker, V1BETA1, v1beta1Conditions, v1beta2Status } from '../common.js';
import { ADDONS_GROUP } from './constants.js';

const LABELS = { 'cluster.x-k8s.io/provider': 'cluster-api' };
const makeCrd = crdMaker(ADDONS_GROUP, V1BETA1, LABELS);
const RESOURCE_KIND = () => oneOf(['Secret', 'ConfigMap'], { description: 'Secret or ConfigMap.' });

export const clusterResourceSetCrd: KubeObject = makeCrd({
  kind: 'ClusterResourceSet',
  plural: 'clusterresourcesets',
  status: true,
  printerColumns: [AGE_COLUMN],
  schema: object(
    {
      spec: object(
        {
          clusterSelector: labelSelector({
            description: 'Selects the Clusters of the namespace to apply to; must not be empty.',
          }),
          resources: array(
            object(
              { kind: RESOURCE_KIND(), name: bounded(1, 253, 'The name, in the namespace of the set.') },
              { required: ['kind', 'name'] },
            ),
            { maxItems: 100, description: 'The Secrets and ConfigMaps whose objects are applied.' },
          ),
          strategy: oneOf(['ApplyOnce', 'Reconcile'], {
            description:
              'ApplyOnce (default) applies once; Reconcile applies again when the resources change.',
          }),
        },
        { required: ['clusterSelector'], description: 'The desired state.' },
      ),
      status: object(
        {
          conditions: v1beta1Conditions(),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          v1beta2: v1beta2Status(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: 'Objects to apply to every matching workload cluster.' },
  ),
});

export const clusterResourceSetBindingCrd: KubeObject = makeCrd({
  kind: 'ClusterResourceSetBinding',
  plural: 'clusterresourcesetbindings',
  status: true,
  printerColumns: [AGE_COLUMN],
  schema: object(
    {
      spec: object(
        {
          bindings: array(
            object(
              {
                clusterResourceSetName: bounded(1, 253, 'The ClusterResourceSet.'),
                resources: array(
                  object(
                    {
                      applied: bool({ description: 'Whether the resource has been applied.' }),
                      hash: bounded(1, 256, 'A hash of what was applied.'),
                      kind: RESOURCE_KIND(),
                      lastAppliedTime: time({ description: 'When it was last applied.' }),
                      name: bounded(1, 253, 'The name.'),
                    },
                    { required: ['applied', 'kind', 'name'] },
                  ),
                  { maxItems: 100, description: 'What was applied from the set.' },
                ),
              },
              { required: ['clusterResourceSetName'] },
            ),
            {
              maxItems: 100,
              description: 'One entry per ClusterResourceSet that applied to the Cluster.',
            },
          ),
          clusterName: bounded(1, 63, 'The Cluster (same name as the binding).'),
        },
        { description: 'The desired state.' },
      ),
    },
    { description: 'What ClusterResourceSets have applied to one Cluster.' },
  ),
});

export const addonsCrds: KubeObject[] = [clusterResourceSetCrd, clusterResourceSetBindingCrd];
