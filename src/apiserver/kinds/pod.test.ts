import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { podGracePeriod, podSelectableFields, podStrategy } from './pod.js';
import { defaultPullPolicy } from './podspec-defaults.js';
import { computeQOSClass } from './qos.js';

/** What `kubectl run web --image=nginx:1.27 --port=80` sends. */
function kubectlRunPod(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { run: 'web' }, uid: 'u-1' },
    spec: {
      containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }], resources: {} }],
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
    },
    status: {},
  };
}

/** The order the REST machinery uses on create. */
function create(obj: KubeObject): KubeObject {
  delete obj.status;
  podStrategy.prepareForCreate!(obj);
  podStrategy.applyDefaults!(obj);
  return obj;
}

function messages(errs: FieldError[]): string[] {
  return errs.map((e) => fieldErrorMessage(e));
}

describe('Pod defaults', () => {
  it('fills what a real API server fills for `kubectl run`', () => {
    const pod = create(kubectlRunPod());
    expect(pod.spec).toEqual({
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          imagePullPolicy: 'IfNotPresent',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    });
    expect(pod.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect(podStrategy.validate!(pod)).toEqual([]);
  });

  it('pulls :latest and untagged images always, tagged and digested ones if not present', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx:latest')).toBe('Always');
    expect(defaultPullPolicy('registry.local:5000/team/app')).toBe('Always');
    expect(defaultPullPolicy('registry.local:5000/team/app:v2')).toBe('IfNotPresent');
    expect(defaultPullPolicy('nginx@sha256:0123456789abcdef')).toBe('IfNotPresent');
  });

  it('keeps a pull policy and grace period the user chose', () => {
    const pod = kubectlRunPod();
    const spec = pod.spec as {
      containers: Record<string, unknown>[];
      terminationGracePeriodSeconds?: number;
    };
    spec.containers[0]!.imagePullPolicy = 'Never';
    spec.terminationGracePeriodSeconds = 5;
    create(pod);
    expect(spec.containers[0]!.imagePullPolicy).toBe('Never');
    expect(spec.terminationGracePeriodSeconds).toBe(5);
  });

  it('copies limits to requests where no request is given, which makes the pod Guaranteed', () => {
    const pod = kubectlRunPod();
    (pod.spec as { containers: Record<string, unknown>[] }).containers[0]!.resources = {
      limits: { cpu: '500m', memory: '128Mi' },
    };
    create(pod);
    const c = (pod.spec as { containers: { resources: unknown }[] }).containers[0]!;
    expect(c.resources).toEqual({
      limits: { cpu: '500m', memory: '128Mi' },
      requests: { cpu: '500m', memory: '128Mi' },
    });
    expect((pod.status as { qosClass: string }).qosClass).toBe('Guaranteed');
  });

  it('does not add default tolerations a pod already has', () => {
    const pod = kubectlRunPod();
    (pod.spec as Record<string, unknown>).tolerations = [{ operator: 'Exists' }];
    create(pod);
    expect((pod.spec as Record<string, unknown>).tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('marks a pod with scheduling gates as gated', () => {
    const pod = kubectlRunPod();
    (pod.spec as Record<string, unknown>).schedulingGates = [{ name: 'wait' }];
    create(pod);
    expect((pod.status as { conditions: unknown[] }).conditions).toEqual([
      expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }),
    ]);
  });
});

describe('Pod QoS class', () => {
  const spec = (...resources: unknown[]) => ({
    containers: resources.map((r, i) => ({ name: `c${i}`, image: 'x', resources: r })),
  });
  it('is BestEffort without requests or limits', () => {
    expect(computeQOSClass(spec({}, {}))).toBe('BestEffort');
  });
  it('is Burstable when something is requested but not all is limited equally', () => {
    expect(computeQOSClass(spec({ requests: { cpu: '100m' } }))).toBe('Burstable');
    expect(
      computeQOSClass(
        spec({ requests: { cpu: '100m', memory: '1Gi' }, limits: { cpu: '200m', memory: '1Gi' } }),
      ),
    ).toBe('Burstable');
    expect(computeQOSClass(spec({ limits: { cpu: '1', memory: '1Gi' } }, {}))).toBe('Burstable');
  });
  it('is Guaranteed when every container limits cpu and memory at its requests', () => {
    expect(
      computeQOSClass(
        spec(
          { limits: { cpu: '1', memory: '1Gi' } },
          { requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '1', memory: '1Gi' } },
        ),
      ),
    ).toBe('Guaranteed');
  });
});

