// The life cycle every workload controller shares: its reconcile loop starts once the informers
// it reads have synced (as Kubernetes' controllers wait for their caches), and stopping it
// unregisters its informer handlers, stops the loop and its event recorder. Informers belong to
// the cluster's shared factory and are started and stopped by its owner.

import type { Informer } from '../../client/informer.js';
import type { Controller } from '../../controller/controller.js';
import type { EventRecorder } from '../../controller/events.js';
import type { KubeObject } from '../../machinery/object.js';
import type { RunningController } from '../context.js';

export interface RunOptions {
  controller: Controller;
  informers: Informer<KubeObject>[];
  /** Unregister functions of the controller's informer handlers. */
  unregister: (() => void)[];
  recorder?: EventRecorder;
  /** Extra cleanup (timers). */
  onStop?: () => void;
}

export function runController(opts: RunOptions): RunningController {
  let stopped = false;
  void Promise.all(opts.informers.map((i) => i.waitForSync())).then((synced) => {
    if (!stopped && synced.every(Boolean)) opts.controller.start();
  });
  return {
    name: opts.controller.name,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const u of opts.unregister) u();
      opts.onStop?.();
      await opts.controller.stop();
      await opts.recorder?.stop();
    },
  };
}
