// Server-side behaviour of Works and bindings, as Karmada's admission webhooks give it: every
// Work, ResourceBinding and ClusterResourceBinding gets a permanent id label on create; a Work's
// manifests are cleaned of what the hub's API server generated (identity, status, cluster IPs,
// token secrets ...) and labelled with the Work's id, with the label and annotation keys they
// carry recorded for later removal; a binding's dependency list must be JSON.

import { randomUUID } from 'node:crypto';
import { invalid } from '../../../../apiserver/kinds/field-errors.js';
import { asArray, asObject, asString, type Json } from '../../../../apiserver/kinds/values.js';
import type { Strategy } from '../../../../apiserver/registry/strategy.js';
import { keyPath } from '../../../../machinery/field-path.js';
import type { KubeObject } from '../../../../machinery/object.js';
import type { FieldError } from '../../../../machinery/status.js';
import {
  BINDING_DEPENDENCIES_ANNOTATION,
  CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL,
  MANAGED_ANNOTATIONS_ANNOTATION,
  MANAGED_LABELS_ANNOTATION,
  RESOURCE_BINDING_PERMANENT_ID_LABEL,
  WORK_PERMANENT_ID_LABEL,
} from './types.js';

function ensureLabel(obj: KubeObject, key: string, value: () => string): void {
  if ((obj.metadata.labels?.[key] ?? '') === '') {
    obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [key]: value() };
  }
}

function keepLabel(obj: KubeObject, old: KubeObject, key: string): void {
  const id = old.metadata.labels?.[key];
  if (id) ensureLabel(obj, key, () => id);
}

// Manifest cleaning ---------------------------------------------------------------------------

/** Metadata the hub's API server set on the template, meaningless (or refused) on a member. */
const GENERATED_METADATA = [
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generation',
  'managedFields',
  'resourceVersion',
  'selfLink',
  'uid',
  'ownerReferences',
  'finalizers',
];

function removeAnnotations(manifest: Json, ...keys: string[]): void {
  const annotations = asObject(asObject(manifest.metadata)?.annotations);
  if (annotations) for (const k of keys) delete annotations[k];
}

function removeLabels(labels: unknown, ...keys: string[]): void {
  const map = asObject(labels);
  if (map) for (const k of keys) delete map[k];
}

