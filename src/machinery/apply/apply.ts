// Server-side apply (`PATCH` with `application/apply-patch+yaml`): merge the applied
// configuration into the live object by the schema, take away what this manager applied before
// and no longer applies (unless somebody else owns it), and refuse with 409 to change fields other
// managers own unless forced.

import { cloneJson } from '../json.js';
import type { JsonObject, KubeObject } from '../object.js';
import type { Schema } from '../schema.js';
import { errors, type FieldError } from '../status.js';
import { compare } from './compare.js';
import { applyConflictError } from './conflict.js';
import { fieldSetOf } from './field-set-of.js';
import { FieldSet } from './fieldpath.js';
import {
  hasLastApplied,
  KUBECTL_MANAGER,
  lastAppliedTakeover,
  lastAppliedValue,
  setLastApplied,
} from './last-applied.js';
import {
  encodeManagedFields,
  formatTime,
  type ManagedEntry,
  type ManagerIdentity,
  type Managers,
  managerKey,
  validateFieldManager,
} from './managed-fields.js';
import { mergeValues } from './merge.js';
import { gvkString, metaString, withoutManagedFields } from './object.js';
import {
  type Conflict,
  comparisonWithoutResetFields,
  normalizeResetFields,
  prune,
  type ResetFields,
  transferOwnership,
  untrackedFields,
  withoutResetFields,
} from './ownership.js';
import { keepFields, removeFields } from './remove.js';
import { objectTypeOf, type TypeNode } from './types.js';
import { liveManagers, recordUpdate } from './update.js';
import { joinValidationErrors, validateTyped } from './validate.js';
import { isMap, valuesEqual } from './value.js';

export interface ServerSideApplyOptions {
  /** The stored object; undefined when the apply creates it. */
  live?: KubeObject;
  /** The request body, parsed from YAML or JSON. */
  applied: unknown;
  /** The request's fieldManager (required for apply). */
  manager: string;
  /** The endpoint's apiVersion and kind, which the applied object must name: "apps/v1", "Deployment". */
  apiVersion: string;
  kind: string;
  /** Name and namespace from the URL; when given, the result must match them. */
  name?: string;
  namespace?: string;
  subresource?: string;
  /** Take fields from their other owners instead of failing with a conflict. */
  force?: boolean;
  /** The kind's structural schema; without one, types are deduced from the values. */
  schema?: Schema;
  time: Date | string;
  /** Fields this endpoint resets (status on the main resource...): not applied, never owned. */
  resetFields?: ResetFields;
  /** Custom resources: stored as plain JSON, so an absent struct is really absent. */
  unstructured?: boolean;
}

/** The manager recorded when an untracked object is first applied to: owner of what was there. */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/**
 * Applies a configuration and returns the object to store, metadata.managedFields included; when
 * the apply changes nothing it deep-equals the live object (the write can be skipped).
 * Throws ApiError: 422 for a missing or bad fieldManager, 400 for a body
 * that is not an object of the endpoint's kind, sets managedFields, or does not fit the schema,
 * 409 for conflicts (with one FieldManagerConflict cause per field), 400 when the result's name
 * or namespace does not match the URL.
 */
