// How the hub's API server treats a Cluster, as Karmada's own Cluster registry does: names short
// enough to prefix with karmada-es-, default resource models, a lone zone moved into zones,
// NoExecute taints stamped with the time they were added, and the endpoint, proxy, location and
// taint checks; `kubectl get clusters` prints Karmada's columns.

import { ageColumn, column, nameColumn, objectAge } from '../../../../apiserver/kinds/columns.js';
import { invalid } from '../../../../apiserver/kinds/field-errors.js';
import { validateTaints } from '../../../../apiserver/kinds/node.js';
import { asArray, asObject, asString, type Json, objectItems } from '../../../../apiserver/kinds/values.js';
import type { Strategy } from '../../../../apiserver/registry/strategy.js';
import { childPath, indexPath } from '../../../../machinery/field-path.js';
import { PROXY_SCHEMES } from '../../../../machinery/kubeconfig.js';
import { isDNS1123Label, isValidLabelValue, type NameValidator } from '../../../../machinery/names.js';
import type { KubeObject } from '../../../../machinery/object.js';
import { Quantity } from '../../../../machinery/quantity.js';
import type { FieldError } from '../../../../machinery/status.js';
import { metaTime } from '../../../../machinery/time.js';
import { CLUSTER_CONDITION_READY } from './types.js';

/** Room is left for the karmada-es- prefix within a 63-character namespace name. */
export const CLUSTER_NAME_MAX_LENGTH = 48;

export const validateClusterName: NameValidator = (name) => {
  if (name.length === 0) return ['must be not empty'];
  if (name.length > CLUSTER_NAME_MAX_LENGTH) {
    return [`must be no more than ${CLUSTER_NAME_MAX_LENGTH} characters`];
  }
  return isDNS1123Label(name);
};

// Resource models ----------------------------------------------------------------------------

const MAX_INT64 = 9223372036854775807n;
const MAX_INT64_TEXT = MAX_INT64.toString();
const GI = 1024n ** 3n;
/** Grade boundaries of the default models: cores, and memory in GiB (the last grade is open). */
const CPU_BOUNDS = [0n, 1n, 2n, 4n, 8n, 16n, 32n, 64n, 128n];
const MEMORY_GIB_BOUNDS = [0n, 4n, 16n, 32n, 64n, 128n, 256n, 512n, 1024n];

/** The nine grades Karmada gives a cluster that declares none. */
export function defaultModels(): Json[] {
  return CPU_BOUNDS.map((cpuMin, grade) => {
    const last = grade === CPU_BOUNDS.length - 1;
    const memMin = MEMORY_GIB_BOUNDS[grade]!;
    return {
      grade,
      ranges: [
        {
          name: 'cpu',
          min: Quantity.fromValue(cpuMin).toString(),
          max: last ? MAX_INT64_TEXT : Quantity.fromValue(CPU_BOUNDS[grade + 1]!).toString(),
        },
        {
          name: 'memory',
          min: Quantity.fromValue(memMin * GI, 'BinarySI').toString(),
          max: last
            ? MAX_INT64_TEXT
            : Quantity.fromValue(MEMORY_GIB_BOUNDS[grade + 1]! * GI, 'BinarySI').toString(),
        },
      ],
    };
  });
}

function grade(model: unknown): number {
  const g = asObject(model)?.grade;
  return typeof g === 'number' ? g : 0;
}

/** Sorted by grade; the first grade starts at 0 and the last is open-ended. */
export function standardizeResourceModels(models: unknown[]): void {
  models.sort((a, b) => grade(a) - grade(b));
  for (const range of objectItems(asObject(models[0])?.ranges)) range[0].min = '0';
  for (const range of objectItems(asObject(models[models.length - 1])?.ranges)) {
    range[0].max = MAX_INT64_TEXT;
  }
}

