import { describe, expect, it } from 'vitest';
import { admit, type Doc, newObject } from '../test-support.js';
import { kubeadmConfigStrategy, kubeadmConfigTemplateStrategy } from './strategy.js';

const V = 'bootstrap.cluster.x-k8s.io/v1beta1';

describe('KubeadmConfig', () => {
  it('defaults the format, the image pull policy and the exec credential version', () => {
    const config = newObject(V, 'KubeadmConfig', 'c', {
      joinConfiguration: {
        discovery: { file: { kubeConfigPath: '/k', kubeConfig: { user: { exec: { command: 'token' } } } } },
      },
    });
    const { obj, errors } = admit(kubeadmConfigStrategy, config);
    expect(errors).toEqual([]);
    expect(obj.spec).toEqual({
      format: 'cloud-config',
      joinConfiguration: {
        nodeRegistration: { imagePullPolicy: 'IfNotPresent' },
        discovery: {
          file: {
            kubeConfigPath: '/k',
            kubeConfig: {
              user: { exec: { command: 'token', apiVersion: 'client.authentication.k8s.io/v1' } },
            },
          },
        },
      },
    });
  });

  it('refuses conflicting file and password sources, duplicate paths, ignition, and a kubeconfig user without credentials', () => {
    const config = newObject(V, 'KubeadmConfig', 'c', {
      format: 'ignition',
      files: [
        { path: '/a', content: 'x', contentFrom: { secret: { name: 's', key: '' } } },
        { path: '/a', content: 'y' },
      ],
      users: [{ name: 'u', passwd: 'p', passwdFrom: { secret: { name: '', key: 'k' } } }],
      joinConfiguration: { discovery: { file: { kubeConfigPath: '/k', kubeConfig: { user: {} } } } },
      diskSetup: {
        partitions: [
          { device: '/dev/sda', layout: true, diskLayout: [{ percentage: 100, partitionType: 'ext9' }] },
        ],
      },
    });
    expect(admit(kubeadmConfigStrategy, config).errors).toEqual([
      expect.stringMatching(
        /^spec\.files\[0\]: Invalid value: .*only one of content or contentFrom may be specified for a single file$/,
      ),
      'spec.files[0].contentFrom.secret.key: Required value: secret file source must specify non-empty secret key',
      'spec.files[1].path: Invalid value: "/a": path property must be unique among all files',
      expect.stringMatching(
        /^spec\.users\[0\]: Invalid value: .*only one of passwd or passwdFrom may be specified for a single user$/,
      ),
      'spec.users[0].passwdFrom.secret.name: Required value: secret file source must specify non-empty secret name',
      'spec.format: Forbidden: can be set only if the KubeadmBootstrapFormatIgnition feature gate is enabled',
      'spec.joinConfiguration.discovery.file.kubeConfig.user: Invalid value: {}: at least one of authProvider or exec must be defined',
      'spec.diskSetup.partitions[0].diskLayout[0].partitionType: Invalid value: "ext9": partitionType must be one of Linux, LinuxSwap, LinuxRAID, LVM, Fat32, NTFS, LinuxExtended or a full GPT partition GUID',
    ]);
  });
});

describe('KubeadmConfigTemplate', () => {
  it('defaults and validates the template spec, and the template metadata', () => {
    const template = newObject(V, 'KubeadmConfigTemplate', 't', {
      template: { metadata: { labels: { 'bad label': 'x' } }, spec: { initConfiguration: {} } },
    });
    const { obj, errors } = admit(kubeadmConfigTemplateStrategy, template);
    expect((obj.spec as Doc).template.spec).toEqual({
      format: 'cloud-config',
      initConfiguration: { nodeRegistration: { imagePullPolicy: 'IfNotPresent' } },
    });
    expect(errors).toEqual([
      expect.stringMatching(/^spec\.template\.metadata\.labels: Invalid value: "bad label"/),
    ]);
  });
});
