// The one place the scheduler reads taints and tolerations, through the shared Kubernetes rules
// (core/v1 ToleratesTaint): NoSchedule and NoExecute taints keep a binding off a member unless
// tolerated.

import { findUntoleratedTaint, isHardTaint } from '../../../machinery/taints.js';
import type { Taint, Toleration } from '../../apis/karmada/index.js';

/** The first NoSchedule or NoExecute taint no toleration tolerates. */
export function untoleratedTaint(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): Taint | undefined {
  return findUntoleratedTaint(taints, tolerations, isHardTaint);
}
