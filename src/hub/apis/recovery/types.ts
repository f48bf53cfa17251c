// recovery.concord.dev/v1alpha1: a DisasterRecoveryStrategy protects one application (the
// resources its selectors name) with a primary and a secondary site; a DrillRun records one drill
// of a strategy with its measured figures. Typed views for the controllers and the CLI.

import type { Condition, KubeObject, LabelSelector } from '../../../machinery/object.js';
import type { ResourceSelector } from '../karmada/policy/types.js';
import type { DrillPhase, DrillScenario, FailbackMode, StrategyState, StrategyType } from './constants.js';

/** A set of member clusters: every given filter must match (none given: no cluster). */
export interface SiteSelector {
  clusterNames?: string[];
  /** The member's spec.region. */
  regions?: string[];
  labelSelector?: LabelSelector;
}

/** How clients reach the application: a Service it serves from, and its global name if any. */
export interface TrafficSpec {
  /** The Service (in the strategy's namespace) that serves the application. */
  serviceName?: string;
  /** The port of that Service to send requests to (default: its first). */
  port?: number;
  /** The application's global DNS name, answered by the hub's DNS server. */
  hostname?: string;
  /**
   * A k8gb Gslb (k8gb.io, in the strategy's namespace) of strategy failover whose primaryGeoTag
   * the strategy keeps on the current primary's region, so the global name follows a failover.
   */
  gslbName?: string;
}

export interface DisasterRecoveryStrategySpec {
  strategy: StrategyType;
  /** The application: resources of the strategy's namespace, as Karmada selects them. */
  resourceSelectors: ResourceSelector[];
  primary: SiteSelector;
  secondary: SiteSelector;
  /** WarmStandby: replicas the standby runs, a number or a percentage of the workload's (default 25%). */
  standbyReplicas?: number | string;
  /** Manual (default): fail back only when failbackTriggeredAt is set; Automatic: once the primary site is healthy. */
  failback?: FailbackMode;
  /** A time later than the last failback asks for a failback to the primary site. */
  failbackTriggeredAt?: string;
  /** How long the primary may stay unhealthy before the standby is promoted (default 0). */
  failoverAfterSeconds?: number;
  /** The recovery time a failover must meet, a duration such as "15s" (default per strategy). */
  recoveryTimeObjective?: string;
  traffic?: TrafficSpec;
}

export interface FailoverRecord {
  from: string;
  to: string;
  reason: string;
  /** When the old primary was seen failing (its Ready condition's transition, or its taint). */
  failureTime: string;
  /** When the standby was promoted. */
  promotionTime: string;
  /** When every workload had a ready replica on the new primary. */
  firstReadyTime?: string;
  /** When every workload ran all its replicas on the new primary. */
  fullCapacityTime?: string;
  /** fullCapacityTime - failureTime, as a duration ("4.2s"). */
  recoveryTime?: string;
  recoverySeconds?: number;
}

export interface FailbackRecord {
  from: string;
  to: string;
  /** Manual (asked through failbackTriggeredAt) or Automatic. */
  trigger: FailbackMode;
  startTime: string;
  completionTime?: string;
}

export interface StrategyResourceRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Workload (replicas scaled by the strategy) or Config. */
  role: 'Workload' | 'Config';
}

export interface DisasterRecoveryStrategyStatus {
  observedGeneration?: number;
  state?: StrategyState;
  currentPrimary?: string;
  currentStandby?: string;
  /** The selected resources, as the policies claimed them. */
  resources?: StrategyResourceRef[];
  lastFailover?: FailoverRecord;
  lastFailback?: FailbackRecord;
  /** The failbackTriggeredAt last acted on. */
  observedFailbackTriggeredAt?: string;
  conditions?: Condition[];
}

export interface DisasterRecoveryStrategy extends KubeObject {
  spec: DisasterRecoveryStrategySpec;
  status?: DisasterRecoveryStrategyStatus;
}

export interface DrillRunSpec {
  /** The DisasterRecoveryStrategy drilled (same namespace). */
  strategyName: string;
  scenario: DrillScenario;
  /** How long the fault lasts at least (a duration, e.g. "30s"). */
  duration?: string;
}

export interface DrillRequests {
  total: number;
  failed: number;
}

export interface DrillObjects {
  /** Selected resources expected on the serving cluster after the drill. */
  expected: number;
  found: number;
  lost: string[];
  duplicated: string[];
}

export interface DrillRunStatus {
  phase?: DrillPhase;
  startTime?: string;
  completionTime?: string;
  /** The clusters the fault was injected on. */
  targetClusters?: string[];
  /** fault: the sim's fault injection; taint: cordon-and-taint of a real member. */
  method?: 'fault' | 'taint';
  faultTime?: string;
  healTime?: string;
  /** The primary before the fault and the cluster that served after it. */
  primaryBefore?: string;
  primaryAfter?: string;
  /** Fault -> the first successful request (seconds). */
  rtoFirstSuccessSeconds?: number;
  /** Fault -> every workload at full replicas on the new primary (seconds). */
  rtoFullCapacitySeconds?: number;
  recoveryTimeObjective?: string;
  objectiveMet?: boolean;
  requests?: DrillRequests;
  objects?: DrillObjects;
  /** Every target cluster was Ready again after the heal. */
  healed?: boolean;
  message?: string;
}

export interface DrillRun extends KubeObject {
  spec: DrillRunSpec;
  status?: DrillRunStatus;
}
