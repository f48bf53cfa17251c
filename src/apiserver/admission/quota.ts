// The ResourceQuota admission check (Kubernetes' ResourceQuota plugin): a create, or an update
// that uses more, of an object a quota of its namespace counts is refused with 403 when it would
// take the namespace past a hard limit (`exceeded quota: q, requested: pods=1, used: pods=2,
// limited: pods=2`), and a pod that leaves out a compute resource a quota limits is refused
// (`failed quota: q: must specify limits.cpu for: app`). Usage is counted from the stored objects
// at the time of the write, so a quota works before the quota controller has written its status;
// two writes admitted at the same moment may both pass, where Kubernetes serialises them through
// the quota's status.

import type { KubeObject } from '../../machinery/object.js';
import { Quantity } from '../../machinery/quantity.js';
import {
  objectUsage,
  podMatchesScopes,
  quotaScopeTerms,
  sumUsage,
  type Usage,
} from '../../machinery/quota.js';
import { errors, type FieldError } from '../../machinery/status.js';
import type { AdmissionRequest, ValidatingAdmission } from './validating.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

/** The kinds whose objects quotas count, by their usage names. */
const COUNTED_KINDS = [
  '/Pod',
  '/Service',
  '/ConfigMap',
  '/Secret',
  '/PersistentVolumeClaim',
  '/ResourceQuota',
  'apps/Deployment',
  'apps/ReplicaSet',
  'apps/StatefulSet',
  'apps/DaemonSet',
  'batch/Job',
  'batch/CronJob',
];

/** Compute resources a container must state when a quota limits them (Kubernetes' validation set). */
const REQUIRED_PER_CONTAINER: Record<string, (r: Json) => boolean> = {
  cpu: (r) => obj(r.requests).cpu !== undefined,
  'requests.cpu': (r) => obj(r.requests).cpu !== undefined,
  memory: (r) => obj(r.requests).memory !== undefined,
  'requests.memory': (r) => obj(r.requests).memory !== undefined,
  'limits.cpu': (r) => obj(r.limits).cpu !== undefined,
  'limits.memory': (r) => obj(r.limits).memory !== undefined,
};

/** "pods=1,requests.cpu=500m", sorted by name. */
function pretty(usage: Usage, names: string[]): string {
  return [...names]
    .sort()
    .map((n) => `${n}=${(usage.get(n) ?? Quantity.zero()).toString()}`)
    .join(',');
}

/** "must specify limits.cpu for: a,b; requests.cpu for: a", or undefined when nothing is missing. */
function missingCompute(pod: KubeObject, hard: string[]): string | undefined {
  const required = hard.filter((n) => REQUIRED_PER_CONTAINER[n]);
  if (required.length === 0) return undefined;
  const spec = obj((pod as Json).spec);
  const containers = [
    ...(Array.isArray(spec.initContainers) ? spec.initContainers : []),
    ...(Array.isArray(spec.containers) ? spec.containers : []),
  ].map(obj);
  const missing = new Map<string, string[]>();
  for (const c of containers) {
    const resources = obj(c.resources);
    for (const n of required) {
      if (!REQUIRED_PER_CONTAINER[n]!(resources))
        missing.set(n, [...(missing.get(n) ?? []), String(c.name ?? '')]);
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()]
    .sort()
    .map((n) => `${n} for: ${[...new Set(missing.get(n))].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

export const quotaAdmission: ValidatingAdmission = {
  name: 'ResourceQuota',
  kinds: COUNTED_KINDS,
  async validate(req: AdmissionRequest): Promise<FieldError[]> {
    const namespace = req.namespace;
    if (!namespace) return [];
    const quotas = await req.reader.list('', 'resourcequotas', namespace);
    if (quotas.length === 0) return [];
    const { group, resource } = req;
    const isPod = group === '' && resource === 'pods';
    const usage = objectUsage(group, resource, req.object);
    // An update is charged only for what it adds.
    if (req.oldObject) {
      const before = objectUsage(group, resource, req.oldObject);
      for (const [n, q] of [...usage]) {
        const more = q.sub(before.get(n) ?? Quantity.zero());
        if (more.sign() > 0) usage.set(n, more);
        else usage.delete(n);
      }
    }
    if (usage.size === 0) return [];
    let others: KubeObject[] | undefined;
    for (const quota of [...quotas].sort((a, b) =>
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    )) {
      const hard = obj(obj((quota as Json).spec).hard);
      const terms = quotaScopeTerms(quota);
      if (terms.length > 0 && !(isPod && podMatchesScopes(req.object, terms))) continue;
      const quotaName = quota.metadata.name ?? '';
      if (isPod && req.operation === 'CREATE') {
        const missing = missingCompute(req.object, Object.keys(hard));
        if (missing)
          throw errors.forbiddenObject(group, resource, req.name, `failed quota: ${quotaName}: ${missing}`);
      }
      const names = Object.keys(hard).filter((n) => usage.has(n));
      if (names.length === 0) continue;
      others ??= (await req.reader.list(group, resource, namespace)).filter(
        (o) => o.metadata.name !== req.name,
      );
      const counted = terms.length > 0 ? others.filter((o) => podMatchesScopes(o, terms)) : others;
      const used = sumUsage(
        counted.map((o) => objectUsage(group, resource, o)),
        names,
      );
      const exceeded = names.filter((n) => {
        const limit = Quantity.tryParse(hard[n]);
        return limit !== undefined && used.get(n)!.add(usage.get(n)!).cmp(limit) > 0;
      });
      if (exceeded.length === 0) continue;
      const limits: Usage = new Map(exceeded.map((n) => [n, Quantity.parse(String(hard[n]))]));
      throw errors.forbiddenObject(
        group,
        resource,
        req.name,
        `exceeded quota: ${quotaName}, requested: ${pretty(usage, exceeded)}, used: ${pretty(used, exceeded)}, limited: ${pretty(limits, exceeded)}`,
      );
    }
    return [];
  },
};
