import { describe, expect, it } from 'vitest';
import {
  checkDataPlaneCidr,
  dataPlaneAddresses,
  isLoopbackIPv4,
  MAX_DATA_PLANE_CLUSTERS,
} from './addresses.js';
import { claimDataPlane } from './cluster-data-plane.js';

describe('the data-plane address plan', () => {
  it('gives cluster i the block 127.(16+i).0.0/16, split into pods, services, nodes and DNS', () => {
    expect(dataPlaneAddresses(0)).toEqual({
      index: 0,
      block: '127.16.0.0/16',
      podCIDR: '127.16.0.0/17',
      serviceCIDR: '127.16.128.0/18',
      nodeCIDR: '127.16.192.0/24',
      gatewayCIDR: '127.16.224.0/19',
      dns: { address: '127.16.193.53', port: 10053 },
    });
    expect(dataPlaneAddresses(239).block).toBe('127.255.0.0/16');
    expect(MAX_DATA_PLANE_CLUSTERS).toBe(240);
    expect(() => dataPlaneAddresses(240)).toThrow(/0 to 239/);
  });

  it('accepts only ranges inside 127.0.0.0/8 that leave 127.0.0.1 alone', () => {
    expect(isLoopbackIPv4('127.200.3.4')).toBe(true);
    expect(isLoopbackIPv4('10.244.0.5')).toBe(false);
    expect(() => checkDataPlaneCidr('10.244.0.0/16', 'pod CIDR')).toThrow(/inside 127.0.0.0\/8/);
    expect(() => checkDataPlaneCidr('127.0.0.0/16', 'service CIDR')).toThrow(/overlaps 127.0.0.1/);
    expect(() => checkDataPlaneCidr('127.20.0.0/17', 'pod CIDR')).not.toThrow();
  });

  it('claims a free block by binding its DNS address, and refuses a block held by another', async () => {
    const dnsPort = 20000 + Math.floor(Math.random() * 20000);
    const first = await claimDataPlane({ dnsPort }, undefined, false);
    try {
      const second = await claimDataPlane({ dnsPort }, first.addresses.index, false);
      try {
        expect(second.addresses.index).not.toBe(first.addresses.index);
      } finally {
        await second.dns.close();
      }
      await expect(
        claimDataPlane({ dnsPort, index: first.addresses.index }, undefined, false),
      ).rejects.toThrow(/in use by another cluster/);
      await expect(claimDataPlane({ dnsPort }, first.addresses.index, true)).rejects.toThrow(
        /in use by another cluster/,
      );
    } finally {
      await first.dns.close();
    }
  });
});
