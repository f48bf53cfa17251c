// What Cluster API's admission webhooks do for cluster.x-k8s.io/v1beta1 kinds, as API server
// strategies: defaulting (replicas, selectors, labels, rollout strategy, reference namespaces,
// health check settings) and validation with field paths (versions, immutable fields,
// selectors, topology consistency that needs no other object).

import { isValidCIDR } from '../../../../apiserver/kinds/field-errors.js';
import type { Strategy } from '../../../../apiserver/registry/strategy.js';
import { isValidLabelValue } from '../../../../machinery/names.js';
import type { KubeObject } from '../../../../machinery/object.js';
import type { FieldError } from '../../../../machinery/status.js';
import {
  asArray,
  asObject,
  asString,
  asStringMap,
  childObject,
  clusterNameImmutable,
  defaultRefNamespace,
  defaultReplicas,
  ensureSpec,
  forbidden,
  invalid,
  isEmptySelector,
  type Json,
  labelValueFor,
  NODE_TIMEOUT_FIELDS,
  normalizeVersion,
  parseSelector,
  parseSemver,
  refInNamespace,
  required,
  setLabel,
  specOf,
  validateCapiMetadata,
  validateDurations,
  validateHealthCheckClass,
  validateIntOrPercent,
  validateNameIsLabelValue,
  validateNamingTemplate,
  validateSelector,
  validateVersion,
  versionStep,
} from '../validation.js';
import { clusterClassStrategy } from './clusterclass-strategy.js';
import { Annotations, CLUSTER_API_GROUP, Defaults, Labels, MachineSetPreflightChecks } from './constants.js';

const MACHINE_NAME_SAMPLE = { 'cluster.name': 'cluster', 'machineSet.name': 'machineset', random: 'abcde' };

/** The replica count left unset by the user, defaulted from the autoscaler annotations or 1. */
function defaultSpecReplicas(kind: string, obj: KubeObject, old: KubeObject | undefined): void {
  const spec = ensureSpec(obj);
  if (spec.replicas !== undefined && spec.replicas !== null) return;
  const oldReplicas = old ? asObject(old.spec)?.replicas : undefined;
  const replicas = defaultReplicas(
    kind,
    obj.metadata.annotations,
    typeof oldReplicas === 'number' ? oldReplicas : undefined,
    old !== undefined,
  );
  // An unparseable annotation leaves replicas unset; validation reports the annotation.
  if (typeof replicas === 'number') spec.replicas = replicas;
}

/** The checks a MachineSet may skip must be ones it makes (MachineSetPreflightChecks is on by default). */
function validateSkippedPreflightChecks(obj: KubeObject): FieldError[] {
  const skip = obj.metadata.annotations?.[Annotations.machineSetSkipPreflightChecks];
  if (!skip) return [];
  const unknown = skip
    .split(',')
    .map((c) => c.trim())
    .filter((c) => !(MachineSetPreflightChecks as readonly string[]).includes(c));
  if (unknown.length === 0) return [];
  return [
    invalid(
      `metadata.annotations.${Annotations.machineSetSkipPreflightChecks}`,
      unknown,
      `skipped preflight check(s) must be among: [${MachineSetPreflightChecks.join(' ')}]`,
    ),
  ];
}

/** The autoscaler annotations must be numbers when they decide the replica count. */
function validateAutoscalerAnnotations(kind: string, obj: KubeObject): FieldError[] {
  const replicas = defaultReplicas(kind, obj.metadata.annotations, undefined, false);
  if (typeof replicas === 'number') return [];
  return [invalid('metadata.annotations', obj.metadata.annotations ?? {}, replicas)];
}

function nonNegativeReplicas(spec: Json): FieldError[] {
  const r = spec.replicas;
  return typeof r === 'number' && r < 0
    ? [invalid('spec.replicas', r, 'must be greater than or equal to 0')]
    : [];
}

/** Defaults of a MachineSpec inside an object of namespace ns (refs' namespaces, version prefix). */
function defaultMachineSpec(spec: Json | undefined, namespace: string | undefined): void {
  if (!spec) return;
  defaultRefNamespace(asObject(spec.bootstrap)?.configRef, namespace);
  defaultRefNamespace(spec.infrastructureRef, namespace);
  normalizeVersion(spec);
}

