import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { deploymentStrategy } from './deployment.js';

/** `kubectl create deployment nginx --image=nginx --dry-run=client -o yaml`, as sent. */
function kubectlCreateDeployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      creationTimestamp: null as unknown as string,
      labels: { app: 'nginx' },
      name: 'nginx',
      namespace: 'default',
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'nginx' } },
      strategy: {},
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'nginx' } },
        spec: { containers: [{ image: 'nginx', name: 'nginx', resources: {} }] },
      },
    },
    status: {},
  };
}

function admit(obj: KubeObject): string[] {
  deploymentStrategy.applyDefaults!(obj);
  return deploymentStrategy.validate!(obj).map((e) => fieldErrorMessage(e));
}

describe('Deployment defaults', () => {
  it('match what `kubectl get deployment -o yaml` shows from a real cluster', () => {
    const d = kubectlCreateDeployment();
    expect(admit(d)).toEqual([]);
    expect(d.spec).toEqual({
      progressDeadlineSeconds: 600,
      replicas: 1,
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'nginx' } },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'nginx' } },
        spec: {
          containers: [
            {
              image: 'nginx',
              imagePullPolicy: 'Always',
              name: 'nginx',
              resources: {},
              terminationMessagePath: '/dev/termination-log',
              terminationMessagePolicy: 'File',
            },
          ],
          dnsPolicy: 'ClusterFirst',
          restartPolicy: 'Always',
          schedulerName: 'default-scheduler',
          securityContext: {},
          terminationGracePeriodSeconds: 30,
        },
      },
    });
  });

  it('defaults replicas to 1 and leaves a Recreate strategy without rolling parameters', () => {
    const d = kubectlCreateDeployment();
    const spec = d.spec as Record<string, unknown>;
    delete spec.replicas;
    spec.strategy = { type: 'Recreate' };
    expect(admit(d)).toEqual([]);
    expect(spec.replicas).toBe(1);
    expect(spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('keeps values the user gave', () => {
    const d = kubectlCreateDeployment();
    const spec = d.spec as Record<string, unknown>;
    spec.replicas = 0;
    spec.strategy = { rollingUpdate: { maxSurge: 1 } };
    admit(d);
    expect(spec.replicas).toBe(0);
    expect(spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' },
    });
  });
});

describe('Deployment validation', () => {
  it('requires a selector, and says the template is not selected', () => {
    const d = kubectlCreateDeployment();
    delete (d.spec as Record<string, unknown>).selector;
    expect(admit(d)).toEqual([
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: {"app":"nginx"}: `selector` does not match template `labels`',
    ]);
  });

  it('refuses a selector that does not match the template labels', () => {
    const d = kubectlCreateDeployment();
    (d.spec as Record<string, unknown>).selector = { matchLabels: { app: 'web' } };
    expect(admit(d)).toEqual([
      'spec.template.metadata.labels: Invalid value: {"app":"nginx"}: `selector` does not match template `labels`',
    ]);
  });

  it('refuses an empty selector and negative replicas', () => {
    const d = kubectlCreateDeployment();
    const spec = d.spec as Record<string, unknown>;
    spec.selector = {};
    spec.replicas = -1;
    expect(admit(d)).toEqual([
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.selector: Invalid value: {}: empty selector is invalid for deployment',
    ]);
  });

  it('only accepts restartPolicy Always in the template', () => {
    const d = kubectlCreateDeployment();
    (d.spec as { template: { spec: Record<string, unknown> } }).template.spec.restartPolicy = 'Never';
    expect(admit(d)).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  it('checks the rolling update parameters', () => {
    const d = kubectlCreateDeployment();
    (d.spec as Record<string, unknown>).strategy = {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: '150%' },
    };
    expect(admit(d)).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "150%": must not be greater than 100%',
    ]);
    (d.spec as Record<string, unknown>).strategy = {
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 0 },
    };
    expect(admit(d)).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]);
    (d.spec as Record<string, unknown>).strategy = { type: 'BlueGreen' };
    expect(admit(d)).toEqual([
      'spec.strategy: Unsupported value: {"type":"BlueGreen"}: supported values: "Recreate", "RollingUpdate"',
    ]);
  });

  it('checks the template’s pod spec with template paths', () => {
    const d = kubectlCreateDeployment();
    (d.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec
      .containers[0]!.image = '';
    expect(admit(d)).toEqual(['spec.template.spec.containers[0].image: Required value']);
  });
});

describe('Deployment updates', () => {
  it('keep the selector', () => {
    const old = kubectlCreateDeployment();
    admit(old);
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>).selector = { matchLabels: { app: 'nginx', tier: 'web' } };
    expect(deploymentStrategy.validateUpdate!(next, old).map((e) => fieldErrorMessage(e))).toEqual([
      'spec.selector: Invalid value: {"matchLabels":{"app":"nginx","tier":"web"}}: field is immutable',
    ]);
    const scaled = structuredClone(old);
    (scaled.spec as Record<string, unknown>).replicas = 5;
    expect(deploymentStrategy.validateUpdate!(scaled, old)).toEqual([]);
  });

  it('bump the generation when annotations change', () => {
    const old = kubectlCreateDeployment();
    old.metadata.generation = 3;
    const next = structuredClone(old);
    next.metadata.annotations = { 'kubernetes.io/change-cause': 'rollout' };
    deploymentStrategy.prepareForUpdate!(next, old);
    expect(next.metadata.generation).toBe(4);
  });

  it('check status counters written through the status subresource', () => {
    const old = kubectlCreateDeployment();
    const next = structuredClone(old);
    next.status = { replicas: 1, readyReplicas: 2, availableReplicas: 1 };
    expect(deploymentStrategy.validateUpdate!(next, old).map((e) => fieldErrorMessage(e))).toEqual([
      'status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas',
    ]);
  });
});

describe('Deployment table', () => {
  it('prints READY, UP-TO-DATE, AVAILABLE and the wide containers, images and selector', () => {
    const d = kubectlCreateDeployment();
    admit(d);
    d.metadata.creationTimestamp = '2026-03-01T11:00:00Z';
    d.spec = { ...(d.spec as object), replicas: 3 };
    d.status = { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 };
    const table = deploymentStrategy.table!;
    expect(table.columns.map((c) => c.name)).toEqual([
      'Name',
      'Ready',
      'Up-to-date',
      'Available',
      'Age',
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(table.cells(d, new Date('2026-03-01T12:00:00Z'))).toEqual([
      'nginx',
      '2/3',
      3,
      2,
      '60m',
      'nginx',
      'nginx',
      'app=nginx',
    ]);
  });
});
