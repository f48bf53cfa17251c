// The status conditions the namespace controller keeps on a terminating namespace, with the
// types, reasons and messages Kubernetes uses (pkg/controller/namespace/deletion): each type is
// always present, in its "ok" form unless something is wrong.

import type { Condition } from '../../machinery/object.js';

export const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

export type NamespaceConditionType = (typeof CONDITION_TYPES)[number];

const OK: Record<NamespaceConditionType, { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: {
    reason: 'ResourcesDiscovered',
    message: 'All resources successfully discovered',
  },
  NamespaceDeletionGroupVersionParsingFailure: {
    reason: 'ParsedGroupVersions',
    message: 'All legacy kube types successfully parsed',
  },
  NamespaceDeletionContentFailure: {
    reason: 'ContentDeleted',
    message: 'All content successfully deleted, may be waiting on finalization',
  },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: {
    reason: 'ContentHasNoFinalizers',
    message: 'All content-preserving finalizers finished',
  },
};

/** What one pass over a namespace's content found. */
export interface ContentReport {
  discoveryError?: string;
  /** Messages of the resources whose deletion failed. */
  deleteErrors: string[];
  /** "resource.group" ("pods." for the core group, as Kubernetes prints it) -> instances left. */
  remaining: Map<string, number>;
  /** finalizer -> instances held by it. */
  finalizers: Map<string, number>;
}

/** The failing conditions a report calls for; types without one get their ok form. */
export function conditionsFor(report: ContentReport): Partial<Record<NamespaceConditionType, Condition>> {
  const out: Partial<Record<NamespaceConditionType, Condition>> = {};
  if (report.discoveryError !== undefined) {
    out.NamespaceDeletionDiscoveryFailure = {
      type: 'NamespaceDeletionDiscoveryFailure',
      status: 'True',
      reason: 'DiscoveryFailed',
      message: report.discoveryError,
    };
  }
  if (report.deleteErrors.length > 0) {
    const msgs = [...report.deleteErrors].sort();
    out.NamespaceDeletionContentFailure = {
      type: 'NamespaceDeletionContentFailure',
      status: 'True',
      reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${msgs.length} remaining: ${msgs.join(', ')}`,
    };
  }
  const remaining = [...report.remaining]
    .filter(([, n]) => n > 0)
    .map(([gr, n]) => `${gr} has ${n} resource instances`)
    .sort();
  if (remaining.length > 0) {
    out.NamespaceContentRemaining = {
      type: 'NamespaceContentRemaining',
      status: 'True',
      reason: 'SomeResourcesRemain',
      message: `Some resources are remaining: ${remaining.join(', ')}`,
    };
  }
  const held = [...report.finalizers]
    .filter(([, n]) => n > 0)
    .map(([f, n]) => `${f} in ${n} resource instances`)
    .sort();
  if (held.length > 0) {
    out.NamespaceFinalizersRemaining = {
      type: 'NamespaceFinalizersRemaining',
      status: 'True',
      reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${held.join(', ')}`,
    };
  }
  return out;
}

/**
 * Merges the wanted conditions into the namespace's list (every maintained type present, the ok
 * form where nothing failed); lastTransitionTime moves only when a status changes. Returns the
 * new list, or undefined when nothing changed.
 */
export function mergeConditions(
  existing: Condition[],
  wanted: Partial<Record<NamespaceConditionType, Condition>>,
  now: string,
): Condition[] | undefined {
  const next = existing.map((c) => ({ ...c }));
  let changed = false;
  for (const type of CONDITION_TYPES) {
    const want: Condition = wanted[type] ?? { type, status: 'False', ...OK[type] };
    const old = next.find((c) => c.type === type);
    if (!old) {
      next.push({ ...want, lastTransitionTime: now });
      changed = true;
    } else if (old.status !== want.status || old.reason !== want.reason || old.message !== want.message) {
      if (old.status !== want.status) old.lastTransitionTime = now;
      old.status = want.status;
      old.reason = want.reason;
      old.message = want.message;
      changed = true;
    }
  }
  return changed ? next : undefined;
}