export function serverSideApply(opts: ServerSideApplyOptions): KubeObject {
  const managerErrors: FieldError[] =
    opts.manager === ''
      ? [{ type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' }]
      : validateFieldManager(opts.manager, 'fieldManager');
  if (managerErrors.length > 0) throw errors.invalid('meta.k8s.io', 'PatchOptions', '', managerErrors);

  const applied = checkApplied(opts);
  const type = objectTypeOf(opts.schema);
  const typeErrors = validateTyped(applied, type);
  if (typeErrors.length > 0) {
    const who = `${metaString(applied, 'namespace')}/${metaString(applied, 'name')}; ${gvkString(applied.apiVersion, applied.kind)}`;
    throw errors.badRequest(
      `failed to create typed patch object (${who}): ${joinValidationErrors(typeErrors)}`,
    );
  }

  const implicitStructs = !opts.unstructured;
  const reset = normalizeResetFields(opts.resetFields);
  const live: JsonObject = opts.live ? (withoutManagedFields(opts.live) as unknown as JsonObject) : {};
  const managers = liveManagers(opts.live);
  if (managers.size === 0 && opts.live) {
    // Somebody wrote this object before it was tracked: that somebody owns what is there now.
    recordUpdate(managers, {
      before: {},
      after: live,
      identity: { manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: opts.apiVersion },
      time: opts.time,
      type,
      resetFields: undefined,
      implicitStructs,
    });
  }

  const identity: ManagerIdentity = {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  };
  const attempt = (force: boolean) =>
    applyOnce({ live, applied, managers, identity, type, force, implicitStructs, reset, time: opts.time });

  let outcome = attempt(opts.force === true);
  if ('conflicts' in outcome && opts.manager === KUBECTL_MANAGER && opts.live) {
    // Fields client-side apply set and nobody changed since are taken over without a conflict.
    const takeover = lastAppliedTakeover(opts.live, opts.apiVersion, type, implicitStructs);
    if (takeover) {
      const real = outcome.conflicts.filter((c) => !takeover.has(c.path));
      outcome = real.length === 0 ? attempt(true) : { conflicts: real };
    }
  }
  if ('conflicts' in outcome) throw applyConflictError(outcome.conflicts);

  const object = cloneJson(outcome.changed ? outcome.merged : live) as unknown as KubeObject;
  if (!isMap(object.metadata)) object.metadata = {};
  checkName(object, opts);
  if (opts.manager === KUBECTL_MANAGER && hasLastApplied(object)) {
    setLastApplied(object, lastAppliedValue(applied));
  }
  const entries = encodeManagedFields(outcome.managers);
  if (entries) object.metadata.managedFields = entries;
  else delete object.metadata.managedFields;
  return object;
}

function checkApplied(opts: ServerSideApplyOptions): JsonObject {
  const applied = opts.applied;
  if (!isMap(applied)) {
    throw errors.badRequest(
      `error decoding patch: the applied configuration must be an object, not ${Array.isArray(applied) ? 'a list' : applied === null ? 'null' : typeof applied}`,
    );
  }
  if (applied.apiVersion !== opts.apiVersion || applied.kind !== opts.kind) {
    throw errors.badRequest(`invalid object type: ${gvkString(applied.apiVersion, applied.kind)}`);
  }
  if (isMap(applied.metadata)) {
    const mf = (applied.metadata as JsonObject).managedFields;
    if (mf !== undefined && mf !== null) throw errors.badRequest('metadata.managedFields must be nil');
  } else if (applied.metadata !== undefined && applied.metadata !== null) {
    throw errors.badRequest('error decoding patch: metadata must be an object');
  }
  return applied;
}

/** The API server's check of the object against the URL it was sent to. */
function checkName(object: KubeObject, opts: ServerSideApplyOptions): void {
  if (opts.name === undefined) return;
  const name = object.metadata.name;
  if (typeof name !== 'string' || name === '') {
    throw errors.badRequest(
      `the name of the object (${opts.name} based on URL) was undeterminable: name must be provided`,
    );
  }
  if (name !== opts.name) {
    throw errors.badRequest(
      `the name of the object (${name}) does not match the name on the URL (${opts.name})`,
    );
  }
  const ns = object.metadata.namespace;
  if (opts.namespace && typeof ns === 'string' && ns !== '' && ns !== opts.namespace) {
    throw errors.badRequest(
      `the namespace of the object (${ns}) does not match the namespace on the request (${opts.namespace})`,
    );
  }
}

interface ApplyAttempt {
  live: JsonObject;
  applied: JsonObject;
  managers: Managers;
  identity: ManagerIdentity;
  type: TypeNode;
  force: boolean;
  implicitStructs: boolean;
  reset: NormalizedResetFields;
  time: Date | string;
}

type NormalizedResetFields = ReturnType<typeof normalizeResetFields>;

type ApplyOutcome = { merged: JsonObject; managers: Managers; changed: boolean } | { conflicts: Conflict[] };

function applyOnce(a: ApplyAttempt): ApplyOutcome {
  const { type, reset } = a;
  // Work on copies: a conflict leaves the caller's managers as they were.
  const managers: Managers = new Map([...a.managers].map(([k, e]) => [k, { ...e }]));
  const key = managerKey(a.identity);
  const previous = managers.get(key);

  const config = stripResetFields(a.applied, reset, type);
  let merged = mergeValues(a.live, config, type) as JsonObject;
  const entry: ManagedEntry = { ...a.identity, set: withoutResetFields(fieldSetOf(a.applied, type), reset) };
  if (previous?.time !== undefined) entry.time = previous.time;
  managers.set(key, entry);
  const pruned = prune(merged, managers, previous?.set, type) as JsonObject;
  // Pruning can empty a map or list the configuration sets explicitly (labels: {}): put back
  // what the configuration says, which is all still there otherwise.
  merged = pruned === merged ? merged : (mergeValues(pruned, config, type) as JsonObject);

  const cmp = comparisonWithoutResetFields(
    compare(a.live, merged, type, { implicitStructs: a.implicitStructs }),
    reset,
  );
  const conflicts = transferOwnership(cmp, managers, key, a.force);
  if (conflicts.length > 0) return { conflicts };

  const mine = managers.get(key);
  if (mine) {
    mine.set = mine.set.difference(untrackedFields);
    if (mine.set.isEmpty()) managers.delete(key);
  }
  const changed = !valuesEqual(a.live, merged);
  if (changed && managers.has(key)) managers.get(key)!.time = formatTime(a.time);
  return { merged, managers, changed };
}

/** The configuration without what the endpoint resets, so that it never reaches the object. */
function stripResetFields(config: JsonObject, reset: NormalizedResetFields, type: TypeNode): JsonObject {
  if (!reset) return config;
  if (reset instanceof FieldSet) return (removeFields(config, reset, type) ?? {}) as JsonObject;
  const kept = (keepFields(config, reset.allExcept, type) ?? {}) as JsonObject;
  return { ...kept, apiVersion: config.apiVersion, kind: config.kind };
}
