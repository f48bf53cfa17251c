// Provisioning on the hub: Cluster API's core controllers (Cluster, MachineDeployment,
// MachineSet, Machine) and the local infrastructure provider, which fulfils LocalCluster /
// LocalMachine and the Docker provider's DockerCluster / DockerMachine with simulated clusters
// run in the hub process. `provisioningControllers(options)` is the factory the hub's controller
// manager runs.

import type { RunningController } from '../../controller/context.js';
import type { HubContext } from '../manager.js';
import { startClusterController } from './cluster/controller.js';
import { startLocalClusterControllers } from './local/cluster-controller.js';
import { startLocalMachineControllers } from './local/machine-controller.js';
import { type LocalSimDefaults, LocalSims } from './local/sims.js';
import { startMachineController } from './machine/controller.js';
import { startMachineDeploymentController } from './machinedeployment/controller.js';
import { startMachineSetController } from './machineset/controller.js';
import { type RegisterMember, startRegistrationController } from './registration/controller.js';

export type { MemberRegistration, RegisterMember } from './registration/controller.js';

export interface ProvisioningOptions {
  /**
   * Registers a provisioned Cluster as a member (the member registry's registerCluster, given by
   * the hub); without it provisioned Clusters are not registered.
   */
  register?: RegisterMember;
  /**
   * Store of the simulated clusters: sqlite (their objects survive a restart of the hub) or
   * memory. Default: memory when the hub's own store is memory, else sqlite.
   */
  simStore?: 'memory' | 'sqlite';
  /**
   * What the simulated clusters get: the address they listen on, a data plane that carries real
   * traffic, kinds they serve (`concord up` gives its fleet a data plane and the MCS API).
   */
  simulated?: LocalSimDefaults;
}

export function startProvisioningControllers(
  ctx: HubContext,
  opts: ProvisioningOptions = {},
): RunningController[] {
  const store = opts.simStore ?? (ctx.storeDescription === 'memory' ? 'memory' : 'sqlite');
  const sims = new LocalSims(ctx.dataDir, store, ctx.logger, opts.simulated);
  const controllers = [
    startClusterController(ctx),
    startMachineDeploymentController(ctx),
    startMachineSetController(ctx),
    startMachineController(ctx),
    ...startLocalClusterControllers(ctx, sims),
    ...startLocalMachineControllers(ctx, sims),
    ...(opts.register ? [startRegistrationController(ctx, opts.register)] : []),
  ].map(stopOnce);
  return [
    ...controllers,
    {
      name: 'local-infrastructure',
      // The simulated clusters stop with the controllers (a standby hub that takes over starts them).
      stop: async () => {
        await Promise.all(controllers.map((c) => c.stop()));
        await sims.stop();
      },
    },
  ];
}

/** The provisioning controllers as a factory of the hub's controller manager. */
export function provisioningControllers(
  opts: ProvisioningOptions = {},
): (ctx: HubContext) => RunningController[] {
  return (ctx) => startProvisioningControllers(ctx, opts);
}

/** The controller with a stop() that stops it once, however often it is called. */
function stopOnce(c: RunningController): RunningController {
  let stopping: Promise<void> | undefined;
  return {
    name: c.name,
    stop() {
      stopping ??= c.stop();
      return stopping;
    },
  };
}
