// bootstrap.cluster.x-k8s.io/v1beta1: KubeadmConfig and KubeadmConfigTemplate, with the kubeadm
// configuration types (ClusterConfiguration, InitConfiguration, JoinConfiguration) that the
// KubeadmControlPlane embeds as well.

import type { KubeObject } from '../../../../machinery/object.js';
import type { Schema } from '../../../../machinery/schema.js';
import {
  array,
  bool,
  duration,
  int32,
  int64,
  map,
  object,
  oneOf,
  quantity,
  string,
  time,
} from '../../schema.js';
import {
  AGE_COLUMN,
  bounded,
  CLUSTER_LABEL_COLUMN,
  capiObjectMeta,
  crdMaker,
  failureFields,
  V1BETA1,
  v1beta1Conditions,
  v1beta2Status,
} from '../common.js';
import { BOOTSTRAP_GROUP } from './constants.js';

/** The labels Cluster API's kubeadm bootstrap provider puts on its CRDs. */
export const BOOTSTRAP_CRD_LABELS = {
  'cluster.x-k8s.io/provider': 'bootstrap-kubeadm',
  'cluster.x-k8s.io/v1beta1': V1BETA1,
};
const makeCrd = crdMaker(BOOTSTRAP_GROUP, V1BETA1, BOOTSTRAP_CRD_LABELS);

const strings = (maxItems: number, itemMax: number, description: string) =>
  array(bounded(1, itemMax), { maxItems, description });

/** corev1.EnvVar, for the extra environment of control plane components. */
function envVars(): Schema {
  const keyRef = (what: string) =>
    object(
      {
        key: string({ description: `The key in the ${what}.` }),
        name: string({ default: '', description: `The ${what}.` }),
        optional: bool({ description: `Whether the ${what} or key may be missing.` }),
      },
      { required: ['key'], mapType: 'atomic', description: `A key of a ${what}.` },
    );
  return array(
    object(
      {
        name: string({ description: 'The variable name.' }),
        value: string({ description: 'The value.' }),
        valueFrom: object(
          {
            configMapKeyRef: keyRef('ConfigMap'),
            fieldRef: object(
              {
                apiVersion: string({ description: 'The version of the schema of fieldPath.' }),
                fieldPath: string({ description: 'The field of the pod.' }),
              },
              { required: ['fieldPath'], mapType: 'atomic', description: 'A field of the pod.' },
            ),
            fileKeyRef: object(
              {
                key: string({ description: 'The key in the file.' }),
                optional: bool({ default: false, description: 'Whether the file or key may be missing.' }),
                path: string({ description: 'The file, relative to the volume.' }),
                volumeName: string({ description: 'The volume holding the file.' }),
              },
              {
                required: ['key', 'path', 'volumeName'],
                mapType: 'atomic',
                description: 'A key of an env file.',
              },
            ),
            resourceFieldRef: object(
              {
                containerName: string({ description: 'The container.' }),
                divisor: quantity({ description: 'The unit of the value.' }),
                resource: string({ description: 'The resource (limits.cpu ...).' }),
              },
              { required: ['resource'], mapType: 'atomic', description: 'A resource of the container.' },
            ),
            secretKeyRef: keyRef('Secret'),
          },
          { description: 'Where the value comes from.' },
        ),
      },
      { required: ['name'] },
    ),
    { maxItems: 100, description: 'Extra environment variables of the component.' },
  );
}

/** ControlPlaneComponent: extra arguments, environment and volumes of one control plane component. */
function controlPlaneComponent(what: string, extra: Record<string, Schema> = {}): Schema {
  return object(
    {
      extraArgs: map(string(), { description: `Extra command line flags of ${what} (without "--").` }),
      extraEnvs: envVars(),
      extraVolumes: array(
        object(
          {
            hostPath: bounded(1, 512, 'The path on the host.'),
            mountPath: bounded(1, 512, 'The path in the pod.'),
            name: bounded(1, 512, 'The volume name.'),
            pathType: string({ description: 'The type of the host path.' }),
            readOnly: bool({ description: 'Mount read-only.' }),
          },
          { required: ['hostPath', 'mountPath', 'name'] },
        ),
        { maxItems: 100, description: 'Extra host paths mounted into the static pod.' },
      ),
      ...extra,
    },
    { description: `Settings of ${what}.` },
  );
}

