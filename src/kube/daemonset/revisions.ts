// The DaemonSet's ControllerRevisions: the one of its current template (made, or an equal one
// reused and renumbered), duplicates dropped, and old ones pruned to revisionHistoryLimit once no
// pod uses them.

import { resources } from '../../client/resources.js';
import { newControllerRef } from '../../controller/controller-ref.js';
import { computeHash, semanticValue } from '../../machinery/hash.js';
import { deepEqual } from '../../machinery/json.js';
import type { Selector } from '../../machinery/labels.js';
import { isAlreadyExists } from '../../machinery/status.js';
import { templatePatch } from '../history/history.js';
import type { ControllerRevision } from '../workloads/types.js';
import { type DaemonSet, type DaemonSetReconciler, REVISION_HASH_LABEL } from './types.js';

/** The current revision (created or renumbered as needed) and the old ones. */
export async function constructHistory(
  r: DaemonSetReconciler,
  ds: DaemonSet,
  selector: Selector,
): Promise<{ current: ControllerRevision; old: ControllerRevision[] }> {
  let revisions = r.history.list(ds, selector);
  revisions = await r.history.adoptOrphans(ds, resources.daemonsets, selector, revisions);
  const patch = templatePatch(ds.spec.template);
  const currents: ControllerRevision[] = [];
  const old: ControllerRevision[] = [];
  for (const revision of revisions) {
    let rev = revision;
    if (!rev.metadata.labels?.[REVISION_HASH_LABEL]) {
      // Labelled with its name, which is unique, rather than a hash that could collide.
      rev = await r.ctx.client.update<ControllerRevision>(
        resources.controllerrevisions,
        {
          ...rev,
          metadata: {
            ...rev.metadata,
            labels: { ...rev.metadata.labels, [REVISION_HASH_LABEL]: rev.metadata.name ?? '' },
          },
        },
        { namespace: rev.metadata.namespace },
      );
    }
    if (deepEqual(semanticValue(rev.data) ?? null, semanticValue(patch) ?? null)) currents.push(rev);
    else old.push(rev);
  }
  let max = 0;
  for (const rev of old) max = Math.max(max, rev.revision);
  const next = max + 1;
  if (currents.length === 0) return { current: await snapshot(r, ds, next), old };
  // Duplicates of the current revision: keep the newest, move pods' labels to it, drop the rest.
  currents.sort((a, b) => b.revision - a.revision);
  let current = currents[0]!;
  for (const dup of currents.slice(1)) await dropDuplicate(r, ds, current, dup);
  if (current.revision < next) current = await r.history.updateRevision(current, next);
  return { current, old };
}

export async function dropDuplicate(
  r: DaemonSetReconciler,
  ds: DaemonSet,
  keep: ControllerRevision,
  dup: ControllerRevision,
): Promise<void> {
  const keepHash = keep.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
  const dupHash = dup.metadata.labels?.[REVISION_HASH_LABEL] ?? '';
  for (const pod of r.pods.owned(ds.metadata.uid ?? '').values()) {
    if (pod.metadata.labels?.[REVISION_HASH_LABEL] !== dupHash) continue;
    await r.ctx.client.patch(
      resources.pods,
      pod.metadata.name ?? '',
      { metadata: { labels: { [REVISION_HASH_LABEL]: keepHash } } },
      'merge',
      {
        namespace: pod.metadata.namespace,
      },
    );
  }
  await r.history.delete(dup);
}

/** A new revision of the current template, named "<ds>-<template hash>". */
export async function snapshot(
  r: DaemonSetReconciler,
  ds: DaemonSet,
  revision: number,
): Promise<ControllerRevision> {
  const hash = computeHash(ds.spec.template ?? {}, ds.status?.collisionCount);
  const cr: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: `${ds.metadata.name}-${hash}`,
      namespace: ds.metadata.namespace,
      labels: { ...ds.spec.template?.metadata?.labels, [REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(ds)],
    },
    data: templatePatch(ds.spec.template),
    revision,
  };
  if (ds.metadata.annotations) cr.metadata.annotations = { ...ds.metadata.annotations };
  try {
    return await r.ctx.client.create<ControllerRevision>(resources.controllerrevisions, cr, {
      namespace: ds.metadata.namespace,
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await r.ctx.client.get<ControllerRevision>(
      resources.controllerrevisions,
      cr.metadata.name!,
      {
        namespace: ds.metadata.namespace,
      },
    );
    if (deepEqual(semanticValue(existing.data) ?? null, semanticValue(cr.data) ?? null)) return existing;
    // A hash collision: bump collisionCount (if ours is current) and try again later.
    const fresh = await r.ctx.client.get<DaemonSet>(resources.daemonsets, ds.metadata.name ?? '', {
      namespace: ds.metadata.namespace,
    });
    if ((fresh.status?.collisionCount ?? 0) !== (ds.status?.collisionCount ?? 0)) {
      throw new Error(
        `found a stale collision count of DaemonSet "${ds.metadata.name}" while processing; will retry until it is updated`,
      );
    }
    await r.ctx.client.update(
      resources.daemonsets,
      { ...fresh, status: { ...fresh.status, collisionCount: (fresh.status?.collisionCount ?? 0) + 1 } },
      { namespace: ds.metadata.namespace, subresource: 'status' },
    );
    throw err;
  }
}

/** Keeps revisionHistoryLimit old revisions that no pod uses. */
export async function cleanupHistory(
  r: DaemonSetReconciler,
  ds: DaemonSet,
  old: ControllerRevision[],
): Promise<void> {
  let toKill = old.length - (ds.spec.revisionHistoryLimit ?? 10);
  if (toKill <= 0) return;
  const live = new Set<string>();
  for (const pod of r.pods.owned(ds.metadata.uid ?? '').values()) {
    const h = pod.metadata.labels?.[REVISION_HASH_LABEL];
    if (h) live.add(h);
  }
  for (const rev of [...old].sort((a, b) => a.revision - b.revision)) {
    if (toKill <= 0) break;
    if (live.has(rev.metadata.labels?.[REVISION_HASH_LABEL] ?? '')) continue;
    await r.history.delete(rev);
    toKill--;
  }
}
