// The words controllers of cluster.x-k8s.io kinds share with Cluster API: the group, label and
// annotation keys, finalizers, phases, and v1beta1 condition types and reasons.

export const CLUSTER_API_GROUP = 'cluster.x-k8s.io';
export const CLUSTER_API_VERSION = 'cluster.x-k8s.io/v1beta1';

/** Labels Cluster API sets and selects on. */
export const Labels = {
  clusterName: 'cluster.x-k8s.io/cluster-name',
  deploymentName: 'cluster.x-k8s.io/deployment-name',
  setName: 'cluster.x-k8s.io/set-name',
  poolName: 'cluster.x-k8s.io/pool-name',
  /** The hash of a MachineDeployment's template, on its MachineSets and their Machines. */
  machineTemplateHash: 'machine-template-hash',
  /** Marks control plane Machines (value ""). */
  controlPlane: 'cluster.x-k8s.io/control-plane',
  controlPlaneName: 'cluster.x-k8s.io/control-plane-name',
  provider: 'cluster.x-k8s.io/provider',
  watchFilter: 'cluster.x-k8s.io/watch-filter',
  interruptible: 'cluster.x-k8s.io/interruptible',
  /** Objects the topology controller owns (value ""). */
  topologyOwned: 'topology.cluster.x-k8s.io/owned',
  topologyDeploymentName: 'topology.cluster.x-k8s.io/deployment-name',
  topologyPoolName: 'topology.cluster.x-k8s.io/pool-name',
  /** Node label domain whose labels Cluster API keeps in sync from Machines to Nodes. */
  managedNodeDomain: 'node.cluster.x-k8s.io',
} as const;

/** Annotations Cluster API reads and writes. */
export const Annotations = {
  paused: 'cluster.x-k8s.io/paused',
  clusterName: 'cluster.x-k8s.io/cluster-name',
  clusterNamespace: 'cluster.x-k8s.io/cluster-namespace',
  machine: 'cluster.x-k8s.io/machine',
  ownerKind: 'cluster.x-k8s.io/owner-kind',
  ownerName: 'cluster.x-k8s.io/owner-name',
  clonedFromName: 'cluster.x-k8s.io/cloned-from-name',
  clonedFromGroupKind: 'cluster.x-k8s.io/cloned-from-groupkind',
  deleteMachine: 'cluster.x-k8s.io/delete-machine',
  skipRemediation: 'cluster.x-k8s.io/skip-remediation',
  remediateMachine: 'cluster.x-k8s.io/remediate-machine',
  disableMachineCreate: 'cluster.x-k8s.io/disable-machine-create',
  managedBy: 'cluster.x-k8s.io/managed-by',
  replicasManagedBy: 'cluster.x-k8s.io/replicas-managed-by',
  labelsFromMachine: 'cluster.x-k8s.io/labels-from-machine',
  annotationsFromMachine: 'cluster.x-k8s.io/annotations-from-machine',
  autoscalerMinSize: 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size',
  autoscalerMaxSize: 'cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size',
  /** MachineDeployment rollout bookkeeping on MachineSets. */
  revision: 'machinedeployment.clusters.x-k8s.io/revision',
  revisionHistory: 'machinedeployment.clusters.x-k8s.io/revision-history',
  desiredReplicas: 'machinedeployment.clusters.x-k8s.io/desired-replicas',
  maxReplicas: 'machinedeployment.clusters.x-k8s.io/max-replicas',
  excludeNodeDraining: 'machine.cluster.x-k8s.io/exclude-node-draining',
  excludeWaitForNodeVolumeDetach: 'machine.cluster.x-k8s.io/exclude-wait-for-node-volume-detach',
  certificatesExpiry: 'machine.cluster.x-k8s.io/certificates-expiry',
  preDrainDeleteHookPrefix: 'pre-drain.delete.hook.machine.cluster.x-k8s.io',
  preTerminateDeleteHookPrefix: 'pre-terminate.delete.hook.machine.cluster.x-k8s.io',
  machineSetSkipPreflightChecks: 'machineset.cluster.x-k8s.io/skip-preflight-checks',
  topologyDryRun: 'topology.cluster.x-k8s.io/dry-run',
  topologyHoldUpgradeSequence: 'topology.cluster.x-k8s.io/hold-upgrade-sequence',
  topologyDeferUpgrade: 'topology.cluster.x-k8s.io/defer-upgrade',
  topologyUpgradeConcurrency: 'topology.cluster.x-k8s.io/upgrade-concurrency',
  unsafeUpdateClassName: 'unsafe.topology.cluster.x-k8s.io/disable-update-class-name-check',
  unsafeUpdateVersion: 'unsafe.topology.cluster.x-k8s.io/disable-update-version-check',
} as const;

