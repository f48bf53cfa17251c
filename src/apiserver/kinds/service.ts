// Services: defaults (ClusterIP, sessionAffinity None, TCP ports targeting themselves, traffic
// policies, single-stack IP families), validation of type, ports, cluster IPs and external
// names, the cluster IP that may not change once set (an update that omits it keeps it), and the
// TYPE / CLUSTER-IP / EXTERNAL-IP / PORT(S) table.

import { isIP } from 'node:net';
import { childPath, indexPath } from '../../machinery/field-path.js';
import { validateLabels } from '../../machinery/names.js';
import type { KubeObject } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import {
  dns1123Label,
  dns1123Subdomain,
  duplicate,
  eachInvalid,
  forbidden,
  IP_ERROR,
  invalid,
  isValidIP,
  notSupported,
  portNumErrors,
  portNumOrName,
  qualifiedName,
  required,
} from './field-errors.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  child,
  defaultString,
  defaultValue,
  formatLabels,
  type Json,
  objectItems,
  semanticEqual,
} from './values.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const DEFAULT_CLIENT_IP_TIMEOUT = 10800;
const MAX_CLIENT_IP_TIMEOUT = 86400;

function specOf(obj: KubeObject): Json {
  return asObject(obj.spec) ?? {};
}

function typeOf(spec: Json): string {
  return asString(spec.type) || 'ClusterIP';
}

function isHeadless(spec: Json): boolean {
  return spec.clusterIP === 'None';
}

function needsClusterIP(spec: Json): boolean {
  return typeOf(spec) !== 'ExternalName';
}

function needsNodePort(spec: Json): boolean {
  const t = typeOf(spec);
  return t === 'NodePort' || (t === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

function externallyAccessible(spec: Json): boolean {
  const t = typeOf(spec);
  return (
    t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && asArray(spec.externalIPs).length > 0)
  );
}

function clusterIPs(spec: Json): string[] {
  return asArray(spec.clusterIPs).filter((ip): ip is string => typeof ip === 'string');
}

/** SetDefaults_Service and the IP family defaults the allocator fills. */
function defaultService(spec: Json, status: Json | undefined): void {
  defaultString(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const timeout = asNumber(asObject(asObject(spec.sessionAffinityConfig)?.clientIP)?.timeoutSeconds);
    if (timeout === undefined)
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_TIMEOUT } };
  }
  defaultString(spec, 'type', 'ClusterIP');
  for (const [port] of objectItems(spec.ports)) {
    defaultString(port, 'protocol', 'TCP');
    if (
      port.targetPort === undefined ||
      port.targetPort === null ||
      port.targetPort === 0 ||
      port.targetPort === ''
    ) {
      port.targetPort = port.port;
    }
  }
  if (externallyAccessible(spec)) defaultString(spec, 'externalTrafficPolicy', 'Cluster');
  const type = spec.type;
  if (type === 'ClusterIP' || type === 'NodePort' || type === 'LoadBalancer')
    defaultValue(spec, 'internalTrafficPolicy', 'Cluster');
  if (type === 'LoadBalancer') {
    defaultValue(spec, 'allocateLoadBalancerNodePorts', true);
    for (const [ing] of objectItems(asObject(status?.loadBalancer)?.ingress)) {
      if (asString(ing.ip) !== '') defaultValue(ing, 'ipMode', 'VIP');
    }
  }
  // Older clients set only clusterIP: the plural field follows it.
  if (asString(spec.clusterIP) !== '' && clusterIPs(spec).length === 0) spec.clusterIPs = [spec.clusterIP];
  if (needsClusterIP(spec)) {
    if (asArray(spec.ipFamilies).length === 0) {
      const families = clusterIPs(spec)
        .filter((ip) => isIP(ip) !== 0)
        .map((ip) => (isIP(ip) === 6 ? 'IPv6' : 'IPv4'));
      spec.ipFamilies = families.length > 0 ? families : ['IPv4'];
    }
    defaultValue(
      spec,
      'ipFamilyPolicy',
      asArray(spec.ipFamilies).length > 1 ? 'PreferDualStack' : 'SingleStack',
    );
  }
}

