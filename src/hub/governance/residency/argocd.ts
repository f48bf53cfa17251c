// Residency at admission for Argo CD: an Application whose destination is a member a rule does
// not allow, while the rule covers the destination namespace, is refused (422 naming
// spec.destination and the rule); so is an ApplicationSet whose template's destination could be
// such a member. An ApplicationSet's templated destination is judged for what its list generators
// list and for every member its clusters generators select (by the members' labels); other
// generators (git, matrix, merge) are left to the scheduler-free path of Argo CD's own sync, and
// to the audit.

import type { KubeObject, LabelSelector } from '../../../machinery/object.js';
import type { FieldError } from '../../../machinery/status.js';
import type { ResidencyRule } from '../../apis/governance/index.js';
import { apiEndpointURL, type Cluster, clusterMatches } from '../../apis/karmada/index.js';
import { type Judgement, namespaceLabels } from './judgement.js';
import { hasNamespaceFilter, namespaceCovered } from './match.js';

interface Destination {
  server?: string;
  name?: string;
  namespace?: string;
}

type Check = (covering: ResidencyRule[], field: string, what: string, members: Cluster[]) => FieldError[];

const TEMPLATED = /\{\{/;

/** Argo CD's fasttemplate and Go-template parameters: {{key}} or {{.key}}, with dotted keys. */
function substitute(text: string | undefined, params: Record<string, unknown>): string | undefined {
  if (text === undefined) return undefined;
  return text.replace(/\{\{\s*\.?([\w.-]+)\s*\}\}/g, (all, key: string) => {
    let v: unknown = params;
    for (const part of key.split('.'))
      v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : all;
  });
}

function membersOf(j: Judgement, d: Destination): Cluster[] {
  return j.clusters.filter(
    (c) =>
      !c.metadata.deletionTimestamp &&
      ((d.name && c.metadata.name === d.name) ||
        (d.server &&
          c.spec?.apiEndpoint &&
          apiEndpointURL(c.spec.apiEndpoint).replace(/\/+$/, '') === d.server.replace(/\/+$/, ''))),
  );
}

async function rulesFor(j: Judgement, namespace: string | undefined): Promise<ResidencyRule[]> {
  const out: ResidencyRule[] = [];
  for (const rule of j.rules) {
    if (!namespace) {
      if (!hasNamespaceFilter(rule)) out.push(rule);
      continue;
    }
    if (namespaceCovered(rule, namespace, await namespaceLabels(j, namespace))) out.push(rule);
  }
  return out;
}

/** The destinations an ApplicationSet's generators make of its template's destination. */
function expand(j: Judgement, dest: Destination, generators: unknown[]): Destination[] {
  const out: Destination[] = [];
  for (const g of generators as Record<string, { elements?: unknown[]; selector?: unknown }>[]) {
    const each = (params: Record<string, unknown>) =>
      out.push({
        ...(dest.name !== undefined ? { name: substitute(dest.name, params) } : {}),
        ...(dest.server !== undefined ? { server: substitute(dest.server, params) } : {}),
        ...(dest.namespace !== undefined ? { namespace: substitute(dest.namespace, params) } : {}),
      });
    for (const e of g.list?.elements ?? [])
      if (e && typeof e === 'object') each(e as Record<string, unknown>);
    if (g.clusters) {
      const selector = g.clusters.selector as LabelSelector | undefined;
      for (const c of j.clusters) {
        if (selector && !clusterMatches(c, { labelSelector: selector })) continue;
        each({
          name: c.metadata.name,
          server: c.spec?.apiEndpoint ? apiEndpointURL(c.spec.apiEndpoint) : '',
          metadata: { labels: c.metadata.labels ?? {}, annotations: c.metadata.annotations ?? {} },
        });
      }
    }
  }
  return out;
}

export async function judgeArgoCD(j: Judgement, obj: KubeObject, check: Check): Promise<FieldError[]> {
  const spec = (obj.spec ?? {}) as {
    destination?: Destination;
    template?: { spec?: { destination?: Destination } };
    generators?: unknown[];
  };
  const what = 'the resources it deploys';
  if (obj.kind === 'Application') {
    const dest = spec.destination ?? {};
    const covering = await rulesFor(j, dest.namespace);
    return covering.length ? check(covering, 'spec.destination', what, membersOf(j, dest)) : [];
  }
  const dest = spec.template?.spec?.destination ?? {};
  const field = 'spec.template.spec.destination';
  const templated = [dest.name, dest.server, dest.namespace].some(
    (v) => v !== undefined && TEMPLATED.test(v),
  );
  const concrete = templated ? expand(j, dest, spec.generators ?? []) : [dest];
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const d of concrete) {
    const covering = await rulesFor(j, d.namespace);
    for (const e of covering.length ? check(covering, field, what, membersOf(j, d)) : []) {
      const key = `${e.field}|${e.detail}`;
      if (!seen.has(key)) errs.push(e);
      seen.add(key);
    }
  }
  return errs;
}
