// Jobs: batch/v1 defaults (1 completion, parallelism 1, backoffLimit 6, NonIndexed, not
// suspended), the selector Kubernetes generates from the job's uid unless manualSelector is set,
// restartPolicy OnFailure/Never, the immutable template, and the STATUS / COMPLETIONS / DURATION
// table.

import { humanDuration } from '../../machinery/duration.js';
import { validateLabelSelector } from '../../machinery/labels.js';
import { isDNS1123Label } from '../../machinery/names.js';
import type { KubeObject } from '../../machinery/object.js';
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
import { immutable, invalid, nonNegative, notSupported, required } from './field-errors.js';
import { defaultPodTemplate } from './podspec-defaults.js';
import { validatePodTemplateSpec } from './podspec-validation.js';
import {
  asNumber,
  asObject,
  asString,
  child,
  defaultValue,
  type Json,
  objectItems,
  path,
  semanticEqual,
} from './values.js';
import { asSelector, SELECTOR_MISMATCH, templateLabels } from './workload.js';

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
/** The unprefixed labels older clients select on; still set on every job's pods. */
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';

const MAX_PARALLELISM_INDEXED = 100000;
const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
const POD_REPLACEMENT_POLICIES = ['TerminatingOrFailed', 'Failed'];

/** SetDefaults_Job, on a job spec (the job's own labels are defaulted by the caller). */
export function defaultJobSpec(spec: Json): void {
  if (
    (spec.completions === undefined || spec.completions === null) &&
    (spec.parallelism === undefined || spec.parallelism === null)
  ) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  defaultValue(spec, 'parallelism', 1);
  defaultValue(
    spec,
    'backoffLimit',
    spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? 2147483647 : 6,
  );
  defaultValue(spec, 'completionMode', 'NonIndexed');
  defaultValue(spec, 'suspend', false);
  for (const [rule] of objectItems(path(spec, 'podFailurePolicy', 'rules'))) {
    for (const [pattern] of objectItems(rule.onPodConditions)) defaultValue(pattern, 'status', 'True');
  }
  defaultValue(
    spec,
    'podReplacementPolicy',
    asObject(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed',
  );
  defaultValue(spec, 'manualSelector', false);
  defaultPodTemplate(spec.template);
}

/**
 * The selector of a job that did not ask for a manual one: its pods carry the job's name and uid
 * (prefixed and legacy labels), and the selector picks them by uid.
 */
export function generateSelector(job: KubeObject): void {
  const spec = child(job, 'spec');
  if (!spec) return;
  const template = child(spec, 'template');
  const meta = template && child(template, 'metadata');
  const labels = meta && child(meta, 'labels');
  if (!labels) return;
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  for (const key of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL])
    if (labels[key] === undefined) labels[key] = name;
  for (const key of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL])
    if (labels[key] === undefined) labels[key] = uid;
  const selector = child(spec, 'selector');
  const matchLabels = selector && child(selector, 'matchLabels');
  if (matchLabels && matchLabels[CONTROLLER_UID_LABEL] === undefined) matchLabels[CONTROLLER_UID_LABEL] = uid;
}

function hasLabel(
  labels: Record<string, string>,
  key: string,
  expected: string,
  field: string,
): FieldError[] {
  const p = `${field}[${key}]`;
  if (labels[key] === undefined) return [required(p, expected)];
  if (labels[key] !== expected) return [invalid(p, labels, `must be '${expected}'`)];
  return [];
}

/** validateGeneratedSelector: a generated selector and labels must be exactly what was generated. */
function validateGeneratedSelector(job: KubeObject, spec: Json): FieldError[] {
  if (spec.manualSelector === true) return [];
  if (!asObject(path(spec, 'template', 'metadata', 'labels')) || !asObject(spec.selector)) return [];
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  const labels = templateLabels(spec.template);
  const field = 'spec.template.metadata.labels';
  const errs = [
    ...hasLabel(labels, LEGACY_CONTROLLER_UID_LABEL, uid, field),
    ...hasLabel(labels, LEGACY_JOB_NAME_LABEL, name, field),
    ...hasLabel(labels, CONTROLLER_UID_LABEL, uid, field),
    ...hasLabel(labels, JOB_NAME_LABEL, name, field),
  ];
  if (!semanticEqual(spec.selector, { matchLabels: { [CONTROLLER_UID_LABEL]: uid } })) {
    errs.push(invalid('spec.selector', spec.selector, '`selector` not auto-generated'));
  }
  return errs;
}

