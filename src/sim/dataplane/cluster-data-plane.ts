// The data plane of one simulated cluster: its addresses (addresses.ts), the container runtime
// that runs echo pods for real (echo-runtime.ts), the service proxy (proxy/) and the cluster DNS
// server (dns/). A cluster fault takes all of it away at once: down closes every listener
// (connections refused), a partition makes them silent (nothing answers), heal brings them back.
//
// A cluster's addresses are claimed by binding its DNS server: the address of block i is only
// bound by the cluster that holds block i, so clusters of every process on the machine that use
// the same DNS port get blocks of their own without any other coordination.

import type { Logger } from 'pino';
import type { InformerFactory } from '../../client/informer-factory.js';
import { formatCidr, type Ipv4Cidr, parseCidr } from '../kubelet/addresses.js';
import {
  checkDataPlaneCidr,
  type DataPlaneAddresses,
  DEFAULT_CLUSTER_DNS_PORT,
  DEFAULT_CLUSTER_DOMAIN,
  dataPlaneAddresses,
  isLoopbackIPv4,
  MAX_DATA_PLANE_CLUSTERS,
} from './addresses.js';
import { ClustersetImports } from './clusterset.js';
import { ClusterDns } from './dns/cluster-dns.js';
import { CLUSTERSET_DOMAIN } from './dns/clusterset-records.js';
import { DnsServer } from './dns/server.js';
import { Zone } from './dns/zone.js';
import { EchoRuntime } from './echo-runtime.js';
import type { Reachability } from './listener.js';
import { ServiceProxy } from './proxy/service-proxy.js';
import { TcpProxy } from './proxy/tcp-proxy.js';
import { ServiceEndpoints } from './service-endpoints.js';

export interface DataPlaneOptions {
  /** The cluster's number in the address plan (default: the last run's if free, else the first free). */
  index?: number;
  /** Port of the cluster's DNS server (default 10053); clusters sharing it claim blocks by it. */
  dnsPort?: number;
  /** Address of the DNS server (default the plan's 127.B.193.53). */
  dnsAddress?: string;
  /** The DNS zone of Services (default cluster.local). */
  clusterDomain?: string;
}

/** What a cluster's data plane is, as cluster.json and the control API report it. */
export interface DataPlaneInfo {
  index: number;
  podCIDR: string;
  serviceCIDR: string;
  nodeCIDR: string;
  clusterDomain: string;
  dns: { address: string; port: number };
}

export interface DataPlaneClaim {
  addresses: DataPlaneAddresses;
  dns: DnsServer;
}

function isAddressInUse(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'EADDRINUSE';
}

/**
 * Claims a block of addresses: the explicit index, else the remembered one, else the first free.
 * `strict` (a store that keeps addresses) refuses to move away from the remembered one.
 */
export async function claimDataPlane(
  opts: DataPlaneOptions,
  remembered: number | undefined,
  strict: boolean,
): Promise<DataPlaneClaim> {
  const port = opts.dnsPort ?? DEFAULT_CLUSTER_DNS_PORT;
  if (opts.dnsAddress !== undefined && !isLoopbackIPv4(opts.dnsAddress)) {
    throw new Error(`data plane DNS address ${opts.dnsAddress} must be in 127.0.0.0/8`);
  }
  const fixed = opts.index ?? (strict ? remembered : undefined);
  const candidates =
    fixed !== undefined
      ? [fixed]
      : [
          ...(remembered !== undefined ? [remembered] : []),
          ...Array.from({ length: MAX_DATA_PLANE_CLUSTERS }, (_, i) => i).filter((i) => i !== remembered),
        ];
  for (const index of candidates) {
    const addresses = dataPlaneAddresses(index, port);
    if (opts.dnsAddress) addresses.dns.address = opts.dnsAddress;
    const dns = new DnsServer({ address: addresses.dns.address, port });
    try {
      await dns.listen();
      return { addresses, dns };
    } catch (err) {
      if (!isAddressInUse(err)) throw err;
      if (fixed !== undefined) {
        throw new Error(
          `the data plane's addresses ${addresses.block} (DNS ${addresses.dns.address}:${port}) are in use by another cluster`,
        );
      }
    }
  }
  throw new Error(`every data plane block (${MAX_DATA_PLANE_CLUSTERS}) is in use on this machine`);
}

