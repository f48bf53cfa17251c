// What Cluster API's kubeadm control plane webhooks do for KubeadmControlPlane and its template:
// defaults (1 replica, RollingUpdate with maxSurge 1, the kubeadm defaults) and validation
// (odd replica counts with stacked etcd, versions one minor at a time, the fields that may
// change after creation, the etcd and DNS settings).

import type { Strategy } from '../../../../apiserver/registry/strategy.js';
import type { KubeObject } from '../../../../machinery/object.js';
import type { FieldError } from '../../../../machinery/status.js';
import { defaultKubeadmConfigSpec, validateKubeadmConfigSpec } from '../bootstrap/strategy.js';
import {
  asObject,
  asString,
  childObject,
  defaultRefNamespace,
  ensureSpec,
  forbidden,
  invalid,
  type Json,
  NODE_TIMEOUT_FIELDS,
  normalizeVersion,
  parseSemver,
  path,
  refInNamespace,
  required,
  semanticEqualJson,
  specOf,
  templateSpecImmutable,
  validateCapiMetadata,
  validateDurations,
  validateNamingTemplate,
  validateVersion,
  versionStep,
} from '../validation.js';
import { CONTROL_PLANE_GROUP } from './constants.js';

const MIN_CERTIFICATES_EXPIRY_DAYS = 7;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;

function defaultRolloutStrategy(spec: Json): void {
  const strategy = childObject(spec, 'rolloutStrategy');
  if (!strategy) return;
  if (strategy.type === undefined || strategy.type === '') strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const rolling = childObject(strategy, 'rollingUpdate');
    if (rolling) rolling.maxSurge ??= 1;
  }
}

function validateRollout(base: string, spec: Json, replicas: number | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const days = asObject(spec.rolloutBefore)?.certificatesExpiryDays;
  if (typeof days === 'number' && days < MIN_CERTIFICATES_EXPIRY_DAYS) {
    errs.push(
      invalid(
        `${base}.rolloutBefore.certificatesExpiryDays`,
        days,
        `must be greater than or equal to ${MIN_CERTIFICATES_EXPIRY_DAYS}`,
      ),
    );
  }
  const strategy = asObject(spec.rolloutStrategy);
  if (strategy) {
    if (strategy.type !== 'RollingUpdate') {
      errs.push(required(`${base}.rolloutStrategy.type`, 'only RollingUpdateStrategyType is supported'));
    }
    const surge = asObject(strategy.rollingUpdate)?.maxSurge;
    // intstr.IntValue: a string counts as the number it spells, anything else as 0.
    const value = typeof surge === 'number' ? surge : /^-?[0-9]+$/.test(asString(surge)) ? Number(surge) : 0;
    if (value === 0 && replicas !== undefined && replicas < 3) {
      errs.push(
        required(
          `${base}.rolloutStrategy.rollingUpdate`,
          'when KubeadmControlPlane is configured to scale-in, replica count needs to be at least 3',
        ),
      );
    }
    if (value !== 0 && value !== 1)
      errs.push(required(`${base}.rolloutStrategy.rollingUpdate.maxSurge`, 'value must be 1 or 0'));
  }
  const remediation = asObject(spec.remediationStrategy);
  errs.push(
    ...validateDurations(`${base}.remediationStrategy`, remediation, ['retryPeriod', 'minHealthyPeriod']),
  );
  errs.push(
    ...validateNamingTemplate(
      `${base}.machineNamingStrategy.template`,
      asObject(spec.machineNamingStrategy)?.template,
      {
        'cluster.name': 'cluster',
        'kubeadmControlPlane.name': 'kubeadmcontrolplane',
        random: 'abcde',
      },
    ),
  );
  const machineTemplate = asObject(spec.machineTemplate);
  errs.push(...validateCapiMetadata(`${base}.machineTemplate.metadata`, machineTemplate?.metadata));
  errs.push(...validateDurations(`${base}.machineTemplate`, machineTemplate, NODE_TIMEOUT_FIELDS));
  return errs;
}

/** The etcd and DNS checks of a ClusterConfiguration, and etcd not switching kind on update. */
function validateClusterConfiguration(
  base: string,
  next: Json | undefined,
  old: Json | undefined,
): FieldError[] {
  if (!next) return [];
  const errs: FieldError[] = [];
  const dnsTag = path(next, 'dns', 'imageTag');
  if (typeof dnsTag === 'string' && dnsTag !== '') {
    if (!IMAGE_TAG.test(dnsTag)) errs.push(forbidden(`${base}.dns.imageTag`, `tag ${dnsTag} is invalid`));
    else if (!parseSemver(dnsTag)) {
      errs.push(
        invalid(
          `${base}.dns.imageTag`,
          dnsTag,
          'failed to parse CoreDNS version: not a major.minor.patch version',
        ),
      );
    }
  }
  const etcd = asObject(next.etcd);
  const etcdTag = path(etcd, 'local', 'imageTag');
  if (typeof etcdTag === 'string' && etcdTag !== '' && !IMAGE_TAG.test(etcdTag)) {
    errs.push(forbidden(`${base}.etcd.local.imageTag`, `tag ${etcdTag} is invalid`));
  }
  if (etcd?.local !== undefined && etcd?.external !== undefined) {
    errs.push(forbidden(`${base}.etcd.local`, 'cannot have both external and local etcd'));
  }
  const oldEtcd = asObject(old?.etcd);
  if (oldEtcd) {
    if (etcd?.external !== undefined && oldEtcd.local !== undefined) {
      errs.push(forbidden(`${base}.etcd.external`, 'cannot change between external and local etcd'));
    }
    if (etcd?.local !== undefined && oldEtcd.external !== undefined) {
      errs.push(forbidden(`${base}.etcd.local`, 'cannot change between external and local etcd'));
    }
  }
  return errs;
}

