// networking.k8s.io/v1: NetworkPolicies (policyTypes defaulted from the rules given, TCP ports,
// valid peers and CIDRs), Ingresses (pathType required, absolute paths, one backend per path) and
// IngressClasses, with their tables.

import { BlockList, isIP } from 'node:net';
import { childPath, indexPath } from '../../machinery/field-path.js';
import { validateLabelSelector } from '../../machinery/labels.js';
import { isDNS1123Subdomain } from '../../machinery/names.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge, selectorText } from './columns.js';
import {
  CIDR_ERROR,
  dns1035Label,
  eachInvalid,
  forbidden,
  invalid,
  isValidCIDR,
  notSupported,
  portNameErrors,
  portNumErrors,
  regexMessage,
  required,
} from './field-errors.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  defaultValue,
  type Json,
  objectItems,
  path,
} from './values.js';

const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];
const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

// --- NetworkPolicy ------------------------------------------------------------------------------

function validatePolicyPort(port: Json, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const protocol = port.protocol;
  if (protocol !== undefined && protocol !== null && !PROTOCOLS.includes(asString(protocol))) {
    errs.push(notSupported(childPath(field, 'protocol'), protocol, PROTOCOLS));
  }
  const endPort = asNumber(port.endPort);
  if (typeof port.port === 'number') {
    errs.push(...eachInvalid(childPath(field, 'port'), port.port, portNumErrors(port.port)));
    if (endPort !== undefined) {
      if (endPort < port.port)
        errs.push(invalid(childPath(field, 'endPort'), port.port, 'must be greater than or equal to `port`'));
      errs.push(...eachInvalid(childPath(field, 'endPort'), endPort, portNumErrors(endPort)));
    }
  } else if (typeof port.port === 'string') {
    if (endPort !== undefined)
      errs.push(
        invalid(childPath(field, 'endPort'), endPort, 'may not be specified when `port` is non-numeric'),
      );
    errs.push(...eachInvalid(childPath(field, 'port'), port.port, portNameErrors(port.port)));
  } else if (endPort !== undefined) {
    errs.push(
      invalid(childPath(field, 'endPort'), endPort, 'may not be specified when `port` is not specified'),
    );
  }
  return errs;
}

function prefixLength(cidr: string): number {
  return Number(cidr.slice(cidr.indexOf('/') + 1));
}

function validateIPBlock(block: Json, field: string): FieldError[] {
  const cidr = asString(block.cidr);
  if (cidr === '') return [required(childPath(field, 'cidr'))];
  if (!isValidCIDR(cidr)) return [invalid(childPath(field, 'cidr'), cidr, CIDR_ERROR)];
  const errs: FieldError[] = [];
  const family = isIP(cidr.slice(0, cidr.indexOf('/'))) === 6 ? 'ipv6' : 'ipv4';
  const outer = new BlockList();
  outer.addSubnet(cidr.slice(0, cidr.indexOf('/')), prefixLength(cidr), family);
  asArray(block.except).forEach((e, i) => {
    const p = indexPath(childPath(field, 'except'), i);
    const except = asString(e);
    if (!isValidCIDR(except)) {
      errs.push(invalid(p, except, CIDR_ERROR));
      return;
    }
    const ip = except.slice(0, except.indexOf('/'));
    const sameFamily = (isIP(ip) === 6 ? 'ipv6' : 'ipv4') === family;
    if (!sameFamily || !outer.check(ip, family) || prefixLength(cidr) >= prefixLength(except)) {
      errs.push(invalid(p, except, 'must be a strict subset of `cidr`'));
    }
  });
  return errs;
}

