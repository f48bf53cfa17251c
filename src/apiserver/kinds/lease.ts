// Leases (coordination.k8s.io/v1): positive durations, non-negative transitions, a known
// strategy, and the HOLDER table. Leader election and node heartbeats are built on them.

import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import { invalid, notSupported } from './field-errors.js';
import { asNumber, asObject, asString } from './values.js';

const STRATEGIES = ['OldestEmulationVersion'];

function validateLease(spec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const duration = asNumber(spec.leaseDurationSeconds);
  if (duration !== undefined && duration <= 0)
    errs.push(invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  const transitions = asNumber(spec.leaseTransitions);
  if (transitions !== undefined && transitions < 0) {
    errs.push(invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  }
  const strategy = spec.strategy;
  if (strategy !== undefined && strategy !== null && !STRATEGIES.includes(asString(strategy))) {
    errs.push(notSupported('spec.strategy', strategy, STRATEGIES));
  }
  const preferred = spec.preferredHolder;
  if (preferred !== undefined && preferred !== null && (strategy === undefined || strategy === null)) {
    errs.push(invalid('spec.preferredHolder', preferred, 'may only be specified if `strategy` is defined'));
  }
  return errs;
}

export const leaseStrategy: Strategy = {
  validate: (obj) => validateLease(asObject(obj.spec) ?? {}),
  table: {
    columns: [
      nameColumn,
      column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
      ageColumn,
    ],
    cells: (obj, now) => [
      obj.metadata.name,
      asString(asObject(obj.spec)?.holderIdentity),
      objectAge(obj, now),
    ],
  },
};