function clusterConfiguration(): Schema {
  return object(
    {
      apiServer: controlPlaneComponent('the API server', {
        certSANs: strings(100, 253, 'Extra names of the API server certificate.'),
        timeoutForControlPlane: duration({ description: 'How long to wait for the control plane to start.' }),
      }),
      apiVersion: string({ description: 'The kubeadm API version (set by the provider).' }),
      caCertificateValidityPeriodDays: int32({
        minimum: 1,
        maximum: 36500,
        description: 'Days a new CA is valid.',
      }),
      certificateValidityPeriodDays: int32({
        minimum: 1,
        maximum: 1095,
        description: 'Days new non-CA certificates are valid.',
      }),
      certificatesDir: bounded(1, 512, 'Where certificates are stored.'),
      clusterName: bounded(1, 63, 'The cluster name.'),
      controlPlaneEndpoint: bounded(1, 512, 'A stable address (and port) of the control plane.'),
      controllerManager: controlPlaneComponent('the controller manager'),
      dns: object(
        {
          imageRepository: bounded(1, 512, 'Where the DNS image comes from.'),
          imageTag: bounded(1, 256, 'The DNS image tag.'),
        },
        { description: 'The cluster DNS add-on.' },
      ),
      encryptionAlgorithm: oneOf(['ECDSA-P256', 'ECDSA-P384', 'RSA-2048', 'RSA-3072', 'RSA-4096'], {
        description: 'The key algorithm of certificates.',
      }),
      etcd: object(
        {
          external: object(
            {
              caFile: bounded(1, 512, 'The CA file for etcd.'),
              certFile: bounded(1, 512, 'The client certificate for etcd.'),
              endpoints: strings(50, 512, 'The etcd members.'),
              keyFile: bounded(1, 512, 'The client key for etcd.'),
            },
            {
              required: ['caFile', 'certFile', 'endpoints', 'keyFile'],
              description: 'An etcd run elsewhere.',
            },
          ),
          local: object(
            {
              dataDir: bounded(1, 512, 'Where etcd keeps its data.'),
              extraArgs: map(string(), { description: 'Extra command line flags of etcd.' }),
              extraEnvs: envVars(),
              imageRepository: bounded(1, 512, 'Where the etcd image comes from.'),
              imageTag: bounded(1, 256, 'The etcd image tag.'),
              peerCertSANs: strings(100, 253, 'Extra names of the peer certificate.'),
              serverCertSANs: strings(100, 253, 'Extra names of the server certificate.'),
            },
            { description: 'An etcd run by kubeadm on the control plane Machines.' },
          ),
        },
        { description: 'Where etcd runs.' },
      ),
      featureGates: map(bool(), { description: 'kubeadm feature gates.' }),
      imageRepository: bounded(1, 512, 'Where control plane images come from.'),
      kind: string({ description: 'The kubeadm kind (set by the provider).' }),
      kubernetesVersion: bounded(1, 256, 'The Kubernetes version (set by the provider).'),
      networking: object(
        {
          dnsDomain: bounded(1, 253, 'The DNS domain of Services.'),
          podSubnet: bounded(1, 1024, 'The pod network CIDR.'),
          serviceSubnet: bounded(1, 1024, 'The Service network CIDR.'),
        },
        { description: 'The cluster networks (set from the Cluster).' },
      ),
      scheduler: controlPlaneComponent('the scheduler'),
    },
    { description: 'Cluster-wide kubeadm settings for kubeadm init.' },
  );
}

