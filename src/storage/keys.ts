// Store keys are resource paths, like the Kubernetes API server's etcd layout:
//   /registry/<group>/<resource>/<namespace>/<name>   namespaced objects
//   /registry/<group>/<resource>/<name>               cluster-scoped objects
// The core group is spelled "core". Prefixes end in "/" so that namespace "a" never
// matches namespace "ab".

export interface ResourcePath {
  group: string;
  resource: string;
  namespace?: string;
  name: string;
}

const ROOT = '/registry/';

function groupSegment(group: string): string {
  return group === '' ? 'core' : group;
}

export function resourceKey(path: ResourcePath): string {
  const base = `${ROOT}${groupSegment(path.group)}/${path.resource}/`;
  return path.namespace ? `${base}${path.namespace}/${path.name}` : `${base}${path.name}`;
}

/** Prefix of every object of a resource, or of those in one namespace. */
export function resourcePrefix(group: string, resource: string, namespace?: string): string {
  const base = `${ROOT}${groupSegment(group)}/${resource}/`;
  return namespace ? `${base}${namespace}/` : base;
}
