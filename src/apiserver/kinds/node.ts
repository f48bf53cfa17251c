// Nodes: registered with their status (the kubelet sends capacity and conditions on create),
// allocatable defaulting to capacity, valid taints and pod CIDRs that never change once set,
// field selector spec.unschedulable, and the STATUS / ROLES / VERSION table.

import { indexPath, keyPath } from '../../machinery/field-path.js';
import { isValidLabelValue } from '../../machinery/names.js';
import { validateQuantity } from '../../machinery/quantity.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import { CIDR_ERROR, duplicate, forbidden, invalid, isValidCIDR, qualifiedName } from './field-errors.js';
import { validateTaintEffect } from './podspec-validation.js';
import { asArray, asObject, asString, type Json, objectItems, path } from './values.js';

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

function podCIDRs(spec: Json): string[] {
  return asArray(spec.podCIDRs).filter((c): c is string => typeof c === 'string');
}

/** Taints of a Node (or of anything tainted like one, such as a member cluster). */
export function validateTaints(taints: unknown, field = 'spec.taints'): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const [t, i] of objectItems(taints)) {
    const p = indexPath(field, i);
    const key = asString(t.key);
    errs.push(...qualifiedName(`${p}.key`, key));
    const msgs = isValidLabelValue(asString(t.value));
    if (msgs.length > 0) errs.push(invalid(`${p}.value`, asString(t.value), msgs.join(';')));
    errs.push(...validateTaintEffect(t.effect, false, `${p}.effect`));
    const id = `${asString(t.effect)}\u0000${key}`;
    if (seen.has(id))
      errs.push({ ...duplicate(p, t), detail: 'taints must be unique by key and effect pair' });
    seen.add(id);
  }
  return errs;
}

function validateNode(obj: Json): FieldError[] {
  const spec = asObject(obj.spec) ?? {};
  const errs = validateTaints(spec.taints);
  const cidrs = podCIDRs(spec);
  cidrs.forEach((c, i) => {
    if (!isValidCIDR(c)) errs.push(invalid(indexPath('spec.podCIDRs', i), c, CIDR_ERROR));
  });
  if (cidrs.length > 1) {
    const families = new Set(cidrs.map((c) => (c.includes(':') ? 6 : 4)));
    if (cidrs.length > 2 || families.size !== cidrs.length) {
      errs.push(invalid('spec.podCIDRs', cidrs, 'may specify no more than one CIDR for each IP family'));
    }
  }
  for (const list of ['capacity', 'allocatable']) {
    for (const [name, q] of Object.entries(asObject(path(obj, 'status', list)) ?? {})) {
      errs.push(...validateQuantity(q, keyPath(`status.${list}`, name), { nonNegative: true }));
    }
  }
  return errs;
}

/** The node's roles, from node-role.kubernetes.io/<role> labels and kubernetes.io/role. */
export function nodeRoles(labels: Record<string, string> | undefined): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k.startsWith(ROLE_LABEL_PREFIX)) {
      const role = k.slice(ROLE_LABEL_PREFIX.length);
      if (role !== '') roles.add(role);
    } else if (k === ROLE_LABEL && v !== '') roles.add(v);
  }
  return [...roles].sort();
}

/** The STATUS cell: Ready or NotReady (Unknown without a Ready condition), plus SchedulingDisabled. */
export function nodeStatusText(node: Json): string {
  const ready = objectItems(path(node, 'status', 'conditions')).find(([c]) => c.type === 'Ready');
  const status = [ready ? (ready[0].status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
  if (path(node, 'spec', 'unschedulable') === true) status.push('SchedulingDisabled');
  return status.join(',');
}

function address(node: Json, type: string): string {
  const found = objectItems(path(node, 'status', 'addresses')).find(([a]) => a.type === type);
  return found ? asString(found[0].address) : '<none>';
}

export const nodeStrategy: Strategy = {
  keepStatusOnCreate: true,

  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (spec) {
      // podCIDR is the first of podCIDRs, for clients that only know the singular field.
      const cidrs = podCIDRs(spec);
      if (cidrs.length > 0) spec.podCIDR = cidrs[0];
      else if (asString(spec.podCIDR) !== '') spec.podCIDRs = [spec.podCIDR];
    }
    const status = asObject(obj.status);
    if (status && status.allocatable === undefined && asObject(status.capacity)) {
      status.allocatable = structuredClone(status.capacity);
    }
  },

  validate: validateNode,

  validateUpdate(obj, old) {
    const errs: FieldError[] = [];
    const spec = asObject(obj.spec) ?? {};
    const oldSpec = asObject(old.spec) ?? {};
    const prev = podCIDRs(oldSpec);
    const next = podCIDRs(spec);
    if (prev.length > 0 && (prev.length !== next.length || prev.some((c, i) => c !== next[i]))) {
      errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
    }
    const providerID = asString(oldSpec.providerID);
    if (providerID !== '' && providerID !== asString(spec.providerID)) {
      errs.push(
        forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'),
      );
    }
    return errs;
  },

  selectableFields: (obj) => ({ 'spec.unschedulable': String(path(obj, 'spec', 'unschedulable') === true) }),

  table: {
    columns: [
      nameColumn,
      column('Status', 'string', 'The status of the node'),
      column('Roles', 'string', 'The roles of the node'),
      ageColumn,
      column('Version', 'string', 'Kubelet Version reported by the node.'),
      column('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
      column('External-IP', 'string', 'List of addresses reachable to the node.', 1),
      column(
        'OS-Image',
        'string',
        'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
        1,
      ),
      column(
        'Kernel-Version',
        'string',
        "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
        1,
      ),
      column(
        'Container-Runtime',
        'string',
        'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
        1,
      ),
    ],
    cells(obj, now) {
      const info = asObject(path(obj, 'status', 'nodeInfo')) ?? {};
      const roles = nodeRoles(obj.metadata.labels).join(',');
      return [
        obj.metadata.name,
        nodeStatusText(obj),
        roles === '' ? '<none>' : roles,
        objectAge(obj, now),
        asString(info.kubeletVersion),
        address(obj, 'InternalIP'),
        address(obj, 'ExternalIP'),
        asString(info.osImage) || '<unknown>',
        asString(info.kernelVersion) || '<unknown>',
        asString(info.containerRuntimeVersion) || '<unknown>',
      ];
    },
  },
};
