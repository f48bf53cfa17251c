// k8gb's Gslb (global server load balancing), as its Go types have it. k8gb serves it under two
// groups: k8gb.io (current, with spec.serviceHealthPolicy) and k8gb.absa.oss (the original); the
// hub serves both, with the same fields.

import type { KubeObject } from '../../../machinery/object.js';

export const K8GB_GROUP = 'k8gb.io';
export const K8GB_LEGACY_GROUP = 'k8gb.absa.oss';
export const K8GB_VERSION = 'v1beta1';

export const STRATEGY_ROUND_ROBIN = 'roundRobin';
export const STRATEGY_FAILOVER = 'failover';
export const STRATEGY_GEOIP = 'geoip';
export const GSLB_STRATEGIES = [STRATEGY_ROUND_ROBIN, STRATEGY_FAILOVER, STRATEGY_GEOIP] as const;
/** k8gb's TTL when spec.strategy.dnsTtlSeconds is 0 or absent, written into the spec. */
export const DEFAULT_DNS_TTL_SECONDS = 30;

export type HealthStatus = 'Healthy' | 'Unhealthy' | 'NotFound';

export interface IngressBackend {
  service?: { name: string; port?: { name?: string; number?: number } };
  resource?: { apiGroup?: string; kind: string; name: string };
}

export interface IngressSpec {
  ingressClassName?: string;
  defaultBackend?: IngressBackend;
  rules?: {
    host?: string;
    http?: { paths: { path?: string; pathType?: string; backend: IngressBackend }[] };
  }[];
  tls?: { hosts?: string[]; secretName?: string }[];
}

export interface GslbStrategy {
  type: string;
  weight?: Record<string, number>;
  primaryGeoTag?: string;
  dnsTtlSeconds?: number;
  splitBrainThresholdSeconds?: number;
}

export interface GslbResourceRef {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface GslbStatus {
  serviceHealth: Record<string, HealthStatus>;
  healthyRecords: Record<string, string[]>;
  geoTag: string;
  hosts?: string;
  loadBalancer?: { exposedIps?: string[] };
  servers?: { host?: string; services?: { namespace: string; name: string }[] }[];
}

export interface Gslb extends KubeObject {
  spec: {
    ingress?: IngressSpec;
    strategy: GslbStrategy;
    resourceRef?: GslbResourceRef;
    serviceHealthPolicy?: 'Any' | 'All';
  };
  status?: GslbStatus;
}
