// Why a pod fits nowhere, said the way kube-scheduler says it (framework.FitError):
// "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu.
// preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
// Each node's first failing filter gives its reasons; the reasons are counted over the nodes,
// written "<count> <reason>" and sorted as strings (as Go's sort.Strings does).

export type Code = 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

/** A filter's verdict on one node. */
export interface Status {
  code: Code;
  reasons: string[];
  plugin: string;
}

export function status(code: Code, plugin: string, ...reasons: string[]): Status {
  return { code, reasons, plugin };
}

export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** Event notes are cut at 1024 bytes, as the API server's validation requires. */
export const NOTE_LENGTH_LIMIT = 1024;

export class Diagnosis {
  /** Nodes that were checked and failed, by name. */
  readonly nodeStatuses = new Map<string, Status>();
  /** Plugins that rejected the pod somewhere: they decide which cluster changes retry it. */
  readonly unschedulablePlugins = new Set<string>();
  /** A PreFilter's rejection, which applies to every node. */
  preFilterMsg = '';
  preFilterStatus: Status | undefined;
  /** The status of nodes that were not checked (a PreFilter ruled them out). */
  absentStatus: Status | undefined;
  postFilterMsg = '';

  set(node: string, s: Status): void {
    this.nodeStatuses.set(node, s);
    if (s.code !== 'Error') this.unschedulablePlugins.add(s.plugin);
  }

  /** The status of a node: its own, or the PreFilter's for every node, or that of unchecked nodes. */
  get(node: string): Status | undefined {
    return this.nodeStatuses.get(node) ?? this.preFilterStatus ?? this.absentStatus;
  }
}

/** "<count> <reason>" for every reason, sorted as strings. */
export function reasonHistogram(statuses: Iterable<Status>): string[] {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const out = [...counts].map(([reason, n]) => `${n} ${reason}`);
  // Go's sort.Strings: byte order, which for these ASCII strings is code unit order.
  out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return out;
}

export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg !== '') {
    msg += ` ${d.preFilterMsg}.`;
  } else {
    const statuses = [...d.nodeStatuses.values()];
    if (d.absentStatus) for (let i = d.nodeStatuses.size; i < numAllNodes; i++) statuses.push(d.absentStatus);
    const reasons = reasonHistogram(statuses);
    if (reasons.length > 0) msg += ` ${reasons.join(', ')}.`;
  }
  // The PostFilter's message (preemption's) brings its own full stop.
  if (d.postFilterMsg !== '') msg += ` ${d.postFilterMsg}`;
  return msg;
}

/** As kube-scheduler's truncateMessage: events carry at most NOTE_LENGTH_LIMIT bytes. */
export function truncateMessage(message: string): string {
  if (Buffer.byteLength(message) <= NOTE_LENGTH_LIMIT) return message;
  const suffix = ' ...';
  let cut = message.slice(0, NOTE_LENGTH_LIMIT - suffix.length);
  while (Buffer.byteLength(cut) > NOTE_LENGTH_LIMIT - suffix.length) cut = cut.slice(0, -1);
  return cut + suffix;
}
