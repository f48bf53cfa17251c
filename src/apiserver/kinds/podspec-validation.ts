// Validation of pod specs (Pods and pod templates) with Kubernetes' field paths and messages:
// containers, ports, env, volume mounts, resources, volumes, restart and DNS policy, tolerations.

import { childPath, indexPath, keyPath } from '../../machinery/field-path.js';
import {
  isQualifiedName,
  isValidLabelValue,
  validateAnnotations,
  validateLabels,
} from '../../machinery/names.js';
import { Quantity } from '../../machinery/quantity.js';
import type { FieldError } from '../../machinery/status.js';
import {
  dns1123Label,
  dns1123Subdomain,
  duplicate,
  eachInvalid,
  forbidden,
  invalid,
  notFound,
  notSupported,
  portNameErrors,
  portNumErrors,
  qualifiedName,
  required,
} from './field-errors.js';
import { volumeSources } from './podspec-defaults.js';
import { asArray, asNumber, asObject, asString, type Json, objectItems } from './values.js';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const MAX_INT32 = 2147483647;

export interface PodSpecValidationOptions {
  /** A Pod rather than a template: a few checks (image whitespace) only apply to Pods. */
  isPod: boolean;
}

/** validateRestartPolicy. */
export function validateRestartPolicy(value: unknown, field: string): FieldError[] {
  const v = asString(value);
  if (v === '') return [required(field)];
  return RESTART_POLICIES.includes(v) ? [] : [notSupported(field, v, RESTART_POLICIES)];
}

