// Label and field selectors of list and watch requests, compiled once per request into one filter.

import { parseFieldSelector } from '../../machinery/fields.js';
import { parseLabelSelector } from '../../machinery/labels.js';
import type { KubeObject } from '../../machinery/object.js';
import { errors } from '../../machinery/status.js';
import type { ResourceQuery } from '../request.js';
import type { ResourceInfo } from './resource-info.js';

export interface ObjectFilter {
  /** True when the request selects everything (no selector at all). */
  isEverything: boolean;
  matches(obj: KubeObject): boolean;
}

/** metadata.name, metadata.namespace and the kind's own selectable fields. */
export function selectableFields(info: ResourceInfo, obj: KubeObject): Record<string, string> {
  const fields: Record<string, string> = {
    'metadata.name': obj.metadata?.name ?? '',
  };
  if (info.namespaced) fields['metadata.namespace'] = obj.metadata?.namespace ?? '';
  const extra = info.strategy.selectableFields?.(obj);
  if (extra) Object.assign(fields, extra);
  return fields;
}

const emptyObject = { apiVersion: '', kind: '', metadata: {} } as KubeObject;

export function compileSelectors(
  info: ResourceInfo,
  query: Pick<ResourceQuery, 'labelSelector' | 'fieldSelector'>,
): ObjectFilter {
  const labels = query.labelSelector ? parseLabelSelector(query.labelSelector) : undefined;
  const fields = query.fieldSelector ? parseFieldSelector(query.fieldSelector) : undefined;
  if (fields) {
    const supported = selectableFields(info, emptyObject);
    // Cluster-scoped kinds still accept metadata.namespace (always empty), as Kubernetes does.
    supported['metadata.namespace'] ??= '';
    for (const req of fields.requirements()) {
      if (!(req.field in supported)) {
        throw errors.badRequest(`field label not supported: ${req.field}`);
      }
    }
  }
  const labelsEmpty = !labels || labels.isEmpty();
  const fieldsEmpty = !fields || fields.isEmpty();
  if (labelsEmpty && fieldsEmpty) return { isEverything: true, matches: () => true };
  return {
    isEverything: false,
    matches(obj: KubeObject): boolean {
      if (labels && !labels.matches(obj.metadata?.labels ?? {})) return false;
      if (fields) {
        const set = selectableFields(info, obj);
        set['metadata.namespace'] ??= '';
        if (!fields.matches(set)) return false;
      }
      return true;
    },
  };
}
