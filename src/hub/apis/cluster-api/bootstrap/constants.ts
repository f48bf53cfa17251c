// The words controllers of bootstrap.cluster.x-k8s.io kinds share with Cluster API's kubeadm
// bootstrap provider.

export const BOOTSTRAP_GROUP = 'bootstrap.cluster.x-k8s.io';
export const BOOTSTRAP_API_VERSION = 'bootstrap.cluster.x-k8s.io/v1beta1';

export const BootstrapFormat = { CloudConfig: 'cloud-config', Ignition: 'ignition' } as const;
export type BootstrapFormat = (typeof BootstrapFormat)[keyof typeof BootstrapFormat];

export const FileEncoding = { Base64: 'base64', Gzip: 'gzip', GzipBase64: 'gzip+base64' } as const;

/** v1beta1 condition types of KubeadmConfig. */
export const BootstrapConditionType = {
  DataSecretAvailable: 'DataSecretAvailable',
  CertificatesAvailable: 'CertificatesAvailable',
} as const;

export const BootstrapConditionReason = {
  WaitingForClusterInfrastructure: 'WaitingForClusterInfrastructure',
  DataSecretGenerationFailed: 'DataSecretGenerationFailed',
  CertificatesGenerationFailed: 'CertificatesGenerationFailed',
  CertificatesCorrupted: 'CertificatesCorrupted',
} as const;

/** The ExecCredential version a join kubeconfig's exec user defaults to. */
export const DEFAULT_EXEC_API_VERSION = 'client.authentication.k8s.io/v1';