/** validateTaintEffect. */
export function validateTaintEffect(value: unknown, allowEmpty: boolean, field: string): FieldError[] {
  const v = asString(value);
  if (v === '') return allowEmpty ? [] : [required(field)];
  return TAINT_EFFECTS.includes(v) ? [] : [notSupported(field, v, TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [t, i] of objectItems(tolerations)) {
    const p = indexPath(field, i);
    const key = asString(t.key);
    const operator = asString(t.operator);
    if (key !== '') errs.push(...qualifiedName(childPath(p, 'key'), key));
    if (key === '' && operator !== 'Exists') {
      errs.push(
        invalid(
          childPath(p, 'operator'),
          operator,
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(
        invalid(
          childPath(p, 'effect'),
          asString(t.effect),
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    const value = asString(t.value);
    if (operator === 'Equal' || operator === '') {
      const msgs = isValidLabelValue(value);
      if (msgs.length > 0) errs.push(invalid(childPath(p, 'operator'), value, msgs.join(';')));
    } else if (operator === 'Exists') {
      if (value !== '')
        errs.push(invalid(childPath(p, 'operator'), t, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(notSupported(childPath(p, 'operator'), operator, ['Equal', 'Exists']));
    }
    errs.push(...validateTaintEffect(t.effect, true, childPath(p, 'effect')));
  }
  return errs;
}

function validatePorts(ports: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  for (const [port, i] of objectItems(ports)) {
    const p = indexPath(field, i);
    const name = asString(port.name);
    if (name !== '') {
      const msgs = portNameErrors(name);
      if (msgs.length > 0) errs.push(...eachInvalid(childPath(p, 'name'), name, msgs));
      else if (names.has(name)) errs.push(duplicate(childPath(p, 'name'), name));
      else names.add(name);
    }
    const containerPort = asNumber(port.containerPort);
    if (containerPort === undefined || containerPort === 0)
      errs.push(required(childPath(p, 'containerPort')));
    else
      errs.push(...eachInvalid(childPath(p, 'containerPort'), containerPort, portNumErrors(containerPort)));
    const hostPort = asNumber(port.hostPort);
    if (hostPort !== undefined && hostPort !== 0) {
      errs.push(...eachInvalid(childPath(p, 'hostPort'), hostPort, portNumErrors(hostPort)));
    }
    const protocol = asString(port.protocol);
    if (protocol === '') errs.push(required(childPath(p, 'protocol')));
    else if (!PROTOCOLS.includes(protocol))
      errs.push(notSupported(childPath(p, 'protocol'), protocol, PROTOCOLS));
  }
  return errs;
}

const RELAXED_ENV_NAME =
  "a valid environment variable name must consist only of printable ASCII characters other than '='";

function validateEnv(env: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [e, i] of objectItems(env)) {
    const p = indexPath(field, i);
    const name = asString(e.name);
    if (name === '') errs.push(required(childPath(p, 'name')));
    else if (!/^[\x20-\x7e]+$/.test(name) || name.includes('='))
      errs.push(invalid(childPath(p, 'name'), name, RELAXED_ENV_NAME));
    const valueFrom = asObject(e.valueFrom);
    if (valueFrom) {
      const vp = childPath(p, 'valueFrom');
      const sources = [
        'fieldRef',
        'resourceFieldRef',
        'configMapKeyRef',
        'secretKeyRef',
        'fileKeyRef',
      ].filter((k) => valueFrom[k] !== undefined && valueFrom[k] !== null);
      if (sources.length === 0) {
        errs.push(
          invalid(
            vp,
            '',
            'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`',
          ),
        );
      } else if (sources.length > 1) {
        errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
      }
      if (asString(e.value) !== '' && sources.length > 0) {
        errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
      }
      for (const key of ['configMapKeyRef', 'secretKeyRef']) {
        const ref = asObject(valueFrom[key]);
        if (ref && asString(ref.key) === '') errs.push(required(childPath(vp, key, 'key')));
      }
      const fieldRef = asObject(valueFrom.fieldRef);
      if (fieldRef && asString(fieldRef.fieldPath) === '')
        errs.push(required(childPath(vp, 'fieldRef', 'fieldPath')));
    }
  }
  return errs;
}

function validateVolumeMounts(mounts: unknown, volumes: Set<string>, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountPoints = new Set<string>();
  for (const [m, i] of objectItems(mounts)) {
    const p = indexPath(field, i);
    const name = asString(m.name);
    const mountPath = asString(m.mountPath);
    if (name === '') errs.push(required(childPath(p, 'name')));
    if (!volumes.has(name)) errs.push(notFound(childPath(p, 'name'), name));
    if (mountPath === '') errs.push(required(childPath(p, 'mountPath')));
    if (mountPoints.has(mountPath))
      errs.push(invalid(childPath(p, 'mountPath'), mountPath, 'must be unique'));
    mountPoints.add(mountPath);
  }
  return errs;
}

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** Overcommit (requests below limits) is allowed for native resources but huge pages. */
function overcommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

function validateResourceName(name: string, field: string): FieldError[] {
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !isHugePages(name)) {
      return [invalid(field, name, 'must be a standard resource for containers')];
    }
    return [];
  }
  const errs = eachInvalid(field, name, isQualifiedName(name));
  if (errs.length > 0) return errs;
  if (!isNativeResource(name) && name.startsWith('requests.')) {
    return [invalid(field, name, "doesn't follow extended resource name standard")];
  }
  return [];
}

function parseQuantityField(value: unknown, field: string, errs: FieldError[]): Quantity | undefined {
  const q = Quantity.tryParse(value);
  if (!q) {
    errs.push(
      invalid(
        field,
        value,
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
      ),
    );
    return undefined;
  }
  if (q.sign() < 0) errs.push(invalid(field, value, 'must be greater than or equal to 0'));
  return q;
}

/** ValidateResourceRequirements of a container. */
export function validateResourceRequirements(resources: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const r = asObject(resources);
  if (!r) return errs;
  const limPath = childPath(field, 'limits');
  const reqPath = childPath(field, 'requests');
  const limits = new Map<string, Quantity>();
  for (const [name, value] of Object.entries(asObject(r.limits) ?? {})) {
    const p = keyPath(limPath, name);
    errs.push(...validateResourceName(name, p));
    const q = parseQuantityField(value, p, errs);
    if (q) limits.set(name, q);
  }
  for (const [name, value] of Object.entries(asObject(r.requests) ?? {})) {
    const p = keyPath(reqPath, name);
    errs.push(...validateResourceName(name, p));
    const q = parseQuantityField(value, p, errs);
    if (!q) continue;
    const limit = limits.get(name);
    if (limit) {
      if (!overcommitAllowed(name) && q.cmp(limit) !== 0) {
        errs.push(invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`));
      } else if (q.cmp(limit) > 0) {
        errs.push(
          invalid(
            reqPath,
            q.toString(),
            `must be less than or equal to ${name} limit of ${limit.toString()}`,
          ),
        );
      }
    } else if (!overcommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

function validateContainer(
  c: Json,
  p: string,
  volumes: Set<string>,
  opts: PodSpecValidationOptions,
): FieldError[] {
  const errs: FieldError[] = [];
  const name = asString(c.name);
  if (name === '') errs.push(required(childPath(p, 'name')));
  else errs.push(...dns1123Label(childPath(p, 'name'), name));
  const image = asString(c.image);
  if (image === '') errs.push(required(childPath(p, 'image')));
  else if (opts.isPod && image.trim() !== image) {
    errs.push(invalid(childPath(p, 'image'), image, 'must not have leading or trailing whitespace'));
  }
  const pull = asString(c.imagePullPolicy);
  if (pull === '') errs.push(required(childPath(p, 'imagePullPolicy')));
  else if (!PULL_POLICIES.includes(pull))
    errs.push(notSupported(childPath(p, 'imagePullPolicy'), pull, PULL_POLICIES));
  const tmp = asString(c.terminationMessagePolicy);
  if (tmp !== '' && !TERMINATION_MESSAGE_POLICIES.includes(tmp)) {
    errs.push(notSupported(childPath(p, 'terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES));
  }
  errs.push(...validatePorts(c.ports, childPath(p, 'ports')));
  errs.push(...validateEnv(c.env, childPath(p, 'env')));
  errs.push(...validateVolumeMounts(c.volumeMounts, volumes, childPath(p, 'volumeMounts')));
  errs.push(...validateResourceRequirements(c.resources, childPath(p, 'resources')));
  return errs;
}

function validateVolumes(volumes: unknown, field: string): { names: Set<string>; errs: FieldError[] } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  for (const [v, i] of objectItems(volumes)) {
    const p = indexPath(field, i);
    const sources = volumeSources(v);
    if (sources.length === 0) errs.push(required(p, 'must specify a volume type'));
    for (const extra of sources.slice(1))
      errs.push(forbidden(childPath(p, extra), 'may not specify more than 1 volume type'));
    const pvc = asObject(v.persistentVolumeClaim);
    if (pvc && asString(pvc.claimName) === '')
      errs.push(required(childPath(p, 'persistentVolumeClaim', 'claimName')));
    const secret = asObject(v.secret);
    if (secret && asString(secret.secretName) === '')
      errs.push(required(childPath(p, 'secret', 'secretName')));
    const name = asString(v.name);
    if (name === '') errs.push(required(childPath(p, 'name')));
    else errs.push(...dns1123Label(childPath(p, 'name'), name));
    if (names.has(name)) errs.push(duplicate(childPath(p, 'name'), name));
    names.add(name);
  }
  return { names, errs };
}

/** ValidatePodSpec: the rules every pod spec obeys, paths under `field` (e.g. "spec"). */
export function validatePodSpec(
  specValue: unknown,
  field: string,
  opts: PodSpecValidationOptions,
): FieldError[] {
  const spec = asObject(specValue);
  if (!spec) return [required(field)];
  const errs: FieldError[] = [];
  const vols = validateVolumes(spec.volumes, childPath(field, 'volumes'));
  errs.push(...vols.errs);

  const containersPath = childPath(field, 'containers');
  const containers = objectItems(spec.containers);
  const names = new Set<string>();
  if (asArray(spec.containers).length === 0) errs.push(required(containersPath));
  for (const [c, i] of containers) {
    const p = indexPath(containersPath, i);
    errs.push(...validateContainer(c, p, vols.names, opts));
    const name = asString(c.name);
    if (name !== '' && names.has(name)) errs.push(duplicate(childPath(p, 'name'), name));
    names.add(name);
  }
  const initPath = childPath(field, 'initContainers');
  for (const [c, i] of objectItems(spec.initContainers)) {
    const p = indexPath(initPath, i);
    errs.push(...validateContainer(c, p, vols.names, opts));
    const name = asString(c.name);
    if (name !== '' && names.has(name)) errs.push(duplicate(childPath(p, 'name'), name));
    names.add(name);
  }

  errs.push(...validateRestartPolicy(spec.restartPolicy, childPath(field, 'restartPolicy')));
  const dns = asString(spec.dnsPolicy);
  if (dns === '') errs.push(required(childPath(field, 'dnsPolicy')));
  else if (!DNS_POLICIES.includes(dns))
    errs.push(notSupported(childPath(field, 'dnsPolicy'), dns, DNS_POLICIES));
  if (dns === 'None' && !asObject(spec.dnsConfig)) {
    errs.push(required(childPath(field, 'dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }

  errs.push(
    ...validateLabels(
      asObject(spec.nodeSelector) as Record<string, string> | undefined,
      childPath(field, 'nodeSelector'),
    ),
  );
  const sa = asString(spec.serviceAccountName);
  if (sa !== '') errs.push(...dns1123Subdomain(childPath(field, 'serviceAccountName'), sa));
  const nodeName = asString(spec.nodeName);
  if (nodeName !== '') errs.push(...dns1123Subdomain(childPath(field, 'nodeName'), nodeName));
  for (const key of ['hostname', 'subdomain']) {
    const v = asString(spec[key]);
    if (v !== '') errs.push(...dns1123Label(childPath(field, key), v));
  }
  const scheduler = asString(spec.schedulerName);
  if (scheduler !== '') errs.push(...dns1123Subdomain(childPath(field, 'schedulerName'), scheduler));
  const deadline = asNumber(spec.activeDeadlineSeconds);
  if (deadline !== undefined && (deadline < 1 || deadline > MAX_INT32)) {
    errs.push(
      invalid(
        childPath(field, 'activeDeadlineSeconds'),
        deadline,
        `must be between 1 and ${MAX_INT32}, inclusive`,
      ),
    );
  }
  errs.push(...validateTolerations(spec.tolerations, childPath(field, 'tolerations')));
  return errs;
}

/** ValidatePodTemplateSpec: a workload's spec.template, reported under `field`. */
export function validatePodTemplateSpec(templateValue: unknown, field: string): FieldError[] {
  const template = asObject(templateValue);
  if (!template) return [required(field)];
  const meta = asObject(template.metadata) ?? {};
  const errs: FieldError[] = [];
  errs.push(
    ...validateLabels(
      asObject(meta.labels) as Record<string, string> | undefined,
      childPath(field, 'labels'),
    ),
  );
  errs.push(
    ...validateAnnotations(
      asObject(meta.annotations) as Record<string, string> | undefined,
      childPath(field, 'annotations'),
    ),
  );
  errs.push(...validatePodSpec(template.spec, childPath(field, 'spec'), { isPod: false }));
  if (asArray(asObject(template.spec)?.ephemeralContainers).length > 0) {
    errs.push(
      forbidden(
        childPath(field, 'spec', 'ephemeralContainers'),
        'ephemeral containers not allowed in pod template',
      ),
    );
  }
  return errs;
}