// KubeadmControlPlane.

function defaultKubeadmControlPlane(obj: KubeObject): void {
  const spec = ensureSpec(obj);
  spec.replicas ??= 1;
  defaultRefNamespace(asObject(spec.machineTemplate)?.infrastructureRef, obj.metadata.namespace);
  normalizeVersion(spec);
  defaultKubeadmConfigSpec(asObject(spec.kubeadmConfigSpec));
  defaultRolloutStrategy(spec);
}

function validateKubeadmControlPlane(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errs: FieldError[] = [];
  const replicas = spec.replicas;
  if (replicas === undefined || replicas === null) errs.push(required('spec.replicas', 'is required'));
  else if (typeof replicas === 'number' && replicas <= 0) {
    errs.push(forbidden('spec.replicas', 'cannot be less than or equal to 0'));
  }
  const externalEtcd =
    path(spec, 'kubeadmConfigSpec', 'clusterConfiguration', 'etcd', 'external') !== undefined;
  if (!externalEtcd && typeof replicas === 'number' && replicas > 0 && replicas % 2 === 0) {
    errs.push(forbidden('spec.replicas', 'cannot be an even number when etcd is stacked'));
  }
  const ref = asObject(asObject(spec.machineTemplate)?.infrastructureRef);
  if (ref) {
    for (const key of ['apiVersion', 'kind', 'name'] as const) {
      if (asString(ref[key]) === '') {
        errs.push(
          invalid(`spec.machineTemplate.infrastructureRef.${key}`, asString(ref[key]), 'cannot be empty'),
        );
      }
    }
    errs.push(...refInNamespace('spec.machineTemplate.infrastructureRef', ref, obj.metadata.namespace));
  }
  errs.push(...validateVersion('spec.version', spec.version));
  errs.push(...validateRollout('spec', spec, typeof replicas === 'number' ? replicas : undefined));
  const kubeadm = asObject(spec.kubeadmConfigSpec);
  errs.push(
    ...validateClusterConfiguration(
      'spec.kubeadmConfigSpec.clusterConfiguration',
      asObject(kubeadm?.clusterConfiguration),
      undefined,
    ),
  );
  errs.push(...validateKubeadmConfigSpec('spec.kubeadmConfigSpec', kubeadm));
  return errs;
}

/**
 * Fields of a KubeadmControlPlane that may change after creation; anything else is immutable.
 * "*" stands for anything below.
 */
const MUTABLE_PATHS: string[][] = [
  ['metadata', '*'],
  ...[
    'imageRepository',
    'imageTag',
    'extraArgs',
    'extraEnvs',
    'dataDir',
    'peerCertSANs',
    'serverCertSANs',
  ].map((f) => ['spec', 'kubeadmConfigSpec', 'clusterConfiguration', 'etcd', 'local', f, '*']),
  ...['endpoints', 'caFile', 'certFile', 'keyFile'].map((f) => [
    'spec',
    'kubeadmConfigSpec',
    'clusterConfiguration',
    'etcd',
    'external',
    f,
  ]),
  ['spec', 'kubeadmConfigSpec', 'clusterConfiguration', 'dns', 'imageRepository'],
  ['spec', 'kubeadmConfigSpec', 'clusterConfiguration', 'dns', 'imageTag'],
  ['spec', 'kubeadmConfigSpec', 'clusterConfiguration', 'imageRepository'],
  ...['featureGates', 'apiServer', 'controllerManager', 'scheduler'].map((f) => [
    'spec',
    'kubeadmConfigSpec',
    'clusterConfiguration',
    f,
    '*',
  ]),
  ...['nodeRegistration', 'patches', 'skipPhases', 'bootstrapTokens', 'localAPIEndpoint'].map((f) => [
    'spec',
    'kubeadmConfigSpec',
    'initConfiguration',
    f,
    '*',
  ]),
  ...['nodeRegistration', 'patches', 'skipPhases', 'caCertPath', 'controlPlane', 'discovery'].map((f) => [
    'spec',
    'kubeadmConfigSpec',
    'joinConfiguration',
    f,
    '*',
  ]),
  ...[
    'bootCommands',
    'preKubeadmCommands',
    'postKubeadmCommands',
    'files',
    'verbosity',
    'users',
    'ntp',
    'ignition',
    'diskSetup',
    'format',
    'mounts',
    'useExperimentalRetryJoin',
  ].map((f) => ['spec', 'kubeadmConfigSpec', f, '*']),
  ['spec', 'machineTemplate', 'metadata', '*'],
  ['spec', 'machineTemplate', 'infrastructureRef', 'apiVersion'],
  ['spec', 'machineTemplate', 'infrastructureRef', 'name'],
  ['spec', 'machineTemplate', 'infrastructureRef', 'kind'],
  ['spec', 'machineTemplate', 'nodeDrainTimeout'],
  ['spec', 'machineTemplate', 'nodeVolumeDetachTimeout'],
  ['spec', 'machineTemplate', 'nodeDeletionTimeout'],
  ['spec', 'machineTemplate', 'readinessGates', '*'],
  ['spec', 'machineTemplate', 'taints', '*'],
  ...[
    'replicas',
    'version',
    'remediationStrategy',
    'machineNamingStrategy',
    'rolloutAfter',
    'rolloutBefore',
    'rolloutStrategy',
  ].map((f) => ['spec', f, '*']),
];