function validateResourceModels(models: unknown, field: string): FieldError[] {
  const items = objectItems(models);
  for (const [model, i] of items) {
    const p = indexPath(field, i);
    const prev = i > 0 ? asObject(asArray(models)[i - 1]) : undefined;
    if (prev && prev.grade === model.grade) {
      return [invalid(childPath(p, 'grade'), model.grade, 'grades of resource models must differ')];
    }
    const ranges = asArray(model.ranges);
    const prevRanges = prev ? asArray(prev.ranges) : undefined;
    if (prevRanges && prevRanges.length !== ranges.length) {
      return [invalid(childPath(p, 'ranges'), ranges.length, 'every model must list the same resources')];
    }
    for (const [range, j] of objectItems(ranges)) {
      const rp = indexPath(childPath(p, 'ranges'), j);
      const min = Quantity.tryParse(range.min);
      const max = Quantity.tryParse(range.max);
      if (!min || !max) continue; // the schema reports malformed quantities
      if (max.cmp(min) <= 0) return [invalid(childPath(rp, 'max'), range.max, 'must be greater than min')];
      const before = asObject(prevRanges?.[j]);
      if (!before) continue;
      if (before.name !== range.name) {
        return [
          invalid(childPath(rp, 'name'), range.name, 'every model must list the same resources in order'),
        ];
      }
      const beforeMax = Quantity.tryParse(before.max);
      if (beforeMax && beforeMax.cmp(min) !== 0) {
        return [
          invalid(
            childPath(rp, 'min'),
            range.min,
            'must equal the max of the previous grade: intervals are contiguous',
          ),
        ];
      }
    }
  }
  return [];
}

/** Default models for a cluster without any; declared ones standardized. */
function defaultResourceModels(obj: KubeObject): void {
  const spec = asObject(obj.spec);
  if (!spec) return;
  const models = spec.resourceModels;
  if (models === undefined || models === null || (Array.isArray(models) && models.length === 0)) {
    spec.resourceModels = defaultModels();
  } else if (Array.isArray(models)) {
    standardizeResourceModels(models);
  }
}

// Validation ----------------------------------------------------------------------------------

/** Go's url.Parse leniency is not needed: an endpoint is a URL with a host, no user, query or fragment. */
function validateEndpoint(value: string, field: string): FieldError[] {
  const form = '; desired format: https://hostname, https://hostname:port, https://IP or https://IP:port';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [invalid(field, value, `must be a valid URL${form}`)];
  }
  const errs: FieldError[] = [];
  if (url.host === '') errs.push(invalid(field, value, `host must be provided${form}`));
  if (url.username !== '' || url.password !== '') {
    errs.push(invalid(field, value, 'user information is not permitted in the URL'));
  }
  if (url.hash !== '') errs.push(invalid(field, value, 'fragments are not permitted in the URL'));
  if (url.search !== '') errs.push(invalid(field, value, 'query parameters are not permitted in the URL'));
  return errs;
}

function validateProxyURL(value: string, field: string): FieldError[] {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return [invalid(field, value, 'must be a valid URL')];
  }
  return PROXY_SCHEMES.includes(url.protocol)
    ? []
    : [
        invalid(
          field,
          value,
          `unsupported scheme "${url.protocol.slice(0, -1)}", must be http, https, or socks5`,
        ),
      ];
}

function labelValue(value: unknown, field: string): FieldError[] {
  const v = asString(value);
  const msgs = isValidLabelValue(v);
  return msgs.length > 0 ? [invalid(field, v, msgs.join('; '))] : [];
}

export function validateClusterSpec(spec: Json, field = 'spec'): FieldError[] {
  const errs: FieldError[] = [];
  const apiEndpoint = asString(spec.apiEndpoint);
  if (apiEndpoint !== '') errs.push(...validateEndpoint(apiEndpoint, childPath(field, 'apiEndpoint')));
  const proxyURL = asString(spec.proxyURL);
  if (proxyURL !== '') errs.push(...validateProxyURL(proxyURL, childPath(field, 'proxyURL')));
  // Provider, region and zones are matched by field selectors: they must read as label values.
  errs.push(...labelValue(spec.provider, childPath(field, 'provider')));
  errs.push(...labelValue(spec.region, childPath(field, 'region')));
  const zones = asArray(spec.zones);
  if (asString(spec.zone) !== '' && zones.length > 0) {
    errs.push(invalid(childPath(field, 'zone'), spec.zone, 'zone and zones cannot both be set; use zones'));
  } else {
    errs.push(...labelValue(spec.zone, childPath(field, 'zone')));
  }
  zones.forEach((z, i) => {
    errs.push(...labelValue(z, indexPath(childPath(field, 'zones'), i)));
  });
  errs.push(...validateTaints(spec.taints, childPath(field, 'taints')));
  errs.push(...validateResourceModels(spec.resourceModels, childPath(field, 'resourceModels')));
  return errs;
}

