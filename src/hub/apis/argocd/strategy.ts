// Server-side behaviour of Argo CD's kinds. Argo CD has no admission webhook for them and reports
// most mistakes as conditions; the hub refuses at once only what can never work, naming the field:
// a destination with both server and name, a retry backoff that is not a duration, an unknown
// ApplicationSet strategy or applicationsSync policy, a RollingSync step without expressions.

import type { Strategy } from '../../../apiserver/registry/strategy.js';
import { parseGoDuration } from '../../../machinery/duration.js';
import type { KubeObject } from '../../../machinery/object.js';
import type { FieldError } from '../../../machinery/status.js';
import { type Application, type ApplicationSet, ARGOCD_GROUP } from './types.js';

/** A duration as Argo CD takes it in retry.backoff: a Go duration ("5s", "3m") or bare seconds. */
export function parseBackoffDuration(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  return parseGoDuration(text);
}

function validateDestination(
  dest: Application['spec']['destination'] | undefined,
  field: string,
): FieldError[] {
  if (dest?.server && dest.name) {
    return [
      {
        type: 'FieldValueInvalid',
        field: `${field}.name`,
        badValue: dest.name,
        detail: "application destination can't have both name and server defined",
      },
    ];
  }
  return [];
}

function validateRetry(spec: Application['spec'] | undefined, field: string): FieldError[] {
  const out: FieldError[] = [];
  const backoff = spec?.syncPolicy?.retry?.backoff;
  for (const key of ['duration', 'maxDuration'] as const) {
    const v = backoff?.[key];
    if (v === undefined || v === '') continue;
    try {
      parseBackoffDuration(String(v));
    } catch {
      out.push({
        type: 'FieldValueInvalid',
        field: `${field}.syncPolicy.retry.backoff.${key}`,
        badValue: v,
        detail: 'must be a duration such as "5s" or "3m", or a number of seconds',
      });
    }
  }
  return out;
}

export const applicationStrategy: Strategy = {
  validate(obj: KubeObject): FieldError[] {
    const app = obj as Application;
    return [
      ...validateDestination(app.spec?.destination, 'spec.destination'),
      ...validateRetry(app.spec, 'spec'),
    ];
  },
};

const APPLICATIONS_SYNC = ['create-only', 'create-update', 'create-delete', 'sync'];

export const applicationSetStrategy: Strategy = {
  validate(obj: KubeObject): FieldError[] {
    const set = obj as ApplicationSet;
    const out: FieldError[] = [];
    const type = set.spec?.strategy?.type;
    if (type !== undefined && type !== '' && type !== 'AllAtOnce' && type !== 'RollingSync') {
      out.push({
        type: 'FieldValueNotSupported',
        field: 'spec.strategy.type',
        badValue: type,
        detail: 'supported values: "AllAtOnce", "RollingSync"',
      });
    }
    if (type === 'RollingSync') {
      (set.spec.strategy?.rollingSync?.steps ?? []).forEach((step, i) => {
        if (!step.matchExpressions || step.matchExpressions.length === 0) {
          out.push({
            type: 'FieldValueRequired',
            field: `spec.strategy.rollingSync.steps[${i}].matchExpressions`,
            detail: 'a step selects its Applications by label expressions',
          });
        }
      });
    }
    const policy = set.spec?.syncPolicy?.applicationsSync;
    if (policy !== undefined && !APPLICATIONS_SYNC.includes(policy)) {
      out.push({
        type: 'FieldValueNotSupported',
        field: 'spec.syncPolicy.applicationsSync',
        badValue: policy,
        detail: `supported values: ${APPLICATIONS_SYNC.map((p) => `"${p}"`).join(', ')}`,
      });
    }
    if (!Array.isArray(set.spec?.generators) || set.spec.generators.length === 0) {
      out.push({
        type: 'FieldValueRequired',
        field: 'spec.generators',
        detail: 'at least one generator is needed',
      });
    }
    out.push(...validateDestination(set.spec?.template?.spec?.destination, 'spec.template.spec.destination'));
    return out;
  },
};

export const appProjectStrategy: Strategy = {};

export const argocdStrategies: Record<string, Strategy> = {
  [`${ARGOCD_GROUP}/Application`]: applicationStrategy,
  [`${ARGOCD_GROUP}/ApplicationSet`]: applicationSetStrategy,
  [`${ARGOCD_GROUP}/AppProject`]: appProjectStrategy,
};
