// TypeScript shapes of bootstrap.cluster.x-k8s.io/v1beta1 objects and the kubeadm configuration
// they carry.

import type { KubeObject } from '../../../../machinery/object.js';
import type { Condition, Duration, TemplateSpec, V1Beta2Status } from '../types.js';
import type { BootstrapFormat } from './constants.js';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

export interface HostPathMount {
  name: string;
  hostPath: string;
  mountPath: string;
  readOnly?: boolean;
  pathType?: string;
}

export interface ControlPlaneComponent {
  extraArgs?: Record<string, string>;
  extraVolumes?: HostPathMount[];
  extraEnvs?: EnvVar[];
}

export interface ClusterConfiguration {
  apiVersion?: string;
  kind?: string;
  etcd?: {
    local?: ControlPlaneComponent & {
      imageRepository?: string;
      imageTag?: string;
      dataDir?: string;
      serverCertSANs?: string[];
      peerCertSANs?: string[];
    };
    external?: { endpoints: string[]; caFile: string; certFile: string; keyFile: string };
  };
  networking?: { serviceSubnet?: string; podSubnet?: string; dnsDomain?: string };
  kubernetesVersion?: string;
  controlPlaneEndpoint?: string;
  apiServer?: ControlPlaneComponent & { certSANs?: string[]; timeoutForControlPlane?: Duration };
  controllerManager?: ControlPlaneComponent;
  scheduler?: ControlPlaneComponent;
  dns?: { imageRepository?: string; imageTag?: string };
  certificatesDir?: string;
  imageRepository?: string;
  featureGates?: Record<string, boolean>;
  clusterName?: string;
  encryptionAlgorithm?: 'ECDSA-P256' | 'ECDSA-P384' | 'RSA-2048' | 'RSA-3072' | 'RSA-4096';
  certificateValidityPeriodDays?: number;
  caCertificateValidityPeriodDays?: number;
}

export interface NodeRegistrationOptions {
  name?: string;
  criSocket?: string;
  taints?: { key: string; value?: string; effect: string; timeAdded?: string }[];
  kubeletExtraArgs?: Record<string, string>;
  ignorePreflightErrors?: string[];
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  imagePullSerial?: boolean;
}

export interface APIEndpointConfig {
  advertiseAddress?: string;
  bindPort?: number;
}

export interface BootstrapToken {
  token: string;
  description?: string;
  ttl?: Duration;
  expires?: string;
  usages?: string[];
  groups?: string[];
}

export interface InitConfiguration {
  apiVersion?: string;
  kind?: string;
  bootstrapTokens?: BootstrapToken[];
  nodeRegistration?: NodeRegistrationOptions;
  localAPIEndpoint?: APIEndpointConfig;
  skipPhases?: string[];
  patches?: { directory?: string };
}

export interface JoinConfiguration {
  apiVersion?: string;
  kind?: string;
  nodeRegistration?: NodeRegistrationOptions;
  caCertPath?: string;
  discovery?: {
    bootstrapToken?: {
      token?: string;
      apiServerEndpoint?: string;
      caCertHashes?: string[];
      unsafeSkipCAVerification?: boolean;
    };
    file?: { kubeConfigPath: string; kubeConfig?: Record<string, unknown> };
    tlsBootstrapToken?: string;
    timeout?: Duration;
  };
  controlPlane?: { localAPIEndpoint?: APIEndpointConfig };
  skipPhases?: string[];
  patches?: { directory?: string };
}

export interface SecretKeySource {
  secret: { name: string; key: string };
}

export interface BootstrapFile {
  path: string;
  owner?: string;
  permissions?: string;
  encoding?: 'base64' | 'gzip' | 'gzip+base64';
  append?: boolean;
  content?: string;
  contentFrom?: SecretKeySource;
  contentFormat?: 'Raw' | 'Template';
}

export interface BootstrapUser {
  name: string;
  gecos?: string;
  groups?: string;
  homeDir?: string;
  inactive?: boolean;
  shell?: string;
  passwd?: string;
  passwdFrom?: SecretKeySource;
  primaryGroup?: string;
  lockPassword?: boolean;
  sudo?: string;
  sshAuthorizedKeys?: string[];
}

export interface KubeadmConfigSpec {
  clusterConfiguration?: ClusterConfiguration;
  initConfiguration?: InitConfiguration;
  joinConfiguration?: JoinConfiguration;
  files?: BootstrapFile[];
  diskSetup?: Record<string, unknown>;
  mounts?: string[][];
  bootCommands?: string[];
  preKubeadmCommands?: string[];
  postKubeadmCommands?: string[];
  users?: BootstrapUser[];
  ntp?: { servers?: string[]; enabled?: boolean };
  format?: BootstrapFormat;
  verbosity?: number;
  useExperimentalRetryJoin?: boolean;
  ignition?: { containerLinuxConfig?: { additionalConfig?: string; strict?: boolean } };
}

export interface KubeadmConfigStatus {
  ready?: boolean;
  dataSecretName?: string;
  failureReason?: string;
  failureMessage?: string;
  observedGeneration?: number;
  conditions?: Condition[];
  v1beta2?: V1Beta2Status;
}

export interface KubeadmConfig extends KubeObject {
  spec?: KubeadmConfigSpec;
  status?: KubeadmConfigStatus;
}

export interface KubeadmConfigTemplate extends KubeObject {
  spec: TemplateSpec<KubeadmConfigSpec>;
}
