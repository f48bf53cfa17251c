import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { jobStrategy } from './job.js';

const UID = '0f6a6d0a-3c1e-4bde-9a41-7e6ad5b9a2f1';
const now = new Date('2026-03-01T12:00:00Z');

/** `kubectl create job pi --image=perl -- perl -Mbignum=bpi -wle 'print bpi(200)'`, as sent. */
function kubectlCreateJob(): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default' },
    spec: {
      template: {
        metadata: {},
        spec: {
          containers: [
            {
              name: 'pi',
              image: 'perl',
              command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(200)'],
              resources: {},
            },
          ],
          restartPolicy: 'Never',
        },
      },
    },
    status: {},
  };
}

/** The create path: uid and timestamps first, then the strategy in the machinery's order. */
function create(job: KubeObject): string[] {
  job.metadata.uid = UID;
  job.metadata.creationTimestamp = '2026-03-01T11:55:00Z';
  delete job.status;
  jobStrategy.prepareForCreate!(job);
  jobStrategy.applyDefaults!(job);
  return jobStrategy.validate!(job).map((e) => fieldErrorMessage(e));
}

describe('Job defaults and generated selector', () => {
  it('match a real cluster’s: completions, parallelism, backoff, selector by controller uid', () => {
    const job = kubectlCreateJob();
    expect(create(job)).toEqual([]);
    const spec = job.spec as Record<string, unknown>;
    expect(spec).toMatchObject({
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      completions: 1,
      manualSelector: false,
      parallelism: 1,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': UID } },
      suspend: false,
    });
    const labels = {
      'batch.kubernetes.io/controller-uid': UID,
      'batch.kubernetes.io/job-name': 'pi',
      'controller-uid': UID,
      'job-name': 'pi',
    };
    expect((spec.template as { metadata: unknown }).metadata).toEqual({ labels });
    // The job carries its template's labels when it has none of its own.
    expect(job.metadata.labels).toEqual(labels);
    expect((spec.template as { spec: Record<string, unknown> }).spec).toMatchObject({
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
      terminationGracePeriodSeconds: 30,
    });
  });

  it('defaults only parallelism when completions are given', () => {
    const job = kubectlCreateJob();
    (job.spec as Record<string, unknown>).completions = 5;
    create(job);
    expect(job.spec).toMatchObject({ completions: 5, parallelism: 1 });
    const open = kubectlCreateJob();
    (open.spec as Record<string, unknown>).parallelism = 3;
    create(open);
    expect((open.spec as Record<string, unknown>).completions).toBeUndefined();
  });

  it('leaves a manual selector alone, and holds it to the template', () => {
    const job = kubectlCreateJob();
    const spec = job.spec as Record<string, unknown>;
    spec.manualSelector = true;
    spec.selector = { matchLabels: { app: 'pi' } };
    (spec.template as { metadata: Record<string, unknown> }).metadata.labels = { app: 'other' };
    expect(create(job)).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
    ]);
    expect(spec.selector).toEqual({ matchLabels: { app: 'pi' } });
  });

  it('refuses a selector the user wrote without asking for a manual one', () => {
    const job = kubectlCreateJob();
    (job.spec as Record<string, unknown>).selector = { matchLabels: { app: 'pi' } };
    const errs = create(job);
    expect(errs).toContain(
      `spec.selector: Invalid value: {"matchLabels":{"app":"pi","batch.kubernetes.io/controller-uid":"${UID}"}}: \`selector\` not auto-generated`,
    );
  });
});

describe('Job validation', () => {
  it('asks for OnFailure or Never when the template would restart forever', () => {
    const job = kubectlCreateJob();
    delete (job.spec as { template: { spec: Record<string, unknown> } }).template.spec.restartPolicy;
    expect(create(job)).toEqual([
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
  });

  it('refuses negative counts', () => {
    const job = kubectlCreateJob();
    Object.assign(job.spec as object, { completions: -1, backoffLimit: -2 });
    expect(create(job)).toEqual([
      'spec.completions: Invalid value: -1: must be greater than or equal to 0',
      'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0',
    ]);
  });

  it('needs completions for an Indexed job', () => {
    const job = kubectlCreateJob();
    Object.assign(job.spec as object, { completionMode: 'Indexed', parallelism: 2 });
    expect(create(job)).toContain('spec.completions: Required value: when completion mode is Indexed');
  });
});

describe('Job updates', () => {
  it('keep the template, selector and completions, but may change parallelism', () => {
    const old = kubectlCreateJob();
    create(old);
    const parallel = structuredClone(old);
    (parallel.spec as Record<string, unknown>).parallelism = 4;
    expect(jobStrategy.validateUpdate!(parallel, old)).toEqual([]);
    const changed = structuredClone(old);
    (changed.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec
      .containers[0]!.image = 'perl:5';
    (changed.spec as Record<string, unknown>).completions = 3;
    expect(jobStrategy.validateUpdate!(changed, old).map((e) => e.field)).toEqual([
      'spec.completions',
      'spec.template',
    ]);
  });

  it('let a suspended job that never ran change its node selector', () => {
    const old = kubectlCreateJob();
    (old.spec as Record<string, unknown>).suspend = true;
    create(old);
    const next = structuredClone(old);
    (next.spec as { template: { spec: Record<string, unknown> } }).template.spec.nodeSelector = { zone: 'a' };
    expect(jobStrategy.validateUpdate!(next, old)).toEqual([]);
  });
});

describe('Job table', () => {
  it('prints STATUS, COMPLETIONS and DURATION', () => {
    const job = kubectlCreateJob();
    create(job);
    job.status = { startTime: '2026-03-01T11:55:05Z', active: 1 };
    const table = jobStrategy.table!;
    expect(table.columns.map((c) => c.name)).toEqual([
      'Name',
      'Status',
      'Completions',
      'Duration',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(table.cells(job, now).slice(0, 5)).toEqual(['pi', 'Running', '0/1', '4m55s', '5m']);
    job.status = {
      startTime: '2026-03-01T11:55:05Z',
      completionTime: '2026-03-01T11:55:17Z',
      succeeded: 1,
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True' },
        { type: 'Complete', status: 'True' },
      ],
    };
    expect(table.cells(job, now).slice(0, 5)).toEqual(['pi', 'Complete', '1/1', '12s', '5m']);
    expect(table.cells(job, now)[7]).toBe(`batch.kubernetes.io/controller-uid=${UID}`);
  });

  it('prints a job without completions as n/1 of parallelism, and suspended or failed ones', () => {
    const job = kubectlCreateJob();
    Object.assign(job.spec as object, { parallelism: 3 });
    create(job);
    job.status = { conditions: [{ type: 'Suspended', status: 'True' }] };
    expect(jobStrategy.table!.cells(job, now).slice(1, 4)).toEqual(['Suspended', '0/1 of 3', '']);
    job.status = { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] };
    expect(jobStrategy.table!.cells(job, now)[1]).toBe('Failed');
  });

  it('is selectable by status.successful', () => {
    const job = kubectlCreateJob();
    job.status = { succeeded: 2 };
    expect(jobStrategy.selectableFields!(job)).toEqual({ 'status.successful': '2' });
  });
});
