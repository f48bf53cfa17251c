// Whether a resource template is picked by a policy's resource selectors, and how closely
// (Karmada's implicit priority): by name beats by label selector beats by kind alone. Among
// matching policies the detector takes the highest explicit priority, then the closest match,
// then the first name in alphabetical order.

import { fromLabelSelector } from '../../../machinery/labels.js';
import type { KubeObject } from '../../../machinery/object.js';
import type { ResourceSelector } from '../../apis/karmada/index.js';

export const ImplicitPriority = { MisMatch: 0, MatchAll: 1, MatchLabelSelector: 2, MatchName: 3 } as const;
export type ImplicitPriority = (typeof ImplicitPriority)[keyof typeof ImplicitPriority];

export function selectorPriority(resource: KubeObject, rs: ResourceSelector): ImplicitPriority {
  if (resource.apiVersion !== rs.apiVersion || resource.kind !== rs.kind) return ImplicitPriority.MisMatch;
  if (rs.namespace && (resource.metadata.namespace ?? '') !== rs.namespace) return ImplicitPriority.MisMatch;
  // A name wins over a label selector given beside it.
  if (rs.name)
    return rs.name === resource.metadata.name ? ImplicitPriority.MatchName : ImplicitPriority.MisMatch;
  if (!rs.labelSelector) return ImplicitPriority.MatchAll;
  try {
    return fromLabelSelector(rs.labelSelector).matches(resource.metadata.labels ?? {})
      ? ImplicitPriority.MatchLabelSelector
      : ImplicitPriority.MisMatch;
  } catch {
    return ImplicitPriority.MisMatch;
  }
}

/** The closest match among the selectors (MisMatch when none matches). */
export function selectorsPriority(
  resource: KubeObject,
  selectors: readonly ResourceSelector[] | undefined,
): ImplicitPriority {
  let best: ImplicitPriority = ImplicitPriority.MisMatch;
  for (const rs of selectors ?? []) {
    const p = selectorPriority(resource, rs);
    if (p > best) best = p;
  }
  return best;
}

export function resourceMatches(
  resource: KubeObject,
  selectors: readonly ResourceSelector[] | undefined,
): boolean {
  return selectorsPriority(resource, selectors) > ImplicitPriority.MisMatch;
}
