// Server-side behaviour of the policy kinds, as Karmada's admission webhooks give it: a permanent
// id label on every new propagation policy, resource selectors defaulted to the policy's
// namespace, spread constraints defaulted to cluster groups of at least one, Divided replicas
// weighted by default, a grace period for graceful application failover, dependencies
// propagated with ServiceImports; then the validation rules of ./validation.ts. The scheduler
// name and the permanent id never change.

import { randomUUID } from 'node:crypto';
import { immutable } from '../../../../apiserver/kinds/field-errors.js';
import { asObject, asString, type Json, objectItems } from '../../../../apiserver/kinds/values.js';
import type { Strategy } from '../../../../apiserver/registry/strategy.js';
import type { KubeObject } from '../../../../machinery/object.js';
import type { FieldError } from '../../../../machinery/status.js';
import {
  CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL,
  PROPAGATION_POLICY_PERMANENT_ID_LABEL,
} from './types.js';
import { validateOverrideSpec, validatePropagationSpec } from './validation.js';

/** Default grace period of Gracefully purged application failover, in seconds. */
export const DEFAULT_FAILOVER_GRACE_PERIOD_SECONDS = 600;

const SERVICE_IMPORT_API_VERSION = 'multicluster.x-k8s.io/v1alpha1';

function specOf(obj: KubeObject): Json | undefined {
  return asObject(obj.spec);
}

/** Selectors without a namespace select in the policy's own namespace. */
function defaultSelectorNamespaces(spec: Json, namespace: string | undefined): void {
  if (!namespace) return;
  for (const [selector] of objectItems(spec.resourceSelectors)) {
    if (asString(selector.namespace) === '') selector.namespace = namespace;
  }
}

/** The defaults Karmada's propagation policy webhook fills in (schema defaults come first). */
export function defaultPropagationSpec(spec: Json, namespace: string | undefined): void {
  defaultSelectorNamespaces(spec, namespace);
  const placement = asObject(spec.placement);
  for (const [constraint] of objectItems(placement?.spreadConstraints)) {
    if (asString(constraint.spreadByField) === '' && asString(constraint.spreadByLabel) === '') {
      constraint.spreadByField = 'cluster';
    }
    if (constraint.minGroups === undefined || constraint.minGroups === null || constraint.minGroups === 0) {
      constraint.minGroups = 1;
    }
  }
  // A ServiceImport is useless without the Service and EndpointSlices that come with it.
  for (const [selector] of objectItems(spec.resourceSelectors)) {
    if (selector.kind === 'ServiceImport' && selector.apiVersion === SERVICE_IMPORT_API_VERSION) {
      spec.propagateDeps = true;
    }
  }
  const replicaScheduling = asObject(placement?.replicaScheduling);
  if (
    replicaScheduling?.replicaSchedulingType === 'Divided' &&
    asString(replicaScheduling.replicaDivisionPreference) === ''
  ) {
    replicaScheduling.replicaDivisionPreference = 'Weighted';
  }
  const application = asObject(asObject(spec.failover)?.application);
  if (
    application?.purgeMode === 'Gracefully' &&
    (application.gracePeriodSeconds === undefined || application.gracePeriodSeconds === null)
  ) {
    application.gracePeriodSeconds = DEFAULT_FAILOVER_GRACE_PERIOD_SECONDS;
  }
}

function setLabel(obj: KubeObject, key: string, value: string): void {
  obj.metadata.labels = { ...(obj.metadata.labels ?? {}), [key]: value };
}

function propagationStrategy(permanentIdLabel: string): Strategy {
  return {
    prepareForCreate(obj) {
      // A fresh identity for every new policy, whatever the manifest carried (as Karmada does).
      setLabel(obj, permanentIdLabel, randomUUID());
    },
    prepareForUpdate(obj, old) {
      // The id is the server's: an update that leaves it out (a re-apply of the original
      // manifest, a PUT of an edited copy) keeps it rather than failing.
      const id = old.metadata.labels?.[permanentIdLabel];
      if (id !== undefined && obj.metadata.labels?.[permanentIdLabel] === undefined)
        setLabel(obj, permanentIdLabel, id);
    },
    applyDefaults(obj) {
      const spec = specOf(obj);
      if (spec) defaultPropagationSpec(spec, obj.metadata.namespace);
    },
    validate(obj) {
      const errs: FieldError[] = [];
      if (obj.metadata.labels?.[permanentIdLabel] === undefined) {
        errs.push({
          type: 'FieldValueRequired',
          field: `metadata.labels[${permanentIdLabel}]`,
          detail: 'set by the API server on create',
        });
      }
      const spec = specOf(obj);
      if (spec) errs.push(...validatePropagationSpec(spec, obj.metadata.namespace));
      return errs;
    },
    validateUpdate(obj, old) {
      return [
        ...immutable('spec.schedulerName', specOf(obj)?.schedulerName, specOf(old)?.schedulerName),
        ...immutable(
          `metadata.labels[${permanentIdLabel}]`,
          obj.metadata.labels?.[permanentIdLabel],
          old.metadata.labels?.[permanentIdLabel],
        ),
      ];
    },
  };
}

function overrideStrategy(namespaced: boolean): Strategy {
  return {
    // Only the namespaced kind has a defaulting webhook in Karmada.
    ...(namespaced
      ? {
          applyDefaults(obj: KubeObject) {
            const spec = specOf(obj);
            if (spec) defaultSelectorNamespaces(spec, obj.metadata.namespace);
          },
        }
      : {}),
    validate(obj) {
      const spec = specOf(obj);
      return spec ? validateOverrideSpec(spec, obj.metadata.namespace) : [];
    },
  };
}

export const propagationPolicyStrategy = propagationStrategy(PROPAGATION_POLICY_PERMANENT_ID_LABEL);
export const clusterPropagationPolicyStrategy = propagationStrategy(
  CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL,
);
export const overridePolicyStrategy = overrideStrategy(true);
export const clusterOverridePolicyStrategy = overrideStrategy(false);