/** Checks of a MachineSpec at `base`. */
function validateMachineSpec(
  base: string,
  spec: Json | undefined,
  namespace: string | undefined,
): FieldError[] {
  if (!spec) return [];
  const errs: FieldError[] = [];
  errs.push(...validateVersion(`${base}.version`, spec.version));
  errs.push(...validateDurations(base, spec, NODE_TIMEOUT_FIELDS));
  const bootstrap = asObject(spec.bootstrap);
  if (bootstrap?.configRef !== undefined) {
    errs.push(...refInNamespace(`${base}.bootstrap.configRef`, bootstrap.configRef, namespace));
  }
  errs.push(...refInNamespace(`${base}.infrastructureRef`, spec.infrastructureRef, namespace));
  return errs;
}

function hasBootstrap(spec: Json | undefined): boolean {
  const b = asObject(spec?.bootstrap);
  return asObject(b?.configRef) !== undefined || typeof b?.dataSecretName === 'string';
}

/** The template's labels must be selected by the selector. */
function templateMatchesSelector(spec: Json, error: (selector: string) => FieldError): FieldError[] {
  const selector = parseSelector(spec.selector);
  if (!selector) return [];
  const labels = asStringMap(asObject(asObject(spec.template)?.metadata)?.labels);
  return selector.matches(labels) ? [] : [error(selector.toString())];
}

/** Objects of a Cluster stay with it. */
function keepsClusterName(obj: KubeObject, old: KubeObject): FieldError[] {
  return clusterNameImmutable('spec.clusterName', specOf(obj).clusterName, specOf(old).clusterName);
}

// Cluster.

function defaultCluster(obj: KubeObject): void {
  const spec = ensureSpec(obj);
  const ns = obj.metadata.namespace;
  defaultRefNamespace(spec.infrastructureRef, ns);
  defaultRefNamespace(spec.controlPlaneRef, ns);
  const topology = asObject(spec.topology);
  if (!topology) return;
  normalizeVersion(topology);
  const cp = asObject(topology.controlPlane);
  defaultRefNamespace(asObject(cp?.machineHealthCheck)?.remediationTemplate, ns);
  for (const md of asArray(asObject(topology.workers)?.machineDeployments)) {
    defaultRefNamespace(asObject(asObject(md)?.machineHealthCheck)?.remediationTemplate, ns);
  }
}

function validateTopology(obj: KubeObject, topology: Json): FieldError[] {
  const base = 'spec.topology';
  const ns = obj.metadata.namespace;
  const errs: FieldError[] = [];
  if (asString(topology.class) === '') return [required(`${base}.class`, 'class cannot be empty')];
  errs.push(
    ...validateVersion(`${base}.version`, topology.version, 'version must be a valid semantic version'),
  );
  const noDefinitionFrom = (field: string, variables: unknown) => {
    for (const v of asArray(variables)) {
      const variable = asObject(v);
      if (variable && asString(variable.definitionFrom) !== '') {
        const name = asString(variable.name);
        errs.push(
          invalid(`${field}[${name}]`, variable.value ?? null, `variable "${name}" has DefinitionFrom set`),
        );
      }
    }
  };
  noDefinitionFrom(`${base}.variables`, topology.variables);

  const cp = asObject(topology.controlPlane);
  if (cp) {
    errs.push(...validateCapiMetadata(`${base}.controlPlane.metadata`, cp.metadata));
    errs.push(...validateDurations(`${base}.controlPlane`, cp, NODE_TIMEOUT_FIELDS));
    errs.push(
      ...validateHealthCheckClass(
        `${base}.controlPlane.machineHealthCheck`,
        asObject(cp.machineHealthCheck),
        ns,
      ),
    );
    noDefinitionFrom(`${base}.controlPlane.variables.overrides`, asObject(cp.variables)?.overrides);
  }
  const workers = asObject(topology.workers);
  for (const key of ['machineDeployments', 'machinePools'] as const) {
    const seen = new Set<string>();
    for (const [i, item] of asArray(workers?.[key]).entries()) {
      const w = asObject(item);
      if (!w) continue;
      const name = asString(w.name);
      const at = `${base}.workers.${key}[${name}]`;
      for (const msg of isValidLabelValue(name)) {
        errs.push(invalid(`${base}.workers.${key}[${i}].name`, name, `must be a valid label value ${msg}`));
      }
      if (seen.has(name)) {
        errs.push(
          invalid(
            `${base}.workers.${key}[${i}].name`,
            name,
            `name must be unique. ${key} entry "${name}" is defined more than once`,
          ),
        );
      }
      seen.add(name);
      errs.push(...validateCapiMetadata(`${at}.metadata`, w.metadata));
      errs.push(...validateDurations(at, w, NODE_TIMEOUT_FIELDS));
      noDefinitionFrom(`${at}.variables.overrides`, asObject(w.variables)?.overrides);
      if (key === 'machineDeployments') {
        errs.push(
          ...validateHealthCheckClass(`${at}.machineHealthCheck`, asObject(w.machineHealthCheck), ns),
        );
        const rolling = asObject(asObject(w.strategy)?.rollingUpdate);
        errs.push(...validateIntOrPercent(`${at}.strategy.rollingUpdate.maxSurge`, rolling?.maxSurge));
        errs.push(
          ...validateIntOrPercent(`${at}.strategy.rollingUpdate.maxUnavailable`, rolling?.maxUnavailable),
        );
        // Replicas and the autoscaler cannot both decide the size.
        const annotations = asStringMap(asObject(w.metadata)?.annotations);
        if (
          w.replicas !== undefined &&
          (Annotations.autoscalerMinSize in annotations || Annotations.autoscalerMaxSize in annotations)
        ) {
          errs.push(
            invalid(
              `${at}.replicas`,
              w.replicas,
              `cannot be set for cluster "${obj.metadata.name}" in namespace "${ns}" if the same MachineDeploymentTopology has autoscaler annotations`,
            ),
          );
        }
      }
    }
  }

  const concurrency = obj.metadata.annotations?.[Annotations.topologyUpgradeConcurrency];
  if (concurrency !== undefined) {
    const field = `metadata.annotations.${Annotations.topologyUpgradeConcurrency}`;
    if (!/^-?[0-9]+$/.test(concurrency)) {
      errs.push(invalid(field, concurrency, 'could not parse the value of the annotation'));
    } else if (Number(concurrency) < 1) {
      errs.push(invalid(field, concurrency, 'value cannot be less than 1'));
    }
  }
  return errs;
}

