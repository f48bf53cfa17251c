// Runs a strategy the way the API server's admission does, for unit tests: preparation of an
// update, defaults, then validation, with the errors as kubectl prints them.

import type { Strategy } from '../../../apiserver/registry/strategy.js';
import type { KubeObject } from '../../../machinery/object.js';
import { fieldErrorMessage } from '../../../machinery/status.js';

export interface Admitted {
  obj: KubeObject;
  errors: string[];
}

/** A fresh object of a kind in namespace "ns". */
export function newObject(
  apiVersion: string,
  kind: string,
  name: string,
  spec?: unknown,
  extra: Partial<KubeObject> = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: { name, namespace: 'ns' },
    ...(spec === undefined ? {} : { spec: structuredClone(spec) }),
    ...structuredClone(extra),
  } as KubeObject;
}

/** Admits `obj` (an update of `old` when given): defaults it in place, returns the errors. */
export function admit(strategy: Strategy, obj: KubeObject, old?: KubeObject): Admitted {
  if (old) strategy.prepareForUpdate?.(obj, old);
  strategy.applyDefaults?.(obj);
  const errs = [
    ...(strategy.validate?.(obj) ?? []),
    ...(old ? (strategy.validateUpdate?.(obj, old) ?? []) : []),
  ];
  return { obj, errors: errs.map((e) => fieldErrorMessage(e)) };
}

/** Admits a create, then an update made by `change` on a copy of the stored object. */
export function update(strategy: Strategy, created: KubeObject, change: (obj: KubeObject) => void): Admitted {
  const first = admit(strategy, created);
  if (first.errors.length > 0) throw new Error(`the object to update is invalid: ${first.errors.join('; ')}`);
  const next = structuredClone(first.obj);
  change(next);
  return admit(strategy, next, first.obj);
}

/** An object's fields read freely by tests. */
// biome-ignore lint/suspicious/noExplicitAny: tests drill into arbitrary JSON documents
export type Doc = Record<string, any>;