/**
 * validateJobSpec: the rules of a job spec wherever it appears; `field` is "spec" for a Job and
 * "spec.jobTemplate.spec" inside a CronJob.
 */
export function validateJobSpec(specValue: unknown, field: string): FieldError[] {
  const spec = asObject(specValue);
  if (!spec) return [required(field)];
  const errs: FieldError[] = [];
  for (const key of [
    'parallelism',
    'completions',
    'activeDeadlineSeconds',
    'backoffLimit',
    'ttlSecondsAfterFinished',
  ]) {
    errs.push(...nonNegative(`${field}.${key}`, spec[key]));
  }
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== null) {
    if (!COMPLETION_MODES.includes(asString(mode)))
      errs.push(notSupported(`${field}.completionMode`, mode, COMPLETION_MODES));
    if (mode === 'Indexed') {
      if (spec.completions === undefined || spec.completions === null) {
        errs.push(required(`${field}.completions`, 'when completion mode is Indexed'));
      }
      const parallelism = asNumber(spec.parallelism);
      if (parallelism !== undefined && parallelism > MAX_PARALLELISM_INDEXED) {
        errs.push(
          invalid(
            `${field}.parallelism`,
            parallelism,
            `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`,
          ),
        );
      }
    }
  }
  const replacement = spec.podReplacementPolicy;
  if (
    replacement !== undefined &&
    replacement !== null &&
    !POD_REPLACEMENT_POLICIES.includes(asString(replacement))
  ) {
    errs.push(notSupported(`${field}.podReplacementPolicy`, replacement, POD_REPLACEMENT_POLICIES));
  }
  errs.push(...validatePodTemplateSpec(spec.template, `${field}.template`));
  const restartPolicy = asString(path(spec, 'template', 'spec', 'restartPolicy'));
  const rpField = `${field}.template.spec.restartPolicy`;
  if (restartPolicy === 'Always' || restartPolicy === '') {
    errs.push(required(rpField, 'valid values: "OnFailure", "Never"'));
  } else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    errs.push(notSupported(rpField, restartPolicy, ['OnFailure', 'Never']));
  } else if (asObject(spec.podFailurePolicy) && restartPolicy !== 'Never') {
    errs.push(
      invalid(rpField, restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'),
    );
  }
  return errs;
}

/** ValidateJobSpec: a Job's own spec also needs a selector that selects its template's pods. */
function validateJobSelector(spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.selector === undefined || spec.selector === null) errs.push(required('spec.selector'));
  else errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const selector = asSelector(spec.selector);
  if (selector && !selector.matches(templateLabels(spec.template))) {
    errs.push(invalid('spec.template.metadata.labels', templateLabels(spec.template), SELECTOR_MISMATCH));
  }
  return errs;
}

/** ValidateJobSpecUpdate: what a running job may not change. */
function validateJobSpecUpdate(spec: Json, old: Json, oldStatus: Json): FieldError[] {
  const errs: FieldError[] = [];
  const indexed = spec.completionMode === 'Indexed';
  if (!indexed || semanticEqual(spec.completions, old.completions)) {
    errs.push(...immutable('spec.completions', spec.completions, old.completions));
  } else if (
    spec.completions !== undefined &&
    spec.completions !== null &&
    spec.completions !== spec.parallelism
  ) {
    errs.push(
      invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism'),
    );
  }
  errs.push(...immutable('spec.selector', spec.selector, old.selector));
  // A suspended job that never started may still have its scheduling directives changed.
  let oldTemplate: unknown = old.template;
  const template = asObject(spec.template);
  if (old.suspend === true && oldStatus.startTime === undefined && template) {
    const t = structuredClone(asObject(old.template) ?? {});
    const tSpec = child(t, 'spec');
    const tMeta = child(t, 'metadata');
    const newSpec = asObject(template.spec) ?? {};
    const newMeta = asObject(template.metadata) ?? {};
    if (tSpec)
      for (const k of ['nodeSelector', 'tolerations', 'affinity', 'schedulingGates']) tSpec[k] = newSpec[k];
    if (tMeta) for (const k of ['labels', 'annotations']) tMeta[k] = newMeta[k];
    oldTemplate = t;
  }
  errs.push(...immutable('spec.template', spec.template, oldTemplate));
  for (const key of [
    'completionMode',
    'podFailurePolicy',
    'backoffLimitPerIndex',
    'managedBy',
    'successPolicy',
    'podReplacementPolicy',
  ]) {
    errs.push(...immutable(`spec.${key}`, spec[key], old[key]));
  }
  return errs;
}

