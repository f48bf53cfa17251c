// The words controllers of controlplane.cluster.x-k8s.io kinds share with Cluster API's kubeadm
// control plane provider.

export const CONTROL_PLANE_GROUP = 'controlplane.cluster.x-k8s.io';
export const CONTROL_PLANE_API_VERSION = 'controlplane.cluster.x-k8s.io/v1beta1';

export const KUBEADM_CONTROL_PLANE_FINALIZER = 'kubeadm.controlplane.cluster.x-k8s.io';

export const ControlPlaneAnnotations = {
  skipCoreDNS: 'controlplane.cluster.x-k8s.io/skip-coredns',
  skipKubeProxy: 'controlplane.cluster.x-k8s.io/skip-kube-proxy',
  kubeadmClusterConfiguration: 'controlplane.cluster.x-k8s.io/kubeadm-cluster-configuration',
  remediationInProgress: 'controlplane.cluster.x-k8s.io/remediation-in-progress',
  remediationFor: 'controlplane.cluster.x-k8s.io/remediation-for',
  preTerminateHookCleanup: 'pre-terminate.delete.hook.machine.cluster.x-k8s.io/kcp-cleanup',
} as const;

/** v1beta1 condition types of KubeadmControlPlane and its Machines. */
export const ControlPlaneConditionType = {
  Available: 'Available',
  CertificatesAvailable: 'CertificatesAvailable',
  MachinesSpecUpToDate: 'MachinesSpecUpToDate',
  Resized: 'Resized',
  MachinesCreated: 'MachinesCreated',
  MachinesReady: 'MachinesReady',
  ControlPlaneComponentsHealthy: 'ControlPlaneComponentsHealthy',
  EtcdClusterHealthy: 'EtcdClusterHealthy',
  APIServerPodHealthy: 'APIServerPodHealthy',
  ControllerManagerPodHealthy: 'ControllerManagerPodHealthy',
  SchedulerPodHealthy: 'SchedulerPodHealthy',
  EtcdPodHealthy: 'EtcdPodHealthy',
  EtcdMemberHealthy: 'EtcdMemberHealthy',
} as const;

export const ControlPlaneConditionReason = {
  WaitingForKubeadmInit: 'WaitingForKubeadmInit',
  CertificatesGenerationFailed: 'CertificatesGenerationFailed',
  RollingUpdateInProgress: 'RollingUpdateInProgress',
  ScalingUp: 'ScalingUp',
  ScalingDown: 'ScalingDown',
  ControlPlaneComponentsUnhealthy: 'ControlPlaneComponentsUnhealthy',
  ControlPlaneComponentsUnknown: 'ControlPlaneComponentsUnknown',
  ControlPlaneComponentsInspectionFailed: 'ControlPlaneComponentsInspectionFailed',
  PodProvisioning: 'PodProvisioning',
  PodMissing: 'PodMissing',
  PodFailed: 'PodFailed',
  PodInspectionFailed: 'PodInspectionFailed',
  EtcdClusterInspectionFailed: 'EtcdClusterInspectionFailed',
  EtcdClusterUnknown: 'EtcdClusterUnknown',
  EtcdClusterUnhealthy: 'EtcdClusterUnhealthy',
  MemberInspectionFailed: 'MemberInspectionFailed',
  EtcdMemberUnhealthy: 'EtcdMemberUnhealthy',
  InfrastructureTemplateCloningFailed: 'InfrastructureTemplateCloningFailed',
  BootstrapTemplateCloningFailed: 'BootstrapTemplateCloningFailed',
  MachineGenerationFailed: 'MachineGenerationFailed',
} as const;

/** remediationStrategy.minHealthyPeriod when unset. */
export const DEFAULT_MIN_HEALTHY_PERIOD = '1h0m0s';
