// Cluster API's ClusterResourceSets on the hub: ConfigMaps and Secrets applied to matching clusters.

export { CLUSTER_RESOURCE_SET_CONTROLLER, startClusterResourceSetController } from './controller.js';
