// The Gslb CustomResourceDefinitions, field by field from k8gb's Go types: one for k8gb.io and
// one for k8gb.absa.oss, v1beta1, with k8gb's printer columns.

import type { KubeObject } from '../../../machinery/object.js';
import type { Schema } from '../../../machinery/schema.js';
import { array, crd, int32, integer, labelSelector, map, object, oneOf, string } from '../schema.js';
import { K8GB_GROUP, K8GB_LEGACY_GROUP, K8GB_VERSION } from './types.js';

const backend: Schema = object({
  resource: object(
    { apiGroup: string(), kind: string(), name: string() },
    { required: ['kind', 'name'], mapType: 'atomic' },
  ),
  service: object(
    {
      name: string({ description: 'The Service backing the host.' }),
      port: object({ name: string(), number: int32() }),
    },
    { required: ['name'] },
  ),
});

const ingressSpec: Schema = object(
  {
    ingressClassName: string(),
    defaultBackend: backend,
    rules: array(
      object({
        host: string({ description: 'The global name answered by the DNS server.' }),
        http: object(
          {
            paths: array(
              object({ backend, path: string(), pathType: string() }, { required: ['backend', 'pathType'] }),
              { listType: 'atomic' },
            ),
          },
          { required: ['paths'] },
        ),
      }),
      { listType: 'atomic' },
    ),
    tls: array(object({ hosts: array(string(), { listType: 'atomic' }), secretName: string() }), {
      listType: 'atomic',
    }),
  },
  { description: 'The Ingress spec whose hosts are balanced across clusters.' },
);

const selector = labelSelector().properties ?? {};

function gslbSchema(withHealthPolicy: boolean): Schema {
  return object(
    {
      spec: object(
        {
          ingress: ingressSpec,
          resourceRef: object(
            {
              apiVersion: string(),
              fieldPath: string(),
              kind: string(),
              name: string(),
              namespace: string(),
              resourceVersion: string(),
              uid: string(),
              ...selector,
            },
            {
              mapType: 'atomic',
              description: 'An Ingress selected by name or labels, instead of spec.ingress.',
            },
          ),
          ...(withHealthPolicy
            ? {
                serviceHealthPolicy: oneOf(['Any', 'All'], {
                  default: 'Any',
                  description: 'How the Services of one host make it healthy: any of them, or all.',
                }),
              }
            : {}),
          strategy: object(
            {
              dnsTtlSeconds: integer({ description: 'TTL of the answers (default 30).' }),
              primaryGeoTag: string({ description: 'The region answered first (failover).' }),
              splitBrainThresholdSeconds: integer({ description: 'Deprecated and not used.' }),
              type: string({ description: 'roundRobin, failover or geoip.' }),
              weight: map(integer(), { description: 'Region -> weight (roundRobin).' }),
            },
            { required: ['type'] },
          ),
        },
        { required: ['strategy'] },
      ),
      status: object(
        {
          geoTag: string(),
          healthyRecords: map(array(string())),
          hosts: string(),
          loadBalancer: object({ exposedIps: array(string()) }),
          servers: array(
            object({
              host: string(),
              services: array(
                object({ name: string(), namespace: string() }, { required: ['name', 'namespace'] }),
              ),
            }),
          ),
          serviceHealth: map(string()),
        },
        { required: ['geoTag', 'healthyRecords', 'serviceHealth'] },
      ),
    },
    { description: 'Gslb is the Schema for the gslbs API' },
  );
}

function gslbCrd(group: string, withHealthPolicy: boolean): KubeObject {
  return crd({
    group,
    kind: 'Gslb',
    plural: 'gslbs',
    scope: 'Namespaced',
    versions: [
      {
        name: K8GB_VERSION,
        storage: true,
        schema: gslbSchema(withHealthPolicy),
        status: true,
        printerColumns: [
          { name: 'strategy', type: 'string', jsonPath: '.spec.strategy.type' },
          { name: 'geoTag', type: 'string', jsonPath: '.status.geoTag' },
          { name: 'hosts', type: 'string', jsonPath: '.status.hosts', priority: 1 },
        ],
      },
    ],
  });
}

export const gslbCrdK8gb: KubeObject = gslbCrd(K8GB_GROUP, true);
export const gslbCrdLegacy: KubeObject = gslbCrd(K8GB_LEGACY_GROUP, false);