function conditionTrue(conditions: unknown, type: string): boolean {
  const c = objectItems(conditions).find(([x]) => x.type === type);
  return c !== undefined && c[0].status === 'True';
}

/** The STATUS cell: Complete, Failed, Terminating, Suspended, FailureTarget, SuccessCriteriaMet or Running. */
export function jobStatusText(job: KubeObject): string {
  const conditions = path(job, 'status', 'conditions');
  if (conditionTrue(conditions, 'Complete')) return 'Complete';
  if (conditionTrue(conditions, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (conditionTrue(conditions, 'Suspended')) return 'Suspended';
  if (conditionTrue(conditions, 'FailureTarget')) return 'FailureTarget';
  if (conditionTrue(conditions, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function completionsText(job: KubeObject): string {
  const succeeded = asNumber(path(job, 'status', 'succeeded')) ?? 0;
  const completions = asNumber(path(job, 'spec', 'completions'));
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = asNumber(path(job, 'spec', 'parallelism')) ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function durationText(job: KubeObject, now: Date): string {
  const start = Date.parse(asString(path(job, 'status', 'startTime')));
  if (Number.isNaN(start)) return '';
  const end = Date.parse(asString(path(job, 'status', 'completionTime')));
  return humanDuration((Number.isNaN(end) ? now.getTime() : end) - start);
}

export const jobStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (!spec) return;
    defaultJobSpec(spec);
    const labels = asObject(path(spec, 'template', 'metadata', 'labels'));
    if (labels && Object.keys(obj.metadata.labels ?? {}).length === 0)
      obj.metadata.labels = { ...(labels as Record<string, string>) };
  },

  // The uid is known by now: the generated selector and labels identify this job's pods only.
  prepareForCreate(obj) {
    if (path(obj, 'spec', 'manualSelector') !== true) generateSelector(obj);
  },

  validate(obj) {
    const spec = asObject(obj.spec);
    if (!spec) return [required('spec')];
    const errs = validateGeneratedSelector(obj, spec);
    errs.push(...validateJobSpec(spec, 'spec'), ...validateJobSelector(spec));
    const completions = asNumber(spec.completions);
    if (spec.completionMode === 'Indexed' && completions !== undefined && completions > 0) {
      const hostname = `${obj.metadata.name ?? ''}-${completions - 1}`;
      if (isDNS1123Label(hostname).length > 0) {
        errs.push(
          invalid(
            'metadata.name',
            obj.metadata.name ?? '',
            `will not able to create pod with invalid DNS label: ${hostname}`,
          ),
        );
      }
    }
    return errs;
  },

  validateUpdate(obj, old) {
    const spec = asObject(obj.spec) ?? {};
    const oldSpec = asObject(old.spec) ?? {};
    return validateJobSpecUpdate(spec, oldSpec, asObject(old.status) ?? {});
  },

  selectableFields: (obj) => ({
    'status.successful': String(asNumber(path(obj, 'status', 'succeeded')) ?? 0),
  }),

  table: {
    columns: [
      nameColumn,
      column('Status', 'string', 'Status of the job.'),
      column('Completions', 'string', 'The number of pods which reached phase Succeeded.'),
      column('Duration', 'string', 'Time required to complete the job.'),
      ageColumn,
      containersColumn,
      imagesColumn,
      column('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
    ],
    cells(obj, now) {
      const [containers, images] = containerCells(path(obj, 'spec', 'template', 'spec', 'containers'));
      return [
        obj.metadata.name,
        jobStatusText(obj),
        completionsText(obj),
        durationText(obj, now),
        objectAge(obj, now),
        containers,
        images,
        selectorText(path(obj, 'spec', 'selector')),
      ];
    },
  },
};
