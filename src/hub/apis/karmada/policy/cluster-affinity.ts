// Whether a member cluster is in a ClusterAffinity (Karmada's ClusterMatches): not excluded, and
// every filter that is given matches: the label selector on the Cluster's labels, the field
// selector on spec.provider, spec.region and spec.zones, and the list of names. Placements,
// static weights and override rules all pick clusters this way.

import { fromLabelSelector } from '../../../../machinery/labels.js';
import type { Cluster } from '../cluster/types.js';
import type { ClusterAffinity, FieldSelectorRequirement } from './types.js';

function labelsMatch(affinity: ClusterAffinity, cluster: Cluster): boolean {
  if (!affinity.labelSelector) return true;
  try {
    return fromLabelSelector(affinity.labelSelector).matches(cluster.metadata.labels ?? {});
  } catch {
    // A selector that does not parse selects nothing.
    return false;
  }
}

/** One requirement on a single-valued field (provider, region): absent fields are NotIn anything. */
function fieldMatches(req: FieldSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  const present = value !== undefined && value !== '';
  switch (req.operator) {
    case 'In':
      return present && values.includes(value);
    case 'NotIn':
      return !present || !values.includes(value);
    default:
      return false;
  }
}

/** A requirement on spec.zones: In wants any zone listed, NotIn none of them. */
function zonesMatch(req: FieldSelectorRequirement, zones: readonly string[]): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return zones.some((z) => values.includes(z));
    case 'NotIn':
      return !zones.some((z) => values.includes(z));
    default:
      return false;
  }
}

/** The zones of a cluster (the deprecated single zone counts when zones is empty). */
export function clusterZones(cluster: Cluster): string[] {
  const zones = cluster.spec?.zones ?? [];
  if (zones.length > 0) return zones;
  return cluster.spec?.zone ? [cluster.spec.zone] : [];
}

function fieldsMatch(affinity: ClusterAffinity, cluster: Cluster): boolean {
  for (const req of affinity.fieldSelector?.matchExpressions ?? []) {
    const ok =
      req.key === 'zone'
        ? zonesMatch(req, clusterZones(cluster))
        : fieldMatches(req, req.key === 'provider' ? cluster.spec?.provider : cluster.spec?.region);
    if (!ok) return false;
  }
  return true;
}

export function clusterMatches(cluster: Cluster, affinity: ClusterAffinity | undefined): boolean {
  if (!affinity) return true;
  const name = cluster.metadata.name ?? '';
  if (affinity.exclude?.includes(name)) return false;
  if (!labelsMatch(affinity, cluster)) return false;
  if (!fieldsMatch(affinity, cluster)) return false;
  const names = affinity.clusterNames ?? [];
  return names.length === 0 || names.includes(name);
}