/**
 * patchAllocatedValues and NormalizeClusterIPs: an update that leaves out the values the server
 * allocated (cluster IPs, node ports) keeps them, as `kubectl apply` of the original manifest expects.
 */
function keepAllocatedValues(spec: Json, old: Json): void {
  if (needsClusterIP(old) && needsClusterIP(spec)) {
    if (asString(spec.clusterIP) === '' && old.clusterIP !== undefined) spec.clusterIP = old.clusterIP;
    if (clusterIPs(spec).length === 0 && clusterIPs(old).length > 0) {
      if (asString(spec.clusterIP) === asString(old.clusterIP)) spec.clusterIPs = old.clusterIPs;
    }
    if (
      asString(spec.clusterIP) !== asString(old.clusterIP) &&
      semanticEqual(spec.clusterIPs, old.clusterIPs)
    ) {
      spec.clusterIPs = asString(spec.clusterIP) === '' ? undefined : [spec.clusterIP];
      if (spec.clusterIPs === undefined) delete spec.clusterIPs;
    }
  }
  if (needsNodePort(old) && needsNodePort(spec)) {
    const byName = new Map<string, unknown>();
    for (const [p] of objectItems(old.ports)) byName.set(asString(p.name), p.nodePort);
    const used = new Set(objectItems(spec.ports).map(([p]) => p.nodePort));
    for (const [p] of objectItems(spec.ports)) {
      if (!p.nodePort) {
        const prev = byName.get(asString(p.name));
        if (prev && !used.has(prev)) p.nodePort = prev;
      }
    }
    if (!spec.healthCheckNodePort && old.healthCheckNodePort)
      spec.healthCheckNodePort = old.healthCheckNodePort;
  }
}

/** dropTypeDependentFields: switching type drops what the old type needed, unless the user set it. */
function dropTypeDependentFields(spec: Json, old: Json): void {
  if (needsClusterIP(old) && !needsClusterIP(spec)) {
    if (spec.clusterIP === old.clusterIP && semanticEqual(spec.clusterIPs, old.clusterIPs)) {
      delete spec.clusterIP;
      delete spec.clusterIPs;
    }
    if (semanticEqual(spec.ipFamilies, old.ipFamilies)) delete spec.ipFamilies;
    if (spec.ipFamilyPolicy === old.ipFamilyPolicy) delete spec.ipFamilyPolicy;
  }
  if (needsNodePort(old) && !needsNodePort(spec)) {
    const oldPorts = objectItems(old.ports).map(([p]) => p.nodePort);
    const newPorts = objectItems(spec.ports).map(([p]) => p.nodePort);
    if (semanticEqual(oldPorts, newPorts)) for (const [p] of objectItems(spec.ports)) delete p.nodePort;
  }
  if (typeOf(old) === 'LoadBalancer' && typeOf(spec) !== 'LoadBalancer') {
    if (spec.allocateLoadBalancerNodePorts === old.allocateLoadBalancerNodePorts)
      delete spec.allocateLoadBalancerNodePorts;
    if (spec.healthCheckNodePort === old.healthCheckNodePort) delete spec.healthCheckNodePort;
  }
  if (
    externallyAccessible(old) &&
    !externallyAccessible(spec) &&
    spec.externalTrafficPolicy === old.externalTrafficPolicy
  ) {
    delete spec.externalTrafficPolicy;
  }
}

