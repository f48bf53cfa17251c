// Defaults and checks of the recovery kinds beyond their schemas: a strategy's sites must each
// name some clusters, its selectors stay in its namespace, a warm standby's replicas are a count
// or a percentage, durations parse. Defaults: failback Manual, failoverAfterSeconds 0, a warm
// standby runs 25% of the replicas, the recovery time objective is the strategy's.

import { eachInvalid, invalid, notSupported, required } from '../../../apiserver/kinds/field-errors.js';
import type { Strategy } from '../../../apiserver/registry/strategy.js';
import { parseGoDuration } from '../../../machinery/duration.js';
import { childPath, indexPath } from '../../../machinery/field-path.js';
import { validateLabelSelector } from '../../../machinery/labels.js';
import type { KubeObject } from '../../../machinery/object.js';
import type { FieldError } from '../../../machinery/status.js';
import { validateResourceSelectors } from '../karmada/policy/validation.js';
import {
  DEFAULT_RECOVERY_TIME_OBJECTIVE,
  DEFAULT_WARM_STANDBY_REPLICAS,
  DRILL_SCENARIOS,
  RECOVERY_GROUP,
  STRATEGY_TYPES,
  type StrategyType,
} from './constants.js';

type Json = Record<string, unknown>;

function specOf(obj: KubeObject): Json | undefined {
  const spec = (obj as { spec?: unknown }).spec;
  return spec && typeof spec === 'object' && !Array.isArray(spec) ? (spec as Json) : undefined;
}

function isStrategyType(v: unknown): v is StrategyType {
  return typeof v === 'string' && (STRATEGY_TYPES as readonly string[]).includes(v);
}

function defaultStrategySpec(obj: KubeObject): void {
  const spec = specOf(obj);
  if (!spec) return;
  spec.failback ??= 'Manual';
  spec.failoverAfterSeconds ??= 0;
  if (spec.strategy === 'WarmStandby') spec.standbyReplicas ??= DEFAULT_WARM_STANDBY_REPLICAS;
  if (isStrategyType(spec.strategy)) {
    spec.recoveryTimeObjective ??= DEFAULT_RECOVERY_TIME_OBJECTIVE[spec.strategy];
  }
  // Selectors name the strategy's namespace, as Karmada defaults a PropagationPolicy's.
  if (Array.isArray(spec.resourceSelectors) && obj.metadata.namespace) {
    for (const s of spec.resourceSelectors) {
      if (s && typeof s === 'object' && !(s as Json).namespace)
        (s as Json).namespace = obj.metadata.namespace;
    }
  }
}

function validateSite(site: unknown, field: string): FieldError[] {
  if (!site || typeof site !== 'object')
    return [required(field, 'a site names clusters by clusterNames, regions or labelSelector')];
  const s = site as Json;
  const names = Array.isArray(s.clusterNames) ? s.clusterNames : [];
  const regions = Array.isArray(s.regions) ? s.regions : [];
  const errs: FieldError[] = [];
  if (names.length === 0 && regions.length === 0 && !s.labelSelector) {
    errs.push(required(field, 'a site names clusters by clusterNames, regions or labelSelector'));
  }
  errs.push(...validateLabelSelector(s.labelSelector as never, childPath(field, 'labelSelector')));
  return errs;
}

function durationErrors(field: string, value: unknown): FieldError[] {
  if (value === undefined || value === null) return [];
  try {
    if (typeof value !== 'string') throw new Error('must be a duration string such as "15s"');
    if (parseGoDuration(value) < 0) throw new Error('must not be negative');
    return [];
  } catch (err) {
    return [invalid(field, value, (err as Error).message)];
  }
}

export function validateStrategySpec(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  if (!isStrategyType(spec.strategy)) errs.push(notSupported('spec.strategy', spec.strategy, STRATEGY_TYPES));
  if (!Array.isArray(spec.resourceSelectors) || spec.resourceSelectors.length === 0) {
    errs.push(required('spec.resourceSelectors', "the application's resources"));
  } else {
    errs.push(
      ...validateResourceSelectors(spec.resourceSelectors, obj.metadata.namespace, 'spec.resourceSelectors'),
    );
    spec.resourceSelectors.forEach((s, i) => {
      const sel = (s ?? {}) as Json;
      if (!sel.kind) errs.push(required(childPath(indexPath('spec.resourceSelectors', i), 'kind')));
      if (!sel.apiVersion)
        errs.push(required(childPath(indexPath('spec.resourceSelectors', i), 'apiVersion')));
    });
  }
  errs.push(...validateSite(spec.primary, 'spec.primary'), ...validateSite(spec.secondary, 'spec.secondary'));
  const standby = spec.standbyReplicas;
  if (standby !== undefined && standby !== null) {
    if (spec.strategy !== 'WarmStandby') {
      errs.push(
        invalid('spec.standbyReplicas', standby, 'only a WarmStandby strategy runs replicas on its standby'),
      );
    } else if (typeof standby === 'number') {
      if (!Number.isInteger(standby) || standby < 0)
        errs.push(invalid('spec.standbyReplicas', standby, 'must be a non-negative integer'));
    } else if (
      typeof standby !== 'string' ||
      !/^[0-9]+%$/.test(standby) ||
      Number(standby.slice(0, -1)) > 100
    ) {
      errs.push(
        ...eachInvalid('spec.standbyReplicas', standby, [
          'must be an integer or a percentage between 0% and 100% (e.g. "25%")',
        ]),
      );
    }
  }
  errs.push(...durationErrors('spec.recoveryTimeObjective', spec.recoveryTimeObjective));
  return errs;
}

function validateDrillRun(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  if (typeof spec.strategyName !== 'string' || spec.strategyName === '')
    errs.push(required('spec.strategyName'));
  if (
    spec.scenario !== undefined &&
    !(DRILL_SCENARIOS as readonly string[]).includes(String(spec.scenario))
  ) {
    errs.push(notSupported('spec.scenario', spec.scenario, DRILL_SCENARIOS));
  }
  errs.push(...durationErrors('spec.duration', spec.duration));
  return errs;
}

export const recoveryStrategies: Record<string, Strategy> = {
  [`${RECOVERY_GROUP}/DisasterRecoveryStrategy`]: {
    applyDefaults: defaultStrategySpec,
    validate: validateStrategySpec,
  },
  [`${RECOVERY_GROUP}/DrillRun`]: {
    applyDefaults: (obj) => {
      const spec = specOf(obj);
      if (spec) spec.scenario ??= 'cluster-down';
    },
    validate: validateDrillRun,
  },
};
