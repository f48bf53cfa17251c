// ReplicaSets: one replica by default, a selector that must match the template (and never
// change), field selector status.replicas, and the DESIRED / CURRENT / READY table.

import type { Strategy } from '../registry/strategy.js';
import {
  ageColumn,
  column,
  containerCells,
  containersColumn,
  imagesColumn,
  nameColumn,
  objectAge,
  selectorText,
} from './columns.js';
import { immutable, invalid, nonNegative, required } from './field-errors.js';
import { defaultPodTemplate } from './podspec-defaults.js';
import { asNumber, asObject, defaultValue, path } from './values.js';
import {
  asSelector,
  statusChanged,
  validateReplicaCounts,
  validateReplicaSetTemplate,
  validateSelector,
} from './workload.js';

export const replicaSetStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (!spec) return;
    defaultValue(spec, 'replicas', 1);
    defaultPodTemplate(spec.template);
  },

  validate(obj) {
    const spec = asObject(obj.spec);
    if (!spec) return [required('spec')];
    const errs = [
      ...nonNegative('spec.replicas', spec.replicas),
      ...nonNegative('spec.minReadySeconds', spec.minReadySeconds),
    ];
    // Kubernetes' message names deployments here too: both share the same rule.
    errs.push(...validateSelector(spec, 'deployment'));
    const selector = asSelector(spec.selector);
    if (!selector) errs.push(invalid('spec.selector', spec.selector, 'invalid label selector'));
    else errs.push(...validateReplicaSetTemplate(spec.template, selector, 'spec.template', 'ReplicaSet'));
    return errs;
  },

  validateUpdate(obj, old) {
    const errs = immutable('spec.selector', path(obj, 'spec', 'selector'), path(old, 'spec', 'selector'));
    if (statusChanged(obj, old)) {
      errs.push(
        ...validateReplicaCounts(
          obj.status,
          ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'],
          ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'],
        ),
      );
      const s = asObject(obj.status) ?? {};
      if ((asNumber(s.availableReplicas) ?? 0) > (asNumber(s.readyReplicas) ?? 0)) {
        errs.push(
          invalid('status.availableReplicas', s.availableReplicas, 'cannot be greater than readyReplicas'),
        );
      }
    }
    return errs;
  },

  selectableFields: (obj) => ({ 'status.replicas': String(asNumber(path(obj, 'status', 'replicas')) ?? 0) }),

  table: {
    columns: [
      nameColumn,
      column('Desired', 'integer', 'Replicas is the number of desired pods.'),
      column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
      column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
      ageColumn,
      containersColumn,
      imagesColumn,
      column(
        'Selector',
        'string',
        'Selector is a label query over pods that should match the replica count.',
        1,
      ),
    ],
    cells(obj, now) {
      const [containers, images] = containerCells(path(obj, 'spec', 'template', 'spec', 'containers'));
      return [
        obj.metadata.name,
        asNumber(path(obj, 'spec', 'replicas')) ?? 0,
        asNumber(path(obj, 'status', 'replicas')) ?? 0,
        asNumber(path(obj, 'status', 'readyReplicas')) ?? 0,
        objectAge(obj, now),
        containers,
        images,
        selectorText(path(obj, 'spec', 'selector')),
      ];
    },
  },
};
