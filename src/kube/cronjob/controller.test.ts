import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { startJobController } from '../job/controller.js';
import type { Job } from '../job/types.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { type PodFate, startTestKubelet, type TestKubelet } from '../workloads/kubelet.testing.js';
import { type CronJob, startCronJobController } from './controller.js';

const WAIT = { timeout: 20_000, interval: 20 };
const NS = { namespace: 'default' };
const T0 = Date.parse('2024-01-15T10:00:30Z');

function cronJob(name: string, spec: Partial<CronJob['spec']> = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: {
        metadata: { labels: { team: 'data' } },
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } },
        },
      },
      ...spec,
    },
  };
}

describe('CronJob controller', () => {
  let env: KubeTestEnv;
  let controllers: RunningController[];
  let kubelet: TestKubelet;
  let fate: PodFate;
  /** The cluster's clock: starts at T0 and moves only when a test says so. */
  let clock: number;

  const getCJ = (name: string) => env.client.get<CronJob>(resources.cronjobs, name, NS);
  const jobs = async () => (await env.client.list<Job>(resources.jobs, NS)).items;
  const jobNames = async () => (await jobs()).map((j) => j.metadata.name).sort();
  const events = async (reason: string) =>
    ((await env.client.list(resources.events, NS)).items as KubeObject[]).filter((e) => e.reason === reason);
  /** Moves the clock, then touches the CronJob so the controller looks at it now. */
  const advanceTo = async (iso: string, name: string) => {
    clock = Date.parse(iso);
    await env.client.patch(
      resources.cronjobs,
      name,
      { metadata: { annotations: { tick: iso } } },
      'merge',
      NS,
    );
  };

  beforeEach(async () => {
    clock = T0;
    fate = 'succeed';
    env = await startKubeTestEnv({ now: () => new Date(clock) });
    kubelet = startTestKubelet({
      client: env.client,
      informers: env.informers,
      schedule: () => 'node-1',
      fate: () => fate,
      now: () => new Date(clock),
    });
    controllers = [
      startCronJobController(env.ctx),
      startJobController(env.ctx, { podEventBatchMs: 10, podFailureBackoffMs: 10 }),
    ];
    env.informers.start();
  });

  afterEach(async () => {
    kubelet.stop();
    for (const c of controllers) await c.stop();
    await env.close();
  });

  it('creates a Job named after its scheduled minute, and records its completion', async () => {
    await env.client.create(resources.cronjobs, cronJob('report'), NS);
    // Nothing is due before 10:01.
    await vi.waitFor(async () => expect(await events('SuccessfulCreate')).toEqual([]), WAIT);
    expect(await jobs()).toEqual([]);
    await advanceTo('2024-01-15T10:01:02Z', 'report');
    const scheduledMinutes = Date.parse('2024-01-15T10:01:00Z') / 60_000;
    const [job] = await vi.waitFor(async () => {
      const list = await jobs();
      expect(list).toHaveLength(1);
      return list;
    }, WAIT);
    const cj = await getCJ('report');
    expect(job!.metadata.name).toBe(`report-${scheduledMinutes}`);
    expect(job!.metadata.labels).toMatchObject({ team: 'data' });
    expect(job!.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      '2024-01-15T10:01:00Z',
    );
    expect(job!.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'CronJob',
      name: 'report',
      uid: cj.metadata.uid,
      controller: true,
    });
    // The Job runs to completion: no longer active, and the success is recorded.
    await vi.waitFor(async () => {
      const s = (await getCJ('report')).status;
      expect(s?.lastScheduleTime).toBe('2024-01-15T10:01:00Z');
      expect(s?.active ?? []).toEqual([]);
      expect(s?.lastSuccessfulTime).toBeDefined();
    }, WAIT);
    expect((await events('SawCompletedJob'))[0]?.message).toBe(
      `Saw completed job: report-${scheduledMinutes}, condition: Complete`,
    );
    // The same minute does not run twice.
    await advanceTo('2024-01-15T10:01:40Z', 'report');
    await new Promise((r) => setTimeout(r, 100));
    expect(await jobs()).toHaveLength(1);
  });

  it('keeps only the newest finished Jobs per history limit', async () => {
    await env.client.create(resources.cronjobs, cronJob('hist', { successfulJobsHistoryLimit: 2 }), NS);
    for (const minute of ['01', '02', '03', '04']) {
      await advanceTo(`2024-01-15T10:${minute}:05Z`, 'hist');
      await vi.waitFor(async () => {
        const s = (await getCJ('hist')).status;
        expect(s?.lastScheduleTime).toBe(`2024-01-15T10:${minute}:00Z`);
        expect(s?.active ?? []).toEqual([]);
      }, WAIT);
    }
    await advanceTo('2024-01-15T10:04:30Z', 'hist');
    const m = (hhmm: string) => `hist-${Date.parse(`2024-01-15T${hhmm}:00Z`) / 60_000}`;
    await vi.waitFor(async () => expect(await jobNames()).toEqual([m('10:03'), m('10:04')]), WAIT);
  });

  it('skips a run while one is active with Forbid, and replaces it with Replace', async () => {
    fate = 'running';
    await env.client.create(resources.cronjobs, cronJob('forbid', { concurrencyPolicy: 'Forbid' }), NS);
    await advanceTo('2024-01-15T10:01:05Z', 'forbid');
    await vi.waitFor(async () => expect(await jobs()).toHaveLength(1), WAIT);
    await advanceTo('2024-01-15T10:02:05Z', 'forbid');
    await vi.waitFor(async () => expect(await events('JobAlreadyActive')).not.toEqual([]), WAIT);
    expect(await jobs()).toHaveLength(1);

    await env.client.patch(
      resources.cronjobs,
      'forbid',
      { spec: { concurrencyPolicy: 'Replace' } },
      'merge',
      NS,
    );
    await advanceTo('2024-01-15T10:03:05Z', 'forbid');
    const newest = `forbid-${Date.parse('2024-01-15T10:03:00Z') / 60_000}`;
    await vi.waitFor(async () => {
      const live = (await jobs()).filter((j) => !j.metadata.deletionTimestamp).map((j) => j.metadata.name);
      expect(live).toEqual([newest]);
      expect((await getCJ('forbid')).status?.active?.map((r) => r.name)).toEqual([newest]);
    }, WAIT);
  });

  it('does not start a run missed by more than startingDeadlineSeconds, nor while suspended', async () => {
    await env.client.create(resources.cronjobs, cronJob('late', { startingDeadlineSeconds: 10 }), NS);
    // 10:01, 10:02 and 10:03 were missed by more than 10 s: none of them runs.
    await advanceTo('2024-01-15T10:03:30Z', 'late');
    await new Promise((r) => setTimeout(r, 100));
    expect(await jobs()).toEqual([]);
    expect((await getCJ('late')).status?.lastScheduleTime).toBeUndefined();
    // Within the deadline it starts.
    await advanceTo('2024-01-15T10:04:05Z', 'late');
    await vi.waitFor(async () => expect(await jobs()).toHaveLength(1), WAIT);

    await env.client.create(resources.cronjobs, cronJob('paused', { suspend: true }), NS);
    await advanceTo('2024-01-15T10:05:05Z', 'paused');
    await new Promise((r) => setTimeout(r, 100));
    expect((await jobs()).filter((j) => j.metadata.name?.startsWith('paused'))).toEqual([]);
  });

  it('schedules in its time zone', async () => {
    clock = Date.parse('2024-07-15T12:50:00Z');
    await env.client.create(
      resources.cronjobs,
      cronJob('ny', { schedule: '0 9 * * *', timeZone: 'America/New_York' }),
      NS,
    );
    // 9:00 in New York in July is 13:00 UTC.
    await advanceTo('2024-07-15T13:00:02Z', 'ny');
    const [job] = await vi.waitFor(async () => {
      const list = await jobs();
      expect(list).toHaveLength(1);
      return list;
    }, WAIT);
    expect(job!.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      '2024-07-15T09:00:00-04:00',
    );
  });
});