export const Finalizers = {
  cluster: 'cluster.cluster.x-k8s.io',
  machine: 'machine.cluster.x-k8s.io',
  machineDeployment: 'cluster.x-k8s.io/machinedeployment',
  machineSet: 'cluster.x-k8s.io/machineset',
  machinePool: 'machinepool.cluster.x-k8s.io',
  machineDeploymentTopology: 'machinedeployment.topology.cluster.x-k8s.io',
  machineSetTopology: 'machineset.topology.cluster.x-k8s.io',
} as const;

export const ClusterPhase = {
  Pending: 'Pending',
  Provisioning: 'Provisioning',
  Provisioned: 'Provisioned',
  Deleting: 'Deleting',
  Failed: 'Failed',
  Unknown: 'Unknown',
} as const;
export type ClusterPhase = (typeof ClusterPhase)[keyof typeof ClusterPhase];

export const MachinePhase = {
  Pending: 'Pending',
  Provisioning: 'Provisioning',
  Provisioned: 'Provisioned',
  Running: 'Running',
  Deleting: 'Deleting',
  Deleted: 'Deleted',
  Failed: 'Failed',
  Unknown: 'Unknown',
} as const;
export type MachinePhase = (typeof MachinePhase)[keyof typeof MachinePhase];

export const MachineDeploymentPhase = {
  ScalingUp: 'ScalingUp',
  ScalingDown: 'ScalingDown',
  Running: 'Running',
  Failed: 'Failed',
  Unknown: 'Unknown',
} as const;
export type MachineDeploymentPhase = (typeof MachineDeploymentPhase)[keyof typeof MachineDeploymentPhase];

export const MachinePoolPhase = {
  Pending: 'Pending',
  Provisioning: 'Provisioning',
  Provisioned: 'Provisioned',
  Running: 'Running',
  ScalingUp: 'ScalingUp',
  ScalingDown: 'ScalingDown',
  Scaling: 'Scaling',
  Deleting: 'Deleting',
  Failed: 'Failed',
  Unknown: 'Unknown',
} as const;
export type MachinePoolPhase = (typeof MachinePoolPhase)[keyof typeof MachinePoolPhase];

