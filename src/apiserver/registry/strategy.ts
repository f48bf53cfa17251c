// What makes one kind behave like itself in the generic REST machinery: defaulting, validation,
// which fields a field selector can use, how `kubectl get` prints it, and how its status and
// spec are split between the main resource and the status subresource.
// Mirrors the Kubernetes apiserver's RESTCreateStrategy / RESTUpdateStrategy.

import type { NameRule } from '../../machinery/names.js';
import type { KubeObject } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';
import type { StatusWritableMeta } from './object-meta.js';

export interface TableColumn {
  name: string;
  /** OpenAPI type of the cells: string, integer, number, boolean, date. */
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description?: string;
  /** 0: always shown; 1 and more: only with -o wide. */
  priority?: number;
}

export interface TableConverter {
  columns: TableColumn[];
  /** One row's cells, in column order. */
  cells(obj: KubeObject, now: Date): unknown[];
}

/** Access to other objects of the same server, for strategies that need them (e.g. IP allocators). */
export interface StrategyContext {
  now(): Date;
}

export interface Strategy {
  /** How names of this kind are validated (most kinds: DNS-1123 subdomain). */
  nameRule?: NameRule;

  /**
   * Fill defaults the way Kubernetes' defaulting functions do (Pod restartPolicy, Deployment
   * strategy, Service type...). Mutates obj. Runs on create and on every update.
   */
  applyDefaults?(obj: KubeObject): void;

  /**
   * Status sent on create is dropped for kinds with a status subresource (a controller owns it),
   * unless this is set (Nodes: the kubelet registers a node with its status).
   */
  keepStatusOnCreate?: boolean;

  /** Prepare a new object after generic preparation: e.g. a Pod starts in phase Pending. */
  prepareForCreate?(obj: KubeObject): void;

  /** Extra preparation of an update of the main resource (the old status is already kept). */
  prepareForUpdate?(obj: KubeObject, old: KubeObject): void;

  /**
   * Metadata a write through the status subresource may not change (it keeps the stored value).
   * Kubernetes' status strategies differ per kind: Deployments keep labels, Pods owner references;
   * most built-in kinds let status writers change labels and annotations. Default: none.
   */
  statusResets?: readonly StatusWritableMeta[];

  /** Extra preparation of a status update (spec and identity are already reset to the old ones). */
  prepareForStatusUpdate?(obj: KubeObject, old: KubeObject): void;

  /** Kind-specific validation beyond the schema (names, ranges, cross-field rules). */
  validate?(obj: KubeObject): FieldError[];

  /** Extra rules for updates: immutable fields and such. */
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];

  /** Field-selector fields beyond metadata.name and metadata.namespace. */
  selectableFields?(obj: KubeObject): Record<string, string>;

  /** Custom `kubectl get` columns; absent: NAME and AGE. */
  table?: TableConverter;

  /**
   * Runs on DELETE before anything is written: may refuse (throw an ApiError, e.g. for the
   * default namespace) or mark the object as going away (a Namespace turns Terminating).
   */
  prepareForDelete?(obj: KubeObject): void;

  /** Finalization still pending beyond metadata.finalizers (a Namespace's spec.finalizers). */
  pendingFinalization?(obj: KubeObject): boolean;

  /**
   * Whether a DELETE of this object should be graceful (set deletionTimestamp and let an agent
   * finish), e.g. a Pod bound to a node. Returns the grace period to use, or 0 for immediate.
   */
  gracefulDeletionSeconds?(obj: KubeObject, requested: number | undefined): number;
}
