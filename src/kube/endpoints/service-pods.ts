// What the EndpointSlice and Endpoints controllers share: the shapes of Services and Pods they
// read, which pods a Service selects, which of them belong in its endpoints, the port a Service
// port reaches on a given pod (named target ports are resolved per pod), and which pod changes
// can change a Service's endpoints at all (the rest are ignored, so status churn costs nothing).

import { isIP } from 'node:net';
import type { Informer } from '../../client/informer.js';
import type { KubeObject } from '../../machinery/object.js';
import type { ContainerPort, Pod } from '../workloads/types.js';

export interface ServicePort {
  name?: string;
  protocol?: string;
  port: number;
  targetPort?: number | string;
  appProtocol?: string;
}

export interface Service extends KubeObject {
  spec?: {
    selector?: Record<string, string>;
    ports?: ServicePort[];
    clusterIP?: string;
    type?: string;
    ipFamilies?: string[];
    publishNotReadyAddresses?: boolean;
  };
}

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

/** A Service this controller family looks after: a selector, and not ExternalName. */
export function selectorOf(svc: Service): Record<string, string> | undefined {
  if (svc.spec?.type === 'ExternalName') return undefined;
  const sel = svc.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

export function selects(
  selector: Record<string, string>,
  labels: Record<string, string> | undefined,
): boolean {
  if (!labels) return false;
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

export function isHeadless(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return ip === 'None' || !ip;
}

export function isPodReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

export function podIPs(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

/** ShouldPodBeInEndpoints: not terminal, has an IP, and (unless included) not terminating. */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (podIPs(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** The pod's IPs of one family. */
export function addressesOf(pod: Pod, family: 'IPv4' | 'IPv6'): string[] {
  return podIPs(pod).filter((ip) => isIP(ip) === (family === 'IPv4' ? 4 : 6));
}

/** FindPort: a numeric target port as is; a named one looked up in the pod's container ports. */
export function findPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const protocol = port.protocol ?? 'TCP';
  const matches = (p: ContainerPort) => p.name === target && (p.protocol ?? 'TCP') === protocol;
  for (const c of pod.spec?.containers ?? []) {
    const hit = (c.ports ?? []).find(matches);
    if (hit) return hit.containerPort;
  }
  // Sidecars (init containers that keep running) serve ports too.
  for (const c of pod.spec?.initContainers ?? []) {
    if (c.restartPolicy !== 'Always') continue;
    const hit = (c.ports ?? []).find(matches);
    if (hit) return hit.containerPort;
  }
  return undefined;
}

/** ShouldSetHostname: the pod names the Service as its subdomain. */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return (
    !!pod.spec?.hostname &&
    pod.spec.subdomain === svc.metadata.name &&
    pod.metadata.namespace === svc.metadata.namespace
  );
}

/** The address families a Service's endpoints are published for. */
export function addressFamilies(svc: Service): ('IPv4' | 'IPv6')[] {
  const fams = (svc.spec?.ipFamilies ?? []).filter((f): f is 'IPv4' | 'IPv6' => f === 'IPv4' || f === 'IPv6');
  if (fams.length > 0) return fams;
  const ip = svc.spec?.clusterIP;
  if (ip && ip !== 'None') return [isIP(ip) === 6 ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/** Whether a pod change can change any Service's endpoints (podEndpointsChanged). */
export function podEndpointsChanged(old: Pod, pod: Pod): boolean {
  if (!!old.metadata.deletionTimestamp !== !!pod.metadata.deletionTimestamp) return true;
  if (isPodReady(old) !== isPodReady(pod)) return true;
  if (old.status?.phase !== pod.status?.phase) return true;
  if (podIPs(old).join(',') !== podIPs(pod).join(',')) return true;
  if (old.spec?.nodeName !== pod.spec?.nodeName) return true;
  if (old.spec?.hostname !== pod.spec?.hostname || old.spec?.subdomain !== pod.spec?.subdomain) return true;
  if (old.metadata.uid !== pod.metadata.uid) return true;
  return false;
}

function labelsEqual(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  return ak.every((k) => a![k] === b?.[k]);
}

/** Keys of the Services (in the pod's namespace) whose endpoints a pod change may affect. */
export function servicesForPodChange(services: Informer<Service>, old: Pod | undefined, pod: Pod): string[] {
  if (old && !podEndpointsChanged(old, pod) && labelsEqual(old.metadata.labels, pod.metadata.labels))
    return [];
  const ns = pod.metadata.namespace ?? '';
  const out: string[] = [];
  for (const svc of services.list({ namespace: ns })) {
    const sel = selectorOf(svc);
    if (!sel) continue;
    if (selects(sel, pod.metadata.labels) || (old && selects(sel, old.metadata.labels))) {
      out.push(`${ns}/${svc.metadata.name}`);
    }
  }
  return out;
}
