// Defaults and checks of Concord's simulated infrastructure kinds: a LocalCluster without zones
// gets <region>-a, -b, -c; zones are unique; node labels are valid and leave the labels the
// provider sets alone; a providerID, once set, stays; templates are immutable.

import { duplicate, forbidden } from '../../../../apiserver/kinds/field-errors.js';
import type { Strategy } from '../../../../apiserver/registry/strategy.js';
import { validateLabels } from '../../../../machinery/names.js';
import type { KubeObject } from '../../../../machinery/object.js';
import type { FieldError } from '../../../../machinery/status.js';
import {
  asArray,
  asObject,
  ensureSpec,
  immutableOnceSet,
  type Json,
  path,
  templateSpecImmutable,
  validateCapiMetadata,
} from '../../cluster-api/validation.js';
import {
  DEFAULT_INSTANCE_TYPE,
  DEFAULT_REGION,
  defaultZones,
  LOCAL_GROUP,
  PROVIDER_NODE_LABELS,
} from './constants.js';

// The schema defaults region and instanceType too, but only inside a spec that was sent.
function defaultLocalClusterSpec(spec: Json | undefined): void {
  if (!spec) return;
  if (spec.region === undefined || spec.region === null || spec.region === '') spec.region = DEFAULT_REGION;
  if (spec.zones === undefined || spec.zones === null) spec.zones = defaultZones(String(spec.region));
}

function defaultLocalMachineSpec(spec: Json | undefined): void {
  if (spec && (spec.instanceType === undefined || spec.instanceType === null || spec.instanceType === '')) {
    spec.instanceType = DEFAULT_INSTANCE_TYPE;
  }
}

function validateLocalClusterSpec(base: string, spec: Json | undefined): FieldError[] {
  const seen = new Set<unknown>();
  const errs: FieldError[] = [];
  for (const [i, zone] of asArray(spec?.zones).entries()) {
    if (seen.has(zone)) errs.push(duplicate(`${base}.zones[${i}]`, zone));
    seen.add(zone);
  }
  return errs;
}

function validateLocalMachineSpec(base: string, spec: Json | undefined): FieldError[] {
  const labels = asObject(spec?.nodeLabels);
  if (!labels) return [];
  const errs = validateLabels(labels as Record<string, string>, `${base}.nodeLabels`);
  for (const key of PROVIDER_NODE_LABELS) {
    if (key in labels) {
      errs.push(
        forbidden(`${base}.nodeLabels[${key}]`, 'is set by the provider from region, zones and instanceType'),
      );
    }
  }
  return errs;
}

const templateSpec = (obj: KubeObject) => asObject(path(obj, 'spec', 'template', 'spec'));
const templateMetadata = (obj: KubeObject) =>
  validateCapiMetadata('spec.template.metadata', path(obj, 'spec', 'template', 'metadata'));

export const localClusterStrategy: Strategy = {
  applyDefaults: (obj) => defaultLocalClusterSpec(ensureSpec(obj)),
  validate: (obj) => validateLocalClusterSpec('spec', asObject(obj.spec)),
};

export const localClusterTemplateStrategy: Strategy = {
  applyDefaults: (obj) => defaultLocalClusterSpec(templateSpec(obj)),
  validate: (obj) => [
    ...validateLocalClusterSpec('spec.template.spec', templateSpec(obj)),
    ...templateMetadata(obj),
  ],
  validateUpdate: (obj, old) => templateSpecImmutable('LocalClusterTemplate', obj, old),
};

export const localMachineStrategy: Strategy = {
  applyDefaults: (obj) => defaultLocalMachineSpec(ensureSpec(obj)),
  validate: (obj) => validateLocalMachineSpec('spec', asObject(obj.spec)),
  validateUpdate: (obj, old) =>
    immutableOnceSet('spec.providerID', path(obj, 'spec', 'providerID'), path(old, 'spec', 'providerID')),
};

export const localMachineTemplateStrategy: Strategy = {
  applyDefaults: (obj) => defaultLocalMachineSpec(templateSpec(obj)),
  validate: (obj) => [
    ...validateLocalMachineSpec('spec.template.spec', templateSpec(obj)),
    ...templateMetadata(obj),
  ],
  validateUpdate: (obj, old) => templateSpecImmutable('LocalMachineTemplate', obj, old),
};

export const localStrategies: Record<string, Strategy> = {
  [`${LOCAL_GROUP}/LocalCluster`]: localClusterStrategy,
  [`${LOCAL_GROUP}/LocalClusterTemplate`]: localClusterTemplateStrategy,
  [`${LOCAL_GROUP}/LocalMachine`]: localMachineStrategy,
  [`${LOCAL_GROUP}/LocalMachineTemplate`]: localMachineTemplateStrategy,
};
