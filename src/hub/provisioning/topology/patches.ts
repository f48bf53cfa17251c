// A ClusterClass's inline patches, applied as Cluster API applies them to the templates of one
// Cluster before it stamps out objects: in order; a patch whose enabledIf renders to anything
// but "true" is skipped; each definition's selector picks templates by apiVersion, kind and the
// part of the topology they serve (infrastructure cluster, control plane, MachineDeployment
// class); each JSON patch's value is literal, a variable (dotted path) or a rendered template
// (YAML). Adding below a missing parent creates it, as Cluster API's patch engine does.

import { parse } from 'yaml';
import { applyJsonPatch } from '../../../machinery/patch/json-patch.js';
import type {
  ClusterClass,
  ClusterClassPatch,
  JSONPatch,
  PatchSelector,
} from '../../apis/cluster-api/index.js';
import { renderTemplate } from './gotemplate.js';
import { variableAt } from './variables.js';

/** Which part of the topology a template serves. */
export type TemplateRole =
  | { role: 'infrastructureCluster' }
  | { role: 'controlPlane' }
  | { role: 'machineDeployment'; class: string };

export interface PatchTarget {
  template: { apiVersion?: string; kind?: string; spec?: unknown };
  role: TemplateRole;
  /** The variables (with .builtin) as this template sees them. */
  variables: Record<string, unknown>;
}

function selects(selector: PatchSelector, target: PatchTarget): boolean {
  if (selector.apiVersion !== target.template.apiVersion || selector.kind !== target.template.kind)
    return false;
  const m = selector.matchResources ?? {};
  switch (target.role.role) {
    case 'infrastructureCluster':
      return m.infrastructureCluster === true;
    case 'controlPlane':
      return m.controlPlane === true;
    case 'machineDeployment': {
      const cls = target.role.class;
      return (
        m.machineDeploymentClass?.names?.some(
          (n) => n === cls || (n.endsWith('*') && cls.startsWith(n.slice(0, -1))),
        ) ?? false
      );
    }
  }
}

function enabled(patch: ClusterClassPatch, variables: Record<string, unknown>): boolean {
  if (!patch.enabledIf) return true;
  return renderTemplate(patch.enabledIf, variables).trim() === 'true';
}

function patchValue(p: JSONPatch, variables: Record<string, unknown>): unknown {
  if (p.valueFrom?.variable) return structuredClone(variableAt(variables, p.valueFrom.variable));
  if (p.valueFrom?.template) return parse(renderTemplate(p.valueFrom.template, variables));
  return structuredClone(p.value);
}

function ensureParents(doc: Record<string, unknown>, path: string): void {
  const parts = path
    .split('/')
    .slice(1, -1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: Record<string, unknown> = doc;
  for (const part of parts) {
    if (Array.isArray(cur)) return;
    if (cur[part] === undefined || cur[part] === null) cur[part] = {};
    const next = cur[part];
    if (typeof next !== 'object') return;
    cur = next as Record<string, unknown>;
  }
}

/** Applies the class's patches to the target's template (in place); errors name the patch. */
export function applyPatches(cc: ClusterClass, target: PatchTarget): void {
  for (const patch of cc.spec.patches ?? []) {
    if (patch.external) continue;
    try {
      // enabledIf sees the variables of the template it would patch (with its builtins).
      if (!enabled(patch, target.variables)) continue;
      for (const def of patch.definitions ?? []) {
        if (!selects(def.selector, target)) continue;
        for (const p of def.jsonPatches) {
          const op: Record<string, unknown> = { op: p.op, path: p.path };
          if (p.op !== 'remove') op.value = patchValue(p, target.variables);
          const doc = target.template as Record<string, unknown>;
          if (p.op === 'add') ensureParents(doc, p.path);
          const patched = applyJsonPatch(doc, [op]) as Record<string, unknown>;
          for (const k of Object.keys(doc)) delete doc[k];
          Object.assign(doc, patched);
        }
      }
    } catch (err) {
      throw new Error(`patch "${patch.name}": ${(err as Error).message}`);
    }
  }
}
