// Propagation on the hub: the detector turns policies and templates into bindings, the scheduler
// places bindings on members, the binding controller renders Works (with overrides), the
// dependencies distributor makes what a workload references follow it, and the namespace sync
// puts namespaces on every member; failover moves bindings off failed members; the execution
// controller applies the Works of Push members to them (Pull members' agents apply their own), and
// the binding status controller brings the members' status back to the bindings and the resource
// templates. They meet one another only in the API objects (ResourceBinding,
// ClusterResourceBinding, Work).

import type { ControllerContext, RunningController } from '../../controller/context.js';
import type { EventRecorder } from '../../controller/events.js';
import { startBindingController } from './binding/controller.js';
import { startDependenciesDistributor } from './dependencies/controller.js';
import { startDetector } from './detector/controller.js';
import { type ExecutionControllerOptions, startExecutionController } from './execution/controller.js';
import { type FailoverOptions, startFailoverControllers } from './failover/index.js';
import { startNamespaceSync } from './namespace/controller.js';
import { type SchedulerOptions, startScheduler } from './scheduler/controller.js';
import { startBindingStatusController } from './status/controller.js';
import { restMapperFor, TemplateInformers } from './templates.js';

export interface PropagationOptions {
  scheduler?: SchedulerOptions;
  recorder?: EventRecorder;
  /** Propagate every namespace to every member (Karmada's default; default true). */
  namespaceSync?: boolean;
  /** Apply the Works of Push members to them (default true); false leaves Works unexecuted. */
  execution?: boolean | ExecutionControllerOptions;
  /** Aggregate Work status into bindings and templates (default true). */
  status?: boolean;
  /** Failover settings; false runs none of its controllers (default: on). */
  failover?: FailoverOptions | false;
}

export function startPropagationControllers(
  ctx: ControllerContext,
  opts: PropagationOptions = {},
): RunningController {
  const templates = new TemplateInformers(ctx.informers, restMapperFor(ctx.client));
  const shared = { templates, ...(opts.recorder ? { recorder: opts.recorder } : {}) };
  const controllers: RunningController[] = [
    startDetector(ctx, shared),
    startScheduler(ctx, { ...opts.scheduler, ...(opts.recorder ? { recorder: opts.recorder } : {}) }),
    startBindingController(ctx, shared),
    startDependenciesDistributor(ctx, shared),
  ];
  if (opts.namespaceSync !== false) controllers.push(startNamespaceSync(ctx, shared));
  if (opts.execution !== false) {
    controllers.push(startExecutionController(ctx, opts.execution === true ? {} : (opts.execution ?? {})));
  }
  if (opts.status !== false) controllers.push(startBindingStatusController(ctx, shared));
  if (opts.failover !== false) {
    controllers.push(
      startFailoverControllers(ctx, {
        ...(opts.failover ?? {}),
        ...(opts.recorder ? { recorder: opts.recorder } : {}),
      }),
    );
  }
  return {
    name: 'propagation',
    async stop() {
      await Promise.all(controllers.map((c) => c.stop()));
    },
  };
}
