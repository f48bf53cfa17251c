// The CustomResourceDefinitions of the MCS API, field by field from its Go types: ServiceExport
// and ServiceImport served at v1alpha1 and v1beta1 (the storage version; both have the same
// fields), and ClusterProperty (about.k8s.io/v1alpha1, cluster-scoped).

import type { KubeObject } from '../../../machinery/object.js';
import type { Schema } from '../../../machinery/schema.js';
import {
  array,
  crd,
  int32,
  map,
  metaConditions,
  object,
  oneOf,
  type PrinterColumn,
  string,
} from '../schema.js';
import { ABOUT_GROUP, ABOUT_VERSION, MCS_GROUP, MCS_VERSION, MCS_VERSIONS } from './types.js';

const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

const serviceExport: Schema = object(
  {
    spec: object(
      {
        exportedLabels: map(string(), { description: 'Labels copied to the ServiceImport.' }),
        exportedAnnotations: map(string(), { description: 'Annotations copied to the ServiceImport.' }),
      },
      { description: 'Extra information of the export.' },
    ),
    status: object(
      { conditions: metaConditions({ description: 'Valid, Ready and Conflict.' }) },
      { description: 'The state of the export, written by the multi-cluster service controller.' },
    ),
  },
  { description: 'Makes the Service of the same name and namespace consumable from other clusters.' },
);

const servicePort: Schema = object(
  {
    name: string({ description: 'The name of the port, unique within the import.' }),
    protocol: string({ description: 'TCP, UDP or SCTP (default TCP).' }),
    appProtocol: string({ description: 'The application protocol of the port.' }),
    port: int32({ description: 'The port number.' }),
  },
  { required: ['port'] },
);

const serviceImport: Schema = object(
  {
    spec: object(
      {
        ports: array(servicePort, { listType: 'atomic' }),
        ips: array(string(), {
          maxItems: 2,
          description: 'The clusterset IPs (VIPs) of the imported service.',
        }),
        type: oneOf(['ClusterSetIP', 'Headless'], { description: 'ClusterSetIP or Headless.' }),
        sessionAffinity: string({ description: 'ClientIP or None (default None).' }),
        sessionAffinityConfig: object(
          {
            clientIP: object({
              timeoutSeconds: int32({ description: 'Seconds a ClientIP affinity lasts.' }),
            }),
          },
          { description: 'The session affinity settings.' },
        ),
        ipFamilies: array(string(), { maxItems: 2, listType: 'atomic' }),
        internalTrafficPolicy: string({ description: 'Cluster or Local.' }),
        trafficDistribution: string({ description: 'How traffic is distributed among endpoints.' }),
      },
      { required: ['ports', 'type'] },
    ),
    status: object({
      clusters: array(
        object(
          { cluster: string({ description: 'A cluster that exports the service.' }) },
          { required: ['cluster'] },
        ),
        {
          listType: 'map',
          mapKeys: ['cluster'],
        },
      ),
      conditions: metaConditions(),
    }),
  },
  { description: 'A service in the clusterset, as the clusters that import it see it.' },
);

export const serviceExportCrd: KubeObject = crd({
  group: MCS_GROUP,
  kind: 'ServiceExport',
  plural: 'serviceexports',
  shortNames: ['svcex', 'svcexport'],
  scope: 'Namespaced',
  versions: MCS_VERSIONS.map((name) => ({
    name,
    storage: name === MCS_VERSION,
    schema: serviceExport,
    status: true,
    printerColumns: [AGE],
  })),
});

export const serviceImportCrd: KubeObject = crd({
  group: MCS_GROUP,
  kind: 'ServiceImport',
  plural: 'serviceimports',
  shortNames: ['svcim', 'svcimport'],
  scope: 'Namespaced',
  versions: MCS_VERSIONS.map((name) => ({
    name,
    storage: name === MCS_VERSION,
    schema: serviceImport,
    status: true,
    printerColumns: [
      { name: 'Type', type: 'string', description: 'The type of this ServiceImport', jsonPath: '.spec.type' },
      { name: 'IP', type: 'string', description: 'The VIP for this ServiceImport', jsonPath: '.spec.ips' },
      AGE,
    ],
  })),
});

// about.k8s.io is a protected group (*.k8s.io): its CRD carries the approval of the API's KEP.
const API_APPROVED = 'https://github.com/kubernetes/enhancements/pull/3084';

const clusterPropertyBase: KubeObject = crd({
  group: ABOUT_GROUP,
  kind: 'ClusterProperty',
  plural: 'clusterproperties',
  scope: 'Cluster',
  versions: [
    {
      name: ABOUT_VERSION,
      storage: true,
      schema: object(
        {
          spec: object(
            { value: string({ minLength: 1, maxLength: 128000, description: 'The value of the property.' }) },
            { required: ['value'] },
          ),
          status: object({}),
        },
        { description: 'A property of the cluster (KEP-2149), such as its id in the clusterset.' },
      ),
      printerColumns: [
        { name: 'value', type: 'string', jsonPath: '.spec.value' },
        { name: 'age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    },
  ],
});

export const clusterPropertyCrd: KubeObject = {
  ...clusterPropertyBase,
  metadata: { ...clusterPropertyBase.metadata, annotations: { 'api-approved.kubernetes.io': API_APPROVED } },
};
