// What Cluster API's ClusterClass webhook checks without looking at other objects: template
// references, unique classes, health checks, naming templates, variables and patches. (Checks
// against the Clusters using a class, and deep checks of variable schemas, are not made here.)

import type { Strategy } from '../../../../apiserver/registry/strategy.js';
import type { KubeObject } from '../../../../machinery/object.js';
import type { FieldError } from '../../../../machinery/status.js';
import {
  asArray,
  asObject,
  asString,
  defaultRefNamespace,
  forbidden,
  invalid,
  type Json,
  NODE_TIMEOUT_FIELDS,
  required,
  specOf,
  validateCapiMetadata,
  validateDurations,
  validateHealthCheckClass,
  validateNamingTemplate,
  validateVersion,
} from '../validation.js';
import { TEMPLATE_SUFFIX } from './constants.js';

interface TemplateRef {
  field: string;
  ref: Json | undefined;
}

/** Every template reference of a ClusterClass, with its field path (spec.workers... by index). */
function templateRefs(spec: Json): TemplateRef[] {
  const refs: TemplateRef[] = [];
  const add = (field: string, holder: unknown) => refs.push({ field, ref: asObject(asObject(holder)?.ref) });
  add('spec.infrastructure', spec.infrastructure);
  const cp = asObject(spec.controlPlane);
  add('spec.controlPlane', cp);
  if (cp?.machineInfrastructure !== undefined)
    add('spec.controlPlane.machineInfrastructure', cp.machineInfrastructure);
  const workers = asObject(spec.workers);
  for (const key of ['machineDeployments', 'machinePools'] as const) {
    for (const [i, w] of asArray(workers?.[key]).entries()) {
      const template = asObject(asObject(w)?.template);
      add(`spec.workers.${key}[${i}].template.bootstrap`, template?.bootstrap);
      add(`spec.workers.${key}[${i}].template.infrastructure`, template?.infrastructure);
    }
  }
  return refs;
}

function defaultClusterClass(obj: KubeObject): void {
  const spec = specOf(obj);
  const ns = obj.metadata.namespace;
  for (const { ref } of templateRefs(spec)) defaultRefNamespace(ref, ns);
  defaultRefNamespace(asObject(asObject(spec.controlPlane)?.machineHealthCheck)?.remediationTemplate, ns);
  for (const md of asArray(asObject(spec.workers)?.machineDeployments)) {
    defaultRefNamespace(asObject(asObject(md)?.machineHealthCheck)?.remediationTemplate, ns);
  }
}

/** LocalObjectTemplateIsValid: a named <Kind>Template of a valid apiVersion, in the class's namespace. */
function validateTemplateRef({ field, ref }: TemplateRef, namespace: string | undefined): FieldError[] {
  if (!ref) return [required(`${field}.ref`, 'template reference must be defined')];
  const errs: FieldError[] = [];
  if (asString(ref.name) === '') errs.push(required(`${field}.ref.name`, 'template name must be defined'));
  if (namespace && asString(ref.namespace) !== namespace) {
    errs.push(
      invalid(
        `${field}.ref.namespace`,
        asString(ref.namespace),
        `template must be in the same namespace as the ClusterClass (${namespace})`,
      ),
    );
  }
  const kind = asString(ref.kind);
  if (kind.length <= TEMPLATE_SUFFIX.length || !kind.endsWith(TEMPLATE_SUFFIX)) {
    errs.push(invalid(`${field}.ref.kind`, kind, `template kind must be of form "<name>${TEMPLATE_SUFFIX}"`));
  }
  const apiVersion = asString(ref.apiVersion);
  if (apiVersion === '')
    errs.push(required(`${field}.ref.apiVersion`, 'template apiVersion must be defined'));
  else if (apiVersion.split('/').length > 2 || apiVersion.endsWith('/') || apiVersion.startsWith('/')) {
    errs.push(
      invalid(
        `${field}.ref.apiVersion`,
        apiVersion,
        'template apiVersion must be a valid Kubernetes apiVersion',
      ),
    );
  }
  return errs;
}

function uniqueClasses(spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  const workers = asObject(spec.workers);
  for (const [key, word] of [
    ['machineDeployments', 'MachineDeployment'],
    ['machinePools', 'MachinePool'],
  ] as const) {
    const seen = new Set<string>();
    for (const [i, w] of asArray(workers?.[key]).entries()) {
      const cls = asString(asObject(w)?.class);
      if (seen.has(cls)) {
        errs.push(
          invalid(
            `spec.workers.${key}[${i}].class`,
            cls,
            `${word} class must be unique. ${word} with class "${cls}" is defined more than once`,
          ),
        );
      }
      seen.add(cls);
    }
  }
  return errs;
}

