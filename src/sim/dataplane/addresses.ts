// The address plan of simulated clusters that carry real traffic. Everything that is dialled lives
// in 127.0.0.0/8, which Linux routes to the loopback interface as a whole, so any 127.x.y.z can be
// bound without configuration. The plan:
//
//   127.0.0.0/12     never given to a cluster: 127.0.0.1 (every API server, the hub, its DNS) and
//                    room for the hub's own addresses (clusterset IPs, global names)
//   127.B.0.0/16     cluster number i (B = 16 + i, so at most 240 clusters per machine):
//     127.B.0.0/17     pods: node n gets 127.B.n.0/24, pods .2 to .254 (128 nodes, 253 pods each)
//     127.B.128.0/18   Service ClusterIPs (16,382; the `kubernetes` Service takes the first)
//     127.B.192.0/24   node InternalIPs (the first node at .2, as without the data plane)
//     127.B.193.53     the cluster's DNS server
//     127.B.224.0/19   gateways (reserved)
//
// Object data of clusters without a data plane keeps the usual ranges (10.244.0.0/16 ...); those
// addresses are never dialled.

import { type Ipv4Cidr, parseCidr, parseIpv4 } from '../kubelet/addresses.js';

/** Second octet of the first cluster block: 127.0.0.0/12 stays with the hub and the API servers. */
export const FIRST_CLUSTER_OCTET = 16;
/** How many clusters of one machine can have a data plane at once. */
export const MAX_DATA_PLANE_CLUSTERS = 256 - FIRST_CLUSTER_OCTET;
/** The port every cluster's DNS server listens on, each on its own address (53 needs root). */
export const DEFAULT_CLUSTER_DNS_PORT = 10053;
/** The DNS zone of a cluster's Services. */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

export interface DataPlaneAddresses {
  /** The cluster's number in the plan (its block is 127.(16+index).0.0/16). */
  index: number;
  block: string;
  podCIDR: string;
  serviceCIDR: string;
  nodeCIDR: string;
  gatewayCIDR: string;
  dns: { address: string; port: number };
}

/** The ranges of cluster number `index`. */
export function dataPlaneAddresses(index: number, dnsPort = DEFAULT_CLUSTER_DNS_PORT): DataPlaneAddresses {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_DATA_PLANE_CLUSTERS) {
    throw new Error(
      `data plane index must be a whole number from 0 to ${MAX_DATA_PLANE_CLUSTERS - 1}, got ${index}`,
    );
  }
  if (!Number.isInteger(dnsPort) || dnsPort < 1 || dnsPort > 65535) {
    throw new Error(`data plane DNS port must be 1-65535, got ${dnsPort}`);
  }
  const b = `127.${FIRST_CLUSTER_OCTET + index}`;
  return {
    index,
    block: `${b}.0.0/16`,
    podCIDR: `${b}.0.0/17`,
    serviceCIDR: `${b}.128.0/18`,
    nodeCIDR: `${b}.192.0/24`,
    gatewayCIDR: `${b}.224.0/19`,
    dns: { address: `${b}.193.53`, port: dnsPort },
  };
}

const LOOPBACK = parseCidr('127.0.0.0/8');

/** Whether an address is an IPv4 address in 127.0.0.0/8: the only ones the data plane dials or binds. */
export function isLoopbackIPv4(ip: string): boolean {
  return cidrContains(LOOPBACK, ip);
}

export function cidrContains(cidr: Ipv4Cidr, ip: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && n >= cidr.base && n < cidr.base + cidr.size;
}

/** Checks that a range given for a cluster with a data plane lies in 127.0.0.0/8 and off 127.0.0.1. */
export function checkDataPlaneCidr(cidr: string, what: string): Ipv4Cidr {
  const c = parseCidr(cidr, what);
  const last = c.base + c.size - 1;
  if (c.base < LOOPBACK.base || last >= LOOPBACK.base + LOOPBACK.size) {
    throw new Error(`${what} ${cidr}: a cluster with a data plane needs ranges inside 127.0.0.0/8`);
  }
  const apiServers = parseIpv4('127.0.0.1')!;
  if (apiServers >= c.base && apiServers <= last) {
    throw new Error(`${what} ${cidr}: overlaps 127.0.0.1, where the API servers listen`);
  }
  return c;
}