function validatePorts(spec: Json, type: string): FieldError[] {
  const errs: FieldError[] = [];
  const ports = objectItems(spec.ports);
  const requireName = asArray(spec.ports).length > 1;
  const names = new Set<string>();
  const seen = new Set<string>();
  for (const [port, i] of ports) {
    const p = indexPath('spec.ports', i);
    const name = asString(port.name);
    if (requireName && name === '') errs.push(required(childPath(p, 'name')));
    else if (name !== '') {
      errs.push(...dns1123Label(childPath(p, 'name'), name));
      if (names.has(name)) errs.push(duplicate(childPath(p, 'name'), name));
      names.add(name);
    }
    const num = asNumber(port.port) ?? 0;
    errs.push(...eachInvalid(childPath(p, 'port'), num, portNumErrors(num)));
    const protocol = asString(port.protocol);
    if (protocol === '') errs.push(required(childPath(p, 'protocol')));
    else if (!PROTOCOLS.includes(protocol))
      errs.push(notSupported(childPath(p, 'protocol'), protocol, PROTOCOLS));
    errs.push(...portNumOrName(childPath(p, 'targetPort'), port.targetPort));
    if (typeof port.appProtocol === 'string')
      errs.push(...qualifiedName(childPath(p, 'appProtocol'), port.appProtocol));
    const nodePort = asNumber(port.nodePort);
    if (nodePort !== undefined && nodePort !== 0) {
      if (type === 'ClusterIP')
        errs.push(forbidden(childPath(p, 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
      else errs.push(...eachInvalid(childPath(p, 'nodePort'), nodePort, portNumErrors(nodePort)));
    }
    const key = `${protocol}/${num}`;
    if (seen.has(key)) errs.push(duplicate(p, { protocol, port: num }));
    seen.add(key);
  }
  return errs;
}

function validateClusterIPs(spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  const ips = clusterIPs(spec);
  const clusterIP = asString(spec.clusterIP);
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1)
        errs.push(invalid('spec.clusterIPs', ips, "'None' must be the first and only value"));
      return;
    }
    if (!isValidIP(ip)) errs.push(invalid(indexPath('spec.clusterIPs', i), ip, IP_ERROR));
  });
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', ips, 'may only hold up to 2 values'));
  if (ips.length > 0 && clusterIP !== ips[0])
    errs.push(invalid('spec.clusterIPs', ips, 'first value must match `clusterIP`'));
  return errs;
}

