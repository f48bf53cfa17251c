// What residency admission knows while judging one object: the rules, the members, and the
// namespaces' labels read once each.

import type { ObjectReader } from '../../../apiserver/extensions.js';
import type { ResidencyRule } from '../../apis/governance/index.js';
import type { Cluster } from '../../apis/karmada/index.js';
import type { Labels } from './match.js';

/** What admission knows while judging one policy. */
export interface Judgement {
  reader: ObjectReader;
  rules: ResidencyRule[];
  clusters: Cluster[];
  /** The policy's namespace (namespaced policies select only there). */
  namespace?: string;
  namespaceLabels: Map<string, Labels | undefined>;
}

export async function namespaceLabels(j: Judgement, name: string): Promise<Labels | undefined> {
  if (!j.namespaceLabels.has(name)) {
    const ns = await j.reader.get('', 'namespaces', undefined, name);
    j.namespaceLabels.set(name, ns ? (ns.metadata.labels ?? {}) : undefined);
  }
  return j.namespaceLabels.get(name);
}
