// Allocation of Services' cluster IPs (from the cluster's service CIDR) and node ports
// (30000-32767), as the Kubernetes API server does on create. What is in use is rebuilt from
// the stored Services, so nothing but the Services themselves needs to be persisted.

import type { KubeObject } from '../machinery/object.js';
import { type ApiError, errors } from '../machinery/status.js';

/** An IPv4 CIDR parsed into its numeric range; network and broadcast addresses are never handed out. */
export class Ipv4Range {
  readonly base: number;
  readonly size: number;

  constructor(readonly cidr: string) {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
    if (!m) throw new Error(`not an IPv4 CIDR: ${cidr}`);
    const octets = m.slice(1, 5).map(Number);
    const bits = Number(m[5]);
    if (octets.some((o) => o > 255) || bits < 8 || bits > 30)
      throw new Error(`not a usable IPv4 CIDR: ${cidr}`);
    const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - bits);
    this.base = addr - (addr % size);
    this.size = size;
  }

  /** Index of an address inside the usable range, or undefined. */
  indexOf(ip: string): number | undefined {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
    if (!m) return undefined;
    const n = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
    const i = n - this.base;
    return i >= 1 && i < this.size - 1 ? i : undefined;
  }

  address(index: number): string {
    const n = this.base + index;
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
  }
}

/** A set of small integers handed out first-free after a rotating cursor, like Kubernetes' bitmaps. */
class SlotAllocator {
  private readonly used = new Set<number>();
  private cursor: number;

  constructor(
    private readonly first: number,
    private readonly last: number,
  ) {
    this.cursor = first;
  }

  take(n: number): boolean {
    if (n < this.first || n > this.last || this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  next(): number | undefined {
    const span = this.last - this.first + 1;
    for (let i = 0; i < span; i++) {
      const n = this.first + ((this.cursor - this.first + i) % span);
      if (!this.used.has(n)) {
        this.used.add(n);
        this.cursor = n + 1 > this.last ? this.first : n + 1;
        return n;
      }
    }
    return undefined;
  }

  release(n: number): void {
    this.used.delete(n);
  }

  has(n: number): boolean {
    return this.used.has(n);
  }
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: { nodePort?: number }[];
}

function specOf(obj: KubeObject): ServiceSpec {
  return (obj.spec ?? {}) as ServiceSpec;
}

export const NODE_PORT_RANGE = { first: 30000, last: 32767 };

export class ServiceAllocator {
  readonly range: Ipv4Range;
  private readonly ips: SlotAllocator;
  private readonly ports = new SlotAllocator(NODE_PORT_RANGE.first, NODE_PORT_RANGE.last);

  constructor(serviceCIDR: string) {
    this.range = new Ipv4Range(serviceCIDR);
    this.ips = new SlotAllocator(1, this.range.size - 2);
  }

  /** The address of the `kubernetes` Service: the first of the range. */
  get apiServerIP(): string {
    return this.range.address(1);
  }

  /** Marks what a stored Service holds as in use (at start-up and as Services appear). */
  observe(obj: KubeObject): void {
    const spec = specOf(obj);
    const i = spec.clusterIP ? this.range.indexOf(spec.clusterIP) : undefined;
    if (i !== undefined) this.ips.take(i);
    for (const p of spec.ports ?? []) if (typeof p.nodePort === 'number') this.ports.take(p.nodePort);
  }

  /** Frees what a deleted Service held. */
  release(obj: KubeObject): void {
    const spec = specOf(obj);
    const i = spec.clusterIP ? this.range.indexOf(spec.clusterIP) : undefined;
    if (i !== undefined) this.ips.release(i);
    for (const p of spec.ports ?? []) if (typeof p.nodePort === 'number') this.ports.release(p.nodePort);
  }

  /**
   * Fills in a new Service's cluster IP and node ports (keeping requested ones when free).
   * Returns an undo function for when the create does not go through.
   */
  allocate(obj: KubeObject): () => void {
    const spec = specOf(obj);
    const taken: { ip?: number; ports: number[] } = { ports: [] };
    const undo = () => {
      if (taken.ip !== undefined) this.ips.release(taken.ip);
      for (const p of taken.ports) this.ports.release(p);
    };
    try {
      if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
        if (spec.clusterIP) {
          const i = this.range.indexOf(spec.clusterIP);
          if (i === undefined)
            throw invalidField(
              'spec.clusterIPs',
              spec.clusterIP,
              `failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${this.range.cidr}`,
            );
          if (!this.ips.take(i))
            throw invalidField(
              'spec.clusterIPs',
              spec.clusterIP,
              `failed to allocate IP ${spec.clusterIP}: provided IP is already allocated`,
            );
          taken.ip = i;
        } else {
          const i = this.ips.next();
          if (i === undefined) throw errors.internal(`failed to allocate a serviceIP: range is full`);
          taken.ip = i;
          spec.clusterIP = this.range.address(i);
        }
        spec.clusterIPs = [spec.clusterIP];
      }
      if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
        for (const [idx, p] of (spec.ports ?? []).entries()) {
          if (typeof p.nodePort === 'number' && p.nodePort !== 0) {
            if (!this.ports.take(p.nodePort)) {
              throw invalidField(
                `spec.ports[${idx}].nodePort`,
                p.nodePort,
                `provided port is already allocated`,
              );
            }
            taken.ports.push(p.nodePort);
          } else {
            const n = this.ports.next();
            if (n === undefined) throw errors.internal('failed to allocate a nodePort: range is full');
            taken.ports.push(n);
            p.nodePort = n;
          }
        }
      }
    } catch (err) {
      undo();
      throw err;
    }
    obj.spec = spec as never;
    return undo;
  }
}

function invalidField(field: string, value: unknown, detail: string): ApiError {
  return errors.invalid('', 'Service', '', [{ type: 'FieldValueInvalid', field, badValue: value, detail }]);
}
