// The roles of a strategy's members, decided from their health: which member is the primary and
// which the standby, when the standby is promoted (failover) and when the application goes back
// to the primary site (failback). Pure: the controller gives it the strategy, the members and the
// time, and writes what it returns.

import type { DisasterRecoveryStrategy, DisasterRecoveryStrategyStatus } from '../../apis/recovery/index.js';
import {
  failureTime,
  isHealthy,
  onPrimarySite,
  otherSite,
  pickHealthy,
  type Sites,
  sameSite,
} from './sites.js';

export interface RoleDecision {
  status: DisasterRecoveryStrategyStatus;
  /** What happened now, for an Event. */
  promoted?: { from: string; to: string; reason: string };
  failedBack?: { from: string; to: string };
  /** The primary is failing but its grace period runs: look again after this many ms. */
  recheckAfterMs?: number;
  /** The primary has failed and no member can take over. */
  noTarget?: boolean;
}

export function decideRoles(drs: DisasterRecoveryStrategy, sites: Sites, now: Date): RoleDecision {
  const prev = drs.status ?? {};
  const status: DisasterRecoveryStrategyStatus = { ...prev };
  const known = (n: string | undefined) => (n && sites.byName.has(n) ? n : undefined);
  let primary = known(prev.currentPrimary);
  let standby = known(prev.currentStandby);

  // First placement (or the primary left both sites): a healthy member of the primary site.
  if (
    !primary ||
    !(onPrimarySite(sites, primary) || sites.secondary.some((c) => c.metadata.name === primary))
  ) {
    primary = pickHealthy(sites.primary) ?? sites.primary[0]?.metadata.name ?? pickHealthy(sites.secondary);
  }
  if (!primary) {
    return { status: { ...status, currentPrimary: undefined, currentStandby: undefined } };
  }
  const decision: RoleDecision = { status };

  const primaryCluster = sites.byName.get(primary);
  if (!isHealthy(primaryCluster)) {
    const failure = failureTime(primaryCluster, now);
    const waitMs = (drs.spec.failoverAfterSeconds ?? 0) * 1000 - (now.getTime() - failure.time.getTime());
    const target =
      pickHealthy(otherSite(sites, primary), [primary], standby) ??
      pickHealthy(sameSite(sites, primary), [primary]);
    if (waitMs > 0) {
      decision.recheckAfterMs = waitMs;
    } else if (!target) {
      decision.noTarget = true;
    } else {
      // The failed member is the standby from now on: it gets the standby's share when it returns.
      const from = primary;
      status.lastFailover = {
        from,
        to: target,
        reason: failure.reason,
        failureTime: failure.time.toISOString(),
        promotionTime: now.toISOString(),
      };
      decision.promoted = { from, to: target, reason: failure.reason };
      standby = pickHealthy(sameSite(sites, from), [from, target]) ?? from;
      primary = target;
      // A failback under way is over: the member it went to has failed.
      if (status.lastFailback && !status.lastFailback.completionTime) {
        status.lastFailback = { ...status.lastFailback, completionTime: now.toISOString() };
      }
    }
  } else if (!onPrimarySite(sites, primary)) {
    const home = pickHealthy(sites.primary);
    const asked = drs.spec.failbackTriggeredAt;
    const manual = !!asked && asked !== prev.observedFailbackTriggeredAt;
    const automatic = drs.spec.failback === 'Automatic';
    if (home && (manual || automatic)) {
      status.lastFailback = {
        from: primary,
        to: home,
        trigger: manual ? 'Manual' : 'Automatic',
        startTime: now.toISOString(),
      };
      decision.failedBack = { from: primary, to: home };
      standby = primary;
      primary = home;
      if (manual) status.observedFailbackTriggeredAt = asked;
    }
  } else if (
    drs.spec.failbackTriggeredAt &&
    drs.spec.failbackTriggeredAt !== prev.observedFailbackTriggeredAt
  ) {
    // Already home: the request is done.
    status.observedFailbackTriggeredAt = drs.spec.failbackTriggeredAt;
  }

  // The standby: a healthy member of the other site (kept while it stays healthy).
  if (!standby || standby === primary || (!isHealthy(sites.byName.get(standby)) && !decision.promoted)) {
    standby =
      pickHealthy(otherSite(sites, primary), [primary], standby) ??
      (standby && standby !== primary ? standby : otherSite(sites, primary)[0]?.metadata.name);
  }
  status.currentPrimary = primary;
  status.currentStandby = standby;
  return decision;
}

/** A failback is under way until its new primary runs at full capacity. */
export function failbackInProgress(status: DisasterRecoveryStrategyStatus | undefined): boolean {
  return !!status?.lastFailback && !status.lastFailback.completionTime;
}

/** A failover is under way until its new primary runs at full capacity. */
export function failoverInProgress(status: DisasterRecoveryStrategyStatus | undefined): boolean {
  return !!status?.lastFailover && !status.lastFailover.fullCapacityTime;
}
