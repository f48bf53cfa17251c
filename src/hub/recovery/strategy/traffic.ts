// Moving traffic with the strategy: when spec.traffic.gslbName names a k8gb Gslb of strategy
// failover, its primaryGeoTag is kept on the region of the current primary, so that the hub's DNS
// answers the application's global name from there first (the networking capability reads the
// Gslb; this only writes it).

import type { Client } from '../../../client/client.js';
import { setCondition } from '../../../machinery/conditions.js';
import type { Condition } from '../../../machinery/object.js';
import { isNotFound } from '../../../machinery/status.js';
import { type Gslb, k8gbResources, STRATEGY_FAILOVER } from '../../apis/k8gb/index.js';
import type { Cluster } from '../../apis/karmada/index.js';
import { type DisasterRecoveryStrategy, StrategyConditionType } from '../../apis/recovery/index.js';

/** Points the Gslb at the primary's region; returns the TrafficRouted condition (none without a Gslb). */
export async function routeTraffic(
  client: Client,
  drs: DisasterRecoveryStrategy,
  primary: Cluster | undefined,
): Promise<Omit<Condition, 'lastTransitionTime'> | undefined> {
  const name = drs.spec.traffic?.gslbName;
  if (!name) return undefined;
  const cond = (ok: boolean, reason: string, message: string) => ({
    type: StrategyConditionType.TrafficRouted,
    status: ok ? ('True' as const) : ('False' as const),
    reason,
    message,
    observedGeneration: drs.metadata.generation,
  });
  let gslb: Gslb;
  try {
    gslb = await client.get<Gslb>(k8gbResources.gslbs, name, { namespace: drs.metadata.namespace });
  } catch (err) {
    if (isNotFound(err))
      return cond(false, 'GslbNotFound', `Gslb ${name} was not found in ${drs.metadata.namespace}`);
    throw err;
  }
  if (gslb.spec.strategy?.type !== STRATEGY_FAILOVER) {
    return cond(
      false,
      'NotFailoverStrategy',
      `Gslb ${name} has strategy ${gslb.spec.strategy?.type}; only failover has a primary region`,
    );
  }
  const region = primary?.spec.region;
  if (!region)
    return cond(false, 'NoRegion', `the primary ${primary?.metadata.name ?? '(none)'} has no region`);
  if (gslb.spec.strategy.primaryGeoTag !== region) {
    await client.patch(
      k8gbResources.gslbs,
      name,
      { spec: { strategy: { primaryGeoTag: region } } },
      'merge',
      { namespace: drs.metadata.namespace },
    );
  }
  return cond(true, 'PrimaryRegion', `Gslb ${name} answers ${region} first`);
}

export function withTrafficCondition(
  conditions: Condition[] | undefined,
  cond: Omit<Condition, 'lastTransitionTime'> | undefined,
  now: string,
): Condition[] | undefined {
  return cond ? setCondition(conditions, cond as Condition, now) : conditions;
}
