// The bootstrap data a KubeadmConfig produces: the cloud-config a host would run, with the
// kubeadm configuration it gives `kubeadm init` or `kubeadm join`. Simulated hosts never run it;
// it is written as Cluster API's kubeadm provider writes it so that users and tools reading the
// Secret find what they expect (files, commands, the kubeadm configuration).

import { stringify } from 'yaml';
import type { KubeadmConfigSpec } from '../../apis/cluster-api/index.js';

export type BootstrapRole = 'init' | 'join-control-plane' | 'join-worker';

export interface BootstrapDataInput {
  role: BootstrapRole;
  spec: KubeadmConfigSpec;
  clusterName: string;
  /** host:port of the control plane endpoint, when known. */
  controlPlaneEndpoint?: string;
  /** The Kubernetes version of the Machine. */
  version?: string;
}

function kubeadmDocuments(input: BootstrapDataInput): string {
  const { spec } = input;
  const docs: unknown[] = [];
  if (input.role === 'init') {
    docs.push({
      apiVersion: 'kubeadm.k8s.io/v1beta3',
      kind: 'ClusterConfiguration',
      ...spec.clusterConfiguration,
      clusterName: spec.clusterConfiguration?.clusterName ?? input.clusterName,
      ...(input.controlPlaneEndpoint ? { controlPlaneEndpoint: input.controlPlaneEndpoint } : {}),
      ...(input.version ? { kubernetesVersion: input.version } : {}),
    });
    docs.push({ apiVersion: 'kubeadm.k8s.io/v1beta3', kind: 'InitConfiguration', ...spec.initConfiguration });
  } else {
    const join = { ...spec.joinConfiguration };
    if (input.role === 'join-control-plane') join.controlPlane ??= {};
    docs.push({
      apiVersion: 'kubeadm.k8s.io/v1beta3',
      kind: 'JoinConfiguration',
      ...join,
      discovery: {
        ...join.discovery,
        bootstrapToken: {
          ...(input.controlPlaneEndpoint ? { apiServerEndpoint: input.controlPlaneEndpoint } : {}),
          ...join.discovery?.bootstrapToken,
        },
      },
    });
  }
  return docs.map((d) => stringify(d)).join('---\n');
}

/** The cloud-config text of the bootstrap data Secret's `value`. */
export function bootstrapData(input: BootstrapDataInput): string {
  const { spec } = input;
  const command = input.role === 'init' ? 'kubeadm init' : 'kubeadm join';
  const cloudConfig = {
    write_files: [
      ...(spec.files ?? [])
        .filter((f) => f.content !== undefined)
        .map((f) => ({
          path: f.path,
          ...(f.owner ? { owner: f.owner } : {}),
          ...(f.permissions ? { permissions: f.permissions } : {}),
          ...(f.encoding ? { encoding: f.encoding } : {}),
          content: f.content,
        })),
      {
        path: '/run/kubeadm/kubeadm.yaml',
        owner: 'root:root',
        permissions: '0640',
        content: kubeadmDocuments(input),
      },
    ],
    runcmd: [
      ...(spec.preKubeadmCommands ?? []),
      `${command} --config /run/kubeadm/kubeadm.yaml${spec.verbosity !== undefined ? ` --v ${spec.verbosity}` : ''}`,
      ...(spec.postKubeadmCommands ?? []),
    ],
    ...(spec.users?.length ? { users: spec.users.map(({ passwdFrom: _p, ...u }) => u) } : {}),
    ...(spec.ntp?.enabled ? { ntp: spec.ntp } : {}),
  };
  return `## template: jinja\n#cloud-config\n\n${stringify(cloudConfig)}`;
}
