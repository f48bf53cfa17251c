// Which members make up a strategy's primary and secondary sites, and which of them are healthy.
// A member is healthy when its Ready condition is True and it carries no NoExecute taint (the
// registry's not-ready/unreachable taints, a drill's cordon-and-taint, or an operator's own).

import { labelSelectorMatches } from '../../../machinery/labels.js';
import { CLUSTER_CONDITION_READY, type Cluster } from '../../apis/karmada/index.js';
import type { SiteSelector } from '../../apis/recovery/index.js';

export function siteMatches(site: SiteSelector | undefined, cluster: Cluster): boolean {
  if (!site) return false;
  const names = site.clusterNames ?? [];
  const regions = site.regions ?? [];
  if (names.length === 0 && regions.length === 0 && !site.labelSelector) return false;
  const name = cluster.metadata.name ?? '';
  if (names.length > 0 && !names.includes(name)) return false;
  if (regions.length > 0 && !regions.includes(cluster.spec.region ?? '')) return false;
  if (site.labelSelector && !labelSelectorMatches(site.labelSelector, cluster.metadata.labels ?? {}))
    return false;
  return true;
}

export function isHealthy(cluster: Cluster | undefined): boolean {
  if (!cluster || cluster.metadata.deletionTimestamp) return false;
  const ready = cluster.status?.conditions?.find((c) => c.type === CLUSTER_CONDITION_READY);
  if (ready?.status !== 'True') return false;
  return !(cluster.spec.taints ?? []).some((t) => t.effect === 'NoExecute');
}

/** When a member was first seen failing: its Ready condition's last transition, or its earliest NoExecute taint. */
export function failureTime(cluster: Cluster | undefined, now: Date): { time: Date; reason: string } {
  if (!cluster) return { time: now, reason: 'the cluster is gone' };
  const candidates: { time: Date; reason: string }[] = [];
  const ready = cluster.status?.conditions?.find((c) => c.type === CLUSTER_CONDITION_READY);
  if (ready?.status !== 'True') {
    const t = ready?.lastTransitionTime ? new Date(ready.lastTransitionTime) : now;
    candidates.push({
      time: t,
      reason: `Ready is ${ready?.status ?? 'missing'}${ready?.reason ? ` (${ready.reason})` : ''}`,
    });
  }
  for (const taint of cluster.spec.taints ?? []) {
    if (taint.effect !== 'NoExecute') continue;
    candidates.push({
      time: taint.timeAdded ? new Date(taint.timeAdded) : now,
      reason: `tainted ${taint.key}:NoExecute`,
    });
  }
  candidates.sort((a, b) => a.time.getTime() - b.time.getTime());
  return candidates[0] ?? { time: now, reason: 'unhealthy' };
}

export interface Sites {
  primary: Cluster[];
  /** Members of the secondary site that are not in the primary site. */
  secondary: Cluster[];
  byName: Map<string, Cluster>;
}

const byNameOrder = (a: Cluster, b: Cluster) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

export function resolveSites(
  primary: SiteSelector,
  secondary: SiteSelector,
  clusters: readonly Cluster[],
): Sites {
  const live = clusters.filter((c) => !c.metadata.deletionTimestamp).sort(byNameOrder);
  const p = live.filter((c) => siteMatches(primary, c));
  const inPrimary = new Set(p.map((c) => c.metadata.name));
  const s = live.filter((c) => !inPrimary.has(c.metadata.name) && siteMatches(secondary, c));
  return { primary: p, secondary: s, byName: new Map(live.map((c) => [c.metadata.name ?? '', c])) };
}

/** The members of the other site than `name`'s (the secondary's for a primary-site member). */
export function otherSite(sites: Sites, name: string | undefined): Cluster[] {
  return sites.primary.some((c) => c.metadata.name === name) ? sites.secondary : sites.primary;
}

export function sameSite(sites: Sites, name: string | undefined): Cluster[] {
  return sites.primary.some((c) => c.metadata.name === name) ? sites.primary : sites.secondary;
}

export function onPrimarySite(sites: Sites, name: string | undefined): boolean {
  return sites.primary.some((c) => c.metadata.name === name);
}

/**
 * The first healthy member among these, leaving out `except`; prefers `preferred`, then members
 * without taints (a member tainted for dedicated work would take nothing), then by name.
 */
export function pickHealthy(
  candidates: readonly Cluster[],
  except: readonly (string | undefined)[] = [],
  preferred?: string,
): string | undefined {
  const ok = candidates.filter((c) => isHealthy(c) && !except.includes(c.metadata.name));
  if (preferred && ok.some((c) => c.metadata.name === preferred)) return preferred;
  const untainted = ok.filter((c) => (c.spec.taints ?? []).length === 0);
  return (untainted[0] ?? ok[0])?.metadata.name;
}