function nodeRegistration(): Schema {
  return object(
    {
      criSocket: bounded(1, 512, 'The CRI socket.'),
      ignorePreflightErrors: strings(50, 512, 'Preflight errors to ignore.'),
      imagePullPolicy: oneOf(['Always', 'IfNotPresent', 'Never'], {
        description: 'How control plane images are pulled; default IfNotPresent.',
      }),
      imagePullSerial: bool({ description: 'Pull images one at a time.' }),
      kubeletExtraArgs: map(string(), { description: 'Extra kubelet flags (without "--").' }),
      name: bounded(1, 253, 'The Node name.'),
      taints: array(
        object(
          {
            effect: string({ description: 'The taint effect.' }),
            key: string({ description: 'The taint key.' }),
            timeAdded: time({ description: 'When the taint was added.' }),
            value: string({ description: 'The taint value.' }),
          },
          { required: ['effect', 'key'] },
        ),
        { maxItems: 100, description: 'Taints the Node registers with.' },
      ),
    },
    { description: 'How the Node registers itself.' },
  );
}

const PATCHES = () =>
  object(
    { directory: bounded(1, 512, 'A directory of kubeadm patch files.') },
    { description: 'kubeadm patches.' },
  );

const LOCAL_API_ENDPOINT = () =>
  object(
    {
      advertiseAddress: bounded(1, 39, 'The address the API server advertises.'),
      bindPort: int32({ description: 'The port the API server binds to.' }),
    },
    { description: 'The API server of this Node.' },
  );

function initConfiguration(): Schema {
  return object(
    {
      apiVersion: string({ description: 'The kubeadm API version (set by the provider).' }),
      bootstrapTokens: array(
        object(
          {
            description: bounded(1, 512, 'What the token is for.'),
            expires: time({ description: 'When the token expires.' }),
            groups: strings(100, 256, 'Extra groups of the token.'),
            token: string({ description: 'The token, "abcdef.0123456789abcdef".' }),
            ttl: duration({ description: 'How long the token lives.' }),
            usages: strings(100, 256, 'What the token may be used for.'),
          },
          { required: ['token'] },
        ),
        { maxItems: 100, description: 'Bootstrap tokens to create.' },
      ),
      kind: string({ description: 'The kubeadm kind (set by the provider).' }),
      localAPIEndpoint: LOCAL_API_ENDPOINT(),
      nodeRegistration: nodeRegistration(),
      patches: PATCHES(),
      skipPhases: strings(50, 256, 'kubeadm init phases to skip.'),
    },
    { description: 'Node-specific settings for kubeadm init.' },
  );
}

function joinConfiguration(): Schema {
  return object(
    {
      apiVersion: string({ description: 'The kubeadm API version (set by the provider).' }),
      caCertPath: bounded(1, 512, 'Where the cluster CA is stored on the Node.'),
      controlPlane: object(
        { localAPIEndpoint: LOCAL_API_ENDPOINT() },
        { description: 'Set when the Node joins as a control plane Node.' },
      ),
      discovery: object(
        {
          bootstrapToken: object(
            {
              apiServerEndpoint: bounded(1, 512, 'The API server to discover from.'),
              caCertHashes: strings(100, 512, 'Hashes of the expected CA public key.'),
              token: bounded(1, 512, 'The token.'),
              unsafeSkipCAVerification: bool({ description: 'Join without checking the CA.' }),
            },
            { description: 'Discovery with a bootstrap token.' },
          ),
          file: object(
            {
              kubeConfig: object(
                {
                  cluster: object(
                    {
                      certificateAuthorityData: string({
                        format: 'byte',
                        minLength: 1,
                        maxLength: 51200,
                        description: 'The CA, PEM, base64.',
                      }),
                      insecureSkipTLSVerify: bool({ description: 'Skip checking the server certificate.' }),
                      proxyURL: bounded(1, 512, 'A proxy for the requests.'),
                      server: bounded(1, 512, 'The API server URL.'),
                      tlsServerName: bounded(1, 512, 'The server name to check the certificate against.'),
                    },
                    { description: 'The cluster to join.' },
                  ),
                  user: object(
                    {
                      authProvider: object(
                        {
                          config: map(string(), { description: 'The provider settings.' }),
                          name: bounded(1, 256, 'The provider.'),
                        },
                        { required: ['name'], description: 'An authentication provider.' },
                      ),
                      exec: object(
                        {
                          apiVersion: bounded(
                            1,
                            512,
                            'The ExecCredential version; default client.authentication.k8s.io/v1.',
                          ),
                          args: strings(100, 512, 'Arguments.'),
                          command: bounded(1, 1024, 'The command.'),
                          env: array(
                            object(
                              { name: bounded(1, 512, 'The name.'), value: bounded(1, 512, 'The value.') },
                              { required: ['name', 'value'] },
                            ),
                            { maxItems: 100, description: 'Extra environment.' },
                          ),
                          provideClusterInfo: bool({ description: 'Pass the cluster to the command.' }),
                        },
                        { required: ['command'], description: 'A credential command.' },
                      ),
                    },
                    { description: 'How to authenticate.' },
                  ),
                },
                { required: ['user'], description: 'A kubeconfig generated by the provider.' },
              ),
              kubeConfigPath: bounded(1, 512, 'Where the kubeconfig file is.'),
            },
            { required: ['kubeConfigPath'], description: 'Discovery with a kubeconfig file.' },
          ),
          timeout: duration({ description: 'How long discovery may take.' }),
          tlsBootstrapToken: bounded(1, 512, 'The token for the TLS bootstrap.'),
        },
        { description: 'How the Node finds the cluster.' },
      ),
      kind: string({ description: 'The kubeadm kind (set by the provider).' }),
      nodeRegistration: nodeRegistration(),
      patches: PATCHES(),
      skipPhases: strings(50, 256, 'kubeadm join phases to skip.'),
    },
    { description: 'Settings for kubeadm join.' },
  );
}

