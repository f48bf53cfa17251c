// Pods nominated to a node by preemption (status.nominatedNodeName): while their victims
// terminate, the room they made is theirs — filters count them on that node for every pod of
// lower or equal priority.

import type { PodInfo } from './pod-info.js';

export class Nominator {
  private readonly byNode = new Map<string, Map<string, PodInfo>>();
  private readonly nodeOf = new Map<string, string>();

  /** Nominates the pod to `node` ("" removes the nomination). */
  set(pod: PodInfo, node: string): void {
    this.remove(pod.uid);
    if (node === '') return;
    let pods = this.byNode.get(node);
    if (!pods) {
      pods = new Map();
      this.byNode.set(node, pods);
    }
    pods.set(pod.uid, pod);
    this.nodeOf.set(pod.uid, node);
  }

  remove(uid: string): void {
    const node = this.nodeOf.get(uid);
    if (node === undefined) return;
    this.nodeOf.delete(uid);
    const pods = this.byNode.get(node);
    pods?.delete(uid);
    if (pods?.size === 0) this.byNode.delete(node);
  }

  nodeFor(uid: string): string | undefined {
    return this.nodeOf.get(uid);
  }

  pods(node: string): PodInfo[] {
    const pods = this.byNode.get(node);
    return pods ? [...pods.values()] : [];
  }
}
