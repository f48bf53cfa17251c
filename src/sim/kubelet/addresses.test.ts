import { describe, expect, it } from 'vitest';
import { formatCidr, hostAddress, PodAddressPool, parseCidr, subnet, subnetCount } from './addresses.js';

describe('addresses', () => {
  it('splits the pod CIDR into one /24 per node', () => {
    const cidr = parseCidr('10.244.0.0/16');
    expect(subnetCount(cidr, 24)).toBe(256);
    expect(formatCidr(subnet(cidr, 24, 0))).toBe('10.244.0.0/24');
    expect(formatCidr(subnet(cidr, 24, 7))).toBe('10.244.7.0/24');
    expect(() => subnet(cidr, 24, 256)).toThrow(/holds 256 subnets/);
    expect(hostAddress(parseCidr('172.18.0.0/16'), 2)).toBe('172.18.0.2');
  });

  it('rejects what is not an IPv4 CIDR', () => {
    expect(() => parseCidr('10.244.0.0', 'pod CIDR')).toThrow(/pod CIDR: "10.244.0.0" is not an IPv4 CIDR/);
    expect(() => parseCidr('300.1.1.1/8')).toThrow(/not an IPv4 CIDR/);
  });

  it('hands out each address once, skipping the bridge, and a freed one only after going round', () => {
    const fresh = new PodAddressPool(parseCidr('10.244.3.0/24'));
    const a = fresh.allocate();
    fresh.allocate();
    fresh.release(a!);
    expect(fresh.allocate()).toBe('10.244.3.4');

    const pool = new PodAddressPool(parseCidr('10.244.3.0/24'));
    expect(pool.capacity).toBe(253);
    const first = pool.allocate();
    expect(first).toBe('10.244.3.2');
    const all = new Set([first]);
    for (let i = 1; i < 253; i++) all.add(pool.allocate());
    expect(all.size).toBe(253);
    expect(pool.allocate()).toBeUndefined();
    pool.release('10.244.3.2');
    expect(pool.allocate()).toBe('10.244.3.2');
  });

  it('claims the addresses of pods found running', () => {
    const pool = new PodAddressPool(parseCidr('10.244.0.0/24'));
    expect(pool.claim('10.244.0.2')).toBe(true);
    expect(pool.claim('10.244.1.2')).toBe(false);
    expect(pool.allocate()).toBe('10.244.0.3');
  });
});
