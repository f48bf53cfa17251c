// Services, node failure, StatefulSets, DaemonSets and Jobs on a simulated cluster, with the real
// kubectl, checked against what their Kubernetes documentation promises.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../src/client/resources.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { type Json, podReady, startTestSim, type TestSim, waitFor } from './support.js';

let sim: TestSim;

beforeAll(async () => {
  sim = await startTestSim({
    name: 'work',
    // A node is Unknown 3 s after its last heartbeat (instead of 40 s).
    controllers: { core: { nodeMonitorGracePeriodMs: 3000, nodeMonitorPeriodMs: 500 } },
  });
});

afterAll(async () => {
  await sim?.stop();
});

async function pods(selector: string): Promise<Json[]> {
  return (await sim.json(['get', 'pods', '-l', selector])).items as Json[];
}

function live(list: Json[]): Json[] {
  return list.filter((p) => !p.metadata.deletionTimestamp);
}

describe('workloads on a simulated cluster with kubectl [sqlite]', () => {
  it('gives a Service EndpointSlices of its ready pods', async () => {
    await sim.ok(['create', 'deployment', 'api', '--image=nginx:1.27', '--replicas=2', '--port=8080']);
    await sim.ok(['expose', 'deployment', 'api', '--port=80', '--target-port=8080']);
    await sim.ok(['rollout', 'status', 'deployment/api', '--timeout=60s']);
    // A pod the Service selects that never passes its readiness probe.
    await sim.ok(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: 'api-unready',
          labels: { app: 'api' },
          annotations: { 'sim.concord.dev/never-ready': 'true' },
        },
        spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] },
      }),
    });
    const slices = await waitFor('endpoints for 2 ready pods and 1 unready', async () => {
      const list = (await sim.json(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=api']))
        .items as Json[];
      const endpoints = list.flatMap((s) => s.endpoints ?? []);
      const ready = endpoints.filter((e: Json) => e.conditions?.ready === true);
      const unready = endpoints.filter((e: Json) => e.conditions?.ready === false);
      return ready.length === 2 && unready.length === 1 ? list : undefined;
    });
    const running = live(await pods('app=api'));
    const readyIPs = running
      .filter(podReady)
      .map((p) => p.status.podIP)
      .sort();
    const sliceReady = slices
      .flatMap((s) => s.endpoints)
      .filter((e: Json) => e.conditions.ready)
      .flatMap((e: Json) => e.addresses)
      .sort();
    expect(sliceReady).toEqual(readyIPs);
    expect(slices[0].ports).toEqual([{ name: '', port: 8080, protocol: 'TCP' }]);
    const unready = slices.flatMap((s) => s.endpoints).find((e: Json) => !e.conditions.ready);
    expect(unready.targetRef).toMatchObject({ kind: 'Pod', name: 'api-unready' });
    expect(unready.zone).toMatch(/^europe-[abc]$/);
    await sim.ok(['delete', 'pod', 'api-unready', '--wait=true']);
  });

  it("evicts a stopped node's pods once their toleration runs out and reschedules them", async () => {
    await sim.ok(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'resilient' },
        spec: {
          replicas: 3,
          selector: { matchLabels: { app: 'resilient' } },
          template: {
            metadata: { labels: { app: 'resilient' } },
            spec: {
              containers: [{ name: 'app', image: 'nginx:1.27' }],
              tolerations: [
                {
                  key: 'node.kubernetes.io/unreachable',
                  operator: 'Exists',
                  effect: 'NoExecute',
                  tolerationSeconds: 2,
                },
                {
                  key: 'node.kubernetes.io/not-ready',
                  operator: 'Exists',
                  effect: 'NoExecute',
                  tolerationSeconds: 2,
                },
              ],
            },
          },
        },
      }),
    });
    await sim.ok(['rollout', 'status', 'deployment/resilient', '--timeout=60s']);
    const before = await pods('app=resilient');
    const node = before[0]!.spec.nodeName as string;
    const victims = before.filter((p) => p.spec.nodeName === node).map((p) => p.metadata.name);

    sim.cluster.kubelet.failNode(node);
    const failed = await waitFor('the node Unknown and tainted', async () => {
      const n = await sim.json(['get', 'node', node]);
      const ready = n.status.conditions.find((c: Json) => c.type === 'Ready');
      const taints = (n.spec.taints ?? []).map((t: Json) => `${t.key}:${t.effect}`);
      return ready.status === 'Unknown' && taints.includes('node.kubernetes.io/unreachable:NoExecute')
        ? n
        : undefined;
    });
    expect(failed.status.conditions.find((c: Json) => c.type === 'Ready')).toMatchObject({
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    expect((failed.spec.taints as Json[]).map((t) => `${t.key}:${t.effect}`).sort()).toEqual([
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/unreachable:NoSchedule',
    ]);
    const after = await waitFor('replacements running on the other nodes', async () => {
      const list = await pods('app=resilient');
      const evicted = list.filter((p) => victims.includes(p.metadata.name));
      const replacements = live(list).filter((p) => p.spec.nodeName !== node && p.status.phase === 'Running');
      return evicted.every((p) => p.metadata.deletionTimestamp) && replacements.length === 3
        ? replacements
        : undefined;
    });
    expect(after.every((p) => p.spec.nodeName !== node)).toBe(true);

    // Back up: the kubelet finishes the evicted pods and the node turns Ready, untainted.
    sim.cluster.kubelet.healNode(node);
    await waitFor('the node Ready without taints', async () => {
      const n = await sim.json(['get', 'node', node]);
      const ready = n.status.conditions.find((c: Json) => c.type === 'Ready');
      return ready.status === 'True' && (n.spec.taints ?? []).length === 0;
    });
    await waitFor('the evicted pods gone', async () => {
      const names = (await pods('app=resilient')).map((p) => p.metadata.name);
      return victims.every((v) => !names.includes(v));
    });
  });

  it('creates StatefulSet pods in order with stable names, and recreates one under the same name', async () => {
    const order: string[] = [];
    const watch = await sim.cluster.client.watch(
      resources.pods,
      { namespace: 'default', labelSelector: 'app=db' },
      {
        onEvent: (e) => {
          const p = e.object as KubeObject;
          if (e.type === 'ADDED') order.push(`created ${p.metadata.name}`);
          if (e.type === 'MODIFIED' && podReady(p as Json) && !order.includes(`ready ${p.metadata.name}`)) {
            order.push(`ready ${p.metadata.name}`);
          }
        },
        onClose: () => {},
      },
    );
    try {
      await sim.ok(['apply', '-f', '-'], {
        input: [
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'db' },
            spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] },
          },
          {
            apiVersion: 'apps/v1',
            kind: 'StatefulSet',
            metadata: { name: 'db' },
            spec: {
              serviceName: 'db',
              replicas: 3,
              selector: { matchLabels: { app: 'db' } },
              template: {
                // Stopping takes a second, as a database's would: kubectl 1.33's delete --wait
                // lists the pod by name after its GET, and a pod stopped and recreated under the
                // same name before that list is seen would leave it waiting (docs/simulation.md).
                metadata: { labels: { app: 'db' }, annotations: { 'sim.concord.dev/stop-delay': '1s' } },
                spec: { containers: [{ name: 'postgres', image: 'postgres:16' }] },
              },
            },
          },
        ]
          .map((o) => JSON.stringify(o))
          .join('\n---\n'),
      });
      await sim.ok(['rollout', 'status', 'statefulset/db', '--timeout=60s']);
    } finally {
      watch.stop();
    }
    expect(order.slice(0, 6)).toEqual([
      'created db-0',
      'ready db-0',
      'created db-1',
      'ready db-1',
      'created db-2',
      'ready db-2',
    ]);
    const list = await pods('app=db');
    expect(list.map((p) => p.metadata.name).sort()).toEqual(['db-0', 'db-1', 'db-2']);
    expect(
      list.find((p) => p.metadata.name === 'db-1')!.metadata.labels['statefulset.kubernetes.io/pod-name'],
    ).toBe('db-1');
    const uid = list.find((p) => p.metadata.name === 'db-1')!.metadata.uid;
    await sim.ok(['delete', 'pod', 'db-1', '--wait=true']);
    const again = await waitFor('db-1 back', async () => {
      const p = (await pods('app=db')).find((x) => x.metadata.name === 'db-1');
      return p && p.metadata.uid !== uid && podReady(p) ? p : undefined;
    });
    expect(again.metadata.name).toBe('db-1');
  });

  it('runs one DaemonSet pod per node, including a node that joins later', async () => {
    await sim.ok(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: { containers: [{ name: 'agent', image: 'fluent/fluent-bit:3' }] },
          },
        },
      }),
    });
    const nodes = sim.cluster.kubelet.nodeNames();
    await waitFor('one running pod per node', async () => {
      const list = live(await pods('app=agent')).filter((p) => p.status.phase === 'Running');
      return list.length === nodes.length && new Set(list.map((p) => p.spec.nodeName)).size === nodes.length;
    });
    const added = await sim.cluster.kubelet.addNode();
    await waitFor('a pod on the new node', async () =>
      live(await pods('app=agent')).some((p) => p.spec.nodeName === added && p.status.phase === 'Running'),
    );
    const ds = await sim.json(['get', 'daemonset', 'agent']);
    await waitFor('the DaemonSet status counting 4', async () => {
      const s = (await sim.json(['get', 'daemonset', 'agent'])).status;
      return s.desiredNumberScheduled === 4 && s.numberReady === 4;
    });
    expect(ds.metadata.name).toBe('agent');
  });

  it('completes a Job, and fails one whose pod fails beyond its backoffLimit', async () => {
    await sim.ok(['apply', '-f', '-'], {
      input: [
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'pi' },
          spec: {
            completions: 3,
            parallelism: 2,
            template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34' }] } },
          },
        },
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name: 'broken' },
          spec: {
            // The Job controller waits 10 s before replacing a failed pod: no retry keeps the test short.
            backoffLimit: 0,
            template: {
              metadata: { annotations: { 'sim.concord.dev/exit-code': '2' } },
              spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'busybox' }] },
            },
          },
        },
      ]
        .map((o) => JSON.stringify(o))
        .join('\n---\n'),
    });
    await sim.ok(['wait', '--for=condition=complete', 'job/pi', '--timeout=60s'], { timeoutMs: 90_000 });
    const pi = await sim.json(['get', 'job', 'pi']);
    expect(pi.status.succeeded).toBe(3);
    const done = await pods('job-name=pi');
    expect(done.filter((p) => p.status.phase === 'Succeeded')).toHaveLength(3);
    expect(done[0].status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });

    await sim.ok(['wait', '--for=condition=failed', 'job/broken', '--timeout=60s'], { timeoutMs: 90_000 });
    const broken = await sim.json(['get', 'job', 'broken']);
    expect(broken.status.failed).toBe(1);
    const failedPod = (await pods('job-name=broken'))[0]!;
    expect(failedPod.status.phase).toBe('Failed');
    expect(failedPod.status.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 2,
      reason: 'Error',
    });
    expect(broken.status.conditions.find((c: Json) => c.type === 'Failed')).toMatchObject({
      status: 'True',
      reason: 'BackoffLimitExceeded',
    });
  });
});
