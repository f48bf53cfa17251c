// ControllerRevisions, as Kubernetes' controller history package keeps them for StatefulSets and
// DaemonSets: a revision is an immutable snapshot of the owner's pod template (as a strategic
// merge patch that replaces spec.template), numbered in order; the same template seen again
// reuses its revision object with a new number (a rollback); revisions are named
// "<owner>-<hash>", with a collision count to resolve hash collisions.

import type { Client } from '../../client/client.js';
import { resources } from '../../client/resources.js';
import { claimObjects, newControllerRef } from '../../controller/controller-ref.js';
import type { OwnerIndex } from '../../controller/owner-index.js';
import { hashRevisionData, semanticValue } from '../../machinery/hash.js';
import { deepEqual } from '../../machinery/json.js';
import type { Selector } from '../../machinery/labels.js';
import type { KubeObject } from '../../machinery/object.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../machinery/status.js';
import type { ControllerRevision, PodTemplateSpec } from '../workloads/types.js';

/** The label carrying a revision's hash (history.ControllerRevisionHashLabel). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';

/** "<prefix>-<hash>", the prefix cut to 223 characters so the name stays valid. */
export function controllerRevisionName(prefix: string, hash: string): string {
  return `${prefix.length > 223 ? prefix.slice(0, 223) : prefix}-${hash}`;
}

/** The revision data of a workload: a patch replacing spec.template with the current one. */
export function templatePatch(template: PodTemplateSpec | undefined): Record<string, unknown> {
  const t = (semanticValue(template) ?? {}) as Record<string, unknown>;
  return { spec: { template: { ...t, $patch: 'replace' } } };
}

/** The pod template a revision's data holds. */
export function templateOfRevision(revision: ControllerRevision): PodTemplateSpec {
  const data = revision.data as { spec?: { template?: Record<string, unknown> } } | undefined;
  const { $patch: _patch, ...template } = data?.spec?.template ?? {};
  return template as PodTemplateSpec;
}

export function hashControllerRevision(
  revision: Pick<ControllerRevision, 'data'>,
  collisionCount?: number,
): string {
  return hashRevisionData(revision.data ?? null, collisionCount);
}

/** history.NewControllerRevision: labels of the template plus the hash, owned by parent. */
export function newControllerRevision(
  parent: KubeObject,
  templateLabels: Record<string, string> | undefined,
  data: unknown,
  revision: number,
  collisionCount: number | undefined,
): ControllerRevision {
  const cr: ControllerRevision = {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      namespace: parent.metadata.namespace,
      labels: { ...templateLabels },
      ownerReferences: [newControllerRef(parent)],
    },
    data,
    revision,
  };
  const hash = hashControllerRevision(cr, collisionCount);
  cr.metadata.name = controllerRevisionName(parent.metadata.name ?? '', hash);
  cr.metadata.labels![CONTROLLER_REVISION_HASH_LABEL] = hash;
  return cr;
}

/** Same data (the hash label, when both parse as numbers, must agree too). */
export function equalRevision(a: ControllerRevision | undefined, b: ControllerRevision | undefined): boolean {
  if (!a || !b) return a === b;
  const ha = Number.parseInt(a.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '', 10);
  const hb = Number.parseInt(b.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '', 10);
  if (!Number.isNaN(ha) && !Number.isNaN(hb) && ha !== hb) return false;
  return deepEqual(semanticValue(a.data) ?? null, semanticValue(b.data) ?? null);
}

export function findEqualRevisions(
  revisions: readonly ControllerRevision[],
  needle: ControllerRevision,
): ControllerRevision[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** By revision number, then creation time, then name. */
export function sortControllerRevisions(revisions: ControllerRevision[]): ControllerRevision[] {
  return revisions.sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? -1 : 1;
    const na = a.metadata.name ?? '';
    const nb = b.metadata.name ?? '';
    return na < nb ? -1 : na > nb ? 1 : 0;
  });
}

