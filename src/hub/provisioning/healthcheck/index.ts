// Cluster API's MachineHealthChecks on the hub: unhealthy Machines marked for their owners to replace.

export { MACHINE_HEALTH_CHECK_CONTROLLER, startMachineHealthCheckController } from './controller.js';