function secretKey(what: string): Schema {
  return object(
    {
      secret: object(
        { key: bounded(1, 256, 'The key in the Secret.'), name: bounded(1, 253, 'The Secret.') },
        { required: ['key', 'name'], description: 'A key of a Secret.' },
      ),
    },
    { required: ['secret'], description: `Where the ${what} comes from.` },
  );
}

/** KubeadmConfigSpec: everything a Machine's bootstrap data is rendered from. */
export function kubeadmConfigSpec(description = 'How the Machine is bootstrapped with kubeadm.'): Schema {
  return object(
    {
      bootCommands: strings(1000, 10240, 'Commands run early in boot (cloud-init bootcmd).'),
      clusterConfiguration: clusterConfiguration(),
      diskSetup: object(
        {
          filesystems: array(
            object(
              {
                device: bounded(1, 256, 'The device.'),
                extraOpts: strings(100, 256, 'Extra mkfs options.'),
                filesystem: bounded(1, 128, 'The file system type.'),
                label: bounded(1, 512, 'The file system label.'),
                overwrite: bool({ description: 'Overwrite an existing file system.' }),
                partition: bounded(1, 128, 'The partition.'),
                replaceFS: bounded(1, 128, 'Replace this file system.'),
              },
              { required: ['device', 'filesystem'] },
            ),
            { maxItems: 100, description: 'File systems to create.' },
          ),
          partitions: array(
            object(
              {
                device: bounded(1, 256, 'The device.'),
                diskLayout: array(
                  object(
                    {
                      partitionType: bounded(
                        1,
                        36,
                        'Linux, LinuxSwap, LinuxRAID, LVM, Fat32, NTFS, LinuxExtended or a GPT GUID.',
                      ),
                      percentage: int32({ minimum: 1, maximum: 100, description: 'Share of the disk.' }),
                    },
                    { required: ['percentage'] },
                  ),
                  { minItems: 1, maxItems: 100, description: 'The partitions, in order.' },
                ),
                layout: bool({ description: 'Whether to lay the partitions out.' }),
                overwrite: bool({ description: 'Overwrite existing partitions.' }),
                tableType: oneOf(['mbr', 'gpt'], { description: 'The partition table type.' }),
              },
              { required: ['device', 'layout'] },
            ),
            { maxItems: 100, description: 'Partitions to create.' },
          ),
        },
        { description: 'Disk partitions and file systems.' },
      ),
      files: array(
        object(
          {
            append: bool({ description: 'Append to the file instead of replacing it.' }),
            content: bounded(1, 10240, 'The file content.'),
            contentFormat: oneOf(['Raw', 'Template'], { description: 'Whether content is a Go template.' }),
            contentFrom: secretKey('content'),
            encoding: oneOf(['base64', 'gzip', 'gzip+base64'], { description: 'How content is encoded.' }),
            owner: bounded(1, 256, 'user:group owning the file.'),
            path: bounded(1, 512, 'Where the file goes.'),
            permissions: bounded(1, 16, 'The file mode, e.g. "0640".'),
          },
          { required: ['path'] },
        ),
        { maxItems: 200, description: 'Files to write on the Machine.' },
      ),
      format: oneOf(['cloud-config', 'ignition'], {
        description: 'The bootstrap data format; default cloud-config.',
      }),
      ignition: object(
        {
          containerLinuxConfig: object(
            {
              additionalConfig: bounded(1, 32768, 'Extra Container Linux config, YAML.'),
              strict: bool({ description: 'Fail on warnings.' }),
            },
            { description: 'Container Linux config.' },
          ),
        },
        { description: 'Ignition settings (format ignition).' },
      ),
      initConfiguration: initConfiguration(),
      joinConfiguration: joinConfiguration(),
      mounts: array(array(bounded(1, 512)), {
        maxItems: 100,
        description: 'Mount points (cloud-init mounts).',
      }),
      ntp: object(
        {
          enabled: bool({ description: 'Whether to configure NTP.' }),
          servers: strings(100, 512, 'NTP servers.'),
        },
        { description: 'NTP settings.' },
      ),
      postKubeadmCommands: strings(1000, 10240, 'Commands run after kubeadm.'),
      preKubeadmCommands: strings(1000, 10240, 'Commands run before kubeadm.'),
      useExperimentalRetryJoin: bool({ description: 'Deprecated: retry kubeadm join.' }),
      users: array(
        object(
          {
            gecos: bounded(1, 256, 'The GECOS field.'),
            groups: bounded(1, 256, 'Extra groups, comma separated.'),
            homeDir: bounded(1, 256, 'The home directory.'),
            inactive: bool({ description: 'Create the user inactive.' }),
            lockPassword: bool({ description: 'Lock the password.' }),
            name: bounded(1, 256, 'The user name.'),
            passwd: bounded(1, 256, 'A password hash.'),
            passwdFrom: secretKey('password hash'),
            primaryGroup: bounded(1, 256, 'The primary group.'),
            shell: bounded(1, 256, 'The login shell.'),
            sshAuthorizedKeys: strings(100, 2048, 'SSH public keys.'),
            sudo: bounded(1, 256, 'A sudoers rule.'),
          },
          { required: ['name'] },
        ),
        { maxItems: 100, description: 'Users to create.' },
      ),
      verbosity: int32({ description: 'kubeadm log verbosity (--v).' }),
    },
    { description },
  );
}