describe('Pod validation', () => {
  it('requires containers', () => {
    const pod = kubectlRunPod();
    (pod.spec as Record<string, unknown>).containers = [];
    expect(messages(podStrategy.validate!(create(pod)))).toContain('spec.containers: Required value');
  });

  it('names each bad container field with its path and Kubernetes message', () => {
    const pod = kubectlRunPod();
    (pod.spec as Record<string, unknown>).containers = [
      {
        name: 'Web',
        image: '',
        ports: [
          { containerPort: 70000, name: 'http' },
          { containerPort: 81, name: 'http' },
        ],
      },
      { name: 'sidecar', image: 'busybox' },
      { name: 'sidecar', image: 'busybox' },
    ];
    const errs = messages(podStrategy.validate!(create(pod)));
    expect(errs).toContain(
      `spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    );
    expect(errs).toContain('spec.containers[0].image: Required value');
    expect(errs).toContain(
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
    expect(errs).toContain('spec.containers[0].ports[1].name: Duplicate value: "http"');
    expect(errs).toContain('spec.containers[2].name: Duplicate value: "sidecar"');
  });

  it('refuses an unknown restart policy, listing the supported ones', () => {
    const pod = kubectlRunPod();
    (pod.spec as Record<string, unknown>).restartPolicy = 'Sometimes';
    expect(messages(podStrategy.validate!(create(pod)))).toContain(
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    );
  });

  it('checks volume mounts against volumes and requests against limits', () => {
    const pod = kubectlRunPod();
    const c = (pod.spec as { containers: Record<string, unknown>[] }).containers[0]!;
    c.volumeMounts = [{ name: 'data', mountPath: '/data' }];
    c.resources = { requests: { cpu: '2' }, limits: { cpu: '1' } };
    const errs = podStrategy.validate!(create(pod));
    expect(errs).toContainEqual({
      type: 'FieldValueNotFound',
      field: 'spec.containers[0].volumeMounts[0].name',
      badValue: 'data',
    });
    expect(messages(errs)).toContain(
      'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
    );
  });

  it('survives garbage where a spec should be', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'x' },
      spec: { containers: 'nope', volumes: 7, tolerations: [1] },
    };
    expect(() => create(pod)).not.toThrow();
    expect(messages(podStrategy.validate!(pod))).toContain('spec.containers: Required value');
  });
});

describe('Pod updates', () => {
  function created(): KubeObject {
    const pod = create(kubectlRunPod());
    pod.metadata.resourceVersion = '5';
    return pod;
  }

  it('may change container images and add tolerations', () => {
    const old = created();
    const next = structuredClone(old);
    const spec = next.spec as { containers: { image: string }[]; tolerations: unknown[] };
    spec.containers[0]!.image = 'nginx:1.28';
    spec.tolerations.push({ key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' });
    expect(podStrategy.validateUpdate!(next, old)).toEqual([]);
  });

  it('may not change anything else, and says which fields may change', () => {
    const old = created();
    const next = structuredClone(old);
    (next.spec as { containers: { ports: { containerPort: number }[] }[] }).containers[0]!
      .ports[0]!.containerPort = 8080;
    const errs = podStrategy.validateUpdate!(next, old);
    expect(errs).toHaveLength(1);
    expect(errs[0]!.field).toBe('spec');
    expect(errs[0]!.type).toBe('FieldValueForbidden');
    expect(errs[0]!.detail).toContain(
      'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
    expect(errs[0]!.detail).toContain('spec.containers[0].ports[0].containerPort: 80 -> 8080');
  });

  it('binds only through the binding subresource: nodeName is part of the immutable spec', () => {
    const old = created();
    const next = structuredClone(old);
    (next.spec as Record<string, unknown>).nodeName = 'node-1';
    expect(podStrategy.validateUpdate!(next, old)[0]!.field).toBe('spec');
  });

  it('refuses adding containers and removing tolerations', () => {
    const old = created();
    const more = structuredClone(old);
    (more.spec as { containers: unknown[] }).containers.push({ name: 'b', image: 'b' });
    expect(messages(podStrategy.validateUpdate!(more, old))).toEqual([
      'spec.containers: Forbidden: pod updates may not add or remove containers',
    ]);
    const fewer = structuredClone(old);
    (fewer.spec as { tolerations: unknown[] }).tolerations = [];
    expect(messages(podStrategy.validateUpdate!(fewer, old))).toContain(
      'spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds',
    );
  });
});

describe('Pod deletion', () => {
  const pod = (nodeName?: string, phase?: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { nodeName, terminationGracePeriodSeconds: 30, containers: [] },
    status: { phase },
  });

  it('is graceful for a bound, running pod: the pod spec or the request decides how long', () => {
    expect(podGracePeriod(pod('node-1', 'Running'), undefined)).toBe(30);
    expect(podGracePeriod(pod('node-1', 'Running'), 5)).toBe(5);
    expect(podGracePeriod(pod('node-1', 'Running'), 0)).toBe(0);
    expect(podGracePeriod(pod('node-1', 'Running'), -3)).toBe(1);
  });

  it('is immediate for unscheduled and finished pods', () => {
    expect(podGracePeriod(pod(undefined, 'Pending'), 30)).toBe(0);
    expect(podGracePeriod(pod('node-1', 'Succeeded'), undefined)).toBe(0);
    expect(podGracePeriod(pod('node-1', 'Failed'), 10)).toBe(0);
  });
});

describe('Pod field selectors', () => {
  it('supports the fields kubectl and controllers select on, even for an empty object', () => {
    const keys = Object.keys(podSelectableFields({ apiVersion: '', kind: '', metadata: {} }));
    expect(keys.sort()).toEqual(
      [
        'spec.hostNetwork',
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'status.nominatedNodeName',
        'status.phase',
        'status.podIP',
        'status.podIPs',
      ].sort(),
    );
  });

  it('reports a pod’s values', () => {
    const pod = create(kubectlRunPod());
    pod.spec = { ...(pod.spec as object), nodeName: 'node-1' };
    pod.status = { phase: 'Running', podIP: '10.0.0.5' };
    podStrategy.applyDefaults!(pod);
    expect(podSelectableFields(pod)).toMatchObject({
      'spec.nodeName': 'node-1',
      'status.phase': 'Running',
      'status.podIP': '10.0.0.5',
      'spec.hostNetwork': 'false',
      'spec.serviceAccountName': 'default',
    });
  });
});

describe('Pod status writes', () => {
  it('keep the QoS class a kubelet leaves out', () => {
    const old = create(kubectlRunPod());
    const next = structuredClone(old);
    next.status = { phase: 'Running' };
    podStrategy.prepareForStatusUpdate!(next, old);
    expect(next.status).toEqual({ phase: 'Running', qosClass: 'BestEffort' });
  });
});
