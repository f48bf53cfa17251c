// Node selection as pods express it (component-helpers' nodeaffinity): spec.nodeSelector (every
// label must match) and spec.affinity.nodeAffinity — required terms (ORed; within a term the
// matchExpressions on labels and the matchFields on metadata.name are ANDed) and preferred
// terms (each matching term adds its weight to the node's score). A term that cannot be read
// (unknown operator, wrong number of values) never matches, the others still count; an empty
// term matches nothing.

/** core/v1 NodeSelectorRequirement, as written. */
export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

/** core/v1 NodeSelectorTerm, as written: its requirements are ANDed. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

/** core/v1 NodeAffinity, as written. */
export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: NodeSelectorTerm[] };
  preferredDuringSchedulingIgnoredDuringExecution?: unknown[];
}

export interface NodeLabelsAndName {
  name: string;
  labels: Readonly<Record<string, string>>;
}

type Op = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

interface Requirement {
  key: string;
  op: Op;
  values: readonly string[];
  /** Gt / Lt bound. */
  bound: number;
}

interface FieldRequirement {
  key: string;
  equal: boolean;
  value: string;
}

export interface CompiledTerm {
  labels: Requirement[];
  fields: FieldRequirement[];
  /** False when the term could not be read: it then matches no node. */
  valid: boolean;
}

const INTEGER = /^[+-]?[0-9]+$/;

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function compileRequirement(r: Record<string, unknown>): Requirement | undefined {
  const key = typeof r.key === 'string' ? r.key : '';
  const op = r.operator as Op;
  const values = asArray(r.values).map(String);
  if (key === '') return undefined;
  switch (op) {
    case 'In':
    case 'NotIn':
      return values.length > 0 ? { key, op, values, bound: 0 } : undefined;
    case 'Exists':
    case 'DoesNotExist':
      return values.length === 0 ? { key, op, values, bound: 0 } : undefined;
    case 'Gt':
    case 'Lt':
      if (values.length !== 1 || !INTEGER.test(values[0]!)) return undefined;
      return { key, op, values, bound: Number(values[0]) };
    default:
      return undefined;
  }
}

function compileField(r: Record<string, unknown>): FieldRequirement | undefined {
  const key = typeof r.key === 'string' ? r.key : '';
  const values = asArray(r.values).map(String);
  // Only In and NotIn with exactly one value select on fields.
  if (values.length !== 1) return undefined;
  if (r.operator === 'In') return { key, equal: true, value: values[0]! };
  if (r.operator === 'NotIn') return { key, equal: false, value: values[0]! };
  return undefined;
}

export function compileNodeSelectorTerm(v: unknown): CompiledTerm {
  const term = asRecord(v) ?? {};
  const out: CompiledTerm = { labels: [], fields: [], valid: true };
  for (const e of asArray(term.matchExpressions)) {
    const r = asRecord(e);
    const req = r && compileRequirement(r);
    if (!req) out.valid = false;
    else out.labels.push(req);
  }
  for (const e of asArray(term.matchFields)) {
    const r = asRecord(e);
    const req = r && compileField(r);
    if (!req) out.valid = false;
    else out.fields.push(req);
  }
  return out;
}

function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.op) {
    case 'In':
      return has && r.values.includes(labels[r.key]!);
    case 'NotIn':
      return !has || !r.values.includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has) return false;
      const v = labels[r.key]!;
      if (!INTEGER.test(v)) return false;
      const n = Number(v);
      return r.op === 'Gt' ? n > r.bound : n < r.bound;
    }
  }
}

export function termMatches(term: CompiledTerm, node: NodeLabelsAndName): boolean {
  if (!term.valid) return false;
  if (term.labels.length === 0 && term.fields.length === 0) return false;
  for (const r of term.labels) if (!requirementMatches(r, node.labels)) return false;
  for (const f of term.fields) {
    // metadata.name is the only field a node offers; any other reads as empty.
    const actual = f.key === 'metadata.name' ? node.name : '';
    if ((actual === f.value) !== f.equal) return false;
  }
  return true;
}

