// The words of Concord's disaster-recovery API (recovery.concord.dev): strategies, their states,
// condition types and reasons, the labels and taints that recovery puts on other objects.

export const RECOVERY_GROUP = 'recovery.concord.dev';
export const RECOVERY_VERSION = 'v1alpha1';
export const RECOVERY_API_VERSION = `${RECOVERY_GROUP}/${RECOVERY_VERSION}`;

/** How the standby side of an application is kept. */
export const STRATEGY_TYPES = ['ActivePassive', 'ActiveActive', 'PilotLight', 'WarmStandby'] as const;
export type StrategyType = (typeof STRATEGY_TYPES)[number];

/** Where a strategy stands. */
export const STRATEGY_STATES = ['Protected', 'FailingOver', 'FailedOver', 'Degraded'] as const;
export type StrategyState = (typeof STRATEGY_STATES)[number];

export const FAILBACK_MODES = ['Manual', 'Automatic'] as const;
export type FailbackMode = (typeof FAILBACK_MODES)[number];

/** The share of the replicas a warm standby runs when spec.standbyReplicas is not given. */
export const DEFAULT_WARM_STANDBY_REPLICAS = '25%';

/** Recovery time objectives when spec.recoveryTimeObjective is not given, per strategy. */
export const DEFAULT_RECOVERY_TIME_OBJECTIVE: Record<StrategyType, string> = {
  ActiveActive: '5s',
  ActivePassive: '15s',
  WarmStandby: '15s',
  PilotLight: '60s',
};

/** Kinds whose replicas a strategy scales: the workloads; every other selected kind is config. */
export const WORKLOAD_KINDS: readonly string[] = ['Deployment', 'StatefulSet', 'ReplicaSet'];

export const StrategyConditionType = {
  /** The current primary is Ready and untainted. */
  PrimaryHealthy: 'PrimaryHealthy',
  /** A standby is Ready to take over. */
  StandbyReady: 'StandbyReady',
  /** The primary runs every workload at its full replicas. */
  FullCapacity: 'FullCapacity',
  /** The policies the strategy writes are in place. */
  PoliciesApplied: 'PoliciesApplied',
  /** The Gslb of spec.traffic.gslbName answers the current primary's region first. */
  TrafficRouted: 'TrafficRouted',
} as const;

export const StrategyReason = {
  ClusterReady: 'ClusterReady',
  ClusterNotReady: 'ClusterNotReady',
  NoCluster: 'NoMatchingCluster',
  NoHealthyStandby: 'NoHealthyStandby',
  Promoted: 'Promoted',
  FailedBack: 'FailedBack',
  AllReplicasReady: 'AllReplicasReady',
  ReplicasNotReady: 'ReplicasNotReady',
  Applied: 'Applied',
} as const;

/** Owner label on the policies a strategy writes: the strategy's name. */
export const STRATEGY_LABEL = 'recovery.concord.dev/strategy';

/**
 * The NoExecute taint a drill puts on a real member to simulate its outage (cordon and taint:
 * nothing on the member is deleted). Recovery treats a member with any NoExecute taint as failed.
 */
export const DRILL_TAINT_KEY = 'recovery.concord.dev/drill';

export const DRILL_SCENARIOS = ['cluster-down', 'region-down', 'partition'] as const;
export type DrillScenario = (typeof DRILL_SCENARIOS)[number];

export const DRILL_PHASES = ['Running', 'Succeeded', 'Failed'] as const;
export type DrillPhase = (typeof DRILL_PHASES)[number];
