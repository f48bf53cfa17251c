// The scheduler of a simulated (or any) cluster: `startScheduler(ctx, options)`.

export {
  DEFAULT_SCHEDULER_NAME,
  type RunningScheduler,
  type SchedulerOptions,
  startScheduler,
} from './scheduler.js';
