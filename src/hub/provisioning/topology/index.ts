// Cluster API's managed topologies on the hub: ClusterClasses and Clusters with spec.topology.

export { CLUSTER_CLASS_CONTROLLER, startClusterClassController } from './clusterclass-controller.js';
export { startTopologyController, TOPOLOGY_CONTROLLER } from './controller.js';