function validatePeer(peer: Json, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let peers = 0;
  for (const key of ['podSelector', 'namespaceSelector']) {
    if (peer[key] !== undefined && peer[key] !== null) {
      peers++;
      errs.push(...validateLabelSelector(peer[key], childPath(field, key)));
    }
  }
  const block = asObject(peer.ipBlock);
  if (block) {
    peers++;
    errs.push(...validateIPBlock(block, childPath(field, 'ipBlock')));
  }
  if (peers === 0) errs.push(required(field, 'must specify a peer'));
  else if (peers > 1 && block) errs.push(forbidden(field, 'may not specify both ipBlock and another peer'));
  return errs;
}

function validateNetworkPolicySpec(spec: Json): FieldError[] {
  const errs = validateLabelSelector(spec.podSelector, 'spec.podSelector');
  for (const [direction, peersKey] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    for (const [rule, i] of objectItems(spec[direction])) {
      const p = indexPath(`spec.${direction}`, i);
      for (const [port, j] of objectItems(rule.ports))
        errs.push(...validatePolicyPort(port, indexPath(childPath(p, 'ports'), j)));
      for (const [peer, j] of objectItems(rule[peersKey]))
        errs.push(...validatePeer(peer, indexPath(childPath(p, peersKey), j)));
    }
  }
  const types = asArray(spec.policyTypes);
  if (types.length > POLICY_TYPES.length)
    return [...errs, invalid('spec.policyTypes', types, 'may not specify more than two policyTypes')];
  types.forEach((t, i) => {
    if (!POLICY_TYPES.includes(asString(t)))
      errs.push(notSupported(indexPath('spec.policyTypes', i), t, POLICY_TYPES));
  });
  return errs;
}

export const networkPolicyStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (!spec) return;
    for (const direction of ['ingress', 'egress']) {
      for (const [rule] of objectItems(spec[direction]))
        for (const [port] of objectItems(rule.ports)) defaultValue(port, 'protocol', 'TCP');
    }
    // A policy that names no types is at least about ingress, and about egress if it has egress rules.
    if (asArray(spec.policyTypes).length === 0) {
      spec.policyTypes = asArray(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
    }
  },
  validate: (obj) => validateNetworkPolicySpec(asObject(obj.spec) ?? {}),
  table: {
    columns: [
      nameColumn,
      column('Pod-Selector', 'string', 'Selects the pods to which this NetworkPolicy object applies.'),
      ageColumn,
    ],
    cells: (obj, now) => [
      obj.metadata.name,
      selectorText(path(obj, 'spec', 'podSelector') ?? {}),
      objectAge(obj, now),
    ],
  },
};

// --- Ingress ------------------------------------------------------------------------------------

const WILDCARD_FORMAT = '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*';

function wildcardErrors(host: string): string[] {
  const errs: string[] = [];
  if (host.length > 253) errs.push('must be no more than 253 characters');
  if (!new RegExp(`^${WILDCARD_FORMAT}$`).test(host)) {
    errs.push(
      regexMessage(
        "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character",
        WILDCARD_FORMAT,
        '*.example.com',
      ),
    );
  }
  return errs;
}

function validateBackend(backend: Json, field: string): FieldError[] {
  const service = asObject(backend.service);
  const resource = asObject(backend.resource);
  if (service && resource) return [invalid(field, '', 'cannot set both resource and service backends')];
  if (resource) {
    const errs: FieldError[] = [];
    if (asString(resource.kind) === '') errs.push(required(childPath(field, 'resource', 'kind')));
    if (asString(resource.name) === '') errs.push(required(childPath(field, 'resource', 'name')));
    return errs;
  }
  if (!service) return [invalid(field, '', 'resource or service backend is required')];
  const errs: FieldError[] = [];
  const name = asString(service.name);
  if (name === '') errs.push(required(childPath(field, 'service', 'name')));
  else errs.push(...dns1035Label(childPath(field, 'service', 'name'), name));
  const port = asObject(service.port) ?? {};
  const portName = asString(port.name);
  const portNumber = asNumber(port.number) ?? 0;
  if (portName !== '' && portNumber !== 0)
    errs.push(invalid(field, '', 'cannot set both port name & port number'));
  else if (portName !== '')
    errs.push(
      ...eachInvalid(childPath(field, 'service', 'port', 'name'), portName, portNameErrors(portName)),
    );
  else if (portNumber !== 0)
    errs.push(
      ...eachInvalid(childPath(field, 'service', 'port', 'number'), portNumber, portNumErrors(portNumber)),
    );
  else errs.push(required(field, 'port name or number is required'));
  return errs;
}

