// Addresses of a simulated cluster, as a CNI plugin and IPAM would hand them out: each node gets
// a /24 of the cluster's pod CIDR (spec.podCIDR, as the node IPAM controller assigns them) and an
// InternalIP from the node range; pods get the next free address of their node's /24 (the .1 is
// the node's bridge), the way host-local IPAM walks its range.

export interface Ipv4Cidr {
  /** The network address as a number. */
  base: number;
  bits: number;
  size: number;
}

export function parseIpv4(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** Parses "10.244.0.0/16"; throws naming the option when it is not an IPv4 CIDR. */
export function parseCidr(cidr: string, what = 'CIDR'): Ipv4Cidr {
  const slash = cidr.indexOf('/');
  const addr = slash > 0 ? parseIpv4(cidr.slice(0, slash)) : undefined;
  const bitsText = slash > 0 ? cidr.slice(slash + 1) : '';
  const bits = /^\d{1,2}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
  if (addr === undefined || !(bits >= 0 && bits <= 32)) {
    throw new Error(`${what}: "${cidr}" is not an IPv4 CIDR like 10.244.0.0/16`);
  }
  const size = 2 ** (32 - bits);
  return { base: addr - (addr % size), bits, size };
}

export function formatCidr(c: Ipv4Cidr): string {
  return `${formatIpv4(c.base)}/${c.bits}`;
}

/** The index-th subnet of `prefix` bits inside `cidr` (node i's pod CIDR). */
export function subnet(cidr: Ipv4Cidr, prefix: number, index: number): Ipv4Cidr {
  if (prefix < cidr.bits) throw new Error(`a /${prefix} does not fit in ${formatCidr(cidr)}`);
  const count = 2 ** (prefix - cidr.bits);
  if (index < 0 || index >= count) {
    throw new Error(
      `${formatCidr(cidr)} holds ${count} subnets of /${prefix}; subnet ${index} does not exist`,
    );
  }
  const size = 2 ** (32 - prefix);
  return { base: cidr.base + index * size, bits: prefix, size };
}

/** How many /prefix subnets a CIDR holds. */
export function subnetCount(cidr: Ipv4Cidr, prefix: number): number {
  return prefix < cidr.bits ? 0 : 2 ** (prefix - cidr.bits);
}

/** The host address at `offset` in a CIDR (offset 1 is the first usable one). */
export function hostAddress(cidr: Ipv4Cidr, offset: number): string {
  if (offset < 1 || offset >= cidr.size - 1) {
    throw new Error(`${formatCidr(cidr)} has no host number ${offset}`);
  }
  return formatIpv4(cidr.base + offset);
}

/**
 * Pod addresses of one node: from .2 to the last before broadcast, next-free after the last one
 * handed out, so a freed address is not reused at once.
 */
export class PodAddressPool {
  private readonly used = new Set<number>();
  private cursor = 2;

  constructor(readonly cidr: Ipv4Cidr) {}

  get capacity(): number {
    return Math.max(0, this.cidr.size - 3);
  }

  get inUse(): number {
    return this.used.size;
  }

  /** The next free address, or undefined when the range is exhausted. */
  allocate(): string | undefined {
    const first = 2;
    const last = this.cidr.size - 2;
    const span = last - first + 1;
    for (let i = 0; i < span; i++) {
      const offset = first + ((this.cursor - first + i) % span);
      if (!this.used.has(offset)) {
        this.used.add(offset);
        this.cursor = offset + 1 > last ? first : offset + 1;
        return formatIpv4(this.cidr.base + offset);
      }
    }
    return undefined;
  }

  /** Marks an address as used (pods found running after a restart); false if it is not ours. */
  claim(ip: string): boolean {
    const offset = this.offsetOf(ip);
    if (offset === undefined) return false;
    this.used.add(offset);
    return true;
  }

  release(ip: string): void {
    const offset = this.offsetOf(ip);
    if (offset !== undefined) this.used.delete(offset);
  }

  contains(ip: string): boolean {
    return this.offsetOf(ip) !== undefined;
  }

  private offsetOf(ip: string): number | undefined {
    const n = parseIpv4(ip);
    if (n === undefined) return undefined;
    const offset = n - this.cidr.base;
    return offset >= 2 && offset <= this.cidr.size - 2 ? offset : undefined;
  }
}
