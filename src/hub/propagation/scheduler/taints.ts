// The one place the scheduler reads taints and tolerations, through the shared Kubernetes rules
// (core/v1 ToleratesTaint): NoSchedule and NoExecute taints keep a binding off a member unless
// tolerated.

import { firstUntoleratedTaint, parseTaints, parseTolerations } from '../../../kube/scheduler/taints.js';
import type { Taint, Toleration } from '../../apis/karmada/index.js';

/** The first NoSchedule or NoExecute taint no toleration tolerates. */
export function untoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): Taint | undefined {
  const hard = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  const found = firstUntoleratedTaint(parseTaints(hard), parseTolerations(tolerations));
  return (
    found &&
    hard.find((t) => t.key === found.key && t.effect === found.effect && (t.value ?? '') === found.value)
  );
}