function validatePath(p: Json, field: string): FieldError[] {
  const pathType = p.pathType;
  if (pathType === undefined || pathType === null)
    return [required(childPath(field, 'pathType'), 'pathType must be specified')];
  const errs: FieldError[] = [];
  const value = asString(p.path);
  switch (pathType) {
    case 'Exact':
    case 'Prefix':
      if (!value.startsWith('/'))
        errs.push(invalid(childPath(field, 'path'), value, 'must be an absolute path'));
      if (value !== '') {
        for (const seq of INVALID_PATH_SEQUENCES) {
          if (value.includes(seq))
            errs.push(invalid(childPath(field, 'path'), value, `must not contain '${seq}'`));
        }
        for (const suffix of INVALID_PATH_SUFFIXES) {
          if (value.endsWith(suffix))
            errs.push(invalid(childPath(field, 'path'), value, `cannot end with '${suffix}'`));
        }
      }
      break;
    case 'ImplementationSpecific':
      if (value !== '' && !value.startsWith('/'))
        errs.push(invalid(childPath(field, 'path'), value, 'must be an absolute path'));
      break;
    default:
      errs.push(notSupported(childPath(field, 'pathType'), pathType, PATH_TYPES));
  }
  errs.push(...validateBackend(asObject(p.backend) ?? {}, childPath(field, 'backend')));
  return errs;
}

function validateIngressSpec(spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  const rules = objectItems(spec.rules);
  const defaultBackend = asObject(spec.defaultBackend);
  if (asArray(spec.rules).length === 0 && !defaultBackend) {
    errs.push(invalid('spec', spec.rules ?? null, 'either `defaultBackend` or `rules` must be specified'));
  }
  if (defaultBackend) errs.push(...validateBackend(defaultBackend, 'spec.defaultBackend'));
  for (const [rule, i] of rules) {
    const p = indexPath('spec.rules', i);
    const host = asString(rule.host);
    if (host !== '') {
      if (isIP(host) !== 0)
        errs.push(invalid(childPath(p, 'host'), host, 'must be a DNS name, not an IP address'));
      const msgs = host.includes('*') ? wildcardErrors(host) : isDNS1123Subdomain(host);
      errs.push(...eachInvalid(childPath(p, 'host'), host, msgs));
    }
    const http = asObject(rule.http);
    if (http) {
      if (asArray(http.paths).length === 0) errs.push(required(childPath(p, 'http', 'paths')));
      for (const [pp, j] of objectItems(http.paths))
        errs.push(...validatePath(pp, indexPath(childPath(p, 'http', 'paths'), j)));
    }
  }
  for (const [tls, i] of objectItems(spec.tls)) {
    asArray(tls.hosts).forEach((h, j) => {
      const host = asString(h);
      const msgs = host.includes('*') ? wildcardErrors(host) : isDNS1123Subdomain(host);
      errs.push(...eachInvalid(indexPath(childPath(indexPath('spec.tls', i), 'hosts'), j), host, msgs));
    });
  }
  if (typeof spec.ingressClassName === 'string') {
    errs.push(
      ...eachInvalid(
        'spec.ingressClassName',
        spec.ingressClassName,
        isDNS1123Subdomain(spec.ingressClassName),
      ),
    );
  }
  return errs;
}

