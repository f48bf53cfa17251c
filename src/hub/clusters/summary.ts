// A member's capacity summary (nodeSummary, resourceSummary) lives with the Cluster API types, so
// that the registry and the pull agent compute it alike.
export * from '../apis/karmada/cluster/summary.js';
