// The life cycle every controller shares: its reconcile loops start once what it reads has
// synced (as Kubernetes' controllers wait for their caches), and stopping it unregisters its
// informer handlers, runs its own cleanup, stops the loops and then its event recorder.
// Informers belong to the cluster's shared factory and are started and stopped by its owner.

import type { RunningController } from './context.js';
import type { Controller } from './controller.js';
import type { EventRecorder } from './events.js';

/** Anything a controller waits for before it starts: an informer, a set of monitors. */
export interface Syncable {
  waitForSync(): Promise<boolean>;
}

export interface RunOptions {
  /** The name it reports (default: its first loop's). */
  name?: string;
  /** Its reconcile loops, started once synced. */
  controllers?: Controller[];
  /** What must have synced first. */
  informers: readonly Syncable[];
  /** Unregister functions of the controller's informer handlers. */
  unregister?: (() => void)[];
  /** Runs once synced, just before the loops start (enqueue left-overs, start timers). */
  onSynced?: () => void;
  /** Extra cleanup (timers, owned monitors), before the loops stop. */
  onStop?: () => void | Promise<void>;
  /** Its event recorder, stopped last (leave out a recorder it was given and does not own). */
  recorder?: EventRecorder;
}

export interface Running extends RunningController {
  /** Whether it has synced and started. */
  hasSynced(): boolean;
}

export function runController(opts: RunOptions): Running {
  const loops = opts.controllers ?? [];
  const name = opts.name ?? loops[0]?.name;
  if (name === undefined) throw new Error('runController: a name or a controller is required');
  let stopped = false;
  let synced = false;
  void Promise.all(opts.informers.map((i) => i.waitForSync())).then((ok) => {
    if (stopped || !ok.every(Boolean)) return;
    synced = true;
    opts.onSynced?.();
    for (const loop of loops) loop.start();
  });
  return {
    name,
    hasSynced: () => synced,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      for (const u of opts.unregister ?? []) u();
      await opts.onStop?.();
      await Promise.all(loops.map((l) => l.stop()));
      await opts.recorder?.stop();
    },
  };
}
