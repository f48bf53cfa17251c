// The objects a ClusterResourceSet resource carries: every value of its ConfigMap's data (a
// Secret's decoded) holds YAML documents or a JSON list of objects, applied in the order of the
// values' sorted keys, each value's objects sorted so that what others need comes first
// (Namespaces and CRDs before the rest), as Cluster API does. The hash over the sorted values
// is the one Cluster API records in a ClusterResourceSetBinding ("sha256:<hex>").

import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../../machinery/object.js';

export interface ResourceData {
  kind: 'ConfigMap' | 'Secret';
  data?: Record<string, string>;
}

/** The resource's values in the order of their keys (a Secret's base64-decoded). */
export function normalizedValues(resource: ResourceData): Buffer[] {
  const data = resource.data ?? {};
  return Object.keys(data)
    .sort()
    .map((k) =>
      resource.kind === 'Secret' ? Buffer.from(data[k] ?? '', 'base64') : Buffer.from(data[k] ?? '', 'utf8'),
    );
}

export function resourceHash(resource: ResourceData): string {
  const hash = createHash('sha256');
  for (const v of normalizedValues(resource)) hash.update(v);
  return `sha256:${hash.digest('hex')}`;
}

// Kinds created first, in this order (the rest keep their order after them).
const CREATE_FIRST = [
  'Namespace',
  'CustomResourceDefinition',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Service',
];

function createRank(kind: string): number {
  const i = CREATE_FIRST.indexOf(kind);
  return i < 0 ? CREATE_FIRST.length : i;
}

function isObject(v: unknown): v is KubeObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The objects of one value; throws naming the problem when it is neither YAML nor a JSON list of objects. */
export function objectsOf(value: string): KubeObject[] {
  const trimmed = value.trimStart();
  let items: unknown[];
  if (trimmed.startsWith('[')) {
    const parsed = JSON.parse(trimmed) as unknown;
    items = Array.isArray(parsed) ? parsed : [parsed];
  } else {
    items = [];
    for (const doc of parseAllDocuments(value)) {
      if (doc.errors.length > 0) throw new Error(doc.errors[0]?.message ?? 'invalid YAML');
      const v = doc.toJS() as unknown;
      if (v === null || v === undefined) continue;
      // A List kind carries its objects in items.
      const list = v as { kind?: unknown; items?: unknown };
      if (typeof list.kind === 'string' && list.kind.endsWith('List') && Array.isArray(list.items)) {
        items.push(...list.items);
      } else items.push(v);
    }
  }
  const objs: KubeObject[] = [];
  for (const item of items) {
    if (
      !isObject(item) ||
      typeof item.apiVersion !== 'string' ||
      typeof item.kind !== 'string' ||
      !item.metadata?.name
    ) {
      throw new Error('every object needs apiVersion, kind and metadata.name');
    }
    objs.push(item);
  }
  // A stable sort keeps the written order within one rank.
  return objs
    .map((o, i) => ({ o, i }))
    .sort((a, b) => createRank(a.o.kind ?? '') - createRank(b.o.kind ?? '') || a.i - b.i)
    .map(({ o }) => o);
}

/** Every object of the resource, value by value in key order. */
export function resourceObjects(resource: ResourceData): KubeObject[] {
  return normalizedValues(resource).flatMap((v) => objectsOf(v.toString('utf8')));
}
