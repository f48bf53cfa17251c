// Taints and tolerations as the scheduler reads them (core/v1 helpers ToleratesTaint and
// FindMatchingUntoleratedTaint): NoSchedule and NoExecute taints keep pods off a node unless
// tolerated; PreferNoSchedule only lowers the node's score.

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value: string;
  effect: string;
}

export interface Toleration {
  key: string;
  operator: string;
  value: string;
  effect: string;
}

/** The node's taint for cordoned nodes: a pod tolerating it may go to an unschedulable node. */
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function parseTaints(v: unknown): Taint[] {
  if (!Array.isArray(v)) return [];
  const out: Taint[] = [];
  for (const t of v) {
    if (typeof t !== 'object' || t === null) continue;
    const o = t as Record<string, unknown>;
    out.push({ key: str(o.key), value: str(o.value), effect: str(o.effect) });
  }
  return out;
}

export function parseTolerations(v: unknown): Toleration[] {
  if (!Array.isArray(v)) return [];
  const out: Toleration[] = [];
  for (const t of v) {
    if (typeof t !== 'object' || t === null) continue;
    const o = t as Record<string, unknown>;
    out.push({ key: str(o.key), operator: str(o.operator), value: str(o.value), effect: str(o.effect) });
  }
  return out;
}

/** Whether one toleration tolerates one taint: effect and key match (empty matches all), then the operator. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect !== '' && t.effect !== taint.effect) return false;
  if (t.key !== '' && t.key !== taint.key) return false;
  switch (t.operator) {
    case '':
    case 'Equal':
      return t.value === taint.value;
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function tolerationsTolerate(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first NoSchedule/NoExecute taint (in the node's order) that no toleration tolerates. */
export function firstUntoleratedTaint(
  hardTaints: readonly Taint[],
  tolerations: readonly Toleration[],
): Taint | undefined {
  for (const taint of hardTaints) if (!tolerationsTolerate(tolerations, taint)) return taint;
  return undefined;
}

/** PreferNoSchedule taints no toleration (with effect PreferNoSchedule or any) tolerates. */
export function countIntolerablePreferNoSchedule(
  preferTaints: readonly Taint[],
  tolerations: readonly Toleration[],
): number {
  if (preferTaints.length === 0) return 0;
  let n = 0;
  for (const taint of preferTaints) {
    let tolerated = false;
    for (const t of tolerations) {
      if ((t.effect === '' || t.effect === 'PreferNoSchedule') && toleratesTaint(t, taint)) {
        tolerated = true;
        break;
      }
    }
    if (!tolerated) n++;
  }
  return n;
}
