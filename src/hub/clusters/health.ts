// From probe results to a member's Ready condition. One probe is no verdict: a Ready member
// stays Ready until `failureThreshold` probes in a row have failed, and a member that is not
// Ready becomes Ready again only after `successThreshold` successes in a row. A member without a
// Ready condition yet (just joined) is Ready at its first success, and not Ready after
// `failureThreshold` failures (Karmada takes its first result either way; a member joined while
// it is busy would then be marked down by one slow answer). Pure: no clock, no I/O.

import type { Condition } from '../../machinery/object.js';
import {
  CLUSTER_CONDITION_READY,
  type CLUSTER_REASON_NOT_REACHABLE,
  type CLUSTER_REASON_NOT_READY,
  type CLUSTER_REASON_READY,
  type CLUSTER_REASON_STATUS_COLLECTION_FAILED,
} from '../apis/karmada/index.js';

export type ProbeReason =
  | typeof CLUSTER_REASON_READY
  | typeof CLUSTER_REASON_NOT_READY
  | typeof CLUSTER_REASON_NOT_REACHABLE
  | typeof CLUSTER_REASON_STATUS_COLLECTION_FAILED;

/** What one probe found. */
export interface ProbeResult {
  ok: boolean;
  reason: ProbeReason;
  message: string;
}

/** The Ready condition a probe result stands for (without lastTransitionTime). */
export function readyCondition(result: ProbeResult): Condition {
  return {
    type: CLUSTER_CONDITION_READY,
    status: result.ok ? 'True' : 'False',
    reason: result.reason,
    message: result.message,
  };
}

export class HealthTracker {
  private failures = 0;
  private successes = 0;

  constructor(private readonly thresholds: { failureThreshold: number; successThreshold: number }) {}

  /** Failed probes in a row so far. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Successful probes in a row so far. */
  get consecutiveSuccesses(): number {
    return this.successes;
  }

  /**
   * Takes a probe result; returns the Ready condition to publish given the one published now
   * (`current`): the observed one once the thresholds allow, else `current` unchanged (undefined
   * while a new member has no verdict yet).
   */
  observe(result: ProbeResult, current: Condition | undefined): Condition | undefined {
    if (result.ok) {
      this.successes++;
      this.failures = 0;
    } else {
      this.failures++;
      this.successes = 0;
    }
    const observed = readyCondition(result);
    if (!current)
      return result.ok || this.failures >= this.thresholds.failureThreshold ? observed : undefined;
    const wasReady = current.status === 'True';
    if (wasReady && !result.ok && this.failures < this.thresholds.failureThreshold) return current;
    if (!wasReady && result.ok && this.successes < this.thresholds.successThreshold) return current;
    return observed;
  }

  /** Whether the member is between verdicts: failing while Ready, or recovering while not. */
  unsettled(current: Condition | undefined): boolean {
    if (!current) return true;
    const wasReady = current.status === 'True';
    return wasReady ? this.failures > 0 : this.successes > 0;
  }

  reset(): void {
    this.failures = 0;
    this.successes = 0;
  }
}
