// A managed topology's variables, as Cluster API resolves them: the ClusterClass's definitions
// with their schema defaults (nested object properties too), the Cluster's values over them
// (a MachineDeployment's overrides over those), every required one set, none unknown; and the
// builtin variables (.builtin.cluster, .builtin.controlPlane, .builtin.machineDeployment) that
// patches read beside them.

import type { ClusterClass, ClusterVariable } from '../../apis/cluster-api/index.js';

type Schema = { type?: string; default?: unknown; properties?: Record<string, Schema> };

function withDefaults(value: unknown, schema: Schema | undefined): unknown {
  if (!schema) return value;
  let v = value === undefined ? structuredClone(schema.default) : value;
  if (
    schema.type === 'object' &&
    schema.properties &&
    (v === undefined || (typeof v === 'object' && v !== null))
  ) {
    const obj = { ...((v as Record<string, unknown>) ?? {}) };
    let touched = v !== undefined;
    for (const [k, s] of Object.entries(schema.properties)) {
      const d = withDefaults(obj[k], s);
      if (d !== undefined && obj[k] === undefined) {
        obj[k] = d;
        touched = true;
      }
    }
    if (touched) v = obj;
  }
  return v;
}

export class VariableError extends Error {}

/** The variables' values by name; throws VariableError naming a missing or unknown one. */
export function resolveVariables(
  cc: ClusterClass,
  values: ClusterVariable[] | undefined,
  overrides?: ClusterVariable[],
): Record<string, unknown> {
  const defs = cc.spec.variables ?? [];
  const given = new Map<string, unknown>();
  for (const v of values ?? []) given.set(v.name, v.value);
  for (const v of overrides ?? []) given.set(v.name, v.value);
  const out: Record<string, unknown> = {};
  for (const name of given.keys()) {
    if (!defs.some((d) => d.name === name)) {
      throw new VariableError(`variable "${name}" is not defined in ClusterClass ${cc.metadata.name}`);
    }
  }
  for (const def of defs) {
    const v = withDefaults(given.get(def.name), def.schema?.openAPIV3Schema as Schema);
    if (v === undefined) {
      if (def.required) throw new VariableError(`required variable "${def.name}" is not set`);
      continue;
    }
    out[def.name] = v;
  }
  return out;
}

/** A variable's value by a dotted path ("podSecurityStandard.enforce", "builtin.cluster.name"). */
export function variableAt(vars: Record<string, unknown>, path: string): unknown {
  let cur: unknown = vars;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
