// The CustomResourceDefinition of governance.concord.dev/v1alpha1 ResidencyRule (cluster-scoped,
// short names rr and residency, category concord).

import type { KubeObject } from '../../../machinery/object.js';
import {
  array,
  bool,
  crd,
  int32,
  int64,
  labelSelector,
  metaConditions,
  object,
  oneOf,
  string,
  time,
} from '../schema.js';
import { COUNTRY_LABEL, GOVERNANCE_GROUP, GOVERNANCE_VERSION, MAX_VIOLATION_DETAILS } from './types.js';

const names = (description: string) => array(string({ minLength: 1 }), { listType: 'set', description });

const resourceSelector = object(
  {
    namespaces: names('Namespaces whose resources the rule covers.'),
    namespaceSelector: labelSelector({
      description: 'Namespaces, by their labels, whose resources the rule covers (with namespaces: either).',
    }),
    kinds: names('Kinds covered (e.g. Deployment); empty: every kind.'),
    labelSelector: labelSelector({ description: 'Resources, by their labels, that the rule covers.' }),
  },
  { description: 'The resources the rule covers: every filter given must match.' },
);

const allowedClusters = object(
  {
    regions: names("Regions (the member's spec.region) covered resources may run in."),
    countries: names(`Countries (the member's ${COUNTRY_LABEL} label) covered resources may run in.`),
    providers: names("Providers (the member's spec.provider) covered resources may run on."),
    clusterNames: names('Members covered resources may run on, by name.'),
    labelSelector: labelSelector({ description: 'Members, by their labels, covered resources may run on.' }),
  },
  { description: 'Where covered resources may run: a member must match every filter given.' },
);

const violation = object(
  {
    apiVersion: string(),
    kind: string(),
    namespace: string(),
    name: string(),
    cluster: string({ description: 'The member it runs on.' }),
    type: oneOf(['Placed', 'Drift'], {
      description: 'Placed: a binding put it there; Drift: found on the member outside any binding.',
    }),
  },
  { required: ['apiVersion', 'kind', 'name', 'cluster', 'type'] },
);

export const residencyRuleCrd: KubeObject = crd({
  group: GOVERNANCE_GROUP,
  kind: 'ResidencyRule',
  plural: 'residencyrules',
  shortNames: ['rr', 'residency'],
  categories: ['concord'],
  scope: 'Cluster',
  versions: [
    {
      name: GOVERNANCE_VERSION,
      storage: true,
      status: true,
      printerColumns: [
        {
          name: 'Regions',
          type: 'string',
          jsonPath: '.spec.allowedClusters.regions',
          description: 'Regions covered resources may run in',
        },
        {
          name: 'Allowed',
          type: 'string',
          jsonPath: '.status.allowedClusters',
          description: 'Members the rule allows now',
        },
        {
          name: 'Covered',
          type: 'integer',
          jsonPath: '.status.coveredResources',
          description: 'Propagated resources the rule covers',
        },
        {
          name: 'Violations',
          type: 'integer',
          jsonPath: '.status.violations',
          description: 'Covered resources running outside the allowed members',
        },
        {
          name: 'Compliant',
          type: 'string',
          jsonPath: '.status.conditions[?(@.type=="Compliant")].status',
          description: 'Whether no covered resource runs outside',
        },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
      schema: object(
        {
          spec: object(
            {
              resourceSelector,
              allowedClusters,
              includeConfigAndSecrets: bool({
                default: true,
                description: 'ConfigMaps and Secrets of covered namespaces are bound by the rule too.',
              }),
            },
            { required: ['resourceSelector', 'allowedClusters'] },
          ),
          status: object({
            observedGeneration: int64(),
            conditions: metaConditions(),
            allowedClusters: array(string(), { listType: 'atomic' }),
            coveredResources: int32({ minimum: 0 }),
            violations: int32({ minimum: 0 }),
            violationDetails: array(violation, {
              listType: 'atomic',
              maxItems: MAX_VIOLATION_DETAILS,
            }),
            lastAuditTime: time(),
          }),
        },
        { required: ['spec'] },
      ),
    },
  ],
});
