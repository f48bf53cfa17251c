// Which workload an object belongs to, read from the owners' informer as Kubernetes' controllers
// do: the owner its controller reference names (same kind, same uid, so a replacement of the same
// name is not it), or, for an orphan, every owner in its namespace whose selector matches it.

import type { Informer } from '../client/informer.js';
import { fromLabelSelector } from '../machinery/labels.js';
import type { KubeObject, LabelSelector } from '../machinery/object.js';

/** A workload kind as a controller reference names it. */
export interface OwnerKind {
  group: string;
  kind: string;
}

/** Whether a reference names this kind, in any version of its group. */
export function refersTo(ref: { apiVersion: string; kind: string }, kind: OwnerKind): boolean {
  return ref.kind === kind.kind && ref.apiVersion.startsWith(`${kind.group}/`);
}

/** The owner a controller reference names, when the informer holds it with the same uid. */
export function resolveControllerRef<T extends KubeObject>(
  owners: Informer<T>,
  kind: OwnerKind,
  namespace: string | undefined,
  ref: { apiVersion: string; kind: string; name: string; uid: string },
): T | undefined {
  if (!refersTo(ref, kind)) return undefined;
  const owner = owners.get(ref.name, namespace);
  return owner && owner.metadata.uid === ref.uid ? owner : undefined;
}

/** The owners of the object's namespace whose selector matches it; an empty or invalid one matches nothing. */
export function selectingOwners<T extends KubeObject & { spec: { selector?: LabelSelector } }>(
  owners: Informer<T>,
  obj: KubeObject,
): T[] {
  const out: T[] = [];
  for (const owner of owners.list({ namespace: obj.metadata.namespace ?? '' })) {
    try {
      const selector = fromLabelSelector(owner.spec.selector);
      if (!selector.empty() && selector.matches(obj.metadata.labels ?? {})) out.push(owner);
    } catch {
      // An invalid selector selects nothing.
    }
  }
  return out;
}
