// Clusterset IPs: carved from the part of 127.0.0.0/8 that no cluster's data plane gets
// (127.1.0.0 - 127.15.255.255; 127.0.0.0/16 is left to the API servers and the hub's DNS, and
// 127.16.0.0 upwards to clusters), at random so that hubs of one machine (parallel tests, several
// `concord up`) rarely meet, and never an address known to be taken.

import { randomInt } from 'node:crypto';

const FIRST = (127 << 24) | (1 << 16);
const END = (127 << 24) | (16 << 16);

function toIp(n: number): string {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function toNumber(ip: string): number | undefined {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Whether an address lies in the clusterset range. */
export function isClustersetIP(ip: string): boolean {
  const n = toNumber(ip);
  return n !== undefined && n >= FIRST >>> 0 && n < END >>> 0;
}

/** A free clusterset IP: none of `used`, not ending in .0 or .255. */
export function allocateClustersetIP(used: ReadonlySet<string>): string {
  for (;;) {
    const ip = toIp((FIRST + randomInt(END - FIRST)) >>> 0);
    const last = Number(ip.slice(ip.lastIndexOf('.') + 1));
    if (last !== 0 && last !== 255 && !used.has(ip)) return ip;
  }
}