/** spec.nodeSelector and the required node affinity of a pod, compiled. */
export interface RequiredNodeAffinity {
  /** nodeSelector pairs, every one must match. */
  selector: [string, string][] | undefined;
  /** Required terms, any one must match; undefined: the pod has none. */
  terms: CompiledTerm[] | undefined;
  /**
   * The node names the required terms allow when every term pins metadata.name with In (as
   * DaemonSet pods do): only those nodes are worth filtering. Empty: the terms contradict.
   */
  nodeNames: Set<string> | undefined;
}

export function compileRequiredNodeAffinity(spec: Record<string, unknown>): RequiredNodeAffinity | undefined {
  const nodeSelector = asRecord(spec.nodeSelector);
  const required = asRecord(
    asRecord(asRecord(spec.affinity)?.nodeAffinity)?.requiredDuringSchedulingIgnoredDuringExecution,
  );
  if (!nodeSelector && !required) return undefined;
  const selector = nodeSelector
    ? Object.entries(nodeSelector).map(([k, v]) => [k, String(v)] as [string, string])
    : undefined;
  let terms: CompiledTerm[] | undefined;
  let nodeNames: Set<string> | undefined;
  if (required) {
    const rawTerms = asArray(required.nodeSelectorTerms);
    terms = rawTerms.map(compileNodeSelectorTerm);
    nodeNames = pinnedNodeNames(rawTerms);
  }
  return { selector, terms, nodeNames };
}

/** NodeAffinity's PreFilter: the union over terms of the names each term pins with metadata.name In. */
function pinnedNodeNames(rawTerms: unknown[]): Set<string> | undefined {
  if (rawTerms.length === 0) return undefined;
  let union: Set<string> | undefined;
  for (const t of rawTerms) {
    let termNames: Set<string> | undefined;
    for (const f of asArray(asRecord(t)?.matchFields)) {
      const r = asRecord(f);
      if (r?.key !== 'metadata.name' || r.operator !== 'In') continue;
      const s = new Set(asArray(r.values).map(String));
      termNames = termNames ? new Set([...termNames].filter((n) => s.has(n))) : s;
    }
    // A term without a pinned name allows every node (terms are ORed).
    if (!termNames) return undefined;
    union ??= new Set();
    for (const n of termNames) union.add(n);
  }
  return union;
}

export function requiredNodeAffinityMatches(
  a: RequiredNodeAffinity | undefined,
  node: NodeLabelsAndName,
): boolean {
  if (!a) return true;
  if (a.selector) {
    for (const [k, v] of a.selector) if (node.labels[k] !== v) return false;
  }
  if (a.terms) {
    for (const t of a.terms) if (termMatches(t, node)) return true;
    return false;
  }
  return true;
}

export interface PreferredTerm {
  weight: number;
  term: CompiledTerm;
}

export function compilePreferredNodeAffinity(spec: Record<string, unknown>): PreferredTerm[] | undefined {
  const preferred = asArray(
    asRecord(asRecord(spec.affinity)?.nodeAffinity)?.preferredDuringSchedulingIgnoredDuringExecution,
  );
  const out: PreferredTerm[] = [];
  for (const p of preferred) {
    const r = asRecord(p);
    const weight = typeof r?.weight === 'number' ? r.weight : 0;
    // Weight 0 terms carry nothing.
    if (!r || weight === 0) continue;
    out.push({ weight, term: compileNodeSelectorTerm(r.preference) });
  }
  return out.length > 0 ? out : undefined;
}

export function preferredNodeAffinityScore(terms: readonly PreferredTerm[], node: NodeLabelsAndName): number {
  let score = 0;
  for (const t of terms) if (termMatches(t.term, node)) score += t.weight;
  return score;
}