function validateHealthChecks(spec: Json, namespace: string | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const cp = asObject(spec.controlPlane);
  const cpMhc = asObject(cp?.machineHealthCheck);
  if (cpMhc) {
    errs.push(...validateHealthCheckClass('spec.controlPlane.machineHealthCheck', cpMhc, namespace));
    if (cp?.machineInfrastructure === undefined) {
      errs.push(
        forbidden(
          'spec.controlPlane.machineHealthCheck.machineInfrastructure',
          'can be set only if spec.controlPlane.machineInfrastructure is set',
        ),
      );
    }
  }
  for (const md of asArray(asObject(spec.workers)?.machineDeployments)) {
    const w = asObject(md);
    const mhc = asObject(w?.machineHealthCheck);
    if (mhc) {
      errs.push(
        ...validateHealthCheckClass(
          `spec.workers.machineDeployments[${asString(w?.class)}].machineHealthCheck`,
          mhc,
          namespace,
        ),
      );
    }
  }
  return errs;
}

function validateNamingAndTimeouts(spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  const sample = { 'cluster.name': 'cluster', random: 'abcde' };
  errs.push(
    ...validateNamingTemplate(
      'spec.infrastructureNamingStrategy.template',
      asObject(spec.infrastructureNamingStrategy)?.template,
      sample,
      false,
    ),
  );
  const cp = asObject(spec.controlPlane);
  errs.push(
    ...validateNamingTemplate(
      'spec.controlPlane.namingStrategy.template',
      asObject(cp?.namingStrategy)?.template,
      sample,
      false,
    ),
  );
  errs.push(...validateDurations('spec.controlPlane', cp, NODE_TIMEOUT_FIELDS));
  errs.push(...validateCapiMetadata('spec.controlPlane.metadata', cp?.metadata));
  const workers = asObject(spec.workers);
  for (const [key, topologyName] of [
    ['machineDeployments', 'machineDeployment.topologyName'],
    ['machinePools', 'machinePool.topologyName'],
  ] as const) {
    for (const [i, item] of asArray(workers?.[key]).entries()) {
      const w = asObject(item);
      const at = `spec.workers.${key}[${i}]`;
      errs.push(
        ...validateNamingTemplate(
          `${at}.namingStrategy.template`,
          asObject(w?.namingStrategy)?.template,
          { ...sample, [topologyName]: 'worker' },
          false,
        ),
      );
      errs.push(...validateDurations(at, w, NODE_TIMEOUT_FIELDS));
      errs.push(...validateCapiMetadata(`${at}.template.metadata`, asObject(w?.template)?.metadata));
    }
  }
  for (const [i, v] of asArray(spec.kubernetesVersions).entries()) {
    errs.push(...validateVersion(`spec.kubernetesVersions[${i}]`, v));
  }
  return errs;
}

const VARIABLE_TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean'];

function validateVariables(spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  for (const item of asArray(spec.variables)) {
    const v = asObject(item);
    if (!v) continue;
    const name = asString(v.name);
    const at = `spec.variables[${name}]`;
    if (seen.has(name)) {
      errs.push(
        invalid(
          `${at}.name`,
          name,
          `variable name must be unique. Variable with name "${name}" is defined more than once`,
        ),
      );
    }
    seen.add(name);
    if (name === 'builtin') errs.push(invalid(`${at}.name`, name, '"builtin" is a reserved variable name'));
    if (name.includes('.')) errs.push(invalid(`${at}.name`, name, 'variable name cannot contain "."'));
    errs.push(...validateCapiMetadata(`${at}.metadata`, v.metadata));
    const schema = asObject(asObject(v.schema)?.openAPIV3Schema);
    if (schema) {
      errs.push(...validateCapiMetadata(`${at}.schema.openAPIV3Schema.x-metadata`, schema['x-metadata']));
      const type = schema.type;
      if (type === undefined || type === '') {
        errs.push(
          required(
            `${at}.schema.openAPIV3Schema.type`,
            `type cannot be empty; must be one of ${VARIABLE_TYPES.join(', ')}`,
          ),
        );
      }
    }
  }
  return errs;
}