/** v1beta1 condition types (status.conditions). */
export const ConditionType = {
  Ready: 'Ready',
  InfrastructureReady: 'InfrastructureReady',
  ControlPlaneInitialized: 'ControlPlaneInitialized',
  ControlPlaneReady: 'ControlPlaneReady',
  BootstrapReady: 'BootstrapReady',
  DrainingSucceeded: 'DrainingSucceeded',
  PreDrainDeleteHookSucceeded: 'PreDrainDeleteHookSucceeded',
  PreTerminateDeleteHookSucceeded: 'PreTerminateDeleteHookSucceeded',
  VolumeDetachSucceeded: 'VolumeDetachSucceeded',
  HealthCheckSucceeded: 'HealthCheckSucceeded',
  OwnerRemediated: 'OwnerRemediated',
  ExternalRemediationTemplateAvailable: 'ExternalRemediationTemplateAvailable',
  ExternalRemediationRequestAvailable: 'ExternalRemediationRequestAvailable',
  NodeHealthy: 'NodeHealthy',
  RemediationAllowed: 'RemediationAllowed',
  /** A MachineDeployment has at least the minimum of Machines available. */
  Available: 'Available',
  MachineSetReady: 'MachineSetReady',
  MachinesCreated: 'MachinesCreated',
  MachinesReady: 'MachinesReady',
  Resized: 'Resized',
  TopologyReconciled: 'TopologyReconciled',
  VariablesReconciled: 'VariablesReconciled',
  RefVersionsUpToDate: 'RefVersionsUpToDate',
  ReplicasReady: 'ReplicasReady',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** v1beta1 condition reasons. */
export const ConditionReason = {
  Deleting: 'Deleting',
  DeletionFailed: 'DeletionFailed',
  Deleted: 'Deleted',
  IncorrectExternalRef: 'IncorrectExternalRef',
  WaitingForInfrastructure: 'WaitingForInfrastructure',
  WaitingForControlPlane: 'WaitingForControlPlane',
  WaitingForControlPlaneAvailable: 'WaitingForControlPlaneAvailable',
  WaitingForControlPlaneProviderInitialized: 'WaitingForControlPlaneProviderInitialized',
  MissingNodeRef: 'MissingNodeRef',
  WaitingForDataSecret: 'WaitingForDataSecret',
  Draining: 'Draining',
  DrainingFailed: 'DrainingFailed',
  WaitingExternalHook: 'WaitingExternalHook',
  WaitingForVolumeDetach: 'WaitingForVolumeDetach',
  MachineHasFailure: 'MachineHasFailure',
  HasRemediateMachineAnnotation: 'HasRemediateMachineAnnotation',
  NodeStartupTimeout: 'NodeStartupTimeout',
  UnhealthyNode: 'UnhealthyNode',
  WaitingForRemediation: 'WaitingForRemediation',
  RemediationFailed: 'RemediationFailed',
  RemediationInProgress: 'RemediationInProgress',
  ExternalRemediationTemplateNotFound: 'ExternalRemediationTemplateNotFound',
  ExternalRemediationRequestCreationFailed: 'ExternalRemediationRequestCreationFailed',
  WaitingForNodeRef: 'WaitingForNodeRef',
  NodeProvisioning: 'NodeProvisioning',
  NodeNotFound: 'NodeNotFound',
  NodeConditionsFailed: 'NodeConditionsFailed',
  NodeInspectionFailed: 'NodeInspectionFailed',
  TooManyUnhealthy: 'TooManyUnhealthy',
  WaitingForMachineSet: 'WaitingForMachineSet',
  WaitingForAvailableMachines: 'WaitingForAvailableMachines',
  PreflightCheckFailed: 'PreflightCheckFailed',
  BootstrapTemplateCloningFailed: 'BootstrapTemplateCloningFailed',
  InfrastructureTemplateCloningFailed: 'InfrastructureTemplateCloningFailed',
  MachineCreationFailed: 'MachineCreationFailed',
  ScalingUp: 'ScalingUp',
  ScalingDown: 'ScalingDown',
  TopologyReconcileFailed: 'TopologyReconcileFailed',
  ControlPlaneUpgradePending: 'ControlPlaneUpgradePending',
  MachineDeploymentsCreatePending: 'MachineDeploymentsCreatePending',
  MachineDeploymentsUpgradePending: 'MachineDeploymentsUpgradePending',
  MachineDeploymentsUpgradeDeferred: 'MachineDeploymentsUpgradeDeferred',
  MachinePoolsUpgradePending: 'MachinePoolsUpgradePending',
  MachinePoolsCreatePending: 'MachinePoolsCreatePending',
  MachinePoolsUpgradeDeferred: 'MachinePoolsUpgradeDeferred',
  LifecycleHookBlocking: 'LifecycleHookBlocking',
  ClusterClassNotReconciled: 'ClusterClassNotReconciled',
  Paused: 'Paused',
  VariableDiscoveryFailed: 'VariableDiscoveryFailed',
  OutdatedRefVersions: 'OutdatedRefVersions',
  WaitingForReplicasReady: 'WaitingForReplicasReady',
} as const;

/** v1beta1 condition severities. */
export const ConditionSeverity = { Error: 'Error', Warning: 'Warning', Info: 'Info' } as const;

/** Defaults Cluster API's webhooks apply. */
export const Defaults = {
  /** MachineHealthCheck spec.maxUnhealthy. */
  maxUnhealthy: '100%',
  /** MachineHealthCheck spec.nodeStartupTimeout. */
  nodeStartupTimeout: '10m0s',
  /** Shortest nodeStartupTimeout other than 0 (disabled). */
  minNodeStartupTimeoutSeconds: 30,
  /** Machine spec.nodeDeletionTimeout. */
  nodeDeletionTimeout: '10s',
  machineDeploymentProgressDeadlineSeconds: 600,
  machineDeploymentRevisionHistoryLimit: 1,
} as const;

/** The MachineSet preflight checks the skip-preflight-checks annotation may name. */
export const MachineSetPreflightChecks = [
  'All',
  'ControlPlaneIsStable',
  'ControlPlaneVersionSkew',
  'KubeadmVersionSkew',
  'KubernetesVersionSkew',
] as const;

/** Kinds of templates end with this (DockerMachineTemplate, KubeadmConfigTemplate ...). */
export const TEMPLATE_SUFFIX = 'Template';
