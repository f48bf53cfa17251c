// The garbage collector's dependency graph, as Kubernetes' GraphBuilder keeps it: one node per
// object uid (metadata only: identity, ownerReferences, deletion state), each owner knowing its
// dependents. Owners not seen yet are "virtual" nodes until an informer shows them or a lookup
// proves them absent. Changes arrive from the informers and are applied at once (handlers are
// synchronous); what needs work is handed to the collector's queues.

import type { ResourceRef } from '../../client/client.js';
import { formatApiVersion, parseApiVersion } from '../../machinery/gvk.js';
import type { KubeObject, OwnerReference } from '../../machinery/object.js';

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export interface ObjectIdentity {
  apiVersion: string;
  kind: string;
  name: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  uid: string;
}

export class GraphNode {
  /** Seen through an informer (not only named by a dependent's ownerReference). */
  observed = false;
  /** The resource it was observed through. */
  ref: ResourceRef | undefined;
  owners: OwnerReference[] = [];
  readonly dependents = new Set<GraphNode>();
  beingDeleted = false;
  /** Deleting with foreground propagation: waits for its blocking dependents. */
  deletingDependents = false;

  constructor(public identity: ObjectIdentity) {}

  /** Dependents whose reference to this node has blockOwnerDeletion. */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const dep of this.dependents) {
      if (dep.owners.some((o) => o.uid === this.identity.uid && o.blockOwnerDeletion === true)) out.push(dep);
    }
    return out;
  }

  toString(): string {
    const { apiVersion, kind, namespace, name, uid } = this.identity;
    return `[${apiVersion}/${kind}, namespace: ${namespace}, name: ${name}, uid: ${uid}]`;
  }
}

/** What the graph asks of the collector. */
export interface GraphSink {
  attemptToDelete(node: GraphNode): void;
  attemptToOrphan(node: GraphNode): void;
  /** A dependent names an owner that exists in another namespace. */
  invalidOwnerNamespace(dependent: GraphNode, owner: OwnerReference): void;
  /** An owner is known absent (dependents will be asked about it). */
  ownerAbsent(identity: ObjectIdentity): void;
}

function hasFinalizer(obj: KubeObject, name: string): boolean {
  return (obj.metadata.finalizers ?? []).includes(name);
}

function beingDeleted(obj: KubeObject): boolean {
  return !!obj.metadata.deletionTimestamp;
}

/** The deletion has just started with this finalizer (or the object arrived already so). */
function deletionStartsWith(old: KubeObject | undefined, obj: KubeObject, finalizer: string): boolean {
  if (!beingDeleted(obj) || !hasFinalizer(obj, finalizer)) return false;
  return !old || !beingDeleted(old) || !hasFinalizer(old, finalizer);
}

function sameOwnerRef(a: OwnerReference, b: OwnerReference): boolean {
  return (
    a.apiVersion === b.apiVersion &&
    a.kind === b.kind &&
    a.name === b.name &&
    a.uid === b.uid &&
    a.controller === b.controller &&
    a.blockOwnerDeletion === b.blockOwnerDeletion
  );
}

function ownersEqual(a: OwnerReference[], b: OwnerReference[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameOwnerRef(a[i]!, b[i]!)) return false;
  return true;
}

