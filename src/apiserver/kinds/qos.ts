// A pod's quality-of-service class, as the API server records it in status.qosClass on create:
// Guaranteed when every container limits cpu and memory and requests equal limits, BestEffort
// when nothing is requested or limited, Burstable otherwise.

import { Quantity } from '../../machinery/quantity.js';
import { asObject, objectItems } from './values.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = ['cpu', 'memory'];

function addPositive(into: Map<string, Quantity>, list: unknown, found?: Set<string>): void {
  for (const [name, value] of Object.entries(asObject(list) ?? {})) {
    if (!QOS_RESOURCES.includes(name)) continue;
    const q = Quantity.tryParse(value);
    if (!q || q.sign() <= 0) continue;
    found?.add(name);
    const prev = into.get(name);
    into.set(name, prev ? prev.add(q) : q);
  }
}

/**
 * ComputePodQOS over containers and init containers. Requests default to limits on Pods, so a
 * container that only sets limits counts as requesting them.
 */
export function computeQOSClass(spec: unknown): QOSClass {
  const s = asObject(spec) ?? {};
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  for (const key of ['containers', 'initContainers']) {
    for (const [c] of objectItems(s[key])) {
      const resources = asObject(c.resources) ?? {};
      const limitList = asObject(resources.limits) ?? {};
      const requestList = { ...limitList, ...(asObject(resources.requests) ?? {}) };
      addPositive(requests, requestList);
      const found = new Set<string>();
      addPositive(limits, limitList, found);
      if (!QOS_RESOURCES.every((r) => found.has(r))) guaranteed = false;
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim?.cmp(req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
