// Endpoints (core/v1): TCP by default for every port, valid addresses and ports, and the
// ENDPOINTS table ("10.0.0.1:80,10.0.0.2:80 + 3 more...").

import { childPath, indexPath } from '../../machinery/field-path.js';
import { joinHostPort } from '../../machinery/host-port.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import {
  dns1123Label,
  eachInvalid,
  IP_ERROR,
  invalid,
  isValidIP,
  notSupported,
  portNumErrors,
  required,
} from './field-errors.js';
import { asArray, asNumber, asString, defaultString, objectItems } from './values.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const MAX_SHOWN = 3;

/** formatEndpoints: the first three addresses (with ports), then "+ N more...". */
export function formatEndpoints(subsets: unknown): string {
  const list: string[] = [];
  let count = 0;
  let more = false;
  const subs = objectItems(subsets);
  if (subs.length === 0) return '<none>';
  for (const [ss] of subs) {
    const addresses = objectItems(ss.addresses).map(([a]) => asString(a.ip));
    const ports = objectItems(ss.ports);
    const add = (text: string) => {
      if (list.length === MAX_SHOWN) more = true;
      if (!more) list.push(text);
      count++;
    };
    if (ports.length === 0) {
      for (const ip of addresses) add(ip);
    } else {
      for (const [port] of ports) for (const ip of addresses) add(joinHostPort(ip, asNumber(port.port) ?? 0));
    }
  }
  const text = list.join(',');
  return more ? `${text} + ${count - MAX_SHOWN} more...` : text;
}

function validateSubsets(subsets: unknown): FieldError[] {
  const errs: FieldError[] = [];
  for (const [ss, i] of objectItems(subsets)) {
    const p = indexPath('subsets', i);
    if (asArray(ss.addresses).length === 0 && asArray(ss.notReadyAddresses).length === 0) {
      errs.push(required(p, 'must specify `addresses` or `notReadyAddresses`'));
    }
    for (const key of ['addresses', 'notReadyAddresses']) {
      for (const [addr, j] of objectItems(ss[key])) {
        const ip = asString(addr.ip);
        if (!isValidIP(ip))
          errs.push(invalid(childPath(indexPath(childPath(p, key), j), 'ip'), ip, IP_ERROR));
        const hostname = asString(addr.hostname);
        if (hostname !== '')
          errs.push(...dns1123Label(childPath(indexPath(childPath(p, key), j), 'hostname'), hostname));
      }
    }
    const ports = objectItems(ss.ports);
    for (const [port, j] of ports) {
      const pp = indexPath(childPath(p, 'ports'), j);
      const name = asString(port.name);
      if (ports.length > 1 && name === '') errs.push(required(childPath(pp, 'name')));
      else if (name !== '') errs.push(...dns1123Label(childPath(pp, 'name'), name));
      const num = asNumber(port.port) ?? 0;
      errs.push(...eachInvalid(childPath(pp, 'port'), num, portNumErrors(num)));
      const protocol = asString(port.protocol);
      if (protocol === '') errs.push(required(childPath(pp, 'protocol')));
      else if (!PROTOCOLS.includes(protocol))
        errs.push(notSupported(childPath(pp, 'protocol'), protocol, PROTOCOLS));
    }
  }
  return errs;
}

export const endpointsStrategy: Strategy = {
  applyDefaults(obj) {
    for (const [ss] of objectItems(obj.subsets))
      for (const [port] of objectItems(ss.ports)) defaultString(port, 'protocol', 'TCP');
  },
  validate: (obj) => validateSubsets(obj.subsets),
  table: {
    columns: [
      nameColumn,
      column('Endpoints', 'string', 'The set of all endpoints is the union of all subsets.'),
      ageColumn,
    ],
    cells: (obj, now) => [obj.metadata.name, formatEndpoints(obj.subsets), objectAge(obj, now)],
  },
};
