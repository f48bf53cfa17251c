// StatefulSets: apps/v1 defaults (OrderedReady pods, RollingUpdate with partition 0, PVCs
// retained), validation of selector, policies and template, the short list of spec fields an
// update may change, and the READY table.

import { childPath } from '../../machinery/field-path.js';
import { validateAnnotations, validateLabels } from '../../machinery/names.js';
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
} from './columns.js';
import {
  forbidden,
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
  selectorMatchesTemplate,
  statusChanged,
  validateReplicaCounts,
  validateSelector,
} from './workload.js';

const RETENTION_TYPES = ['Retain', 'Delete'];

function validateRollingUpdate(rolling: Json, field: string): FieldError[] {
  const errs = nonNegative(childPath(field, 'partition'), rolling.partition);
  const maxUnavailable = rolling.maxUnavailable;
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const p = childPath(field, 'maxUnavailable');
    errs.push(...positiveIntOrPercent(p, maxUnavailable));
    if (intOrPercentValue(maxUnavailable) === 0) errs.push(invalid(p, maxUnavailable, 'cannot be 0'));
    errs.push(...notMoreThan100Percent(p, maxUnavailable));
  }
  return errs;
}

function validateStatefulSetSpec(specValue: unknown): FieldError[] {
  const spec = asObject(specValue);
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  const policy = asString(spec.podManagementPolicy);
  if (policy === '') errs.push(required('spec.podManagementPolicy'));
  else if (policy !== 'OrderedReady' && policy !== 'Parallel') {
    errs.push(invalid('spec.podManagementPolicy', policy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const update = asObject(spec.updateStrategy) ?? {};
  const rolling = asObject(update.rollingUpdate);
  switch (asString(update.type)) {
    case '':
      errs.push(required('spec.updateStrategy'));
      break;
    case 'OnDelete':
      if (rolling)
        errs.push(
          invalid(
            'spec.updateStrategy.rollingUpdate',
            rolling,
            "only allowed for updateStrategy 'RollingUpdate'",
          ),
        );
      break;
    case 'RollingUpdate':
      if (rolling) errs.push(...validateRollingUpdate(rolling, 'spec.updateStrategy.rollingUpdate'));
      break;
    default:
      errs.push(invalid('spec.updateStrategy', spec.updateStrategy, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = asObject(spec.persistentVolumeClaimRetentionPolicy);
  if (retention) {
    for (const key of ['whenDeleted', 'whenScaled']) {
      const v = asString(retention[key]);
      if (!RETENTION_TYPES.includes(v)) {
        errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${key}`, v, RETENTION_TYPES));
      }
    }
  }
  errs.push(...nonNegative('spec.replicas', spec.replicas));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...nonNegative('spec.ordinals.start', path(spec, 'ordinals', 'start')));
  errs.push(...validateSelector(spec, 'statefulset'));
  const selector = asSelector(spec.selector);
  if (!selector) errs.push(invalid('spec.selector', spec.selector, ''));
  else {
    // Kubernetes checks only the template's metadata here, not its pod spec.
    errs.push(...selectorMatchesTemplate(selector, spec.template, 'spec.template'));
    const meta = asObject(path(spec, 'template', 'metadata')) ?? {};
    errs.push(
      ...validateLabels(asObject(meta.labels) as Record<string, string> | undefined, 'spec.template.labels'),
    );
    errs.push(
      ...validateAnnotations(
        asObject(meta.annotations) as Record<string, string> | undefined,
        'spec.template.annotations',
      ),
    );
  }
  const podSpec = asObject(path(spec, 'template', 'spec')) ?? {};
  if (podSpec.restartPolicy !== 'Always') {
    errs.push(notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy ?? '', ['Always']));
  }
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(
      forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        'activeDeadlineSeconds in StatefulSet is not Supported',
      ),
    );
  }
  return errs;
}

/** Fields of a StatefulSet's spec an update may change; everything else is fixed at creation. */
const UPDATABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];

export const statefulSetStrategy: Strategy = {
  // Pod names and hostnames derive from the StatefulSet's name.
  nameRule: 'dns1123Label',

  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (!spec) return;
    defaultString(spec, 'podManagementPolicy', 'OrderedReady');
    const update = child(spec, 'updateStrategy');
    if (update) {
      if (asString(update.type) === '') {
        update.type = 'RollingUpdate';
        defaultValue(update, 'rollingUpdate', {});
      }
      const rolling = asObject(update.rollingUpdate);
      if (update.type === 'RollingUpdate' && rolling) defaultValue(rolling, 'partition', 0);
    }
    const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
    if (retention) {
      defaultString(retention, 'whenDeleted', 'Retain');
      defaultString(retention, 'whenScaled', 'Retain');
    }
    defaultValue(spec, 'replicas', 1);
    defaultValue(spec, 'revisionHistoryLimit', 10);
    defaultPodTemplate(spec.template);
  },

  validate: (obj) => validateStatefulSetSpec(obj.spec),

  validateUpdate(obj, old) {
    const errs: FieldError[] = [];
    const spec = { ...(asObject(obj.spec) ?? {}) };
    const oldSpec = asObject(old.spec) ?? {};
    for (const key of UPDATABLE) spec[key] = oldSpec[key];
    if (!semanticEqual(spec, oldSpec)) {
      errs.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
    if (statusChanged(obj, old)) {
      errs.push(
        ...validateReplicaCounts(
          obj.status,
          [
            'replicas',
            'readyReplicas',
            'currentReplicas',
            'updatedReplicas',
            'availableReplicas',
            'observedGeneration',
            'collisionCount',
          ],
          ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'],
        ),
      );
    }
    return errs;
  },

  table: {
    columns: [
      nameColumn,
      column('Ready', 'string', 'Number of the pod with ready state'),
      ageColumn,
      containersColumn,
      imagesColumn,
    ],
    cells(obj, now) {
      const [containers, images] = containerCells(path(obj, 'spec', 'template', 'spec', 'containers'));
      const ready = asNumber(path(obj, 'status', 'readyReplicas')) ?? 0;
      const desired = asNumber(path(obj, 'spec', 'replicas')) ?? 0;
      return [obj.metadata.name, `${ready}/${desired}`, objectAge(obj, now), containers, images];
    },
  },
};
