// For tests only: a stand-in for the scheduler and the kubelet, driving pods through the API the
// way those components would (pods/binding, pods/status, final delete), so that the workload
// controllers can be tested alone. Pods become Running and Ready, or Succeeded/Failed for
// pods that do not restart; what happens to each pod can be chosen per test.

import { objectKey } from '../../client/cache.js';
import type { Client } from '../../client/client.js';
import type { Informer } from '../../client/informer.js';
import type { InformerFactory } from '../../client/informer-factory.js';
import { resources } from '../../client/resources.js';
import { isConflict, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import type { Pod } from './types.js';

export type PodFate = 'ready' | 'running' | 'succeed' | 'fail' | 'pending';

export interface TestKubeletOptions {
  client: Client;
  informers: InformerFactory;
  /** Node to bind an unbound pod to; undefined leaves it unscheduled. Default: none (no binding). */
  schedule?: (pod: Pod) => string | undefined;
  /**
   * What happens to a bound pod: Running and Ready (default for restartPolicy Always), Running
   * but not ready, Succeeded (default for Never/OnFailure), Failed, or left Pending.
   */
  fate?: (pod: Pod) => PodFate;
  now?: () => Date;
}

export interface TestKubelet {
  /** Re-examines every pod (after changing what `fate` answers). */
  resync(): void;
  /** Marks a running pod Ready or not ready now. */
  setReady(pod: Pod, ready: boolean): Promise<void>;
  stop(): void;
}

function defaultFate(pod: Pod): PodFate {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  return policy === 'Always' ? 'ready' : 'succeed';
}

function ignoreGone(err: unknown): void {
  if (isNotFound(err) || isConflict(err)) return;
  throw err;
}

export function startTestKubelet(opts: TestKubeletOptions): TestKubelet {
  const { client } = opts;
  const now = opts.now ?? (() => new Date());
  const fate = opts.fate ?? defaultFate;
  const informer: Informer<Pod> = opts.informers.informerFor<Pod>(resources.pods);
  const busy = new Set<string>();
  let stopped = false;

  const statusFor = (pod: Pod, f: PodFate): Pod['status'] => {
    const t = metaTime(now());
    const containers = pod.spec?.containers ?? [];
    if (f === 'succeed' || f === 'fail') {
      const code = f === 'succeed' ? 0 : 1;
      return {
        ...pod.status,
        phase: f === 'succeed' ? 'Succeeded' : 'Failed',
        startTime: pod.status?.startTime ?? t,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
          { type: 'Initialized', status: 'True', lastTransitionTime: t },
          { type: 'Ready', status: 'False', lastTransitionTime: t, reason: 'PodCompleted' },
          { type: 'ContainersReady', status: 'False', lastTransitionTime: t, reason: 'PodCompleted' },
        ],
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: `test://${c.image}`,
          ready: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode: code,
              reason: code === 0 ? 'Completed' : 'Error',
              startedAt: t,
              finishedAt: t,
            },
          },
        })),
      };
    }
    const ready = f === 'ready';
    return {
      ...pod.status,
      phase: 'Running',
      startTime: pod.status?.startTime ?? t,
      podIP: '10.244.0.1',
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
        { type: 'Initialized', status: 'True', lastTransitionTime: t },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: t },
      ],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        image: c.image ?? '',
        imageID: `test://${c.image}`,
        ready,
        started: true,
        restartCount: 0,
        state: { running: { startedAt: t } },
      })),
    };
  };

  const handle = async (pod: Pod): Promise<void> => {
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name ?? '';
    if (pod.metadata.deletionTimestamp) {
      // The container stopped at once: finish the graceful deletion.
      await client.delete(resources.pods, name, { namespace: ns, gracePeriodSeconds: 0 }).catch(ignoreGone);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    if (!pod.spec?.nodeName) {
      const node = opts.schedule?.(pod);
      if (!node) return;
      await client
        .create(
          resources.pods,
          {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name, namespace: ns },
            target: { kind: 'Node', name: node },
          },
          { namespace: ns, subresource: 'binding' },
        )
        .catch(ignoreGone);
      return;
    }
    const f = fate(pod);
    if (f === 'pending') return;
    const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (phase === 'Running' && ((f === 'ready' && ready) || (f === 'running' && !ready))) return;
    await client
      .update(resources.pods, { ...pod, status: statusFor(pod, f) }, { namespace: ns, subresource: 'status' })
      .catch(ignoreGone);
  };

  const kick = (pod: Pod) => {
    if (stopped) return;
    const key = objectKey(pod);
    if (busy.has(key)) return;
    busy.add(key);
    // After the event: the handler must not write while the informer is delivering.
    setImmediate(() => {
      const current = informer.getByKey(key);
      const done = () => {
        busy.delete(key);
        const latest = informer.getByKey(key);
        if (latest && latest !== current && !stopped) kick(latest);
      };
      if (!current || stopped) {
        done();
        return;
      }
      // A failed write is retried on the pod's next change; tests watch outcomes, not this.
      handle(current).then(done, done);
    });
  };

  const unregister = informer.addEventHandler({ onAdd: kick, onUpdate: (_o, n) => kick(n) });
  return {
    resync: () => {
      for (const p of informer.list()) kick(p);
    },
    setReady: async (pod, ready) => {
      const current = informer.getByKey(objectKey(pod)) ?? pod;
      await client.update(
        resources.pods,
        { ...current, status: statusFor(current, ready ? 'ready' : 'running') },
        { namespace: current.metadata.namespace, subresource: 'status' },
      );
    },
    stop: () => {
      stopped = true;
      unregister();
    },
  };
}