export const kubeadmConfigCrd: KubeObject = makeCrd({
  kind: 'KubeadmConfig',
  plural: 'kubeadmconfigs',
  status: true,
  printerColumns: [CLUSTER_LABEL_COLUMN, AGE_COLUMN],
  schema: object(
    {
      spec: kubeadmConfigSpec(),
      status: object(
        {
          conditions: v1beta1Conditions(),
          dataSecretName: bounded(1, 253, 'The Secret holding the bootstrap data.'),
          ...failureFields(256),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          ready: bool({ description: 'Whether the bootstrap data is ready.' }),
          v1beta2: v1beta2Status(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: 'The kubeadm bootstrap configuration of one Machine.' },
  ),
});

export const kubeadmConfigTemplateCrd: KubeObject = makeCrd({
  kind: 'KubeadmConfigTemplate',
  plural: 'kubeadmconfigtemplates',
  printerColumns: [AGE_COLUMN],
  schema: object(
    {
      spec: object(
        {
          template: object(
            {
              metadata: capiObjectMeta('Labels and annotations of the KubeadmConfigs made from this.'),
              spec: kubeadmConfigSpec(),
            },
            { description: 'The KubeadmConfig each Machine gets.' },
          ),
        },
        { required: ['template'], description: 'The desired state.' },
      ),
    },
    { description: 'A template for KubeadmConfigs of Machines.' },
  ),
});

export const bootstrapCrds: KubeObject[] = [kubeadmConfigCrd, kubeadmConfigTemplateCrd];