function validateCluster(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const ns = obj.metadata.namespace;
  const errs: FieldError[] = [...validateNameIsLabelValue(obj)];
  if (spec.infrastructureRef !== undefined)
    errs.push(...refInNamespace('spec.infrastructureRef', spec.infrastructureRef, ns));
  if (spec.controlPlaneRef !== undefined)
    errs.push(...refInNamespace('spec.controlPlaneRef', spec.controlPlaneRef, ns));
  const network = asObject(spec.clusterNetwork);
  for (const part of ['pods', 'services'] as const) {
    for (const [i, cidr] of asArray(asObject(network?.[part])?.cidrBlocks).entries()) {
      if (typeof cidr === 'string' && !isValidCIDR(cidr)) {
        errs.push(
          invalid(`spec.clusterNetwork.${part}.cidrBlocks[${i}]`, cidr, `invalid CIDR address: ${cidr}`),
        );
      }
    }
  }
  const topology = asObject(spec.topology);
  if (topology) errs.push(...validateTopology(obj, topology));
  return errs;
}

/** Same API group and kind: the reference still names the same kind of object. */
function sameRefTarget(a: Json, b: Json): boolean {
  const group = (v: unknown) => asString(v).split('/').slice(0, -1).join('/');
  return group(a.apiVersion) === group(b.apiVersion) && a.kind === b.kind && a.name === b.name;
}

function validateClusterUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const oldSpec = specOf(old);
  const errs: FieldError[] = [];
  for (const key of ['infrastructureRef', 'controlPlaneRef'] as const) {
    const next = asObject(spec[key]);
    const prev = asObject(oldSpec[key]);
    if (prev && !next) errs.push(forbidden(`spec.${key}`, 'cannot be removed'));
    // The infrastructure cluster is provisioned for this Cluster: it is not swapped for another.
    if (key === 'infrastructureRef' && prev && next && !sameRefTarget(next, prev)) {
      errs.push(invalid('spec.infrastructureRef', next, 'cannot be changed to another object once set'));
    }
  }
  const topology = asObject(spec.topology);
  const oldTopology = asObject(oldSpec.topology);
  if (oldTopology && !topology)
    errs.push(forbidden('spec.topology', 'cannot be removed from an existing Cluster'));
  if (topology && asString(topology.class) !== '') {
    const annotations = obj.metadata.annotations ?? {};
    if (!oldTopology || asString(oldTopology.class) === '') {
      if (!(Annotations.unsafeUpdateClassName in annotations)) {
        errs.push(forbidden('spec.topology.class', 'class cannot be set on an existing Cluster'));
      }
    } else if (!(Annotations.unsafeUpdateVersion in annotations)) {
      const from = parseSemver(oldTopology.version);
      const to = parseSemver(topology.version);
      if (from && to) {
        const step = versionStep(from, to);
        const show = (v: { major: number; minor: number; patch: number }) =>
          `${v.major}.${v.minor}.${v.patch}`;
        if (step === 'down') {
          errs.push(
            invalid(
              'spec.topology.version',
              topology.version,
              `version cannot be decreased from "${show(from)}" to "${show(to)}"`,
            ),
          );
        } else if (step === 'skip') {
          errs.push(
            invalid(
              'spec.topology.version',
              topology.version,
              `version cannot be increased from "${show(from)}" to "${show(to)}"`,
            ),
          );
        }
      }
    }
  }
  return errs;
}