/** The builtin variables patches may read, as Cluster API's topology controller offers them. */
const BUILTIN_VARIABLES = new Set([
  'builtin',
  ...['cluster', 'controlPlane', 'machineDeployment', 'machinePool'].map((p) => `builtin.${p}`),
  ...[
    'name',
    'namespace',
    'uid',
    'metadata.labels',
    'metadata.annotations',
    'topology',
    'topology.class',
    'topology.classNamespace',
    'topology.version',
    'network',
    'network.serviceDomain',
    'network.services',
    'network.pods',
    'network.ipFamily',
  ].map((f) => `builtin.cluster.${f}`),
  ...[
    'name',
    'replicas',
    'version',
    'metadata.labels',
    'metadata.annotations',
    'machineTemplate.infrastructureRef.name',
  ].map((f) => `builtin.controlPlane.${f}`),
  ...['machineDeployment', 'machinePool'].flatMap((p) =>
    [
      'class',
      'name',
      'replicas',
      'topologyName',
      'version',
      'metadata.labels',
      'metadata.annotations',
      'bootstrap.configRef.name',
      'infrastructureRef.name',
    ].map((f) => `builtin.${p}.${f}`),
  ),
]);

/** Whether a selector of a patch picks a given template reference (same apiVersion and kind). */
function selects(selector: Json, ref: unknown): boolean {
  const r = asObject(ref);
  return !!r && r.kind === selector.kind && r.apiVersion === selector.apiVersion;
}

function validatePatchSelector(at: string, selector: Json, spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  const match = asObject(selector.matchResources) ?? {};
  const mdNames = asArray(asObject(match.machineDeploymentClass)?.names);
  const mpNames = asArray(asObject(match.machinePoolClass)?.names);
  if (!match.infrastructureCluster && !match.controlPlane && mdNames.length === 0 && mpNames.length === 0) {
    errs.push(invalid(`${at}.matchResources`, match, 'no selector enabled'));
  }
  if (match.infrastructureCluster === true && !selects(selector, asObject(spec.infrastructure)?.ref)) {
    errs.push(
      invalid(
        `${at}.matchResources.infrastructureCluster`,
        true,
        'selector is enabled but does not match the infrastructure ref',
      ),
    );
  }
  const cp = asObject(spec.controlPlane);
  if (
    match.controlPlane === true &&
    !selects(selector, cp?.ref) &&
    !selects(selector, asObject(cp?.machineInfrastructure)?.ref)
  ) {
    errs.push(
      invalid(
        `${at}.matchResources.controlPlane`,
        true,
        'selector is enabled but matches neither the controlPlane ref nor the controlPlane machineInfrastructure ref',
      ),
    );
  }
  const workers = asObject(spec.workers);
  for (const [key, names, word] of [
    ['machineDeployments', mdNames, 'machineDeploymentClass'],
    ['machinePools', mpNames, 'machinePoolClass'],
  ] as const) {
    for (const [i, n] of names.entries()) {
      const name = asString(n);
      const field = `${at}.matchResources.${word}.names[${i}]`;
      const stars = name.split('*').length - 1;
      if (stars > 1) {
        errs.push(invalid(field, name, 'selector can at most contain a single "*" rune'));
        continue;
      }
      if (stars === 1 && !name.startsWith('*') && !name.endsWith('*')) {
        errs.push(
          invalid(field, name, '"*" rune can only appear at the beginning, or ending of the selector'),
        );
        continue;
      }
      const fits = (cls: string) =>
        name === '*' ||
        name === cls ||
        (name.startsWith('*') && cls.endsWith(name.slice(1))) ||
        (name.endsWith('*') && cls.startsWith(name.slice(0, -1)));
      const matched = asArray(workers?.[key]).some((w) => {
        const c = asObject(w);
        const template = asObject(c?.template);
        return (
          fits(asString(c?.class)) &&
          (selects(selector, asObject(template?.bootstrap)?.ref) ||
            selects(selector, asObject(template?.infrastructure)?.ref))
        );
      });
      if (!matched) {
        errs.push(
          invalid(
            field,
            name,
            `selector is enabled but matches neither the bootstrap ref nor the infrastructure ref of a ${
              key === 'machineDeployments' ? 'MachineDeployment' : 'MachinePool'
            } class`,
          ),
        );
      }
    }
  }
  return errs;
}

