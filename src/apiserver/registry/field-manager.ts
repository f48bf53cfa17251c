// Patches and field ownership as the REST storage needs them: one place that turns a patch
// document into a new object and keeps metadata.managedFields current on every write.

import { serverSideApply } from '../../machinery/apply/apply.js';
import { FieldSet } from '../../machinery/apply/fieldpath.js';
import type { ResetFields } from '../../machinery/apply/ownership.js';
import { updateManagedFields } from '../../machinery/apply/update.js';
import { formatApiVersion } from '../../machinery/gvk.js';
import { cloneJson } from '../../machinery/json.js';
import type { KubeObject } from '../../machinery/object.js';
import { isJsonObject } from '../../machinery/object.js';
import { applyJsonPatch } from '../../machinery/patch/json-patch.js';
import { applyMergePatch } from '../../machinery/patch/merge-patch.js';
import type { PatchType } from '../../machinery/patch/patch-type.js';
import { applyStrategicMergePatch } from '../../machinery/patch/strategic-merge-patch.js';
import { errors } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import type { ResourceInfo } from './resource-info.js';

interface ManagerScope {
  fieldManager: string;
  subresource?: string;
}

const STATUS_ONLY = { allExcept: FieldSet.of(['status']) };

/** Fields a write through this endpoint may not touch (the other side of the status split). */
function resetFields(info: ResourceInfo, subresource: string | undefined): ResetFields | undefined {
  if (!info.status) return undefined;
  return subresource === 'status' ? STATUS_ONLY : [['status']];
}

export function applyPatchDocument(
  info: ResourceInfo,
  current: KubeObject,
  patch: unknown,
  type: PatchType,
): KubeObject {
  switch (type) {
    case 'json':
      return applyJsonPatch(current, patch) as KubeObject;
    case 'merge':
      return applyMergePatch(current, patch) as KubeObject;
    case 'strategic': {
      if (info.crdName) {
        throw errors.unsupportedMediaType(
          'application/strategic-merge-patch+json; strategic merge patch is not supported for custom resources, use application/merge-patch+json or application/json-patch+json',
        );
      }
      return applyStrategicMergePatch(current, patch, info.schema()) as KubeObject;
    }
    default:
      throw errors.unsupportedMediaType(String(type));
  }
}

/** Ownership after a create, update or non-apply patch. */
export function trackUpdate(
  info: ResourceInfo,
  old: KubeObject | undefined,
  next: KubeObject,
  scope: ManagerScope,
  now: Date,
): void {
  next.metadata.managedFields = updateManagedFields({
    live: old,
    updated: next,
    manager: scope.fieldManager,
    apiVersion: formatApiVersion(info),
    subresource: scope.subresource,
    time: metaTime(now),
    schema: info.schema(),
    resetFields: resetFields(info, scope.subresource),
    unstructured: info.crdName !== undefined,
  });
}

/** Server-side apply of `patch` (the applied configuration) onto `current` (absent: create). */
export function trackApply(
  info: ResourceInfo,
  current: KubeObject | undefined,
  patch: unknown,
  scope: ManagerScope & { force?: boolean },
  now: Date,
  namespace: string | undefined,
  name: string,
): KubeObject {
  if (!isJsonObject(patch)) throw errors.badRequest('the applied configuration must be an object');
  const applied = cloneJson(patch) as unknown as KubeObject;
  if (!isJsonObject(applied.metadata))
    throw errors.badRequest('metadata: Required value: the applied configuration needs metadata.name');
  if (info.namespaced && namespace) {
    if (applied.metadata.namespace && applied.metadata.namespace !== namespace) {
      throw errors.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    applied.metadata.namespace = namespace;
  }
  return serverSideApply({
    live: current,
    applied,
    manager: scope.fieldManager,
    apiVersion: formatApiVersion(info),
    kind: info.kind,
    name,
    namespace,
    unstructured: info.crdName !== undefined,
    subresource: scope.subresource,
    force: scope.force ?? false,
    schema: info.schema(),
    time: metaTime(now),
    resetFields: resetFields(info, scope.subresource),
  });
}
