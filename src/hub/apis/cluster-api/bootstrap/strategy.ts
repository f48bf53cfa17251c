// What Cluster API's kubeadm bootstrap webhooks do for KubeadmConfig and KubeadmConfigTemplate:
// defaults (format cloud-config, image pull policy IfNotPresent, the exec credential version)
// and validation of files, users, the join kubeconfig and the ignition-only fields.

import type { Strategy } from '../../../../apiserver/registry/strategy.js';
import type { KubeObject } from '../../../../machinery/object.js';
import type { FieldError } from '../../../../machinery/status.js';
import {
  asArray,
  asObject,
  asString,
  childObject,
  forbidden,
  invalid,
  type Json,
  path,
  required,
  specOf,
  validateCapiMetadata,
  validateDuration,
} from '../validation.js';
import { BOOTSTRAP_GROUP, BootstrapFormat, DEFAULT_EXEC_API_VERSION } from './constants.js';

/** KubeadmConfigSpec.Default. */
export function defaultKubeadmConfigSpec(spec: Json | undefined): void {
  if (!spec) return;
  if (spec.format === undefined || spec.format === '') spec.format = BootstrapFormat.CloudConfig;
  for (const key of ['initConfiguration', 'joinConfiguration'] as const) {
    const registration = childObject(asObject(spec[key]), 'nodeRegistration');
    if (registration && (registration.imagePullPolicy === undefined || registration.imagePullPolicy === '')) {
      registration.imagePullPolicy = 'IfNotPresent';
    }
  }
  const exec = asObject(path(spec, 'joinConfiguration', 'discovery', 'file', 'kubeConfig', 'user', 'exec'));
  if (exec && (exec.apiVersion === undefined || exec.apiVersion === ''))
    exec.apiVersion = DEFAULT_EXEC_API_VERSION;
}

const PARTITION_TYPE =
  /^(Linux|LinuxSwap|LinuxRAID|LVM|Fat32|NTFS|LinuxExtended|[0-9A-Fa-f]{8}(-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12})$/;

/** KubeadmConfigSpec.Validate at `base` (spec, spec.template.spec, spec.kubeadmConfigSpec ...). */
export function validateKubeadmConfigSpec(base: string, spec: Json | undefined): FieldError[] {
  if (!spec) return [];
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  for (const [i, f] of asArray(spec.files).entries()) {
    const file = asObject(f);
    if (!file) continue;
    const at = `${base}.files[${i}]`;
    if (asString(file.content) !== '' && file.contentFrom !== undefined) {
      errs.push(invalid(at, file, 'only one of content or contentFrom may be specified for a single file'));
    }
    const secret = asObject(asObject(file.contentFrom)?.secret);
    if (file.contentFrom !== undefined) {
      if (asString(secret?.name) === '') {
        errs.push(
          required(`${at}.contentFrom.secret.name`, 'secret file source must specify non-empty secret name'),
        );
      }
      if (asString(secret?.key) === '') {
        errs.push(
          required(`${at}.contentFrom.secret.key`, 'secret file source must specify non-empty secret key'),
        );
      }
    }
    const p = asString(file.path);
    if (paths.has(p)) errs.push(invalid(`${at}.path`, p, 'path property must be unique among all files'));
    paths.add(p);
  }
  for (const [i, u] of asArray(spec.users).entries()) {
    const user = asObject(u);
    if (!user) continue;
    const at = `${base}.users[${i}]`;
    if (user.passwd !== undefined && user.passwdFrom !== undefined) {
      errs.push(invalid(at, user, 'only one of passwd or passwdFrom may be specified for a single user'));
    }
    if (user.passwdFrom !== undefined) {
      const secret = asObject(asObject(user.passwdFrom)?.secret);
      if (asString(secret?.name) === '') {
        errs.push(
          required(`${at}.passwdFrom.secret.name`, 'secret file source must specify non-empty secret name'),
        );
      }
      if (asString(secret?.key) === '') {
        errs.push(
          required(`${at}.passwdFrom.secret.key`, 'secret file source must specify non-empty secret key'),
        );
      }
    }
  }
  // Ignition is behind a feature gate that Concord leaves off, as Cluster API does by default.
  if (spec.format === BootstrapFormat.Ignition) {
    errs.push(
      forbidden(
        `${base}.format`,
        'can be set only if the KubeadmBootstrapFormatIgnition feature gate is enabled',
      ),
    );
  }
  if (spec.ignition !== undefined) {
    errs.push(
      forbidden(
        `${base}.ignition`,
        'can be set only if the KubeadmBootstrapFormatIgnition feature gate is enabled',
      ),
    );
  }
  const user = asObject(path(spec, 'joinConfiguration', 'discovery', 'file', 'kubeConfig', 'user'));
  if (user) {
    const at = `${base}.joinConfiguration.discovery.file.kubeConfig.user`;
    if (user.authProvider === undefined && user.exec === undefined) {
      errs.push(invalid(at, user, 'at least one of authProvider or exec must be defined'));
    }
    if (user.authProvider !== undefined && user.exec !== undefined) {
      errs.push(invalid(at, user, 'either authProvider or exec must be defined'));
    }
  }
  for (const [i, p] of asArray(asObject(spec.diskSetup)?.partitions).entries()) {
    for (const [j, l] of asArray(asObject(p)?.diskLayout).entries()) {
      const type = asObject(l)?.partitionType;
      if (typeof type === 'string' && !PARTITION_TYPE.test(type)) {
        errs.push(
          invalid(
            `${base}.diskSetup.partitions[${i}].diskLayout[${j}].partitionType`,
            type,
            'partitionType must be one of Linux, LinuxSwap, LinuxRAID, LVM, Fat32, NTFS, LinuxExtended or a full GPT partition GUID',
          ),
        );
      }
    }
  }
  errs.push(
    ...validateDuration(
      `${base}.clusterConfiguration.apiServer.timeoutForControlPlane`,
      path(spec, 'clusterConfiguration', 'apiServer', 'timeoutForControlPlane'),
    ),
  );
  errs.push(
    ...validateDuration(
      `${base}.joinConfiguration.discovery.timeout`,
      path(spec, 'joinConfiguration', 'discovery', 'timeout'),
    ),
  );
  for (const [i, t] of asArray(asObject(spec.initConfiguration)?.bootstrapTokens).entries()) {
    errs.push(...validateDuration(`${base}.initConfiguration.bootstrapTokens[${i}].ttl`, asObject(t)?.ttl));
  }
  return errs;
}

export const kubeadmConfigStrategy: Strategy = {
  applyDefaults: (obj: KubeObject) => defaultKubeadmConfigSpec(asObject(obj.spec)),
  validate: (obj) => validateKubeadmConfigSpec('spec', asObject(obj.spec)),
};

export const kubeadmConfigTemplateStrategy: Strategy = {
  applyDefaults: (obj) => defaultKubeadmConfigSpec(asObject(path(obj, 'spec', 'template', 'spec'))),
  validate: (obj) => {
    const template = asObject(specOf(obj).template);
    return [
      ...validateKubeadmConfigSpec('spec.template.spec', asObject(template?.spec)),
      ...validateCapiMetadata('spec.template.metadata', template?.metadata),
    ];
  },
};

export const bootstrapStrategies: Record<string, Strategy> = {
  [`${BOOTSTRAP_GROUP}/KubeadmConfig`]: kubeadmConfigStrategy,
  [`${BOOTSTRAP_GROUP}/KubeadmConfigTemplate`]: kubeadmConfigTemplateStrategy,
};