export const clusterStrategy: Strategy = {
  applyDefaults: defaultCluster,
  validate: validateCluster,
  validateUpdate: validateClusterUpdate,
};

// MachineDeployment.

function defaultMachineDeployment(obj: KubeObject): void {
  const spec = ensureSpec(obj);
  const clusterName = asString(spec.clusterName);
  setLabel(obj.metadata, Labels.clusterName, clusterName);
  defaultSpecReplicas('MachineDeployment', obj, undefined);
  spec.minReadySeconds ??= 0;
  spec.revisionHistoryLimit ??= Defaults.machineDeploymentRevisionHistoryLimit;
  spec.progressDeadlineSeconds ??= Defaults.machineDeploymentProgressDeadlineSeconds;
  const selector = childObject(spec, 'selector');
  const matchLabels = selector ? childObject(selector, 'matchLabels') : undefined;
  const strategy = childObject(spec, 'strategy');
  if (strategy && (strategy.type === undefined || strategy.type === '')) strategy.type = 'RollingUpdate';
  const template = childObject(spec, 'template');
  const templateMeta = childObject(template, 'metadata');
  const templateLabels = childObject(templateMeta, 'labels');
  if (strategy?.type === 'RollingUpdate') {
    const rolling = childObject(strategy, 'rollingUpdate');
    if (rolling) {
      rolling.maxSurge ??= 1;
      rolling.maxUnavailable ??= 0;
    }
  }
  if (matchLabels && templateLabels) {
    // An empty selector selects the MachineDeployment's own Machines by its name.
    if (Object.keys(matchLabels).length === 0 && asArray(selector?.matchExpressions).length === 0) {
      matchLabels[Labels.deploymentName] = obj.metadata.name ?? '';
      templateLabels[Labels.deploymentName] = obj.metadata.name ?? '';
    }
    matchLabels[Labels.clusterName] = clusterName;
    templateLabels[Labels.clusterName] = clusterName;
  }
  defaultMachineSpec(asObject(template?.spec), obj.metadata.namespace);
}

function validateMachineDeployment(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs: FieldError[] = [...validateNameIsLabelValue(obj)];
  errs.push(...nonNegativeReplicas(spec));
  if (spec.replicas === undefined) errs.push(...validateAutoscalerAnnotations('MachineDeployment', obj));
  errs.push(...validateSkippedPreflightChecks(obj));
  errs.push(...validateSelector('spec.selector', spec.selector));
  errs.push(
    ...templateMatchesSelector(spec, (s) =>
      forbidden('spec.template.metadata.labels', `must match spec.selector "${s}"`),
    ),
  );
  const template = asObject(spec.template);
  const machine = asObject(template?.spec);
  if (machine && !hasBootstrap(machine)) {
    errs.push(
      required(
        'spec.template.spec.bootstrap',
        'expected either spec.template.spec.bootstrap.dataSecretName or spec.template.spec.bootstrap.configRef to be populated',
      ),
    );
  }
  if (machine && asString(spec.clusterName) !== asString(machine.clusterName)) {
    errs.push(
      invalid(
        'spec.clusterName',
        spec.clusterName ?? '',
        'spec.clusterName and spec.template.spec.clusterName must be set to the same value',
      ),
    );
  }
  const strategy = asObject(spec.strategy);
  const rolling = asObject(strategy?.rollingUpdate);
  errs.push(...validateIntOrPercent('spec.strategy.rollingUpdate.maxSurge', rolling?.maxSurge, true));
  errs.push(
    ...validateIntOrPercent('spec.strategy.rollingUpdate.maxUnavailable', rolling?.maxUnavailable, true),
  );
  if (rolling && rolling.maxSurge === 0 && rolling.maxUnavailable === 0) {
    errs.push(
      invalid(
        'spec.strategy.rollingUpdate',
        rolling.maxSurge,
        'maxUnavailable and maxSurge cannot both be 0',
      ),
    );
  }
  errs.push(
    ...validateIntOrPercent(
      'spec.strategy.remediation.maxInFlight',
      asObject(strategy?.remediation)?.maxInFlight,
      true,
    ),
  );
  errs.push(
    ...validateNamingTemplate(
      'spec.machineNamingStrategy.template',
      asObject(spec.machineNamingStrategy)?.template,
      MACHINE_NAME_SAMPLE,
    ),
  );
  errs.push(...validateCapiMetadata('spec.template.metadata', template?.metadata));
  errs.push(...validateMachineSpec('spec.template.spec', machine, obj.metadata.namespace));
  return errs;
}

