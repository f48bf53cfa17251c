// Namespaces: DNS-label names, the kubernetes.io/metadata.name label, the "kubernetes" finalizer
// and phase Active on create, spec.finalizers that only the finalize subresource changes, the
// namespaces that may never be deleted, and Terminating until their finalizers are done.

import { indexPath } from '../../machinery/field-path.js';
import { isQualifiedName } from '../../machinery/names.js';
import type { KubeObject } from '../../machinery/object.js';
import { ApiError, type FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import { invalid } from './field-errors.js';
import { asArray, asObject, asString, child } from './values.js';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
export const KUBERNETES_FINALIZER = 'kubernetes';
/** Namespaces the system lives in: deleting them is refused. */
export const IMMORTAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];

/** A namespace that may not be deleted: 403, worded as the NamespaceLifecycle admission plugin does. */
export function namespaceDeletionForbidden(name: string): ApiError {
  return new ApiError(
    403,
    'Forbidden',
    `namespaces "${name}" is forbidden: this namespace may not be deleted`,
    {
      name,
      group: '',
      kind: 'namespaces',
    },
  );
}

function finalizersOf(obj: KubeObject): string[] {
  return asArray(asObject(obj.spec)?.finalizers).filter((f): f is string => typeof f === 'string');
}

/**
 * validateFinalizerName: qualified names; without a domain only "kubernetes" is known
 * (standard finalizers).
 */
function validateFinalizers(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  asArray(asObject(obj.spec)?.finalizers).forEach((f, i) => {
    const name = asString(f);
    const p = indexPath('spec.finalizers', i);
    const msgs = isQualifiedName(name);
    for (const m of msgs) errs.push(invalid(p, name, m));
    if (msgs.length === 0 && !name.includes('/') && name !== KUBERNETES_FINALIZER) {
      errs.push(invalid(p, name, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}

export const namespaceStrategy: Strategy = {
  nameRule: 'dns1123Label',

  // The name label always tells the truth: it is set (and reset) on every write.
  applyDefaults(obj) {
    const name = obj.metadata.name;
    if (!name) return;
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
  },

  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
    const spec = child(obj, 'spec');
    if (!spec) return;
    const finalizers = finalizersOf(obj);
    if (!finalizers.includes(KUBERNETES_FINALIZER)) spec.finalizers = [...finalizers, KUBERNETES_FINALIZER];
  },

  // Finalizers change only through the finalize subresource.
  prepareForUpdate(obj, old) {
    const oldFinalizers = asObject(old.spec)?.finalizers;
    const spec = child(obj, 'spec');
    if (!spec) return;
    if (oldFinalizers === undefined) delete spec.finalizers;
    else spec.finalizers = structuredClone(oldFinalizers);
  },

  validate: validateFinalizers,

  // ValidateNamespaceStatusUpdate: the phase follows the deletion timestamp.
  validateUpdate(obj, old) {
    const phase = asString(asObject(obj.status)?.phase);
    if (phase === asString(asObject(old.status)?.phase)) return [];
    if (!obj.metadata.deletionTimestamp) {
      return phase === 'Active'
        ? []
        : [invalid('status.Phase', phase, "may only be 'Active' if `deletionTimestamp` is empty")];
    }
    return phase === 'Terminating'
      ? []
      : [invalid('status.Phase', phase, "may only be 'Terminating' if `deletionTimestamp` is not empty")];
  },

  prepareForDelete(obj) {
    const name = obj.metadata.name ?? '';
    if (IMMORTAL_NAMESPACES.includes(name)) throw namespaceDeletionForbidden(name);
    obj.status = { ...(asObject(obj.status) ?? {}), phase: 'Terminating' };
  },

  pendingFinalization: (obj) => finalizersOf(obj).length > 0,

  selectableFields: (obj) => ({
    'status.phase': asString(asObject(obj.status)?.phase),
    // Kubernetes still accepts the unprefixed "name" for namespaces.
    name: obj.metadata.name ?? '',
  }),

  table: {
    columns: [nameColumn, column('Status', 'string', 'The status of the namespace'), ageColumn],
    cells: (obj, now) => [obj.metadata.name, asString(asObject(obj.status)?.phase), objectAge(obj, now)],
  },
};
