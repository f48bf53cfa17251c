import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../../machinery/object.js';
import { admit, type Doc, newObject, update } from '../test-support.js';
import { kubeadmControlPlaneStrategy, kubeadmControlPlaneTemplateStrategy } from './strategy.js';

const INFRA = {
  apiVersion: 'infrastructure.cluster.x-k8s.io/v1beta1',
  kind: 'DockerMachineTemplate',
  name: 'cp',
};

function kcp(spec: Record<string, unknown> = {}): KubeObject {
  return newObject('controlplane.cluster.x-k8s.io/v1beta1', 'KubeadmControlPlane', 'cp', {
    version: '1.31.0',
    machineTemplate: { infrastructureRef: INFRA },
    kubeadmConfigSpec: {
      clusterConfiguration: { apiServer: { certSANs: ['localhost'] } },
      initConfiguration: {},
    },
    ...spec,
  });
}

describe('KubeadmControlPlane', () => {
  it('defaults one replica, a rolling update of one extra Machine, the kubeadm defaults and the "v"', () => {
    const { obj, errors } = admit(kubeadmControlPlaneStrategy, kcp());
    expect(errors).toEqual([]);
    expect(obj.spec).toEqual({
      replicas: 1,
      version: 'v1.31.0',
      machineTemplate: { infrastructureRef: { ...INFRA, namespace: 'ns' } },
      rolloutStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
      kubeadmConfigSpec: {
        format: 'cloud-config',
        clusterConfiguration: { apiServer: { certSANs: ['localhost'] } },
        initConfiguration: { nodeRegistration: { imagePullPolicy: 'IfNotPresent' } },
      },
    });
  });

  it('needs an odd number of Machines with stacked etcd, and 3 to scale in', () => {
    expect(admit(kubeadmControlPlaneStrategy, kcp({ replicas: 2 })).errors).toEqual([
      'spec.replicas: Forbidden: cannot be an even number when etcd is stacked',
    ]);
    expect(admit(kubeadmControlPlaneStrategy, kcp({ replicas: 0 })).errors).toEqual([
      'spec.replicas: Forbidden: cannot be less than or equal to 0',
    ]);
    const external = {
      clusterConfiguration: {
        etcd: { external: { endpoints: ['https://e:2379'], caFile: 'a', certFile: 'b', keyFile: 'c' } },
      },
    };
    expect(
      admit(kubeadmControlPlaneStrategy, kcp({ replicas: 2, kubeadmConfigSpec: external })).errors,
    ).toEqual([]);
    expect(
      admit(
        kubeadmControlPlaneStrategy,
        kcp({ rolloutStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0 } } }),
      ).errors,
    ).toEqual([
      'spec.rolloutStrategy.rollingUpdate: Required value: when KubeadmControlPlane is configured to scale-in, replica count needs to be at least 3',
    ]);
  });

  it('checks versions, certificate rollouts, etcd and DNS settings', () => {
    const bad = kcp({
      version: 'v1.31',
      rolloutBefore: { certificatesExpiryDays: 3 },
      rolloutStrategy: { rollingUpdate: { maxSurge: 2 } },
      kubeadmConfigSpec: {
        clusterConfiguration: {
          dns: { imageTag: 'v1.11.1:latest' },
          etcd: {
            local: { imageTag: '3.5.16-0' },
            external: { endpoints: [], caFile: 'a', certFile: 'b', keyFile: 'c' },
          },
        },
      },
    });
    expect(admit(kubeadmControlPlaneStrategy, bad).errors).toEqual([
      'spec.version: Invalid value: "v1.31": must be a valid semantic version',
      'spec.rolloutBefore.certificatesExpiryDays: Invalid value: 3: must be greater than or equal to 7',
      'spec.rolloutStrategy.rollingUpdate.maxSurge: Required value: value must be 1 or 0',
      'spec.kubeadmConfigSpec.clusterConfiguration.dns.imageTag: Forbidden: tag v1.11.1:latest is invalid',
      'spec.kubeadmConfigSpec.clusterConfiguration.etcd.local: Forbidden: cannot have both external and local etcd',
    ]);
  });

  it('lets the fields Cluster API lets change change, and no others', () => {
    const change = (fn: (spec: Doc) => void) =>
      update(kubeadmControlPlaneStrategy, kcp(), (k) => fn(k.spec as Record<string, unknown>)).errors;
    expect(
      change((s) => {
        s.replicas = 3;
        s.version = 'v1.32.0';
        s.kubeadmConfigSpec.clusterConfiguration.apiServer.extraArgs = { v: '4' };
        s.kubeadmConfigSpec.joinConfiguration = { nodeRegistration: { kubeletExtraArgs: { a: 'b' } } };
        s.machineTemplate.infrastructureRef.name = 'cp-v2';
        s.machineTemplate.nodeDrainTimeout = '1m';
      }),
    ).toEqual([]);
    expect(
      change((s) => {
        s.kubeadmConfigSpec.clusterConfiguration.networking = { podSubnet: '10.0.0.0/16' };
        s.machineTemplate.infrastructureRef.namespace = 'other';
      }),
    ).toEqual([
      'spec.machineTemplate.infrastructureRef.namespace: Invalid value: "other": must match metadata.namespace',
      'spec.machineTemplate.infrastructureRef.namespace: Forbidden: cannot be modified',
      'spec.kubeadmConfigSpec.clusterConfiguration.networking.podSubnet: Forbidden: cannot be modified',
    ]);
    expect(change((s) => (s.version = 'v1.33.0'))).toEqual([
      'spec.version: Forbidden: cannot update Kubernetes version from v1.31.0 to v1.33.0',
    ]);
    expect(
      change((s) => {
        s.kubeadmConfigSpec.clusterConfiguration.etcd = {
          external: { endpoints: ['https://e:2379'], caFile: 'a', certFile: 'b', keyFile: 'c' },
        };
      }),
    ).toEqual([]);
  });
});

describe('KubeadmControlPlaneTemplate', () => {
  it('is defaulted like a KubeadmControlPlane and cannot change', () => {
    const template = newObject('controlplane.cluster.x-k8s.io/v1beta1', 'KubeadmControlPlaneTemplate', 't', {
      template: { spec: { kubeadmConfigSpec: { joinConfiguration: {} } } },
    });
    const { obj, errors } = admit(kubeadmControlPlaneTemplateStrategy, template);
    expect(errors).toEqual([]);
    expect((obj.spec as Doc).template.spec).toEqual({
      rolloutStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } },
      kubeadmConfigSpec: {
        format: 'cloud-config',
        joinConfiguration: { nodeRegistration: { imagePullPolicy: 'IfNotPresent' } },
      },
    });
    const changed = update(kubeadmControlPlaneTemplateStrategy, template, (t) => {
      (t.spec as Doc).template.spec.kubeadmConfigSpec.verbosity = 4;
    });
    expect(changed.errors).toEqual([
      expect.stringMatching(
        /^spec\.template\.spec: Invalid value: .*KubeadmControlPlaneTemplate spec\.template\.spec field is immutable\. Please create a new resource instead\.$/,
      ),
    ]);
  });
});
