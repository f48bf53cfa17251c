// Adoption and release, as Kubernetes' ControllerRefManager does them: a controller claims the
// objects its selector matches. An orphan that matches is adopted (a controller ownerReference is
// added), unless the controller is being deleted; an object it owns that no longer matches is
// released (the reference removed). Objects controlled by someone else are left alone. Before
// the first adoption the controller is read fresh from the server, so that a controller deleted
// meanwhile (or replaced by one of the same name) adopts nothing.

import type { Client, ResourceRef } from '../client/client.js';
import type { Selector } from '../machinery/labels.js';
import type { KubeObject, OwnerReference } from '../machinery/object.js';
import { isInvalid, isNotFound } from '../machinery/status.js';

/** The controlling owner reference (controller: true), if any. */
export function controllerRefOf(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef. */
export function newControllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

export interface ClaimOptions<T extends KubeObject> {
  client: Client;
  /** The resource of the objects claimed (pods, replicasets, controllerrevisions). */
  ref: ResourceRef;
  owner: KubeObject;
  selector: Selector;
  /** The owner's resource, to read it fresh before adopting. */
  ownerRef: ResourceRef;
  /** Extra condition for an object to belong (default: none beyond the selector). */
  filter?: (obj: T) => boolean;
}

/** Returns the objects the owner controls after adoption and release. Throws the first error after trying all. */
export async function claimObjects<T extends KubeObject>(
  opts: ClaimOptions<T>,
  candidates: readonly T[],
): Promise<T[]> {
  const { owner } = opts;
  const uid = owner.metadata.uid;
  const claimed: T[] = [];
  const errs: unknown[] = [];
  let adoptCheck: Promise<void> | undefined;
  const canAdopt = () => {
    adoptCheck ??= (async () => {
      const fresh = await opts.client.get(opts.ownerRef, owner.metadata.name ?? '', {
        namespace: owner.metadata.namespace,
      });
      if (fresh.metadata.uid !== uid) {
        throw new Error(
          `original ${owner.kind} ${owner.metadata.namespace}/${owner.metadata.name} is gone: got uid ${fresh.metadata.uid}, wanted ${uid}`,
        );
      }
      if (fresh.metadata.deletionTimestamp) {
        throw new Error(
          `${owner.kind} ${owner.metadata.namespace}/${owner.metadata.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`,
        );
      }
    })();
    return adoptCheck;
  };
  const matches = (o: T) => opts.selector.matches(o.metadata.labels ?? {}) && (opts.filter?.(o) ?? true);
  const work: Promise<void>[] = [];
  for (const obj of candidates) {
    const ref = controllerRefOf(obj);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (matches(obj)) {
        claimed.push(obj);
        continue;
      }
      // Ours but no longer selected: let go, unless we are going away ourselves (the garbage
      // collector then deals with it).
      if (owner.metadata.deletionTimestamp) continue;
      work.push(
        release(opts, obj).then(
          () => undefined,
          (err) => {
            if (!isNotFound(err) && !isInvalid(err)) errs.push(err);
          },
        ),
      );
      continue;
    }
    if (owner.metadata.deletionTimestamp || !matches(obj) || obj.metadata.deletionTimestamp) continue;
    if (obj.metadata.namespace !== owner.metadata.namespace) continue;
    work.push(
      (async () => {
        try {
          await canAdopt();
          await adopt(opts, obj);
          claimed.push(obj);
        } catch (err) {
          if (!isNotFound(err)) errs.push(err);
        }
      })(),
    );
  }
  await Promise.all(work);
  if (errs.length > 0) throw errs[0];
  return claimed;
}

function adopt(
  opts: Pick<ClaimOptions<KubeObject>, 'client' | 'ref' | 'owner'>,
  obj: KubeObject,
): Promise<unknown> {
  const patch = {
    metadata: { ownerReferences: [newControllerRef(opts.owner)], uid: obj.metadata.uid },
  };
  return opts.client.patch(opts.ref, obj.metadata.name ?? '', patch, 'strategic', {
    namespace: obj.metadata.namespace,
  });
}

function release(
  opts: Pick<ClaimOptions<KubeObject>, 'client' | 'ref' | 'owner'>,
  obj: KubeObject,
): Promise<unknown> {
  const patch = {
    metadata: {
      ownerReferences: [{ $patch: 'delete', uid: opts.owner.metadata.uid }],
      uid: obj.metadata.uid,
    },
  };
  return opts.client.patch(opts.ref, obj.metadata.name ?? '', patch, 'strategic', {
    namespace: obj.metadata.namespace,
  });
}