/** An ownerReference names the same group, kind and name as the identity (versions may differ). */
export function refMatchesIdentity(ref: OwnerReference, id: ObjectIdentity): boolean {
  return (
    ref.uid === id.uid &&
    ref.name === id.name &&
    ref.kind === id.kind &&
    parseApiVersion(ref.apiVersion).group === parseApiVersion(id.apiVersion).group
  );
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();

  constructor(private readonly sink: GraphSink) {}

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** An object was added or changed (seen through the informer of `ref`). */
  observe(ref: ResourceRef, old: KubeObject | undefined, obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const identity: ObjectIdentity = {
      apiVersion: formatApiVersion(ref),
      kind: ref.kind,
      name: obj.metadata.name ?? '',
      namespace: obj.metadata.namespace ?? '',
      uid,
    };
    const owners = obj.metadata.ownerReferences ?? [];
    let node = this.nodes.get(uid);
    if (node && !node.observed) {
      // A virtual node turns real: dependents that named it by other coordinates are checked.
      const observedNamespace = identity.namespace;
      for (const dep of node.dependents) {
        const byRef = dep.owners.find((o) => o.uid === uid);
        const namespaceWrong = observedNamespace !== '' && dep.identity.namespace !== observedNamespace;
        if (namespaceWrong && byRef) this.sink.invalidOwnerNamespace(dep, byRef);
        if (namespaceWrong || (byRef && !refMatchesIdentity(byRef, identity))) this.sink.attemptToDelete(dep);
      }
      node.identity = identity;
      node.observed = true;
    }
    if (!node) {
      node = new GraphNode(identity);
      node.observed = true;
      node.ref = ref;
      node.owners = owners;
      node.beingDeleted = beingDeleted(obj);
      node.deletingDependents = node.beingDeleted && hasFinalizer(obj, FOREGROUND_FINALIZER);
      this.nodes.set(uid, node);
      this.addDependentToOwners(node, owners);
      this.processTransitions(old, obj, node);
      return;
    }
    node.ref = ref;
    if (node.identity.apiVersion !== identity.apiVersion || node.identity.kind !== identity.kind) {
      node.identity = identity;
    }
    if (!ownersEqual(node.owners, owners)) {
      const { added, removed, changed } = diffOwners(node.owners, owners);
      this.enqueueUnblockedOwners(removed, changed);
      node.owners = owners;
      this.addDependentToOwners(node, added);
      this.removeDependentFromOwners(node, removed);
    }
    if (beingDeleted(obj)) node.beingDeleted = true;
    this.processTransitions(old, obj, node);
  }

  /** An object was deleted (as the informer saw it). */
  forget(obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    const node = this.nodes.get(uid);
    if (!node) return;
    this.removeNode(node);
  }

  /** A lookup proved the node's object gone: remove it as if its deletion had been seen. */
  removeVerifiedAbsent(node: GraphNode): void {
    if (this.nodes.get(node.identity.uid) !== node) return;
    this.removeNode(node);
  }

  private removeNode(node: GraphNode): void {
    this.nodes.delete(node.identity.uid);
    this.removeDependentFromOwners(node, node.owners);
    if (node.dependents.size > 0) this.sink.ownerAbsent(node.identity);
    for (const dep of node.dependents) this.sink.attemptToDelete(dep);
    for (const o of node.owners) {
      const owner = this.nodes.get(o.uid);
      // An owner waiting for its dependents may now be free to go.
      if (owner?.deletingDependents) this.sink.attemptToDelete(owner);
    }
  }

  private processTransitions(old: KubeObject | undefined, obj: KubeObject, node: GraphNode): void {
    if (deletionStartsWith(old, obj, ORPHAN_FINALIZER)) {
      this.sink.attemptToOrphan(node);
      return;
    }
    if (deletionStartsWith(old, obj, FOREGROUND_FINALIZER)) {
      node.deletingDependents = true;
      for (const dep of node.dependents) this.sink.attemptToDelete(dep);
      this.sink.attemptToDelete(node);
    }
  }

  private addDependentToOwners(node: GraphNode, owners: OwnerReference[]): void {
    let suspicious = false;
    for (const o of owners) {
      let owner = this.nodes.get(o.uid);
      if (!owner) {
        // Not seen yet: a virtual node, to be verified by a lookup.
        owner = new GraphNode({
          apiVersion: o.apiVersion,
          kind: o.kind,
          name: o.name,
          namespace: node.identity.namespace,
          uid: o.uid,
        });
        this.nodes.set(o.uid, owner);
        owner.dependents.add(node);
        this.sink.attemptToDelete(owner);
        continue;
      }
      owner.dependents.add(node);
      if (!owner.observed) continue;
      const ownerNamespace = owner.identity.namespace;
      if (ownerNamespace !== '' && ownerNamespace !== node.identity.namespace) {
        this.sink.invalidOwnerNamespace(node, o);
        suspicious = true;
      } else if (!refMatchesIdentity(o, owner.identity)) {
        suspicious = true;
      }
    }
    // Verified by the collector: deleted if every owner turns out absent.
    if (suspicious) this.sink.attemptToDelete(node);
  }

  private removeDependentFromOwners(node: GraphNode, owners: OwnerReference[]): void {
    for (const o of owners) {
      const owner = this.nodes.get(o.uid);
      if (!owner) continue;
      owner.dependents.delete(node);
      // A virtual owner nobody names any more is forgotten.
      if (!owner.observed && owner.dependents.size === 0) this.nodes.delete(o.uid);
    }
  }

  /** A blocking reference removed or unblocked: its owner may be waiting for exactly that. */
  private enqueueUnblockedOwners(
    removed: OwnerReference[],
    changed: [OwnerReference, OwnerReference][],
  ): void {
    for (const r of removed) {
      if (r.blockOwnerDeletion !== true) continue;
      const owner = this.nodes.get(r.uid);
      if (owner) this.sink.attemptToDelete(owner);
    }
    for (const [before, after] of changed) {
      if (before.blockOwnerDeletion === true && after.blockOwnerDeletion !== true) {
        const owner = this.nodes.get(after.uid);
        if (owner) this.sink.attemptToDelete(owner);
      }
    }
  }
}

function diffOwners(
  before: OwnerReference[],
  after: OwnerReference[],
): { added: OwnerReference[]; removed: OwnerReference[]; changed: [OwnerReference, OwnerReference][] } {
  const old = new Map(before.map((r) => [r.uid, r]));
  const added: OwnerReference[] = [];
  const changed: [OwnerReference, OwnerReference][] = [];
  for (const r of after) {
    const prev = old.get(r.uid);
    if (!prev) added.push(r);
    else {
      if (!sameOwnerRef(prev, r)) changed.push([prev, r]);
      old.delete(r.uid);
    }
  }
  return { added, removed: [...old.values()], changed };
}
