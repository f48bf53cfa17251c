// Karmada's `activationPreference: Lazy`: a change of a lazy policy reaches the templates it
// claims only when each template itself changes next. "Changes" are the template owner's: all
// but status, the server's metadata (resourceVersion, generation, managedFields) and the labels
// and annotations of Karmada's domains, which the hub writes itself when it claims a template.
// The hash of that content is kept on the binding each time the binding is written from the
// template, so a hub that restarts still knows which templates changed since (Karmada's own
// detector keeps that only in memory).

import { createHash } from 'node:crypto';
import { canonicalJson } from '../../../machinery/hash.js';
import type { KubeObject } from '../../../machinery/object.js';
import type { AnyPolicy } from './policies.js';

/** On a binding: the hash of the template content it was last written from. */
export const TEMPLATE_HASH_ANNOTATION = 'propagation.concord.dev/template-hash';

export const isLazy = (p: AnyPolicy) => p.policy.spec.activationPreference === 'Lazy';

/** `karmada.io/...` or `<anything>.karmada.io/...`: keys the hub writes, not the template's owner. */
function isKarmadaKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const prefix = key.slice(0, slash);
  return prefix === 'karmada.io' || prefix.endsWith('.karmada.io');
}

function withoutKarmadaKeys(m: Record<string, string> | undefined): Record<string, string> | undefined {
  const kept = Object.entries(m ?? {}).filter(([k]) => !isKarmadaKey(k));
  // No map and an empty one are the same content.
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** A hash of what the template's owner wrote (see above). */
export function templateContentHash(t: KubeObject): string {
  const { status: _status, metadata, ...rest } = t as KubeObject & { status?: unknown };
  const { resourceVersion: _rv, generation: _g, managedFields: _mf, labels, annotations, ...meta } = metadata;
  const content = {
    ...rest,
    metadata: { ...meta, labels: withoutKarmadaKeys(labels), annotations: withoutKarmadaKeys(annotations) },
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex').slice(0, 32);
}
