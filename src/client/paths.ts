// REST paths and query strings as the Kubernetes API lays them out:
//   /api/v1/namespaces/{ns}/pods/{name}/status        core group
//   /apis/apps/v1/namespaces/{ns}/deployments/{name}   named groups
//   /apis/rbac.authorization.k8s.io/v1/clusterroles    cluster-scoped

import type { DeleteOptions, ListOptions, ResourceRef, WatchOptions } from './client.js';
import type { Target } from './target.js';

/** "/api/v1" or "/apis/<group>/<version>". */
export function groupVersionPath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

export function resourcePath(ref: ResourceRef, target: Target): string {
  let path = groupVersionPath(ref.group, ref.version);
  if (ref.namespaced && target.namespace !== undefined)
    path += `/namespaces/${encodeURIComponent(target.namespace)}`;
  path += `/${ref.resource}`;
  if (target.name !== undefined) {
    path += `/${encodeURIComponent(target.name)}`;
    if (target.subresource) path += `/${target.subresource}`;
  }
  return path;
}

/** Query parameters; undefined and empty values are left out. */
export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    q.append(k, String(v));
  }
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

export function listQuery(opts: ListOptions): string {
  return queryString({
    labelSelector: opts.labelSelector,
    fieldSelector: opts.fieldSelector,
    limit: opts.limit,
    continue: opts.continue,
    resourceVersion: opts.resourceVersion,
    resourceVersionMatch: opts.resourceVersionMatch,
  });
}

export function watchQuery(opts: WatchOptions): string {
  return queryString({
    watch: 'true',
    labelSelector: opts.labelSelector,
    fieldSelector: opts.fieldSelector,
    resourceVersion: opts.resourceVersion,
    allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
    timeoutSeconds: opts.timeoutSeconds,
  });
}

export function writeQuery(opts: {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: string;
  force?: boolean;
}): string {
  return queryString({
    dryRun: opts.dryRun ? 'All' : undefined,
    fieldManager: opts.fieldManager,
    fieldValidation: opts.fieldValidation,
    force: opts.force === undefined ? undefined : String(opts.force),
  });
}

/** metav1.DeleteOptions as the body of a DELETE, the way client-go sends them. */
export function deleteOptionsBody(opts: DeleteOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
  if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
  if (opts.preconditions) body.preconditions = opts.preconditions;
  if (opts.dryRun) body.dryRun = ['All'];
  return body;
}