/** What the template's own controllers on the hub added, per kind. */
const KIND_PRUNERS: Record<string, (manifest: Json) => void> = {
  Deployment(m) {
    removeAnnotations(m, 'deployment.kubernetes.io/revision', 'deployment.kubernetes.io/revision-history');
  },
  Job(m) {
    const spec = asObject(m.spec);
    // The member's job controller generates its own selector and pod labels, unless the user chose them.
    if (spec && spec.manualSelector !== true) {
      removeLabels(
        asObject(spec.selector)?.matchLabels,
        'controller-uid',
        'batch.kubernetes.io/controller-uid',
      );
      removeLabels(
        asObject(asObject(spec.template)?.metadata)?.labels,
        'controller-uid',
        'job-name',
        'batch.kubernetes.io/controller-uid',
        'batch.kubernetes.io/job-name',
      );
    }
    // A finished Job deleted by the member's TTL controller would be created again and again.
    if (spec) delete spec.ttlSecondsAfterFinished;
  },
  Secret(m) {
    if (m.type === 'kubernetes.io/service-account-token') {
      removeAnnotations(m, 'kubernetes.io/service-account.uid');
      m.data = null;
    }
  },
  ServiceAccount(m) {
    if (!Array.isArray(m.secrets)) return;
    const tokenPrefix = `${asString(asObject(m.metadata)?.name)}-token-`;
    m.secrets = m.secrets.filter((s) => !asString(asObject(s)?.name).startsWith(tokenPrefix));
  },
  Service(m) {
    const spec = asObject(m.spec);
    // A headless Service stays headless; any other cluster IP is the member's to allocate.
    if (spec && spec.clusterIP !== undefined && spec.clusterIP !== 'None') {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
  },
  PersistentVolumeClaim(m) {
    const annotations = asObject(asObject(m.metadata)?.annotations);
    if (asString(annotations?.['volume.kubernetes.io/selected-node']) !== '') {
      removeAnnotations(m, 'volume.kubernetes.io/selected-node');
    }
  },
};

function sortedKeys(map: Json | undefined): string[] {
  return Object.keys(map ?? {}).sort();
}

/** Prepares one manifest of a Work the way Karmada's Work webhook does. */
export function prepareManifest(manifest: Json, workPermanentId: string | undefined): void {
  const metadata = asObject(manifest.metadata);
  if (metadata) for (const key of GENERATED_METADATA) delete metadata[key];
  delete manifest.status;
  KIND_PRUNERS[asString(manifest.kind)]?.(manifest);
  if (!metadata) return;
  // Record the annotation keys (the two bookkeeping keys included), then add the Work's id and
  // record the label keys: the member side removes keys that disappear from these lists.
  const annotations = asObject(metadata.annotations) ?? {};
  const annotationKeys = new Set([
    MANAGED_ANNOTATIONS_ANNOTATION,
    MANAGED_LABELS_ANNOTATION,
    ...Object.keys(annotations),
  ]);
  annotations[MANAGED_ANNOTATIONS_ANNOTATION] = [...annotationKeys].sort().join(',');
  const labels = asObject(metadata.labels);
  if (workPermanentId) metadata.labels = { ...(labels ?? {}), [WORK_PERMANENT_ID_LABEL]: workPermanentId };
  annotations[MANAGED_LABELS_ANNOTATION] = sortedKeys(asObject(metadata.labels)).join(',');
  metadata.annotations = annotations;
}

export const workStrategy: Strategy = {
  prepareForUpdate(obj, old) {
    keepLabel(obj, old, WORK_PERMANENT_ID_LABEL);
  },
  applyDefaults(obj) {
    ensureLabel(obj, WORK_PERMANENT_ID_LABEL, randomUUID);
    const id = obj.metadata.labels?.[WORK_PERMANENT_ID_LABEL];
    const manifests = asObject(asObject(obj.spec)?.workload)?.manifests;
    for (const m of asArray(manifests)) {
      const manifest = asObject(m);
      if (manifest) prepareManifest(manifest, id);
    }
  },
};

// Bindings ------------------------------------------------------------------------------------------

function bindingSelectableFields(obj: KubeObject): Record<string, string> {
  const resource = asObject(asObject(obj.spec)?.resource) ?? {};
  return {
    'spec.resource.apiVersion': asString(resource.apiVersion),
    'spec.resource.kind': asString(resource.kind),
    'spec.resource.namespace': asString(resource.namespace),
    'spec.resource.name': asString(resource.name),
  };
}

function validateDependencies(obj: KubeObject): FieldError[] {
  const deps = obj.metadata.annotations?.[BINDING_DEPENDENCIES_ANNOTATION];
  if (deps === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(deps);
    if (parsed === null || Array.isArray(parsed)) return [];
  } catch {
    // reported below
  }
  return [
    invalid(
      keyPath('metadata.annotations', BINDING_DEPENDENCIES_ANNOTATION),
      deps,
      'must be a JSON list of object references',
    ),
  ];
}

export const resourceBindingStrategy: Strategy = {
  prepareForCreate(obj) {
    ensureLabel(obj, RESOURCE_BINDING_PERMANENT_ID_LABEL, randomUUID);
  },
  validate: validateDependencies,
  selectableFields: bindingSelectableFields,
};

export const clusterResourceBindingStrategy: Strategy = {
  prepareForCreate(obj) {
    ensureLabel(obj, CLUSTER_RESOURCE_BINDING_PERMANENT_ID_LABEL, randomUUID);
  },
  selectableFields: bindingSelectableFields,
};
