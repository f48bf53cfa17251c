// Queueing hints for node changes (kube-scheduler's QueueingHintFn per plugin): a pending pod is
// retried when, for at least one of the plugins that rejected it, the added or changed node could
// now pass — the rest keep waiting instead of being retried on every node event.

import { requiredNodeAffinityMatches } from '../../machinery/node-affinity.js';
import {
  findUntoleratedTaint,
  TAINT_UNSCHEDULABLE,
  tolerationsTolerateTaint,
} from '../../machinery/taints.js';
import type { NodeInfo } from './cache.js';
import { fitsAllocatable, PLUGINS } from './framework.js';
import type { PodInfo } from './pod-info.js';

function schedulableFor(pod: PodInfo, node: NodeInfo): boolean {
  return (
    !node.unschedulable ||
    tolerationsTolerateTaint(pod.tolerations, { key: TAINT_UNSCHEDULABLE, value: '', effect: 'NoSchedule' })
  );
}

function affinityMatches(pod: PodInfo, node: NodeInfo): boolean {
  if (pod.nodeAffinity?.nodeNames && !pod.nodeAffinity.nodeNames.has(node.name)) return false;
  return requiredNodeAffinityMatches(pod.nodeAffinity, node);
}

function allocatableGrew(before: NodeInfo, after: NodeInfo): boolean {
  const a = before.allocatable;
  const b = after.allocatable;
  if (after.allowedPods > before.allowedPods) return true;
  if (b.milliCPU > a.milliCPU || b.memory > a.memory || b.ephemeralStorage > a.ephemeralStorage) return true;
  if (b.scalar) for (const [k, v] of b.scalar) if (v > (a.scalar?.get(k) ?? 0)) return true;
  return false;
}

/** Whether `plugin`'s rejection of the pod may be undone by this node being added (before undefined) or changed. */
function pluginMayPass(pod: PodInfo, plugin: string, before: NodeInfo | undefined, after: NodeInfo): boolean {
  switch (plugin) {
    case PLUGINS.nodeUnschedulable:
      return schedulableFor(pod, after) && (!before || !schedulableFor(pod, before));
    case PLUGINS.nodeAffinity:
      return affinityMatches(pod, after) && (!before || !affinityMatches(pod, before));
    case PLUGINS.taintToleration:
      return (
        !findUntoleratedTaint(after.hardTaints, pod.tolerations) &&
        (!before || !!findUntoleratedTaint(before.hardTaints, pod.tolerations))
      );
    case PLUGINS.nodeResourcesFit:
      return fitsAllocatable(pod, after) && (!before || allocatableGrew(before, after));
    case PLUGINS.nodeName:
    case PLUGINS.nodePorts:
    case PLUGINS.volumeRestrictions:
      return !before;
    default:
      // Inter-pod affinity, topology spread, volume binding, "no nodes" ...: any node change may help.
      return true;
  }
}

/** Whether a node added (before undefined) or changed may let the pod through the plugins that rejected it. */
export function nodeChangeMayHelp(
  pod: PodInfo,
  rejectedBy: ReadonlySet<string>,
  before: NodeInfo | undefined,
  after: NodeInfo,
): boolean {
  if (rejectedBy.size === 0) return true;
  for (const plugin of rejectedBy) if (pluginMayPass(pod, plugin, before, after)) return true;
  return false;
}
