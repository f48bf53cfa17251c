// How the API server knows a resource: its names as discovery publishes them, its scope, verbs,
// subresources and the strategy that gives it its behaviour.

import type { KubeObject } from '../../machinery/object.js';
import type { Schema } from '../../machinery/schema.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy, TableColumn } from './strategy.js';

export const STANDARD_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** The scale subresource: where replicas live in the parent object (JSON paths like ".spec.replicas"). */
export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  /** Path of a string label selector (CRDs), or absent to derive it from spec.selector. */
  labelSelectorPath?: string;
}

export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural, lower case: "deployments". */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Version objects are kept in; other versions are converted on the way in and out (CRDs). */
  storageVersion: string;
  status: boolean;
  scale?: ScaleSubresource;
  /** Other subresources served for this resource, each named with its discovery kind. */
  extraSubresources: { name: string; group: string; version: string; kind: string; verbs: string[] }[];
  /** metadata.generation is tracked (bumped when anything but metadata and status changes). */
  tracksGeneration: boolean;
  /** Create on PUT of a missing object (Kubernetes allows it for a few kinds). */
  allowCreateOnUpdate: boolean;
  strategy: Strategy;
  /** Structural schema of the kind: patches, apply, pruning and validation read it. */
  schema(): Schema | undefined;
  /** Custom resources: structural pruning rules apply (see machinery/prune.ts). */
  structuralSchema?: boolean;
  /** Validation against the kind's schema (kubernetes-models for built-ins, ajv for CRDs). */
  validateSchema?(obj: KubeObject): FieldError[];
  /**
   * Validation of the status alone, for status writes; undefined (or absent) means validate the
   * whole object with validateSchema.
   */
  validateStatusSchema?(obj: KubeObject): FieldError[] | undefined;
  /** Defaults declared in the schema (CRDs' `default:`), applied in place. */
  applySchemaDefaults?(obj: KubeObject): void;
  /** Extra printer columns (CRDs' additionalPrinterColumns), when not given by the strategy. */
  printerColumns?: (TableColumn & { jsonPath: string })[];
  /** Set for custom resources: the CRD name that serves them. */
  crdName?: string;
  /**
   * Server-side allocation for a new object (a Service's cluster IP and node ports), after
   * defaulting and before validation. Returns how to give it back if the create fails.
   */
  allocate?(obj: KubeObject): () => void;
  /** Custom resources: the CRD version's openAPIV3Schema as written (null when it has none). */
  crdOpenAPISchema?: Record<string, unknown> | null;
}

export function apiVersionOf(info: { group: string; version: string }): string {
  return info.group === '' ? info.version : `${info.group}/${info.version}`;
}
