// The topologySpreadConstraints of a pod, compiled once per pod (PodInfo holds them), and the
// cluster-default soft constraints for pods that declare none.

import { fromLabelSelector, type Requirement, Selector } from '../../machinery/labels.js';
import type { LabelSelector } from '../../machinery/object.js';

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

export interface SpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

/** The constraints of one kind (DoNotSchedule or ScheduleAnyway) a pod declares. */
export function compileSpreadConstraints(
  spec: Record<string, unknown>,
  labels: Readonly<Record<string, string>>,
  action: 'DoNotSchedule' | 'ScheduleAnyway',
): SpreadConstraint[] {
  const raw = spec.topologySpreadConstraints;
  if (!Array.isArray(raw)) return [];
  const out: SpreadConstraint[] = [];
  for (const item of raw) {
    if (typeof item !== 'object' || item === null) continue;
    const c = item as Record<string, unknown>;
    if (c.whenUnsatisfiable !== action) continue;
    let selector = fromLabelSelector(c.labelSelector as LabelSelector | null | undefined);
    // matchLabelKeys: the pod's own values of those labels narrow the selector.
    if (Array.isArray(c.matchLabelKeys) && !selector.matchesNothing) {
      const extra: Requirement[] = [];
      for (const k of c.matchLabelKeys) {
        if (typeof k === 'string' && Object.hasOwn(labels, k))
          extra.push({ key: k, operator: '=', values: [labels[k]!] });
      }
      if (extra.length > 0) selector = new Selector([...extra, ...selector.requirements]);
    }
    out.push({
      maxSkew: typeof c.maxSkew === 'number' ? c.maxSkew : 1,
      topologyKey: typeof c.topologyKey === 'string' ? c.topologyKey : '',
      selector,
      minDomains: typeof c.minDomains === 'number' ? c.minDomains : 1,
      honorNodeAffinity: c.nodeAffinityPolicy !== 'Ignore',
      honorNodeTaints: c.nodeTaintsPolicy === 'Honor',
    });
  }
  return out;
}

/** The cluster-default soft constraints, over a selector of the pod's workload. */
export function defaultSpreadConstraints(selector: Selector): SpreadConstraint[] {
  const c = (topologyKey: string, maxSkew: number): SpreadConstraint => ({
    maxSkew,
    topologyKey,
    selector,
    minDomains: 1,
    honorNodeAffinity: true,
    honorNodeTaints: false,
  });
  return [c(LABEL_HOSTNAME, 3), c(LABEL_ZONE, 5)];
}
