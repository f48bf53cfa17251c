import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../client/client.js';
import { resources } from '../../client/resources.js';
import type { RunningController } from '../../controller/context.js';
import type { KubeObject } from '../../machinery/object.js';
import { getOrUndefined, waitFor } from '../core.testing.js';
import { type KubeTestEnv, startKubeTestEnv } from '../support.testing.js';
import { OUT_OF_SERVICE_TAINT, startPodGCController } from './podgc-controller.js';

interface Pod extends KubeObject {
  spec?: { nodeName?: string };
  status?: { phase?: string; reason?: string; conditions?: { type: string; reason?: string }[] };
}

describe('pod garbage collector', () => {
  let env: KubeTestEnv;
  let podgc: RunningController;
  /** Every change to pods, in order: what the collector wrote before a pod went. */
  const seen: WatchEvent<Pod>[] = [];
  let stopWatch: () => void;

  const node = (name: string, extra: Record<string, unknown> = {}) =>
    env.client.create(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name }, ...extra });
  const pod = async (
    name: string,
    opts: { node?: string; phase?: string; reason?: string; finalizer?: boolean },
  ) => {
    const created = await env.client.create<Pod>(
      resources.pods,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', ...(opts.finalizer ? { finalizers: ['test/keep'] } : {}) },
        spec: { ...(opts.node ? { nodeName: opts.node } : {}), containers: [{ name: 'c', image: 'x' }] },
      } as Pod,
      { namespace: 'default' },
    );
    if (!opts.phase) return created;
    return env.client.update<Pod>(
      resources.pods,
      { ...created, status: { phase: opts.phase, ...(opts.reason ? { reason: opts.reason } : {}) } },
      { namespace: 'default', subresource: 'status' },
    );
  };
  const exists = async (name: string) =>
    (await getOrUndefined(env.client, resources.pods, name, 'default')) !== undefined;

  beforeAll(async () => {
    env = await startKubeTestEnv({ name: 'podgc' });
    const handle = await env.client.watch<Pod>(
      resources.pods,
      { namespace: 'default' },
      { onEvent: (e) => seen.push(e), onClose: () => {} },
    );
    stopWatch = () => handle.stop();
    // Three terminated pods, the second created evicted; the threshold keeps one.
    await pod('done-1', { phase: 'Succeeded' });
    await pod('evicted', { phase: 'Failed', reason: 'Evicted' });
    await pod('done-2', { phase: 'Succeeded' });
    await pod('done-3', { phase: 'Failed' });
    await node('alive');
    await pod('running', { node: 'alive', phase: 'Running' });
    podgc = startPodGCController(env.ctx, { terminatedPodThreshold: 2, periodMs: 100, quarantineMs: 300 });
    env.informers.start();
  });
  afterAll(async () => {
    stopWatch();
    await podgc.stop();
    await env.close();
  });

  it('deletes the terminated pods over the threshold, evicted and oldest first', async () => {
    await waitFor('two terminated pods to go', async () =>
      !(await exists('evicted')) && !(await exists('done-1')) ? true : undefined,
    );
    expect(await exists('done-2')).toBe(true);
    expect(await exists('done-3')).toBe(true);
    expect(await exists('running')).toBe(true);
  });

  it('deletes the pods of a node that is gone, marked Failed and DisruptionTarget first', async () => {
    await node('doomed');
    await pod('orphan', { node: 'doomed', phase: 'Running' });
    await env.client.delete(resources.nodes, 'doomed');
    await waitFor('the orphan to go', async () => ((await exists('orphan')) ? undefined : true));
    const last = seen.filter((e) => e.object.metadata.name === 'orphan' && e.type === 'MODIFIED').at(-1)!
      .object as Pod;
    expect(last.status?.phase).toBe('Failed');
    expect(last.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC' }),
    );
    // The pod of a node that is still there stays.
    expect(await exists('running')).toBe(true);
  });

  it('force-deletes terminating pods on a node that is not Ready and out of service', async () => {
    await node('broken', {
      spec: { taints: [{ key: OUT_OF_SERVICE_TAINT, value: 'nodeshutdown', effect: 'NoExecute' }] },
    });
    await pod('stuck', { node: 'broken', phase: 'Running' });
    // No kubelet confirms the deletion: without the collector it would wait out its grace period.
    await env.client.delete(resources.pods, 'stuck', { namespace: 'default', gracePeriodSeconds: 3600 });
    expect(await exists('stuck')).toBe(true);
    await waitFor('the stuck pod to go', async () => ((await exists('stuck')) ? undefined : true));
  });

  it('marks a terminating pod that was never scheduled Failed and deletes it', async () => {
    await pod('unscheduled', { finalizer: true });
    await env.client.delete(resources.pods, 'unscheduled', { namespace: 'default' });
    // Its finalizer keeps it; the collector's verdict shows in its phase.
    await waitFor('the unscheduled pod to be marked Failed', async () => {
      const p = await getOrUndefined<Pod>(env.client, resources.pods, 'unscheduled', 'default');
      return p?.status?.phase === 'Failed' ? p : undefined;
    });
    await env.client.patch(resources.pods, 'unscheduled', { metadata: { finalizers: null } }, 'merge', {
      namespace: 'default',
    });
    await waitFor('the unscheduled pod to go', async () =>
      (await exists('unscheduled')) ? undefined : true,
    );
  });
});
