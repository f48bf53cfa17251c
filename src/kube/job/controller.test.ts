import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { type PodFate, startTestKubelet, type TestKubelet } from '../workloads/kubelet.testing.js';
import { isPodActive } from '../workloads/pods.js';
import type { Pod } from '../workloads/types.js';
import { startJobController } from './controller.js';
import { startTTLAfterFinishedController } from './ttl.js';
import { JOB_TRACKING_FINALIZER, type Job } from './types.js';

const WAIT = { timeout: 20_000, interval: 20 };
const NS = { namespace: 'default' };

function job(name: string, spec: Partial<Job['spec']> = {}, restartPolicy = 'Never'): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      template: {
        spec: {
          restartPolicy: restartPolicy as 'Never',
          containers: [{ name: 'work', image: 'busybox:1.36' }],
        },
      },
      ...spec,
    },
  };
}

describe('Job controller', () => {
  let env: KubeTestEnv;
  let controllers: RunningController[];
  let kubelet: TestKubelet;
  let fate: (pod: Pod) => PodFate;

  const getJob = (name: string) => env.client.get<Job>(resources.jobs, name, NS);
  const podsOf = async (name: string) =>
    (
      await env.client.list<Pod>(resources.pods, {
        ...NS,
        labelSelector: `batch.kubernetes.io/job-name=${name}`,
      })
    ).items;
  const condition = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type);
  const events = async (reason: string) =>
    ((await env.client.list(resources.events, NS)).items as KubeObject[]).filter((e) => e.reason === reason);

  beforeEach(async () => {
    env = await startKubeTestEnv();
    fate = (pod) => (pod.spec?.restartPolicy === 'Always' ? 'ready' : 'succeed');
    kubelet = startTestKubelet({
      client: env.client,
      informers: env.informers,
      schedule: () => 'node-1',
      fate: (p) => fate(p),
    });
    controllers = [
      startJobController(env.ctx, { podEventBatchMs: 10, podFailureBackoffMs: 10 }),
      startTTLAfterFinishedController(env.ctx),
    ];
    env.informers.start();
  });

  afterEach(async () => {
    kubelet.stop();
    for (const c of controllers) await c.stop();
    await env.close();
  });

  it('runs completions with at most parallelism pods at once, tracking them with a finalizer', async () => {
    const informer = env.informers.informerFor<Pod>(resources.pods);
    let maxActive = 0;
    let untracked = 0;
    const check = (p: Pod) => {
      if (isPodActive(p) && !p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) untracked++;
      const active = informer
        .list({ labelSelector: 'batch.kubernetes.io/job-name=work' })
        .filter(isPodActive);
      maxActive = Math.max(maxActive, active.length);
    };
    const off = informer.addEventHandler({ onAdd: check, onUpdate: (_o, p) => check(p) });
    await env.client.create(resources.jobs, job('work', { completions: 5, parallelism: 2 }), NS);
    const done = await vi.waitFor(async () => {
      const j = await getJob('work');
      expect(condition(j, 'Complete')).toMatchObject({ status: 'True', reason: 'CompletionsReached' });
      return j;
    }, WAIT);
    off();
    expect(maxActive).toBe(2);
    expect(untracked).toBe(0);
    expect(done.status).toMatchObject({
      succeeded: 5,
      ready: 0,
      terminating: 0,
      uncountedTerminatedPods: {},
    });
    expect(done.status?.active ?? 0).toBe(0);
    expect(done.status?.startTime).toBeDefined();
    expect(done.status?.completionTime).toBeDefined();
    // SuccessCriteriaMet comes first, then Complete.
    expect(done.status?.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(condition(done, 'SuccessCriteriaMet')?.message).toBe('Reached expected number of succeeded pods');
    const pods = await podsOf('work');
    expect(pods).toHaveLength(5);
    for (const p of pods) {
      expect(p.metadata.finalizers ?? []).not.toContain(JOB_TRACKING_FINALIZER);
      expect(p.metadata.labels).toMatchObject({
        'batch.kubernetes.io/controller-uid': done.metadata.uid,
        'job-name': 'work',
      });
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'Job',
        name: 'work',
        controller: true,
        blockOwnerDeletion: true,
      });
    }
    await vi.waitFor(async () => expect(await events('Completed')).toHaveLength(1), WAIT);
  });

  it('fails with BackoffLimitExceeded once more pods failed than backoffLimit', async () => {
    fate = () => 'fail';
    await env.client.create(resources.jobs, job('flaky', { backoffLimit: 2 }), NS);
    const failed = await vi.waitFor(async () => {
      const j = await getJob('flaky');
      expect(condition(j, 'Failed')).toMatchObject({
        status: 'True',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      });
      return j;
    }, WAIT);
    expect(failed.status?.failed).toBe(3);
    expect(failed.status?.conditions?.map((c) => c.type)).toEqual(['FailureTarget', 'Failed']);
    expect(await podsOf('flaky')).toHaveLength(3);
    await vi.waitFor(async () => {
      const [e] = await events('BackoffLimitExceeded');
      expect(e).toMatchObject({ type: 'Warning', message: 'Job has reached the specified backoff limit' });
    }, WAIT);
  });

  it('counts container restarts against backoffLimit with restartPolicy OnFailure', async () => {
    fate = () => 'running';
    await env.client.create(resources.jobs, job('restarts', { backoffLimit: 2 }, 'OnFailure'), NS);
    const [pod] = await vi.waitFor(async () => {
      const pods = (await podsOf('restarts')).filter((p) => p.status?.phase === 'Running');
      expect(pods).toHaveLength(1);
      return pods;
    }, WAIT);
    // The kubelet restarted the container twice.
    const status = structuredClone(pod!.status!);
    status.containerStatuses = status.containerStatuses?.map((c) => ({ ...c, restartCount: 2 }));
    await env.client.update(resources.pods, { ...pod!, status }, { ...NS, subresource: 'status' });
    await vi.waitFor(async () => {
      expect(condition(await getJob('restarts'), 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded' });
    }, WAIT);
    expect((await podsOf('restarts')).filter(isPodActive)).toEqual([]);
  });

  it('gives Indexed pods their completion index and reports completed indexes', async () => {
    await env.client.create(
      resources.jobs,
      job('indexed', { completions: 3, parallelism: 3, completionMode: 'Indexed' }),
      NS,
    );
    const done = await vi.waitFor(async () => {
      const j = await getJob('indexed');
      expect(condition(j, 'Complete')?.status).toBe('True');
      return j;
    }, WAIT);
    expect(done.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
    const pods = await podsOf('indexed');
    expect(
      pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort(),
    ).toEqual(['0', '1', '2']);
    for (const p of pods) {
      const ix = p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
      expect(p.metadata.labels?.['batch.kubernetes.io/job-completion-index']).toBe(ix);
      expect(p.spec?.hostname).toBe(`indexed-${ix}`);
      expect(p.metadata.name).toMatch(new RegExp(`^indexed-${ix}-[a-z0-9]{5}$`));
      expect(p.spec?.containers?.[0]?.env).toContainEqual({
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: {
          fieldRef: {
            apiVersion: 'v1',
            fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
          },
        },
      });
    }
  });

  it('fails with DeadlineExceeded after activeDeadlineSeconds and removes its pods', async () => {
    fate = () => 'running';
    await env.client.create(
      resources.jobs,
      job('slow', { activeDeadlineSeconds: 1, parallelism: 2, completions: 2 }),
      NS,
    );
    await vi.waitFor(async () => {
      const j = await getJob('slow');
      expect(condition(j, 'Failed')).toMatchObject({
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline',
      });
    }, WAIT);
    await vi.waitFor(async () => expect((await podsOf('slow')).filter(isPodActive)).toEqual([]), WAIT);
  });

  it('creates no pods while suspended and starts them on resume', async () => {
    fate = () => 'running';
    await env.client.create(
      resources.jobs,
      job('later', { suspend: true, parallelism: 2, completions: 4 }),
      NS,
    );
    await vi.waitFor(async () => {
      const j = await getJob('later');
      expect(condition(j, 'Suspended')).toMatchObject({
        status: 'True',
        reason: 'JobSuspended',
        message: 'Job suspended',
      });
      expect(j.status?.startTime).toBeUndefined();
    }, WAIT);
    expect(await podsOf('later')).toEqual([]);
    await env.client.patch(resources.jobs, 'later', { spec: { suspend: false } }, 'merge', NS);
    await vi.waitFor(async () => {
      const j = await getJob('later');
      expect(condition(j, 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
      expect(j.status?.active).toBe(2);
      expect(j.status?.startTime).toBeDefined();
    }, WAIT);
    // Suspending again removes the running pods.
    await env.client.patch(resources.jobs, 'later', { spec: { suspend: true } }, 'merge', NS);
    await vi.waitFor(async () => {
      expect((await podsOf('later')).filter(isPodActive)).toEqual([]);
      expect((await getJob('later')).status?.active ?? 0).toBe(0);
    }, WAIT);
  });

  it('deletes a finished Job after ttlSecondsAfterFinished', async () => {
    await env.client.create(resources.jobs, job('short-lived', { ttlSecondsAfterFinished: 0 }), NS);
    // Deleted in the foreground: it is at least being deleted (the garbage collector finishes the job).
    await vi.waitFor(async () => {
      const j = await getJob('short-lived').catch(() => undefined);
      expect(j === undefined || Boolean(j.metadata.deletionTimestamp)).toBe(true);
    }, WAIT);
  });

  it('releases the tracking finalizer of pods whose Job is deleted', async () => {
    fate = () => 'running';
    await env.client.create(resources.jobs, job('gone', { parallelism: 2, completions: 2 }), NS);
    await vi.waitFor(
      async () => expect((await podsOf('gone')).filter((p) => p.status?.phase === 'Running')).toHaveLength(2),
      WAIT,
    );
    await env.client.delete(resources.jobs, 'gone', { ...NS, propagationPolicy: 'Orphan' });
    await vi.waitFor(async () => {
      const pods = await podsOf('gone');
      expect(pods).toHaveLength(2);
      for (const p of pods) expect(p.metadata.finalizers ?? []).not.toContain(JOB_TRACKING_FINALIZER);
    }, WAIT);
  });
});
