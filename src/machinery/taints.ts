// Taints and tolerations with Kubernetes' semantics (core/v1 Toleration.ToleratesTaint and the
// scheduling helpers). They work on plain {key, operator, value, effect, tolerationSeconds}
// objects, so a Node's taints and a Pod's tolerations use them as much as a member cluster's
// taints and a placement policy's cluster tolerations do.
//
// A toleration tolerates a taint when its effect is empty or the same, its key is empty or the
// same, and then by operator: Equal (the default) wants the same value, Exists any value. So an
// empty key with Exists tolerates every taint, and an empty effect every effect. A NoExecute
// taint tolerated with tolerationSeconds is tolerated for that long only.

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  key: string;
  value?: string;
  /** NoSchedule, PreferNoSchedule or NoExecute. */
  effect: string;
  /** When a NoExecute taint was added (set by the node controller). */
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  /** Equal (the default) or Exists. */
  operator?: string;
  value?: string;
  /** Empty: every effect. */
  effect?: string;
  /** For NoExecute: how long the taint is tolerated; absent, forever; 0 or less, not at all. */
  tolerationSeconds?: number | null;
}

// Taints the node controllers put on nodes (k8s.io/api/core/v1 well-known taints).
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
export const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

/** Whether the toleration tolerates the taint (Toleration.ToleratesTaint). */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator || 'Equal') {
    case 'Equal':
      return (toleration.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/** Whether any of the tolerations tolerates the taint. */
export function tolerationsTolerateTaint(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/**
 * The first taint, in the given order, that passes `filter` (default: every taint) and that no
 * toleration tolerates (FindMatchingUntoleratedTaint).
 */
export function findUntoleratedTaint<T extends Taint>(
  taints: readonly T[],
  tolerations: readonly Toleration[],
  filter?: (taint: T) => boolean,
): T | undefined {
  for (const taint of taints) {
    if (filter && !filter(taint)) continue;
    if (!tolerationsTolerateTaint(tolerations, taint)) return taint;
  }
  return undefined;
}

/** NoSchedule and NoExecute taints: the ones that keep a pod (or workload) off. */
export function isHardTaint(taint: Taint): boolean {
  return taint.effect === 'NoSchedule' || taint.effect === 'NoExecute';
}

/**
 * GetMatchingTolerations: whether every taint is tolerated and, if so, the toleration that
 * tolerates each (the first that does, in order).
 */
export function matchingTolerations<T extends Toleration>(
  taints: readonly Taint[],
  tolerations: readonly T[],
): { allTolerated: boolean; used: T[] } {
  const used: T[] = [];
  for (const taint of taints) {
    const tol = tolerations.find((t) => toleratesTaint(t, taint));
    if (!tol) return { allTolerated: false, used: [] };
    used.push(tol);
  }
  return { allTolerated: true, used };
}

/**
 * How long tolerated NoExecute taints may stay (getMinTolerationTime), in ms: the least
 * tolerationSeconds of the tolerations used; 0 when that is 0 or less (evict at once), or when
 * none was used; -1 when none sets a limit (forever).
 */
export function minTolerationMs(used: readonly Toleration[]): number {
  if (used.length === 0) return 0;
  let min = Number.POSITIVE_INFINITY;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Number.POSITIVE_INFINITY ? -1 : min * 1000;
}

/** PreferNoSchedule taints that no toleration with effect PreferNoSchedule (or any effect) tolerates. */
export function countIntolerablePreferNoSchedule(
  preferTaints: readonly Taint[],
  tolerations: readonly Toleration[],
): number {
  let n = 0;
  for (const taint of preferTaints) {
    const tolerated = tolerations.some(
      (t) => (!t.effect || t.effect === 'PreferNoSchedule') && toleratesTaint(t, taint),
    );
    if (!tolerated) n++;
  }
  return n;
}

/** Same key and effect: how Kubernetes identifies a taint (Taint.MatchTaint). */
export function sameTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v)
    ? v.filter((o): o is Record<string, unknown> => typeof o === 'object' && o !== null)
    : [];
}

/** Taints read leniently from untyped JSON (missing strings read as empty). */
export function parseTaints(v: unknown): Required<Pick<Taint, 'key' | 'value' | 'effect'>>[] {
  return records(v).map((o) => ({ key: str(o.key), value: str(o.value), effect: str(o.effect) }));
}

/** Tolerations read leniently from untyped JSON. */
export function parseTolerations(v: unknown): Toleration[] {
  return records(v).map((o) => {
    const t: Toleration = {
      key: str(o.key),
      operator: str(o.operator),
      value: str(o.value),
      effect: str(o.effect),
    };
    if (typeof o.tolerationSeconds === 'number') t.tolerationSeconds = o.tolerationSeconds;
    return t;
  });
}
