import { describe, expect, it } from 'vitest';
import { cronScheduleError, parseCronSchedule } from '../../machinery/cron.js';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { cronJobStrategy } from './cronjob.js';

/** `kubectl create cronjob backup --image=busybox --schedule="*\/5 * * * *"`, as sent. */
function kubectlCreateCronJob(schedule = '*/5 * * * *'): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'backup', namespace: 'default', creationTimestamp: '2026-03-01T10:00:00Z' },
    spec: {
      schedule,
      jobTemplate: {
        metadata: { name: 'backup' },
        spec: {
          template: {
            metadata: {},
            spec: { containers: [{ name: 'backup', image: 'busybox' }], restartPolicy: 'OnFailure' },
          },
        },
      },
    },
  };
}

function admit(cj: KubeObject): string[] {
  cronJobStrategy.applyDefaults!(cj);
  return cronJobStrategy.validate!(cj).map((e) => fieldErrorMessage(e));
}

describe('cron schedules', () => {
  it('accepts the five-field forms and descriptors CronJobs use', () => {
    for (const s of [
      '*/5 * * * *',
      '0 3 * * 1-5',
      '15,45 */2 1 JAN-jun SUN',
      '0 0 ? * *',
      '@hourly',
      '@daily',
      '@every 1h30m',
      '  0  0 * * * ',
    ]) {
      expect(cronScheduleError(s), s).toBeUndefined();
    }
  });

  it('explains what is wrong the way the cron parser does', () => {
    expect(cronScheduleError('* * * *')).toBe('expected exactly 5 fields, found 4: [* * * *]');
    expect(cronScheduleError('61 * * * *')).toBe('end of range (61) above maximum (59): 61');
    expect(cronScheduleError('0 0 0 * *')).toBe('beginning of range (0) below minimum (1): 0');
    expect(cronScheduleError('5-1 * * * *')).toBe('beginning of range (5) beyond end of range (1): 5-1');
    expect(cronScheduleError('*/0 * * * *')).toBe('step of range should be a positive number: */0');
    expect(cronScheduleError('x * * * *')).toBe(
      'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax',
    );
    expect(cronScheduleError('@fortnightly')).toBe('unrecognized descriptor: @fortnightly');
    expect(cronScheduleError('')).toBe('empty spec string');
  });

  it('parses into the minutes, hours and days a controller needs', () => {
    const s = parseCronSchedule('0,30 9-17/4 * * mon-fri');
    if (s.kind !== 'fields') throw new Error('expected fields');
    expect([...s.minute.values]).toEqual([0, 30]);
    expect([...s.hour.values]).toEqual([9, 13, 17]);
    expect(s.dom.star).toBe(true);
    expect([...s.dow.values]).toEqual([1, 2, 3, 4, 5]);
    expect(parseCronSchedule('@every 90s')).toEqual({ kind: 'every', seconds: 90 });
  });
});

describe('CronJob', () => {
  it('defaults concurrency, suspension, history limits and the pod template, not the job spec', () => {
    const cj = kubectlCreateCronJob();
    expect(admit(cj)).toEqual([]);
    const spec = cj.spec as Record<string, unknown>;
    expect(spec).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    const jobSpec = (spec.jobTemplate as { spec: Record<string, unknown> }).spec;
    expect(jobSpec.backoffLimit).toBeUndefined();
    expect((jobSpec.template as { spec: Record<string, unknown> }).spec.dnsPolicy).toBe('ClusterFirst');
  });

  it('refuses a bad schedule, an unknown time zone and a TZ in the schedule', () => {
    expect(admit(kubectlCreateCronJob('*/5 * * *'))).toEqual([
      'spec.schedule: Invalid value: "*/5 * * *": expected exactly 5 fields, found 4: [*/5 * * *]',
    ]);
    const zoned = kubectlCreateCronJob();
    (zoned.spec as Record<string, unknown>).timeZone = 'Mars/Olympus';
    expect(admit(zoned)).toEqual([
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
    ]);
    (zoned.spec as Record<string, unknown>).timeZone = 'Europe/Paris';
    expect(admit(zoned)).toEqual([]);
    expect(admit(kubectlCreateCronJob('TZ=UTC 0 * * * *'))).toEqual([
      'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ]);
  });

  it('holds the job template to the Job rules and forbids its own selector', () => {
    const cj = kubectlCreateCronJob();
    const jobSpec = (cj.spec as { jobTemplate: { spec: Record<string, unknown> } }).jobTemplate.spec;
    (jobSpec.template as { spec: Record<string, unknown> }).spec.restartPolicy = 'Always';
    jobSpec.selector = { matchLabels: { a: 'b' } };
    expect(admit(cj)).toEqual([
      'spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
      'spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated',
    ]);
  });

  it('keeps names short enough for the jobs it creates', () => {
    const cj = kubectlCreateCronJob();
    cj.metadata.name = 'a'.repeat(53);
    expect(admit(cj)[0]).toBe(
      `metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`,
    );
  });

  it('prints SCHEDULE, TIMEZONE, SUSPEND, ACTIVE and LAST SCHEDULE', () => {
    const cj = kubectlCreateCronJob();
    admit(cj);
    const now = new Date('2026-03-01T12:00:00Z');
    expect(cronJobStrategy.table!.columns.slice(0, 7).map((c) => c.name)).toEqual([
      'Name',
      'Schedule',
      'Timezone',
      'Suspend',
      'Active',
      'Last Schedule',
      'Age',
    ]);
    expect(cronJobStrategy.table!.cells(cj, now).slice(0, 7)).toEqual([
      'backup',
      '*/5 * * * *',
      '<none>',
      'False',
      0,
      '<none>',
      '120m',
    ]);
    cj.status = { active: [{ name: 'backup-1' }], lastScheduleTime: '2026-03-01T11:55:00Z' };
    expect(cronJobStrategy.table!.cells(cj, now).slice(4, 6)).toEqual([1, '5m']);
  });
});