export const machineDeploymentStrategy: Strategy = {
  prepareForUpdate: (obj, old) => defaultSpecReplicas('MachineDeployment', obj, old),
  applyDefaults: defaultMachineDeployment,
  validate: validateMachineDeployment,
  validateUpdate: keepsClusterName,
};

// MachineSet.

function defaultMachineSet(obj: KubeObject): void {
  const spec = ensureSpec(obj);
  setLabel(obj.metadata, Labels.clusterName, asString(spec.clusterName));
  defaultSpecReplicas('MachineSet', obj, undefined);
  if (spec.deletePolicy === undefined || spec.deletePolicy === '') spec.deletePolicy = 'Random';
  const selector = childObject(spec, 'selector');
  const matchLabels = selector ? childObject(selector, 'matchLabels') : undefined;
  const template = childObject(spec, 'template');
  const templateLabels = childObject(childObject(template, 'metadata'), 'labels');
  if (matchLabels && templateLabels) {
    if (Object.keys(matchLabels).length === 0 && asArray(selector?.matchExpressions).length === 0) {
      const value = labelValueFor(obj.metadata.name ?? '');
      matchLabels[Labels.setName] = value;
      templateLabels[Labels.setName] = value;
    }
  }
  defaultMachineSpec(asObject(template?.spec), obj.metadata.namespace);
}

function validateMachineSet(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs: FieldError[] = [];
  errs.push(...nonNegativeReplicas(spec));
  if (spec.replicas === undefined) errs.push(...validateAutoscalerAnnotations('MachineSet', obj));
  errs.push(...validateSkippedPreflightChecks(obj));
  errs.push(...validateSelector('spec.selector', spec.selector));
  const template = asObject(spec.template);
  errs.push(
    ...templateMatchesSelector(spec, (s) =>
      invalid(
        'spec.template.metadata.labels',
        asObject(template?.metadata)?.labels ?? {},
        `must match spec.selector "${s}"`,
      ),
    ),
  );
  errs.push(
    ...validateNamingTemplate(
      'spec.machineNamingStrategy.template',
      asObject(spec.machineNamingStrategy)?.template,
      MACHINE_NAME_SAMPLE,
    ),
  );
  errs.push(...validateCapiMetadata('spec.template.metadata', template?.metadata));
  errs.push(...validateMachineSpec('spec.template.spec', asObject(template?.spec), obj.metadata.namespace));
  return errs;
}

export const machineSetStrategy: Strategy = {
  prepareForUpdate: (obj, old) => defaultSpecReplicas('MachineSet', obj, old),
  applyDefaults: defaultMachineSet,
  validate: validateMachineSet,
  validateUpdate: keepsClusterName,
};

// Machine.

function defaultMachine(obj: KubeObject): void {
  const spec = ensureSpec(obj);
  setLabel(obj.metadata, Labels.clusterName, asString(spec.clusterName));
  defaultMachineSpec(spec, obj.metadata.namespace);
  spec.nodeDeletionTimeout ??= Defaults.nodeDeletionTimeout;
}

function isMachinePoolOwned(obj: KubeObject): boolean {
  return obj.metadata.labels?.[Labels.poolName] !== undefined;
}

