// EndpointSlices of imports (pure): a member's own slices of an exported Service become one
// slice per source cluster, labelled as the MCS API says (service-name, source-cluster, and a
// managed-by that is not the endpointslice controller's), without the kubernetes.io/service-name
// label so that no cluster's own service proxy mistakes it for a local Service's.

import type { ImportPort } from '../../apis/mcs/index.js';
import { LABEL_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_SOURCE_CLUSTER } from '../../apis/mcs/index.js';
import type { MemberSlice } from '../members.js';

/** The managed-by value of the slices the hub writes. */
export const MCS_CONTROLLER_NAME = 'mcs-controller.concord.dev';

export function importSliceName(service: string, cluster: string): string {
  return `${service}-mcs-${cluster}`.slice(0, 253);
}

/** The slice of `cluster`'s endpoints of the Service namespace/name, from its own slices. */
export function importSlice(
  namespace: string,
  name: string,
  cluster: string,
  sources: MemberSlice[],
): MemberSlice {
  const endpoints: NonNullable<MemberSlice['endpoints']> = [];
  const ports: NonNullable<MemberSlice['ports']> = [];
  const seen = new Set<string>();
  for (const s of sources) {
    if (s.addressType && s.addressType !== 'IPv4') continue;
    for (const p of s.ports ?? []) {
      if (
        !ports.some(
          (q) => (q.name ?? '') === (p.name ?? '') && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'),
        )
      ) {
        ports.push({ name: p.name ?? '', port: p.port ?? null, protocol: p.protocol ?? 'TCP' });
      }
    }
    for (const e of s.endpoints ?? []) {
      const address = e.addresses?.[0];
      if (!address || seen.has(address)) continue;
      seen.add(address);
      endpoints.push({
        addresses: [address],
        conditions: {
          ready: e.conditions?.ready !== false,
          serving: e.conditions?.serving ?? e.conditions?.ready !== false,
          terminating: e.conditions?.terminating ?? false,
        },
        ...(e.hostname ? { hostname: e.hostname } : {}),
        ...(e.zone ? { zone: e.zone } : {}),
      });
    }
  }
  endpoints.sort((a, b) => a.addresses[0]!.localeCompare(b.addresses[0]!));
  ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: importSliceName(name, cluster),
      namespace,
      labels: {
        [LABEL_SERVICE_NAME]: name,
        [LABEL_SOURCE_CLUSTER]: cluster,
        [LABEL_MANAGED_BY]: MCS_CONTROLLER_NAME,
      },
    },
    addressType: 'IPv4',
    endpoints,
    ports,
  };
}

/** Ready backends of an import port in slices: the slice port of the same name and protocol. */
export function readyBackends(port: ImportPort, slices: MemberSlice[]): { host: string; port: number }[] {
  const out: { host: string; port: number }[] = [];
  for (const s of slices) {
    const sp = (s.ports ?? []).find(
      (p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'),
    );
    if (!sp || typeof sp.port !== 'number') continue;
    for (const e of s.endpoints ?? []) {
      const address = e.addresses?.[0];
      if (address && e.conditions?.ready !== false) out.push({ host: address, port: sp.port });
    }
  }
  return out;
}
