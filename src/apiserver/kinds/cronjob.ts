// CronJobs: concurrencyPolicy Allow, not suspended, history limits 3 and 1 by default; the
// schedule must parse (five fields or a descriptor), the time zone must exist, and the job
// template follows the Job rules. Printed with SCHEDULE, TIMEZONE, SUSPEND, ACTIVE, LAST SCHEDULE.

import { cronScheduleError, isKnownTimeZone } from '../../machinery/cron.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import {
  ageColumn,
  boolPtrText,
  column,
  containerCells,
  containersColumn,
  imagesColumn,
  nameColumn,
  objectAge,
  selectorText,
  since,
} from './columns.js';
import { invalid, nonNegative, notSupported, required } from './field-errors.js';
import { validateJobSpec } from './job.js';
import { defaultPodTemplate } from './podspec-defaults.js';
import { asArray, asObject, asString, defaultString, defaultValue, path } from './values.js';

const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];
// Job names get an 11-character suffix and must stay within a DNS-1035 label.
const MAX_CRONJOB_NAME_LENGTH = 52;
const TIME_ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

function validateSchedule(schedule: string): FieldError[] {
  const errs: FieldError[] = [];
  const err = cronScheduleError(schedule);
  if (err) errs.push(invalid('spec.schedule', schedule, err));
  if (schedule.includes('TZ')) {
    errs.push(
      invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'),
    );
  }
  return errs;
}

/** validateTimeZone: an IANA name the runtime knows, never "Local". */
export function validateTimeZone(value: unknown, field: string): FieldError[] {
  if (value === undefined || value === null) return [];
  const tz = asString(value);
  if (tz === '') return [invalid(field, value, 'timeZone must be nil or non-empty string')];
  for (const part of tz.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TIME_ZONE_PART.test(part)) {
      return [invalid(field, tz, `unknown time zone ${tz}`)];
    }
  }
  if (tz.toLowerCase() === 'local') {
    return [
      invalid(
        field,
        tz,
        'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones',
      ),
    ];
  }
  if (!isKnownTimeZone(tz)) return [invalid(field, tz, `unknown time zone ${tz}`)];
  return [];
}

// Update-time rules of Kubernetes only relax these for schedules created with "TZ=" before the
// timeZone field existed; such schedules are refused here from the start, so one rule set serves.
function validateCronJobSpec(specValue: unknown): FieldError[] {
  const spec = asObject(specValue);
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  const schedule = asString(spec.schedule);
  if (schedule === '') errs.push(required('spec.schedule'));
  else errs.push(...validateSchedule(schedule));
  errs.push(...nonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
  errs.push(...validateTimeZone(spec.timeZone, 'spec.timeZone'));
  const policy = asString(spec.concurrencyPolicy);
  if (policy === '') errs.push(required('spec.concurrencyPolicy'));
  else if (!CONCURRENCY_POLICIES.includes(policy))
    errs.push(notSupported('spec.concurrencyPolicy', policy, CONCURRENCY_POLICIES));

  const jobTemplate = asObject(spec.jobTemplate);
  if (!jobTemplate) errs.push(required('spec.jobTemplate'));
  else {
    errs.push(...validateJobSpec(jobTemplate.spec, 'spec.jobTemplate.spec'));
    const jobSpec = asObject(jobTemplate.spec) ?? {};
    if (jobSpec.selector !== undefined && jobSpec.selector !== null) {
      errs.push(
        invalid('spec.jobTemplate.spec.selector', jobSpec.selector, '`selector` will be auto-generated'),
      );
    }
    if (jobSpec.manualSelector === true)
      errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  }
  errs.push(...nonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
  errs.push(...nonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
  return errs;
}

export const cronJobStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (!spec) return;
    defaultString(spec, 'concurrencyPolicy', 'Allow');
    defaultValue(spec, 'suspend', false);
    defaultValue(spec, 'successfulJobsHistoryLimit', 3);
    defaultValue(spec, 'failedJobsHistoryLimit', 1);
    // Only the pod template inside is defaulted: Job defaults apply when a Job is made from it.
    defaultPodTemplate(path(spec, 'jobTemplate', 'spec', 'template'));
  },

  validate(obj) {
    const errs = validateCronJobSpec(obj.spec);
    const name = obj.metadata.name ?? '';
    if (name.length > MAX_CRONJOB_NAME_LENGTH) {
      errs.unshift(
        invalid('metadata.name', name, `must be no more than ${MAX_CRONJOB_NAME_LENGTH} characters`),
      );
    }
    return errs;
  },

  table: {
    columns: [
      nameColumn,
      column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
      column(
        'Timezone',
        'string',
        'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
      ),
      column(
        'Suspend',
        'boolean',
        'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.',
      ),
      column('Active', 'integer', 'A list of pointers to currently running jobs.'),
      column(
        'Last Schedule',
        'string',
        'Information when was the last time the job was successfully scheduled.',
      ),
      ageColumn,
      containersColumn,
      imagesColumn,
      column('Selector', 'string', 'A label query over pods that should match the pod count.', 1),
    ],
    cells(obj, now) {
      const spec = asObject(obj.spec) ?? {};
      const status = asObject(obj.status) ?? {};
      const [containers, images] = containerCells(
        path(spec, 'jobTemplate', 'spec', 'template', 'spec', 'containers'),
      );
      const last = asString(status.lastScheduleTime);
      return [
        obj.metadata.name,
        asString(spec.schedule),
        typeof spec.timeZone === 'string' ? spec.timeZone : '<none>',
        boolPtrText(spec.suspend),
        asArray(status.active).length,
        last === '' ? '<none>' : since(last, now),
        objectAge(obj, now),
        containers,
        images,
        selectorText(path(spec, 'jobTemplate', 'spec', 'selector')),
      ];
    },
  },
};