// Defaulting ----------------------------------------------------------------------------------

/**
 * What Karmada's registry canonicalizes on every write: a lone zone moves into zones, and
 * NoExecute taints get the time they were added. A zone equal to the single zone already recorded
 * is dropped too, so that re-applying a manifest written with `zone` keeps working.
 */
function canonicalize(spec: Json, now: Date): void {
  const zone = asString(spec.zone);
  const zones = asArray(spec.zones);
  if (zone !== '' && (zones.length === 0 || (zones.length === 1 && zones[0] === zone))) {
    spec.zones = [zone];
    delete spec.zone;
  }
  for (const [taint] of objectItems(spec.taints)) {
    if (taint.effect === 'NoExecute' && (taint.timeAdded === undefined || taint.timeAdded === null)) {
      taint.timeAdded = metaTime(now);
    }
  }
}

function readyStatus(obj: KubeObject): string {
  const conditions = asArray(asObject(obj.status)?.conditions);
  for (const c of conditions) {
    const cond = asObject(c);
    if (cond?.type === CLUSTER_CONDITION_READY) return asString(cond.status);
  }
  return 'Unknown';
}

function orNone(v: unknown): string {
  const s = asString(v);
  return s === '' ? '<none>' : s;
}

export interface ClusterStrategyOptions {
  now?: () => Date;
}

export function clusterStrategy(opts: ClusterStrategyOptions = {}): Strategy {
  const now = opts.now ?? (() => new Date());
  return {
    nameRule: validateClusterName,
    // Karmada models a cluster on create only; here a cluster left without models (say, by a
    // server-side apply that took over the fields set at create) gets the defaults again.
    prepareForCreate: defaultResourceModels,
    prepareForUpdate: defaultResourceModels,
    applyDefaults(obj) {
      const spec = asObject(obj.spec);
      if (spec) canonicalize(spec, now());
    },
    validate(obj) {
      const spec = asObject(obj.spec);
      return spec ? validateClusterSpec(spec) : [];
    },
    selectableFields(obj) {
      const spec = asObject(obj.spec) ?? {};
      return {
        'spec.syncMode': asString(spec.syncMode),
        'spec.provider': asString(spec.provider),
        'spec.region': asString(spec.region),
      };
    },
    table: {
      columns: [
        nameColumn,
        column('Version', 'string', 'Kubernetes version of the member.'),
        column('Mode', 'string', 'Push or Pull.'),
        column('Ready', 'string', 'Whether the member accepts workloads.'),
        ageColumn,
        column('Zones', 'string', 'Failure zones of the member.', 1),
        column('Region', 'string', 'Region of the member.', 1),
        column('Provider', 'string', 'Cloud provider of the member.', 1),
        column('API-Endpoint', 'string', 'API server of the member.', 1),
        column('Proxy-URL', 'string', 'Proxy to the member.', 1),
      ],
      cells(obj, at) {
        const spec = asObject(obj.spec) ?? {};
        const status = asObject(obj.status) ?? {};
        const zones = asArray(spec.zones).map(asString);
        return [
          obj.metadata.name,
          asString(status.kubernetesVersion),
          asString(spec.syncMode),
          readyStatus(obj),
          objectAge(obj, at),
          zones.length > 0 ? zones.join(',') : '<none>',
          orNone(spec.region),
          orNone(spec.provider),
          asString(spec.apiEndpoint),
          orNone(spec.proxyURL),
        ];
      },
    },
  };
}