/** One more than the newest revision (revisions sorted), 1 for none. */
export function nextRevision(sorted: readonly ControllerRevision[]): number {
  return sorted.length === 0 ? 1 : sorted[sorted.length - 1]!.revision + 1;
}

/** The ControllerRevisions of one kind of owner, read from a shared informer's owner index. */
export class ControllerHistory {
  constructor(
    private readonly client: Client,
    private readonly index: OwnerIndex<ControllerRevision>,
  ) {}

  /** Revisions the parent controls or may adopt (orphans its selector matches). */
  list(parent: KubeObject, selector: Selector): ControllerRevision[] {
    const out: ControllerRevision[] = [];
    for (const r of this.index.owned(parent.metadata.uid ?? '').values()) {
      if (selector.matches(r.metadata.labels ?? {})) out.push(r);
    }
    for (const r of this.index.orphansIn(parent.metadata.namespace ?? '').values()) {
      if (selector.matches(r.metadata.labels ?? {})) out.push(r);
    }
    return out;
  }

  /** Adopts the orphans among revisions (after checking the parent afresh); returns them all, owned. */
  async adoptOrphans(
    parent: KubeObject,
    parentRef: Parameters<typeof claimObjects>[0]['ownerRef'],
    selector: Selector,
    revisions: ControllerRevision[],
  ): Promise<ControllerRevision[]> {
    if (revisions.every((r) => r.metadata.ownerReferences?.some((o) => o.controller))) return revisions;
    return claimObjects<ControllerRevision>(
      {
        client: this.client,
        ref: resources.controllerrevisions,
        owner: parent,
        ownerRef: parentRef,
        selector,
      },
      revisions,
    );
  }

  /**
   * Creates the revision, renaming it with a bumped collision count while its name is taken by
   * different data. Returns the stored revision and the collision count used.
   */
  async create(
    parent: KubeObject,
    revision: ControllerRevision,
    collisionCount: number,
  ): Promise<{ revision: ControllerRevision; collisionCount: number }> {
    let count = collisionCount;
    for (;;) {
      const hash = hashControllerRevision(revision, count);
      const clone: ControllerRevision = {
        ...revision,
        metadata: { ...revision.metadata, name: controllerRevisionName(parent.metadata.name ?? '', hash) },
      };
      try {
        const created = await this.client.create<ControllerRevision>(resources.controllerrevisions, clone, {
          namespace: parent.metadata.namespace,
        });
        return { revision: created, collisionCount: count };
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        const existing = await this.client.get<ControllerRevision>(
          resources.controllerrevisions,
          clone.metadata.name!,
          {
            namespace: parent.metadata.namespace,
          },
        );
        if (deepEqual(semanticValue(existing.data) ?? null, semanticValue(clone.data) ?? null))
          return { revision: existing, collisionCount: count };
        count++;
      }
    }
  }

  /** Gives an existing revision a new number (a template seen again). */
  async updateRevision(revision: ControllerRevision, newRevision: number): Promise<ControllerRevision> {
    if (revision.revision === newRevision) return revision;
    const next = { ...revision, revision: newRevision };
    try {
      return await this.client.update<ControllerRevision>(resources.controllerrevisions, next, {
        namespace: revision.metadata.namespace,
      });
    } catch (err) {
      if (!isConflict(err)) throw err;
      const fresh = await this.client.get<ControllerRevision>(
        resources.controllerrevisions,
        revision.metadata.name ?? '',
        {
          namespace: revision.metadata.namespace,
        },
      );
      if (fresh.revision === newRevision) return fresh;
      return this.client.update<ControllerRevision>(
        resources.controllerrevisions,
        { ...fresh, revision: newRevision },
        { namespace: revision.metadata.namespace },
      );
    }
  }

  async delete(revision: ControllerRevision): Promise<void> {
    try {
      await this.client.delete(resources.controllerrevisions, revision.metadata.name ?? '', {
        namespace: revision.metadata.namespace,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