export class ClusterDataPlane {
  readonly runtime: EchoRuntime;
  readonly proxy = new TcpProxy();
  readonly dns: DnsServer;
  readonly zone: Zone;
  readonly podCIDR: Ipv4Cidr;
  readonly serviceCIDR: Ipv4Cidr;
  readonly nodeCIDR: Ipv4Cidr;
  private view: ServiceEndpoints | undefined;
  private serviceProxy: ServiceProxy | undefined;
  private clusterDns: ClusterDns | undefined;
  private clusterset: ClustersetImports | undefined;
  private readonly clusterName: string;
  private mode: Reachability = 'up';
  private readonly logger: Logger;

  constructor(
    readonly addresses: DataPlaneAddresses,
    dns: DnsServer,
    opts: {
      cluster: string;
      region: string;
      clusterDomain?: string;
      podCIDR?: string;
      serviceCIDR?: string;
      nodeCIDR?: string;
      logger: Logger;
    },
  ) {
    this.logger = opts.logger;
    this.clusterName = opts.cluster;
    this.dns = dns;
    this.podCIDR = checkDataPlaneCidr(opts.podCIDR ?? addresses.podCIDR, 'pod CIDR');
    this.serviceCIDR = checkDataPlaneCidr(opts.serviceCIDR ?? addresses.serviceCIDR, 'service CIDR');
    this.nodeCIDR = checkDataPlaneCidr(opts.nodeCIDR ?? addresses.nodeCIDR, 'node CIDR');
    this.zone = new Zone(opts.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN);
    this.dns.addZone(this.zone);
    this.runtime = new EchoRuntime({
      cluster: opts.cluster,
      region: opts.region,
      ranges: [this.podCIDR, this.nodeCIDR],
    });
  }

  /** The ranges the API server and the kubelet use. */
  get ranges(): { podCIDR: string; serviceCIDR: string; nodeCIDR: string } {
    return {
      podCIDR: formatCidr(this.podCIDR),
      serviceCIDR: formatCidr(this.serviceCIDR),
      nodeCIDR: formatCidr(this.nodeCIDR),
    };
  }

  /**
   * Follows the cluster's Services and EndpointSlices (call before the informers start); with
   * `clusterset` (the cluster serves the MCS API) its ServiceImports too.
   */
  attach(informers: InformerFactory, opts: { clusterset?: boolean } = {}): void {
    this.view = new ServiceEndpoints(informers);
    this.serviceProxy = new ServiceProxy(this.view, this.proxy, this.serviceCIDR, this.logger);
    this.clusterDns = new ClusterDns(this.view, this.zone);
    if (opts.clusterset) {
      const zone = new Zone(CLUSTERSET_DOMAIN);
      this.dns.addZone(zone);
      this.clusterset = new ClustersetImports(
        informers,
        zone,
        this.proxy,
        parseCidr(this.addresses.gatewayCIDR, 'gateway CIDR'),
        this.clusterName,
        this.logger,
      );
    }
  }

  /** Where this cluster reaches a ClusterSetIP import (its own address for it), if it serves one. */
  clustersetAddress(namespace: string, name: string): string | undefined {
    return this.clusterset?.addressOf(namespace, name);
  }

  info(): DataPlaneInfo {
    return {
      index: this.addresses.index,
      ...this.ranges,
      clusterDomain: this.zone.origin,
      dns: { address: this.dns.address, port: this.dns.port },
    };
  }

  get reachability(): Reachability {
    return this.mode;
  }

  /** Up, down (every listener closed) or silent (a partition: nothing answers). */
  async setReachability(mode: Reachability): Promise<void> {
    this.mode = mode;
    await Promise.all([
      this.runtime.setReachability(mode),
      this.proxy.setReachability(mode),
      this.dns.setReachability(mode),
    ]);
  }

  /** Resolves once the service proxy has applied every change seen so far. */
  async settled(): Promise<void> {
    await this.serviceProxy?.settled();
    await this.clusterset?.settled();
  }

  async stop(): Promise<void> {
    this.serviceProxy?.stop();
    this.clusterDns?.stop();
    this.clusterset?.stop();
    this.view?.stop();
    await this.serviceProxy?.settled();
    await this.clusterset?.settled();
    await Promise.all([this.proxy.close(), this.dns.close(), this.runtime.stopAll()]);
  }
}
