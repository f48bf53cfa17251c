// Server-side apply and metadata.managedFields, as the Kubernetes API server does them. Pure
// functions over plain JSON objects; the API server stores what they return.
//
// PATCH with application/apply-patch+yaml:
//   const obj = serverSideApply({ live, applied, manager, apiVersion: 'apps/v1', kind: 'Deployment',
//     name, namespace, force, schema, time: now, resetFields: [['status']] });
//   // obj carries metadata.managedFields; deepEqual(obj, live) means nothing changed.
//
// Every other write (create, PUT, JSON / merge / strategic merge patch, subresources):
//   const entries = updateManagedFields({ live, updated, manager, apiVersion: 'apps/v1',
//     subresource, time: now, schema, resetFields });
//   if (entries) updated.metadata.managedFields = entries; else delete updated.metadata.managedFields;
//
// resetFields: what the endpoint does not let its caller change, so nobody gains it through it:
//   main resource with a status subresource   [['status']]
//   status subresource                        { allExcept: FieldSet.of(['status']) } (or the paths to drop)
//   scale subresource (parent object)         { allExcept: FieldSet.of(['spec', 'replicas']) }
// Custom resources pass `unstructured: true`. Both functions throw ApiError for bad input.

export { BEFORE_FIRST_APPLY, type ServerSideApplyOptions, serverSideApply } from './apply.js';
export { FIELD_MANAGER_CONFLICT } from './conflict.js';
export { fieldSetOf } from './field-set-of.js';
export {
  FieldSet,
  fieldElement,
  indexElement,
  keyElement,
  type Path,
  type PathElement,
  path,
  pathToString,
  valueElement,
} from './fieldpath.js';
export { LAST_APPLIED_ANNOTATION } from './last-applied.js';
export {
  decodeManagedFields,
  describeManager,
  encodeManagedFields,
  FIELD_MANAGER_MAX_LENGTH,
  type ManagedEntry,
  type ManagerIdentity,
  type Managers,
  validateFieldManager,
} from './managed-fields.js';
export type { ResetFields } from './ownership.js';
export { objectTypeOf, type TypeNode, typeOf } from './types.js';
export { type UpdateManagedFieldsOptions, updateManagedFields } from './update.js';
