// Deployments: apps/v1 defaults (1 replica, RollingUpdate 25%/25%, 10 revisions, 600s progress
// deadline), validation of selector, template and strategy, the immutable selector, and the
// READY / UP-TO-DATE / AVAILABLE table.

import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import {
  ageColumn,
  column,
  containerCells,
  containersColumn,
  imagesColumn,
  nameColumn,
  objectAge,
  selectorString,
} from './columns.js';
import {
  forbidden,
  immutable,
  intOrPercentValue,
  invalid,
  nonNegative,
  notMoreThan100Percent,
  notSupported,
  positiveIntOrPercent,
  required,
} from './field-errors.js';
import { defaultPodTemplate } from './podspec-defaults.js';
import {
  asNumber,
  asObject,
  asString,
  child,
  defaultString,
  defaultValue,
  type Json,
  path,
  semanticEqual,
} from './values.js';
import {
  asSelector,
  statusChanged,
  validateReplicaCounts,
  validateReplicaSetTemplate,
  validateSelector,
} from './workload.js';

function validateStrategy(strategy: unknown): FieldError[] {
  const s = asObject(strategy) ?? {};
  const field = 'spec.strategy';
  const type = asString(s.type);
  const rolling = asObject(s.rollingUpdate);
  if (type === 'Recreate') {
    return rolling
      ? [forbidden(`${field}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")]
      : [];
  }
  if (type === 'RollingUpdate') {
    if (!rolling) return [required(`${field}.rollingUpdate`, 'this should be defaulted and never be nil')];
    const errs: FieldError[] = [];
    errs.push(...positiveIntOrPercent(`${field}.rollingUpdate.maxUnavailable`, rolling.maxUnavailable));
    errs.push(...positiveIntOrPercent(`${field}.rollingUpdate.maxSurge`, rolling.maxSurge));
    if (intOrPercentValue(rolling.maxUnavailable) === 0 && intOrPercentValue(rolling.maxSurge) === 0) {
      errs.push(
        invalid(
          `${field}.rollingUpdate.maxUnavailable`,
          rolling.maxUnavailable ?? 0,
          'may not be 0 when `maxSurge` is 0',
        ),
      );
    }
    errs.push(...notMoreThan100Percent(`${field}.rollingUpdate.maxUnavailable`, rolling.maxUnavailable));
    return errs;
  }
  return [notSupported(field, strategy ?? {}, ['Recreate', 'RollingUpdate'])];
}

export function validateDeploymentSpec(specValue: unknown): FieldError[] {
  const spec = asObject(specValue);
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  errs.push(...nonNegative('spec.replicas', spec.replicas));
  errs.push(...validateSelector(spec, 'deployment'));
  const selector = asSelector(spec.selector);
  if (!selector) errs.push(invalid('spec.selector', spec.selector, 'invalid label selector'));
  else errs.push(...validateReplicaSetTemplate(spec.template, selector, 'spec.template', 'ReplicaSet'));
  errs.push(...validateStrategy(spec.strategy));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  const deadline = asNumber(spec.progressDeadlineSeconds);
  if (deadline !== undefined) {
    errs.push(...nonNegative('spec.progressDeadlineSeconds', deadline));
    if (deadline <= (asNumber(spec.minReadySeconds) ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

function validateDeploymentStatus(status: unknown): FieldError[] {
  const errs = validateReplicaCounts(
    status,
    [
      'observedGeneration',
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
      'collisionCount',
    ],
    ['updatedReplicas', 'readyReplicas', 'availableReplicas'],
  );
  const s = asObject(status) ?? {};
  if ((asNumber(s.availableReplicas) ?? 0) > (asNumber(s.readyReplicas) ?? 0)) {
    errs.push(
      invalid('status.availableReplicas', s.availableReplicas, 'cannot be greater than readyReplicas'),
    );
  }
  return errs;
}

/** SetDefaults_Deployment and the pod template defaults. */
export function defaultDeployment(spec: Json): void {
  defaultValue(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  if (strategy) {
    defaultString(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const rolling = child(strategy, 'rollingUpdate');
      if (rolling) {
        defaultValue(rolling, 'maxUnavailable', '25%');
        defaultValue(rolling, 'maxSurge', '25%');
      }
    }
  }
  defaultValue(spec, 'revisionHistoryLimit', 10);
  defaultValue(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(spec.template);
}

export const deploymentStrategy: Strategy = {
  // deployments/status may change annotations (the controller's revision bookkeeping), not labels.
  statusResets: ['labels'],

  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (spec) defaultDeployment(spec);
  },

  // Annotations are copied to the deployment's ReplicaSets, so changing them is a new generation.
  prepareForUpdate(obj, old) {
    if (!semanticEqual(obj.metadata.annotations, old.metadata.annotations)) {
      obj.metadata.generation = (old.metadata.generation ?? 0) + 1;
    }
  },

  validate: (obj) => validateDeploymentSpec(obj.spec),

  validateUpdate(obj, old) {
    const errs = immutable('spec.selector', path(obj, 'spec', 'selector'), path(old, 'spec', 'selector'));
    if (statusChanged(obj, old)) errs.push(...validateDeploymentStatus(obj.status));
    return errs;
  },

  table: {
    columns: [
      nameColumn,
      column('Ready', 'string', 'Number of the pod with ready state'),
      column(
        'Up-to-date',
        'string',
        'Total number of non-terminating pods targeted by this deployment that have the desired template spec.',
      ),
      column(
        'Available',
        'string',
        'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.',
      ),
      ageColumn,
      containersColumn,
      imagesColumn,
      column(
        'Selector',
        'string',
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
        1,
      ),
    ],
    cells(obj, now) {
      const status = asObject(obj.status) ?? {};
      const [containers, images] = containerCells(path(obj, 'spec', 'template', 'spec', 'containers'));
      return [
        obj.metadata.name,
        `${asNumber(status.readyReplicas) ?? 0}/${asNumber(path(obj, 'spec', 'replicas')) ?? 0}`,
        asNumber(status.updatedReplicas) ?? 0,
        asNumber(status.availableReplicas) ?? 0,
        objectAge(obj, now),
        containers,
        images,
        selectorString(path(obj, 'spec', 'selector')),
      ];
    },
  },
};
