// EndpointSlices (discovery.k8s.io/v1): ports default to TCP with an empty name, the address type
// is one of IPv4, IPv6 or FQDN and never changes, every endpoint has 1 to 100 addresses of that
// type, and the table shows ADDRESSTYPE, PORTS and ENDPOINTS.

import { isIP } from 'node:net';
import { childPath, indexPath } from '../../machinery/field-path.js';
import { validateLabels } from '../../machinery/names.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import {
  dns1123Label,
  dns1123Subdomain,
  duplicate,
  eachInvalid,
  immutable,
  invalid,
  notSupported,
  portNumErrors,
  required,
  tooMany,
} from './field-errors.js';
import { asArray, asNumber, asObject, asString, defaultValue, objectItems } from './values.js';

export const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_ADDRESSES = 100;
const MAX_PORTS = 20000;
const MAX_ENDPOINTS = 1000;
const MAX_SHOWN = 3;

function validateAddress(address: string, type: string, field: string): FieldError[] {
  switch (type) {
    case 'IPv4':
      return isIP(address) === 4 ? [] : [invalid(field, address, 'must be a valid IPv4 address')];
    case 'IPv6':
      return isIP(address) === 6 ? [] : [invalid(field, address, 'must be a valid IPv6 address')];
    case 'FQDN':
      return dns1123Subdomain(field, address);
    default:
      return [];
  }
}

function validateEndpointSlice(obj: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const type = asString(obj.addressType);
  if (type === '') errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(notSupported('addressType', type, ADDRESS_TYPES));
  const endpoints = objectItems(obj.endpoints);
  if (asArray(obj.endpoints).length > MAX_ENDPOINTS)
    errs.push(tooMany('endpoints', asArray(obj.endpoints).length, MAX_ENDPOINTS));
  for (const [ep, i] of endpoints) {
    const p = indexPath('endpoints', i);
    const addresses = asArray(ep.addresses);
    if (addresses.length === 0)
      errs.push(required(childPath(p, 'addresses'), 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES)
      errs.push(tooMany(childPath(p, 'addresses'), addresses.length, MAX_ADDRESSES));
    const addressType = ADDRESS_TYPES.includes(type) ? type : '';
    addresses.forEach((a, j) => {
      errs.push(...validateAddress(asString(a), addressType, indexPath(childPath(p, 'addresses'), j)));
    });
    const hostname = asString(ep.hostname);
    if (hostname !== '') errs.push(...dns1123Label(childPath(p, 'hostname'), hostname));
    const nodeName = asString(ep.nodeName);
    if (nodeName !== '') errs.push(...dns1123Subdomain(childPath(p, 'nodeName'), nodeName));
    errs.push(
      ...validateLabels(
        asObject(ep.deprecatedTopology) as Record<string, string> | undefined,
        childPath(p, 'deprecatedTopology'),
      ),
    );
  }
  const ports = objectItems(obj.ports);
  if (asArray(obj.ports).length > MAX_PORTS)
    errs.push(tooMany('ports', asArray(obj.ports).length, MAX_PORTS));
  const names = new Set<string>();
  for (const [port, i] of ports) {
    const p = indexPath('ports', i);
    const name = asString(port.name);
    if (name !== '') errs.push(...dns1123Label(childPath(p, 'name'), name));
    if (names.has(name)) errs.push(duplicate(childPath(p, 'name'), name));
    names.add(name);
    const num = asNumber(port.port);
    if (num !== undefined) errs.push(...eachInvalid(childPath(p, 'port'), num, portNumErrors(num)));
    const protocol = asString(port.protocol);
    if (protocol === '') errs.push(required(childPath(p, 'protocol')));
    else if (!PROTOCOLS.includes(protocol))
      errs.push(notSupported(childPath(p, 'protocol'), protocol, PROTOCOLS));
  }
  return errs;
}

function listWithMore(list: string[], more: boolean, count: number): string {
  const text = list.join(',');
  if (more) return `${text} + ${count - MAX_SHOWN} more...`;
  return text === '' ? '<unset>' : text;
}

/** formatDiscoveryPorts: port numbers (or names), "*" when a port is unset. */
export function formatSlicePorts(ports: unknown): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const [port] of objectItems(ports)) {
    if (list.length < MAX_SHOWN) {
      const num = asNumber(port.port);
      list.push(num !== undefined ? String(num) : typeof port.name === 'string' ? port.name : '*');
    } else if (list.length === MAX_SHOWN) more = true;
    count++;
  }
  return listWithMore(list, more, count);
}

/** formatDiscoveryEndpoints: the first three addresses of all endpoints. */
export function formatSliceEndpoints(endpoints: unknown): string {
  const list: string[] = [];
  let more = false;
  let count = 0;
  for (const [ep] of objectItems(endpoints)) {
    for (const address of asArray(ep.addresses)) {
      if (list.length < MAX_SHOWN) list.push(asString(address));
      else if (list.length === MAX_SHOWN) more = true;
      count++;
    }
  }
  return listWithMore(list, more, count);
}

export const endpointSliceStrategy: Strategy = {
  applyDefaults(obj) {
    for (const [port] of objectItems(obj.ports)) {
      defaultValue(port, 'name', '');
      defaultValue(port, 'protocol', 'TCP');
    }
  },
  validate: (obj) => validateEndpointSlice(obj),
  validateUpdate: (obj, old) => immutable('addressType', obj.addressType, old.addressType),
  table: {
    columns: [
      nameColumn,
      column(
        'AddressType',
        'string',
        'addressType specifies the type of address carried by this EndpointSlice.',
      ),
      column(
        'Ports',
        'string',
        'ports specifies the list of network ports exposed by each endpoint in this slice.',
      ),
      column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
      ageColumn,
    ],
    cells: (obj, now) => [
      obj.metadata.name,
      asString(obj.addressType),
      formatSlicePorts(obj.ports),
      formatSliceEndpoints(obj.endpoints),
      objectAge(obj, now),
    ],
  },
};
