// A worker thread holding a share of the benchmark's watchers over its own HTTPS connection, as
// separate clients would: it reports, per round, when each of its watchers saw that round's write.

import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { WatchHandle } from '../../src/client/client.js';
import { HttpsClient } from '../../src/client/https.js';
import { resources } from '../../src/client/resources.js';
import { parseKubeconfig, resolveContext } from '../../src/machinery/kubeconfig.js';
import type { KubeObject } from '../../src/machinery/object.js';

export interface WatchersTask {
  kubeconfig: string;
  watchers: number;
  namespace: string;
  target: string;
  resourceVersion: string;
}

/** Posted when every watcher of this worker saw `round`: absolute times (ms since the epoch). */
export interface RoundSeen {
  round: number;
  seenAt: number[];
}

const task = workerData as WatchersTask;
const client = new HttpsClient(resolveContext(parseKubeconfig(task.kubeconfig)), { timeoutMs: 120_000 });
const seen = new Array<number>(task.watchers).fill(0);
const times = new Map<number, number[]>();
const handles: WatchHandle[] = [];
for (let i = 0; i < task.watchers; i++) {
  handles.push(
    await client.watch(
      resources.pods,
      {
        namespace: task.namespace,
        fieldSelector: `metadata.name=${task.target}`,
        resourceVersion: task.resourceVersion,
      },
      {
        onEvent: (e) => {
          if (e.type !== 'MODIFIED') return;
          const at = performance.timeOrigin + performance.now();
          const round = Number((e.object as KubeObject).metadata.labels?.round);
          if (!(round > seen[i]!)) return;
          seen[i] = round;
          const list = times.get(round) ?? [];
          times.set(round, list);
          list.push(at);
          if (list.length === task.watchers) {
            times.delete(round);
            parentPort!.postMessage({ round, seenAt: list } satisfies RoundSeen);
          }
        },
        onClose: () => {},
      },
    ),
  );
}
parentPort!.postMessage('ready');
parentPort!.once('message', async () => {
  for (const h of handles) h.stop();
  await client.close();
  parentPort!.postMessage('stopped');
});
