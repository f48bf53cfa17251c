// The taints a member's Ready condition calls for, as Karmada's cluster controller sets them:
// Ready False -> cluster.karmada.io/not-ready, Ready Unknown -> cluster.karmada.io/unreachable,
// with NoSchedule at once and, once Ready has been so for the grace period, NoExecute too (Karmada
// used to wait 5 minutes behind a feature gate, and has since stopped adding NoExecute itself);
// a member without a Ready condition yet is not-ready NoSchedule; a Ready member has none of them.
// Every other taint (the user's, cluster.karmada.io/unschedulable) is left as it is. Pure.

import type { Condition } from '../../machinery/object.js';
import { metaTime } from '../../machinery/time.js';
import {
  CLUSTER_CONDITION_READY,
  type Cluster,
  TAINT_CLUSTER_NOT_READY,
  TAINT_CLUSTER_UNREACHABLE,
  type Taint,
} from '../apis/karmada/index.js';

type Effect = Taint['effect'];

const HEALTH_KEYS = [TAINT_CLUSTER_NOT_READY, TAINT_CLUSTER_UNREACHABLE];

export interface TaintDecision {
  /** spec.taints as they should be. */
  taints: Taint[];
  /** Whether that differs from what the cluster has. */
  changed: boolean;
  /** Look again after this many ms (the NoExecute taint falls due then). */
  recheckAfterMs?: number;
}

function sameTaint(a: { key: string; effect: string }, key: string, effect: Effect): boolean {
  return a.key === key && a.effect === effect;
}

/** "key:Effect, key:Effect" for messages. */
export function describeTaints(taints: readonly Taint[]): string {
  return taints.length === 0 ? 'none' : taints.map((t) => `${t.key}:${t.effect}`).join(', ');
}

/**
 * The taints `cluster` should carry at `now`. `noExecuteGracePeriodMs` < 0 never adds NoExecute
 * taints (those already there stay until Ready is True).
 */
export function desiredTaints(cluster: Cluster, now: Date, noExecuteGracePeriodMs: number): TaintDecision {
  const current = cluster.spec?.taints ?? [];
  const ready: Condition | undefined = cluster.status?.conditions?.find(
    (c) => c.type === CLUSTER_CONDITION_READY,
  );
  const wanted: [string, Effect][] = [];
  let recheckAfterMs: number | undefined;
  if (!ready) {
    wanted.push([TAINT_CLUSTER_NOT_READY, 'NoSchedule']);
  } else if (ready.status !== 'True') {
    const key = ready.status === 'False' ? TAINT_CLUSTER_NOT_READY : TAINT_CLUSTER_UNREACHABLE;
    wanted.push([key, 'NoSchedule']);
    // Moving between not-ready and unreachable keeps an eviction that has begun going.
    const evicting = current.some((t) => t.effect === 'NoExecute' && HEALTH_KEYS.includes(t.key));
    const since = Date.parse(ready.lastTransitionTime ?? '');
    if (evicting) {
      wanted.push([key, 'NoExecute']);
    } else if (noExecuteGracePeriodMs >= 0) {
      const due = (Number.isNaN(since) ? now.getTime() : since) + noExecuteGracePeriodMs;
      if (now.getTime() >= due) wanted.push([key, 'NoExecute']);
      else recheckAfterMs = due - now.getTime();
    }
  }
  const taints: Taint[] = [];
  let changed = false;
  for (const t of current) {
    const health = HEALTH_KEYS.includes(t.key) && (t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    if (health && !wanted.some(([k, e]) => sameTaint(t, k, e))) {
      changed = true;
      continue;
    }
    taints.push(t);
  }
  for (const [key, effect] of wanted) {
    if (taints.some((t) => sameTaint(t, key, effect))) continue;
    taints.push({ key, effect, timeAdded: metaTime(now) });
    changed = true;
  }
  return recheckAfterMs === undefined ? { taints, changed } : { taints, changed, recheckAfterMs };
}