export function validateServiceSpec(specValue: unknown): FieldError[] {
  const spec = asObject(specValue);
  if (!spec) return [required('spec')];
  const errs: FieldError[] = [];
  const type = asString(spec.type);
  if (type === '') errs.push(required('spec.type'));
  else if (!SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', type, SERVICE_TYPES));
  if (type === 'ExternalName') {
    if (clusterIPs(spec).length > 0 || asString(spec.clusterIP) !== '') {
      errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    }
    if (asArray(spec.ipFamilies).length > 0)
      errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) {
      errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    }
    const cname = asString(spec.externalName).replace(/\.$/, '');
    if (cname === '') errs.push(required('spec.externalName'));
    else errs.push(...dns1123Subdomain('spec.externalName', cname));
  } else {
    errs.push(...validateClusterIPs(spec));
  }
  if (asArray(spec.ports).length === 0 && !isHeadless(spec) && type !== 'ExternalName')
    errs.push(required('spec.ports'));
  errs.push(...validatePorts(spec, type));
  errs.push(
    ...validateLabels(asObject(spec.selector) as Record<string, string> | undefined, 'spec.selector'),
  );

  const affinity = asString(spec.sessionAffinity);
  if (affinity === '') errs.push(required('spec.sessionAffinity'));
  else if (affinity !== 'ClientIP' && affinity !== 'None') {
    errs.push(notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  } else if (affinity === 'ClientIP') {
    const timeout = asNumber(asObject(asObject(spec.sessionAffinityConfig)?.clientIP)?.timeoutSeconds) ?? 0;
    if (timeout <= 0 || timeout > MAX_CLIENT_IP_TIMEOUT) {
      errs.push(
        invalid(
          'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
          timeout,
          `must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT}`,
        ),
      );
    }
  } else if (asObject(spec.sessionAffinityConfig)) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  asArray(spec.externalIPs).forEach((ip, i) => {
    if (typeof ip !== 'string' || !isValidIP(ip))
      errs.push(invalid(indexPath('spec.externalIPs', i), ip, IP_ERROR));
  });
  const etp = asString(spec.externalTrafficPolicy);
  if (!externallyAccessible(spec)) {
    if (etp !== '')
      errs.push(
        invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'),
      );
  } else if (etp === '') errs.push(required('spec.externalTrafficPolicy'));
  else if (etp !== 'Cluster' && etp !== 'Local')
    errs.push(notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  const itp = spec.internalTrafficPolicy;
  if (itp !== undefined && itp !== null && itp !== 'Cluster' && itp !== 'Local') {
    errs.push(notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  }
  return errs;
}

/** validateUpgradeDowngradeClusterIPs: the primary cluster IP may never change once set. */
function validateClusterIPUpdate(spec: Json, old: Json): FieldError[] {
  if (typeOf(spec) === 'ExternalName' || typeOf(old) === 'ExternalName') return [];
  if (isHeadless(spec) && isHeadless(old)) return [];
  const next = clusterIPs(spec);
  const prev = clusterIPs(old);
  const field = 'spec.clusterIPs[0]';
  if (next.length === prev.length) {
    return prev.some((ip, i) => ip !== next[i]) ? [invalid(field, next, 'may not change once set')] : [];
  }
  if (prev.length > next.length) {
    if (next.length === 0) return [invalid(field, next, 'primary clusterIP can not be unset')];
    const errs: FieldError[] = [];
    if (next[0] !== prev[0]) errs.push(invalid(field, next, 'may not change once set'));
    if (next.length === 1 && spec.ipFamilyPolicy !== 'SingleStack') {
      errs.push(
        invalid(
          field,
          next,
          "`ipFamilyPolicy` must be set to 'SingleStack' when releasing the secondary clusterIP",
        ),
      );
    }
    return errs;
  }
  return prev.length > 0 && next[0] !== prev[0] ? [invalid(field, next, 'may not change once set')] : [];
}

/** getServiceExternalIP. */
function externalIPText(spec: Json, status: Json): string {
  const externalIPs = asArray(spec.externalIPs).filter((ip): ip is string => typeof ip === 'string');
  switch (typeOf(spec)) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = new Set<string>();
      for (const [ing] of objectItems(asObject(status.loadBalancer)?.ingress)) {
        if (asString(ing.ip) !== '') lb.add(asString(ing.ip));
        else if (asString(ing.hostname) !== '') lb.add(asString(ing.hostname));
      }
      const lbIPs = [...lb].sort();
      if (externalIPs.length > 0) return [...lbIPs, ...externalIPs].join(',');
      return lbIPs.length > 0 ? lbIPs.join(',') : '<pending>';
    }
    case 'ExternalName':
      return asString(spec.externalName);
    default:
      return '<unknown>';
  }
}

/** makePortString: "80/TCP", "80:30080/TCP". */
export function servicePortsText(ports: unknown): string {
  const text = objectItems(ports)
    .map(([p]) => {
      const nodePort = asNumber(p.nodePort) ?? 0;
      const port = asNumber(p.port) ?? 0;
      return nodePort > 0 ? `${port}:${nodePort}/${asString(p.protocol)}` : `${port}/${asString(p.protocol)}`;
    })
    .join(',');
  return text === '' ? '<none>' : text;
}

export const serviceStrategy: Strategy = {
  // Service names become DNS names under the namespace: they must start with a letter.
  nameRule: 'dns1035Label',

  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (spec) defaultService(spec, asObject(obj.status));
  },

  prepareForUpdate(obj, old) {
    const spec = child(obj, 'spec');
    if (!spec) return;
    keepAllocatedValues(spec, specOf(old));
    dropTypeDependentFields(spec, specOf(old));
  },

  validate: (obj) => validateServiceSpec(obj.spec),
  validateUpdate: (obj, old) => validateClusterIPUpdate(specOf(obj), specOf(old)),

  selectableFields: (obj) => ({
    'spec.clusterIP': asString(specOf(obj).clusterIP),
    'spec.type': asString(specOf(obj).type),
  }),

  table: {
    columns: [
      nameColumn,
      column('Type', 'string', 'type determines how the Service is exposed.'),
      column(
        'Cluster-IP',
        'string',
        'clusterIP is the IP address of the service and is usually assigned randomly.',
      ),
      column(
        'External-IP',
        'string',
        'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
      ),
      column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      ageColumn,
      column(
        'Selector',
        'string',
        'Route service traffic to pods with label keys and values matching this selector.',
        1,
      ),
    ],
    cells(obj, now) {
      const spec = specOf(obj);
      const status = asObject(obj.status) ?? {};
      const ips = clusterIPs(spec);
      return [
        obj.metadata.name,
        asString(spec.type),
        ips.length > 0 ? ips[0] : '<none>',
        externalIPText(spec, status),
        servicePortsText(spec.ports),
        objectAge(obj, now),
        formatLabels(spec.selector),
      ];
    },
  },
};