function validateJsonPatch(at: string, patch: Json, variables: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const op = asString(patch.op);
  const path = asString(patch.path);
  if (!path.startsWith('/spec/'))
    errs.push(invalid(`${at}.path`, path, 'jsonPatch path must start with "/spec/"'));
  for (const part of path.split('/')) {
    if (!/^-?[0-9]+$/.test(part)) continue;
    if (op === 'add' && Number(part) !== 0) {
      errs.push(
        invalid(`${at}.path`, path, 'arrays can only be accessed using "0" (prepend) or "-" (append)'),
      );
    }
    if (op === 'replace' || op === 'remove') {
      errs.push(invalid(`${at}.path`, path, `elements in arrays can not be accessed in a ${op} operation`));
    }
  }
  if (op !== 'add' && op !== 'replace') return errs;
  const hasValue = patch.value !== undefined;
  const valueFrom = asObject(patch.valueFrom);
  if (!hasValue && !valueFrom)
    errs.push(invalid(at, patch, 'jsonPatch must define one of value or valueFrom'));
  if (hasValue && valueFrom)
    errs.push(invalid(at, patch, 'jsonPatch can not define both value and valueFrom'));
  if (valueFrom) {
    const template = valueFrom.template;
    const variable = valueFrom.variable;
    if (template === undefined && variable === undefined) {
      errs.push(invalid(`${at}.valueFrom`, valueFrom, 'valueFrom must set either template or variable'));
    }
    if (template !== undefined && variable !== undefined) {
      errs.push(invalid(`${at}.valueFrom`, valueFrom, 'valueFrom can not set both template and variable'));
    }
    if (typeof variable === 'string') {
      if (variable.startsWith('builtin.') || variable === 'builtin') {
        if (!BUILTIN_VARIABLES.has(variable)) {
          errs.push(invalid(`${at}.valueFrom.variable`, variable, 'not a defined builtin variable'));
        }
      } else {
        const name = variable.split(/[[.]/)[0] ?? '';
        if (!variables.has(name)) {
          errs.push(
            invalid(`${at}.valueFrom.variable`, variable, `variable with name ${variable} cannot be found`),
          );
        }
      }
    }
  }
  return errs;
}

function validatePatches(spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  const variables = new Set(asArray(spec.variables).map((v) => asString(asObject(v)?.name)));
  const names = new Set<string>();
  for (const [i, item] of asArray(spec.patches).entries()) {
    const p = asObject(item);
    if (!p) continue;
    const at = `spec.patches[${i}]`;
    const name = asString(p.name);
    if (name === 'inline')
      errs.push(required(`${at}.name`, '"inline" can not be used as the name of a patch'));
    if (names.has(name)) {
      errs.push(
        invalid(
          `${at}.name`,
          name,
          `patch names must be unique. Patch with name "${name}" is defined more than once`,
        ),
      );
    }
    names.add(name);
    const definitions = asArray(p.definitions);
    const hasDefinitions = p.definitions !== undefined;
    if (!hasDefinitions && p.external === undefined)
      errs.push(required(at, 'one of definitions or external must be defined'));
    if (hasDefinitions && p.external !== undefined) {
      errs.push(invalid(at, p, 'only one of definitions or external can be defined'));
    }
    if (p.external !== undefined) {
      errs.push(
        forbidden(`${at}.external`, 'patch.external needs runtime extensions, which Concord does not run'),
      );
    }
    for (const [j, d] of definitions.entries()) {
      const def = asObject(d);
      if (!def) continue;
      const selector = asObject(def.selector);
      if (selector) errs.push(...validatePatchSelector(`${at}.definitions[${j}].selector`, selector, spec));
      for (const [k, jp] of asArray(def.jsonPatches).entries()) {
        const patch = asObject(jp);
        if (patch)
          errs.push(...validateJsonPatch(`${at}.definitions[${j}].jsonPatches[${k}]`, patch, variables));
      }
    }
  }
  return errs;
}

function validateClusterClass(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const ns = obj.metadata.namespace;
  return [
    ...templateRefs(spec).flatMap((r) => validateTemplateRef(r, ns)),
    ...uniqueClasses(spec),
    ...validateHealthChecks(spec, ns),
    ...validateNamingAndTimeouts(spec),
    ...validateVariables(spec),
    ...validatePatches(spec),
  ];
}

export const clusterClassStrategy: Strategy = {
  applyDefaults: defaultClusterClass,
  validate: validateClusterClass,
};
