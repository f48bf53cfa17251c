// Karmada's ClusterMatches lives with the policy types, where every capability can use it.
export { clusterMatches, clusterZones } from '../../apis/karmada/index.js';
