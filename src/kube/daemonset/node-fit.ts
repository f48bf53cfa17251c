// Whether a DaemonSet's pod belongs on a node, as Kubernetes decides it (NodeShouldRunDaemonPod):
// the template's nodeName, nodeSelector and required node affinity must match the node, and its
// tolerations (plus the ones every daemon pod gets) must tolerate the node's NoSchedule and
// NoExecute taints. A pod already running may stay when only NoSchedule taints are untolerated.

import { compileRequiredNodeAffinity, requiredNodeAffinityMatches } from '../../machinery/node-affinity.js';
import * as taints from '../../machinery/taints.js';
import type { Node, NodeAffinity, NodeSelectorTerm, PodSpec } from '../workloads/types.js';

/** The tolerations Kubernetes adds to every daemon pod (AddOrUpdateDaemonPodTolerations). */
export function daemonPodTolerations(spec: PodSpec): taints.Toleration[] {
  const extra: taints.Toleration[] = [
    { key: taints.TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
    { key: taints.TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
    { key: taints.TAINT_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: taints.TAINT_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: taints.TAINT_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: taints.TAINT_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork === true) {
    extra.push({ key: taints.TAINT_NETWORK_UNAVAILABLE, operator: 'Exists', effect: 'NoSchedule' });
  }
  return extra;
}

/** The spec's tolerations with the daemon pod tolerations added or updated (same key and effect). */
export function withDaemonPodTolerations(spec: PodSpec): taints.Toleration[] {
  const out = [...(spec.tolerations ?? [])];
  for (const t of daemonPodTolerations(spec)) {
    const i = out.findIndex((x) => x.key === t.key && x.effect === t.effect);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

/** nodeSelector and required node affinity (terms ORed, requirements within a term ANDed). */
export function matchesNodeSelectorAndAffinity(spec: PodSpec, node: Node): boolean {
  return requiredNodeAffinityMatches(compileRequiredNodeAffinity(spec), {
    name: node.metadata.name ?? '',
    labels: node.metadata.labels ?? {},
  });
}

/** NodeShouldRunDaemonPod: whether to run a pod here, and whether a running one may stay. */
export function nodeShouldRunDaemonPod(
  spec: PodSpec,
  node: Node,
): { shouldRun: boolean; shouldContinueRunning: boolean } {
  if (spec.nodeName && spec.nodeName !== node.metadata.name)
    return { shouldRun: false, shouldContinueRunning: false };
  if (!matchesNodeSelectorAndAffinity(spec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const nodeTaints = node.spec?.taints ?? [];
  const tolerations = withDaemonPodTolerations(spec);
  if (taints.findUntoleratedTaint(nodeTaints, tolerations, taints.isHardTaint)) {
    const noExecute = taints.findUntoleratedTaint(nodeTaints, tolerations, (t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: !noExecute };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** The node a daemon pod is for: spec.nodeName, or the single name its node affinity pins. */
export function targetNodeName(spec: PodSpec | undefined): string | undefined {
  if (spec?.nodeName) return spec.nodeName;
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/** The pod's affinity with its required node terms replaced by "metadata.name In [node]". */
export function pinToNode(affinity: PodSpec['affinity'], nodeName: string): NonNullable<PodSpec['affinity']> {
  const term: NodeSelectorTerm = {
    matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }],
  };
  const a = structuredClone(affinity ?? {});
  const nodeAffinity: NodeAffinity = a.nodeAffinity ?? {};
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [term] };
  a.nodeAffinity = nodeAffinity;
  return a;
}
