// Ownership for every write that is not an apply (create, PUT, JSON / merge / strategic merge
// patch, subresources): the writer owns what its write added or changed, and takes it from
// everybody else. Updates never conflict.

import type { KubeObject, ManagedFieldsEntry } from '../object.js';
import type { Schema } from '../schema.js';
import { compare } from './compare.js';
import {
  capUpdateManagers,
  decodeManagedFields,
  encodeManagedFields,
  formatTime,
  isResetRequest,
  type ManagerIdentity,
  type Managers,
  managerKey,
} from './managed-fields.js';
import { invalidObject, metaString, withoutManagedFields } from './object.js';
import {
  comparisonWithoutResetFields,
  type ResetFields,
  transferOwnership,
  untrackedFields,
  withoutResetFields,
} from './ownership.js';
import { objectTypeOf, type TypeNode } from './types.js';

export interface UpdateManagedFieldsOptions {
  /** The stored object before the write; undefined for a create. */
  live?: KubeObject;
  /** The object about to be stored, with metadata.managedFields as the request sent them. */
  updated: KubeObject;
  /** The request's fieldManager (the API server falls back to the user agent); "" is "unknown". */
  manager: string;
  /** The apiVersion the request was made with: "apps/v1". */
  apiVersion: string;
  /** "status", "scale"...; a subresource write cannot set managedFields. */
  subresource?: string;
  time: Date | string;
  /** The kind's structural schema; without one, types are deduced from the values. */
  schema?: Schema;
  /** Fields this endpoint resets (status on the main resource...): never owned through it. */
  resetFields?: ResetFields;
  /** Custom resources: stored as plain JSON, so an absent struct is really absent. */
  unstructured?: boolean;
}

/** The entry key updates are recorded under before they are credited to their manager. */
const CURRENT_OPERATION = managerKey({ manager: 'current-operation', operation: 'Update', apiVersion: '' });

/** The managers an existing object records; entries that cannot be read are skipped. */
export function liveManagers(live: KubeObject | undefined): Managers {
  // What is stored was encoded by this code: its field sets can be written back as they are.
  return decodeManagedFields(live?.metadata?.managedFields, undefined, { stored: true }).managers;
}

/**
 * The metadata.managedFields to store with `updated`, or undefined to store none (the object is
 * not tracked: it existed before tracking, or the request reset it with `managedFields: []`).
 *
 * A request may set managedFields itself (kubectl edit, replace): valid entries replace the live
 * ones, `[]` or `[{}]` stops tracking, an invalid entry is a 422 naming it. Throws ApiError.
 */
export function updateManagedFields(opts: UpdateManagedFieldsOptions): ManagedFieldsEntry[] | undefined {
  const { live, updated } = opts;
  const requested = updated.metadata?.managedFields as unknown;
  let managers: Managers;
  if (opts.subresource) {
    managers = liveManagers(live);
  } else if (isResetRequest(requested)) {
    managers = new Map();
  } else if (requested !== undefined && requested !== null) {
    const decoded = decodeManagedFields(requested);
    if (decoded.errors.length > 0) throw invalidObject(updated, metaString(updated, 'name'), decoded.errors);
    managers = decoded.managers.size > 0 ? decoded.managers : liveManagers(live);
  } else {
    managers = liveManagers(live);
  }
  // Objects that existed before anybody tracked them stay untracked until something applies.
  if (managers.size === 0 && live !== undefined) return undefined;

  recordUpdate(managers, {
    before: live ? withoutManagedFields(live) : {},
    after: withoutManagedFields(updated),
    identity: {
      manager: opts.manager === '' ? 'unknown' : opts.manager,
      operation: 'Update',
      apiVersion: opts.apiVersion,
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
    },
    time: opts.time,
    type: objectTypeOf(opts.schema),
    resetFields: opts.resetFields,
    implicitStructs: !opts.unstructured,
  });
  return encodeManagedFields(managers);
}

export interface RecordedUpdate {
  before: unknown;
  after: unknown;
  identity: ManagerIdentity;
  time: Date | string;
  type: TypeNode;
  resetFields: ResetFields | undefined;
  implicitStructs: boolean;
}

/** Credits the change from `before` to `after` to an Update manager; mutates `managers`. */
export function recordUpdate(managers: Managers, u: RecordedUpdate): void {
  const cmp = comparisonWithoutResetFields(
    compare(u.before, u.after, u.type, { implicitStructs: u.implicitStructs }),
    u.resetFields,
  );
  transferOwnership(cmp, managers, CURRENT_OPERATION, true);
  const changed = withoutResetFields(cmp.modified.union(cmp.added), u.resetFields).difference(
    untrackedFields,
  );
  if (!changed.isEmpty()) {
    const key = managerKey(u.identity);
    const previous = managers.get(key);
    managers.set(key, {
      ...u.identity,
      time: formatTime(u.time),
      set: previous ? changed.union(previous.set) : changed,
    });
  }
  capUpdateManagers(managers);
}
