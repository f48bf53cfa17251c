// ClusterResourceSetBinding bookkeeping: one binding per Cluster (named after it), holding per
// ClusterResourceSet the resources applied to that cluster with their hash and when.

import {
  ADDONS_API_VERSION,
  type ClusterResourceSet,
  type ClusterResourceSetBinding,
  type ResourceBinding,
  type ResourceRef,
  type ResourceSetBinding,
} from '../../apis/cluster-api/index.js';

export function newBinding(crs: ClusterResourceSet, clusterName: string): ClusterResourceSetBinding {
  return {
    apiVersion: ADDONS_API_VERSION,
    kind: 'ClusterResourceSetBinding',
    metadata: {
      name: clusterName,
      namespace: crs.metadata.namespace ?? 'default',
      ownerReferences: [crsOwnerRef(crs)],
    },
    spec: { clusterName, bindings: [] },
  };
}

export function crsOwnerRef(crs: ClusterResourceSet) {
  return {
    apiVersion: ADDONS_API_VERSION,
    kind: 'ClusterResourceSet',
    name: crs.metadata.name ?? '',
    uid: crs.metadata.uid ?? '',
  };
}

/** The binding with the CRS as one of its owners (a copy). */
export function withOwner(
  binding: ClusterResourceSetBinding,
  crs: ClusterResourceSet,
): ClusterResourceSetBinding {
  const refs = binding.metadata.ownerReferences ?? [];
  if (refs.some((r) => r.kind === 'ClusterResourceSet' && r.uid === crs.metadata.uid)) return binding;
  const others = refs.filter((r) => !(r.kind === 'ClusterResourceSet' && r.name === crs.metadata.name));
  return { ...binding, metadata: { ...binding.metadata, ownerReferences: [...others, crsOwnerRef(crs)] } };
}

export function entryFor(
  binding: ClusterResourceSetBinding,
  crsName: string,
): ResourceSetBinding | undefined {
  return binding.spec.bindings?.find((b) => b.clusterResourceSetName === crsName);
}

export function resourceEntry(
  set: ResourceSetBinding | undefined,
  ref: ResourceRef,
): ResourceBinding | undefined {
  return set?.resources?.find((r) => r.name === ref.name && r.kind === ref.kind);
}

/** The binding with the resource's record set for the CRS (a copy). */
export function setResource(
  binding: ClusterResourceSetBinding,
  crsName: string,
  record: ResourceBinding,
): ClusterResourceSetBinding {
  const sets = [...(binding.spec.bindings ?? [])];
  let i = sets.findIndex((b) => b.clusterResourceSetName === crsName);
  if (i < 0) {
    sets.push({ clusterResourceSetName: crsName, resources: [] });
    i = sets.length - 1;
  }
  const set = sets[i] as ResourceSetBinding;
  const resources = (set.resources ?? []).filter((r) => !(r.name === record.name && r.kind === record.kind));
  sets[i] = { ...set, resources: [...resources, record] };
  return { ...binding, spec: { ...binding.spec, bindings: sets } };
}

/** The binding without the CRS's records and ownership (a copy). */
export function withoutSet(binding: ClusterResourceSetBinding, crsName: string): ClusterResourceSetBinding {
  return {
    ...binding,
    metadata: {
      ...binding.metadata,
      ownerReferences: (binding.metadata.ownerReferences ?? []).filter(
        (r) => !(r.kind === 'ClusterResourceSet' && r.name === crsName),
      ),
    },
    spec: {
      ...binding.spec,
      bindings: (binding.spec.bindings ?? []).filter((b) => b.clusterResourceSetName !== crsName),
    },
  };
}
