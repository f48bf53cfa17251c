// URL + method -> what a request is about, following the Kubernetes API server's request-info
// rules (legacy /api and grouped /apis paths, namespaced and cluster-scoped resources,
// subresources, the deprecated /watch/ prefix, and namespaces' own status/finalize paths).

import { errors } from '../../machinery/status.js';
import type { Verb } from '../request.js';

export interface ResourceRequestInfo {
  isResourceRequest: true;
  verb: Verb;
  group: string;
  version: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface NonResourceRequestInfo {
  isResourceRequest: false;
  /** Lower-case HTTP verb, as RBAC's nonResourceURLs rules name them. */
  verb: string;
  path: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw errors.badRequest(`invalid URL escape in path segment "${segment}"`);
  }
}

function nonResource(method: string, path: string): NonResourceRequestInfo {
  return { isResourceRequest: false, verb: method.toLowerCase(), path };
}

export function parseRequestInfo(method: string, pathname: string, isWatchQuery: boolean): RequestInfo {
  const segments = pathname.split('/').filter((s) => s !== '');
  let parts: string[];
  let group: string;
  let version: string;
  if (segments[0] === 'api' && segments.length >= 3) {
    group = '';
    version = segments[1]!;
    parts = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1]!;
    version = segments[2]!;
    parts = segments.slice(3);
  } else {
    return nonResource(method, pathname);
  }
  let verb: Verb | undefined;
  if (parts[0] === 'watch') {
    verb = 'watch';
    parts = parts.slice(1);
  }
  let namespace: string | undefined;
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = decodeSegment(parts[1]!);
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    else namespace = undefined; // the namespace object itself (or its status/finalize)
  }
  if (parts.length === 0 || parts.length > 3) return nonResource(method, pathname);
  const resource = parts[0]!;
  const name = parts[1] !== undefined ? decodeSegment(parts[1]) : undefined;
  const subresource = parts[2];
  if (!verb) {
    switch (method) {
      case 'GET':
      case 'HEAD':
        verb = isWatchQuery ? 'watch' : name === undefined ? 'list' : 'get';
        break;
      case 'POST':
        verb = 'create';
        break;
      case 'PUT':
        verb = 'update';
        break;
      case 'PATCH':
        verb = 'patch';
        break;
      case 'DELETE':
        verb = name === undefined ? 'deletecollection' : 'delete';
        break;
      default:
        return nonResource(method, pathname);
    }
  }
  const info: ResourceRequestInfo = { isResourceRequest: true, verb, group, version, resource };
  if (namespace !== undefined) info.namespace = namespace;
  if (name !== undefined) info.name = name;
  if (subresource !== undefined) info.subresource = subresource;
  return info;
}