function validateMachine(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs: FieldError[] = [];
  if (!hasBootstrap(spec) && !isMachinePoolOwned(obj)) {
    errs.push(
      required(
        'spec.bootstrap.data',
        'expected either spec.bootstrap.dataSecretName or spec.bootstrap.configRef to be populated',
      ),
    );
  }
  errs.push(...validateMachineSpec('spec', spec, obj.metadata.namespace));
  return errs;
}

export const machineStrategy: Strategy = {
  applyDefaults: defaultMachine,
  validate: validateMachine,
  validateUpdate: keepsClusterName,
};

// MachineHealthCheck.

function defaultMachineHealthCheck(obj: KubeObject): void {
  const spec = ensureSpec(obj);
  setLabel(obj.metadata, Labels.clusterName, asString(spec.clusterName));
  spec.maxUnhealthy ??= Defaults.maxUnhealthy;
  spec.nodeStartupTimeout ??= Defaults.nodeStartupTimeout;
  defaultRefNamespace(spec.remediationTemplate, obj.metadata.namespace);
}

function validateMachineHealthCheck(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs: FieldError[] = [];
  const selectorErrors = validateSelector('spec.selector', spec.selector);
  errs.push(...selectorErrors);
  if (selectorErrors.length === 0 && spec.selector !== undefined && isEmptySelector(spec.selector)) {
    errs.push(required('spec.selector', 'selector must not be empty'));
  }
  const clusterLabel = asStringMap(asObject(spec.selector)?.matchLabels)[Labels.clusterName];
  if (clusterLabel !== undefined && clusterLabel !== asString(spec.clusterName)) {
    errs.push(
      invalid(
        'spec.selector',
        spec.selector,
        'cannot specify a cluster selector other than the one specified by ClusterName',
      ),
    );
  }
  errs.push(...validateHealthCheckClass('spec', spec, obj.metadata.namespace));
  return errs;
}

export const machineHealthCheckStrategy: Strategy = {
  applyDefaults: defaultMachineHealthCheck,
  validate: validateMachineHealthCheck,
  validateUpdate: keepsClusterName,
};

// MachinePool.

function defaultMachinePool(obj: KubeObject): void {
  const spec = ensureSpec(obj);
  setLabel(obj.metadata, Labels.clusterName, asString(spec.clusterName));
  defaultSpecReplicas('MachinePool', obj, undefined);
  spec.minReadySeconds ??= 0;
  const machine = asObject(asObject(spec.template)?.spec);
  defaultMachineSpec(machine, obj.metadata.namespace);
  if (machine) machine.nodeDeletionTimeout ??= Defaults.nodeDeletionTimeout;
}

function validateMachinePool(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs: FieldError[] = [];
  errs.push(...nonNegativeReplicas(spec));
  if (spec.replicas === undefined) errs.push(...validateAutoscalerAnnotations('MachinePool', obj));
  const template = asObject(spec.template);
  const machine = asObject(template?.spec);
  if (machine && !hasBootstrap(machine)) {
    errs.push(
      required(
        'spec.template.spec.bootstrap.data',
        'expected either spec.bootstrap.dataSecretName or spec.bootstrap.configRef to be populated',
      ),
    );
  }
  errs.push(...validateCapiMetadata('spec.template.metadata', template?.metadata));
  errs.push(...validateMachineSpec('spec.template.spec', machine, obj.metadata.namespace));
  return errs;
}

export const machinePoolStrategy: Strategy = {
  prepareForUpdate: (obj, old) => defaultSpecReplicas('MachinePool', obj, old),
  applyDefaults: defaultMachinePool,
  validate: validateMachinePool,
  validateUpdate: keepsClusterName,
};

/** Strategies of the cluster.x-k8s.io kinds, by "group/Kind". */
export const coreStrategies: Record<string, Strategy> = {
  [`${CLUSTER_API_GROUP}/Cluster`]: clusterStrategy,
  [`${CLUSTER_API_GROUP}/ClusterClass`]: clusterClassStrategy,
  [`${CLUSTER_API_GROUP}/MachineDeployment`]: machineDeploymentStrategy,
  [`${CLUSTER_API_GROUP}/MachineSet`]: machineSetStrategy,
  [`${CLUSTER_API_GROUP}/Machine`]: machineStrategy,
  [`${CLUSTER_API_GROUP}/MachineHealthCheck`]: machineHealthCheckStrategy,
  [`${CLUSTER_API_GROUP}/MachinePool`]: machinePoolStrategy,
};