function mutable(changed: string[]): boolean {
  return MUTABLE_PATHS.some((allowed) => {
    for (let i = 0; i < changed.length; i++) {
      if (allowed[i] === '*') return true;
      if (allowed[i] !== changed[i]) return false;
    }
    // A change at the parent of a mutable field (e.g. a whole new "etcd.local") is not allowed
    // unless the field list ends here or with "*".
    return changed.length === allowed.length || allowed[changed.length] === '*';
  });
}

/**
 * The paths where two JSON documents differ, as the JSON merge patch from one to the other names
 * them: new or changed maps are entered key by key, anything else (lists, scalars, removals) is
 * a path of its own.
 */
function changedPaths(old: unknown, next: unknown, prefix: string[] = []): string[][] {
  const n = asObject(next);
  if (!n) return semanticEqualJson(old, next) ? [] : [prefix];
  const o = asObject(old) ?? {};
  const out: string[][] = [];
  for (const key of new Set([...Object.keys(o), ...Object.keys(n)])) {
    if (semanticEqualJson(o[key], n[key])) continue;
    out.push(...changedPaths(o[key], n[key], [...prefix, key]));
  }
  return out;
}

function validateKubeadmControlPlaneUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  for (const changed of changedPaths({ spec: old.spec }, { spec: obj.spec })) {
    if (!mutable(changed)) errs.push(forbidden(changed.join('.'), 'cannot be modified'));
  }
  const from = parseSemver(specOf(old).version);
  const to = parseSemver(specOf(obj).version);
  if (from && to && versionStep(from, to) === 'skip') {
    errs.push(
      forbidden(
        'spec.version',
        `cannot update Kubernetes version from ${specOf(old).version} to ${specOf(obj).version}`,
      ),
    );
  }
  errs.push(
    ...validateClusterConfiguration(
      'spec.kubeadmConfigSpec.clusterConfiguration',
      asObject(path(obj, 'spec', 'kubeadmConfigSpec', 'clusterConfiguration')),
      asObject(path(old, 'spec', 'kubeadmConfigSpec', 'clusterConfiguration')),
    ).filter((e) => e.detail === 'cannot change between external and local etcd'),
  );
  return errs;
}

export const kubeadmControlPlaneStrategy: Strategy = {
  applyDefaults: defaultKubeadmControlPlane,
  validate: validateKubeadmControlPlane,
  validateUpdate: validateKubeadmControlPlaneUpdate,
};

// KubeadmControlPlaneTemplate.

function defaultTemplate(obj: KubeObject): void {
  const spec = asObject(path(obj, 'spec', 'template', 'spec'));
  if (!spec) return;
  defaultKubeadmConfigSpec(asObject(spec.kubeadmConfigSpec));
  defaultRolloutStrategy(spec);
}

function validateTemplate(obj: KubeObject): FieldError[] {
  const template = asObject(specOf(obj).template);
  const spec = asObject(template?.spec) ?? {};
  const base = 'spec.template.spec';
  const kubeadm = asObject(spec.kubeadmConfigSpec);
  return [
    ...validateRollout(base, spec, undefined),
    ...validateClusterConfiguration(
      `${base}.kubeadmConfigSpec.clusterConfiguration`,
      asObject(kubeadm?.clusterConfiguration),
      undefined,
    ),
    ...validateKubeadmConfigSpec(`${base}.kubeadmConfigSpec`, kubeadm),
    ...validateCapiMetadata('spec.template.metadata', template?.metadata),
  ];
}

export const kubeadmControlPlaneTemplateStrategy: Strategy = {
  applyDefaults: defaultTemplate,
  validate: validateTemplate,
  validateUpdate: (obj, old) => templateSpecImmutable('KubeadmControlPlaneTemplate', obj, old),
};

export const controlPlaneStrategies: Record<string, Strategy> = {
  [`${CONTROL_PLANE_GROUP}/KubeadmControlPlane`]: kubeadmControlPlaneStrategy,
  [`${CONTROL_PLANE_GROUP}/KubeadmControlPlaneTemplate`]: kubeadmControlPlaneTemplateStrategy,
};