function formatHosts(rules: unknown): string {
  const list: string[] = [];
  let more = false;
  const all = objectItems(rules);
  for (const [rule] of all) {
    if (list.length === 3) more = true;
    const host = asString(rule.host);
    if (!more && host !== '') list.push(host);
  }
  if (list.length === 0) return '*';
  const text = list.join(',');
  return more ? `${text} + ${all.length - 3} more...` : text;
}

/** The load balancer's IPs (or hostnames), sorted and deduplicated. */
function lbAddresses(status: unknown): string {
  const found = new Set<string>();
  for (const [ing] of objectItems(path(status, 'loadBalancer', 'ingress'))) {
    if (asString(ing.ip) !== '') found.add(asString(ing.ip));
    else if (asString(ing.hostname) !== '') found.add(asString(ing.hostname));
  }
  return [...found].sort().join(',');
}

export const ingressStrategy: Strategy = {
  validate: (obj) => validateIngressSpec(asObject(obj.spec) ?? {}),
  table: {
    columns: [
      nameColumn,
      column(
        'Class',
        'string',
        'The name of the IngressClass resource that should be used for additional configuration',
      ),
      column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
      column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
      column('Ports', 'string', 'Ports of TLS configurations that open'),
      ageColumn,
    ],
    cells(obj, now) {
      const spec = asObject(obj.spec) ?? {};
      return [
        obj.metadata.name,
        typeof spec.ingressClassName === 'string' ? spec.ingressClassName : '<none>',
        formatHosts(spec.rules),
        lbAddresses(obj.status),
        asArray(spec.tls).length > 0 ? '80, 443' : '80',
        objectAge(obj, now),
      ];
    },
  },
};

// --- IngressClass -------------------------------------------------------------------------------

export const ingressClassStrategy: Strategy = {
  applyDefaults(obj) {
    const params = asObject(path(obj, 'spec', 'parameters'));
    if (params) defaultValue(params, 'scope', 'Cluster');
  },
  validate(obj) {
    const errs: FieldError[] = [];
    const spec = asObject(obj.spec) ?? {};
    const controller = asString(spec.controller);
    if (controller === '') errs.push(required('spec.controller'));
    else if (controller.length > 250)
      errs.push(invalid('spec.controller', controller, 'must be no more than 250 characters'));
    const params = asObject(spec.parameters);
    if (params) {
      if (asString(params.kind) === '') errs.push(required('spec.parameters.kind'));
      if (asString(params.name) === '') errs.push(required('spec.parameters.name'));
      const scope = asString(params.scope);
      if (scope !== 'Cluster' && scope !== 'Namespace')
        errs.push(notSupported('spec.parameters.scope', scope, ['Cluster', 'Namespace']));
      if (scope === 'Namespace' && asString(params.namespace) === '') {
        errs.push(required('spec.parameters.namespace', '`parameters.scope` is set to "Namespace"'));
      }
      if (scope === 'Cluster' && asString(params.namespace) !== '') {
        errs.push(forbidden('spec.parameters.namespace', '`parameters.scope` is set to "Cluster"'));
      }
    }
    return errs;
  },
  validateUpdate: (obj, old) =>
    asString(path(obj, 'spec', 'controller')) === asString(path(old, 'spec', 'controller'))
      ? []
      : [invalid('spec.controller', asString(path(obj, 'spec', 'controller')), 'field is immutable')],
  table: {
    columns: [
      nameColumn,
      column('Controller', 'string', 'Controller that is responsible for handling this class'),
      column('Parameters', 'string', 'A reference to a resource with additional parameters'),
      ageColumn,
    ],
    cells(obj, now) {
      const spec = asObject(obj.spec) ?? {};
      const params = asObject(spec.parameters);
      let parameters = '<none>';
      if (params) {
        parameters = asString(params.kind);
        if (typeof params.apiGroup === 'string') parameters += `.${params.apiGroup}`;
        parameters += `/${asString(params.name)}`;
      }
      return [obj.metadata.name, asString(spec.controller), parameters, objectAge(obj, now)];
    },
  },
};
