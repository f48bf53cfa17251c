// DaemonSets: RollingUpdate (maxUnavailable 1, maxSurge 0) and 10 revisions by default, a selector
// that matches the template and never changes, and the DESIRED / CURRENT / READY / UP-TO-DATE /
// AVAILABLE / NODE SELECTOR table.

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
  selectorText,
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
import { validatePodTemplateSpec } from './podspec-validation.js';
import {
  asNumber,
  asObject,
  asString,
  child,
  defaultString,
  defaultValue,
  formatLabels,
  path,
} from './values.js';
import {
  asSelector,
  SELECTOR_MISMATCH,
  statusChanged,
  templateLabels,
  validateReplicaCounts,
  validateSelector,
} from './workload.js';

function validateUpdateStrategy(strategy: unknown): FieldError[] {
  const s = asObject(strategy) ?? {};
  const field = 'spec.updateStrategy';
  switch (asString(s.type)) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      const rolling = asObject(s.rollingUpdate);
      if (!rolling) return [required(`${field}.rollingUpdate`)];
      const errs: FieldError[] = [];
      const mu = `${field}.rollingUpdate.maxUnavailable`;
      const ms = `${field}.rollingUpdate.maxSurge`;
      errs.push(
        ...positiveIntOrPercent(mu, rolling.maxUnavailable),
        ...positiveIntOrPercent(ms, rolling.maxSurge),
      );
      errs.push(
        ...notMoreThan100Percent(mu, rolling.maxUnavailable),
        ...notMoreThan100Percent(ms, rolling.maxSurge),
      );
      const hasUnavailable = intOrPercentValue(rolling.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(rolling.maxSurge) !== 0;
      if (hasUnavailable && hasSurge)
        errs.push(invalid(ms, rolling.maxSurge, 'may not be set when maxUnavailable is non-zero'));
      if (!hasUnavailable && !hasSurge) errs.push(required(mu, 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default:
      return [notSupported(field, strategy ?? {}, ['RollingUpdate', 'OnDelete'])];
  }
}

function validateDaemonSetSpec(specValue: unknown): FieldError[] {
  const spec = asObject(specValue);
  if (!spec) return [required('spec')];
  const errs: FieldError[] = validateSelector(spec, 'daemonset');
  const selector = asSelector(spec.selector);
  if (selector && !selector.matches(templateLabels(spec.template))) {
    errs.push(invalid('spec.template.metadata.labels', templateLabels(spec.template), SELECTOR_MISMATCH));
  }
  errs.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  const podSpec = asObject(path(spec, 'template', 'spec')) ?? {};
  if (podSpec.restartPolicy !== 'Always') {
    errs.push(notSupported('spec.template.spec.restartPolicy', podSpec.restartPolicy ?? '', ['Always']));
  }
  if (podSpec.activeDeadlineSeconds !== undefined && podSpec.activeDeadlineSeconds !== null) {
    errs.push(
      forbidden(
        'spec.template.spec.activeDeadlineSeconds',
        'activeDeadlineSeconds in DaemonSet is not Supported',
      ),
    );
  }
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...validateUpdateStrategy(spec.updateStrategy));
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  return errs;
}

export const daemonSetStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (!spec) return;
    const update = child(spec, 'updateStrategy');
    if (update) {
      defaultString(update, 'type', 'RollingUpdate');
      if (update.type === 'RollingUpdate') {
        const rolling = child(update, 'rollingUpdate');
        if (rolling) {
          defaultValue(rolling, 'maxUnavailable', 1);
          defaultValue(rolling, 'maxSurge', 0);
        }
      }
    }
    defaultValue(spec, 'revisionHistoryLimit', 10);
    defaultPodTemplate(spec.template);
  },

  validate: (obj) => validateDaemonSetSpec(obj.spec),

  validateUpdate(obj, old) {
    const errs = immutable('spec.selector', path(obj, 'spec', 'selector'), path(old, 'spec', 'selector'));
    if (statusChanged(obj, old)) {
      errs.push(
        ...validateReplicaCounts(
          obj.status,
          [
            'currentNumberScheduled',
            'numberMisscheduled',
            'desiredNumberScheduled',
            'numberReady',
            'observedGeneration',
            'updatedNumberScheduled',
            'numberAvailable',
            'numberUnavailable',
            'collisionCount',
          ],
          [],
        ),
      );
    }
    return errs;
  },

  table: {
    columns: [
      nameColumn,
      column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
      column(
        'Current',
        'integer',
        'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
      ),
      column(
        'Ready',
        'integer',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
      ),
      column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
      column(
        'Available',
        'integer',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
      ),
      column(
        'Node Selector',
        'string',
        'NodeSelector is a selector which must be true for the pod to fit on a node.',
      ),
      ageColumn,
      containersColumn,
      imagesColumn,
      column('Selector', 'string', 'A label query over pods that are managed by the daemon set.', 1),
    ],
    cells(obj, now) {
      const status = asObject(obj.status) ?? {};
      const [containers, images] = containerCells(path(obj, 'spec', 'template', 'spec', 'containers'));
      return [
        obj.metadata.name,
        asNumber(status.desiredNumberScheduled) ?? 0,
        asNumber(status.currentNumberScheduled) ?? 0,
        asNumber(status.numberReady) ?? 0,
        asNumber(status.updatedNumberScheduled) ?? 0,
        asNumber(status.numberAvailable) ?? 0,
        formatLabels(path(obj, 'spec', 'template', 'spec', 'nodeSelector')),
        objectAge(obj, now),
        containers,
        images,
        selectorText(path(obj, 'spec', 'selector')),
      ];
    },
  },
};
