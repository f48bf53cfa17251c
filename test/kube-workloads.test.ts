// The workload controllers with the real kubectl over HTTPS: what users run against Deployments
// (rollout status, set image, rollout history, rollout undo, pause/resume, scale), StatefulSets
// and DaemonSets, with pods bound and started by a stand-in for the scheduler and kubelet.

import { execFile } from 'node:child_process';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessClient } from '../src/client/in-process.js';
import { InformerFactory } from '../src/client/informer-factory.js';
import { resources } from '../src/client/resources.js';
import type { ControllerContext, RunningController } from '../src/controller/context.js';
import { targetNodeName } from '../src/kube/daemonset/node-fit.js';
import { startTestKubelet, type TestKubelet } from '../src/kube/workloads/kubelet.testing.js';
import { startWorkloadControllers } from '../src/kube/workloads.js';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { type KubectlVersion, kubectlPath } from './support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
type Json = Record<string, any>;

for (const version of ['1.27', '1.33'] as KubectlVersion[]) {
  describe(`workloads with kubectl ${version}`, () => {
    let server: TestApiServer;
    let controllers: RunningController;
    let kubelet: TestKubelet;
    let informers: InformerFactory;
    const bin = kubectlPath(version);

    const kubectl = (args: string[], input?: string) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          bin,
          ['--kubeconfig', server.kubeconfigPath, '-n', 'default', ...args],
          { timeout: 90_000 },
          (err, stdout, stderr) => {
            const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
            resolve({ code, stdout, stderr });
          },
        );
        if (input !== undefined) child.stdin?.end(input);
      });
    const ok = async (args: string[], input?: string) => {
      const r = await kubectl(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    };
    const json = async (args: string[]): Promise<Json> => JSON.parse(await ok([...args, '-o', 'json']));
    const images = async (selector: string) =>
      ((await json(['get', 'pods', '-l', selector])).items as Json[])
        .filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => p.spec.containers[0].image)
        .sort();

    beforeAll(async () => {
      server = await startTestApiServer({ name: `workloads-${version.replace('.', '-')}` });
      const logger = pino({ level: process.env.CONCORD_TEST_LOG_LEVEL ?? 'silent' });
      const client = new InProcessClient(server.server);
      informers = new InformerFactory(client, { logger });
      const ctx: ControllerContext = { cluster: 'e2e', client, informers, logger, now: () => new Date() };
      controllers = startWorkloadControllers(ctx);
      kubelet = startTestKubelet({
        client,
        informers,
        schedule: (pod) => targetNodeName(pod.spec) ?? 'node-a',
      });
      informers.start();
      for (const name of ['node-a', 'node-b']) {
        await client.create(resources.nodes, { apiVersion: 'v1', kind: 'Node', metadata: { name } });
      }
    });

    afterAll(async () => {
      kubelet?.stop();
      await controllers?.stop();
      informers?.stop();
      await server?.stop();
    });

    it('rolls a Deployment out, updates it, shows its history and undoes it', async () => {
      await ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3']);
      const status = await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
      expect(status).toContain('deployment "web" successfully rolled out');
      const ready = await ok(['get', 'deployment', 'web', '--no-headers']);
      expect(ready).toMatch(/^web\s+3\/3\s+3\s+3\s+/);

      await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.26']);
      await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
      expect(await images('app=web')).toEqual(['nginx:1.26', 'nginx:1.26', 'nginx:1.26']);

      const history = await ok(['rollout', 'history', 'deployment/web']);
      expect(history).toMatch(/REVISION\s+CHANGE-CAUSE/);
      expect(history).toMatch(/^1\s+<none>/m);
      expect(history).toMatch(/^2\s+<none>/m);
      const rev2 = await ok(['rollout', 'history', 'deployment/web', '--revision=2']);
      expect(rev2).toContain('nginx:1.26');

      expect(await ok(['rollout', 'undo', 'deployment/web'])).toContain('rolled back');
      await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
      expect(await images('app=web')).toEqual(['nginx:1.25', 'nginx:1.25', 'nginx:1.25']);
      // Revision 1 came back as revision 3.
      const after = await ok(['rollout', 'history', 'deployment/web']);
      expect(after).toMatch(/^2\s+<none>/m);
      expect(after).toMatch(/^3\s+<none>/m);
      expect(after).not.toMatch(/^1\s+<none>/m);
      const d = await json(['get', 'deployment', 'web']);
      expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');

      await ok(['rollout', 'undo', 'deployment/web', '--to-revision=2']);
      await ok(['rollout', 'status', 'deployment/web', '--timeout=60s']);
      expect(await images('app=web')).toEqual(['nginx:1.26', 'nginx:1.26', 'nginx:1.26']);

      const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=web']);
      expect(events).toMatch(/ScalingReplicaSet\s+.*Scaled up replica set web-[a-z0-9]+ from 0 to 3/);
    });

    it('pauses and resumes a rollout, and scales', async () => {
      await ok(['create', 'deployment', 'api', '--image=nginx:1.25', '--replicas=2']);
      await ok(['rollout', 'status', 'deployment/api', '--timeout=60s']);
      await ok(['rollout', 'pause', 'deployment/api']);
      await ok(['set', 'image', 'deployment/api', 'nginx=nginx:1.26']);
      await ok(['scale', 'deployment/api', '--replicas=4']);
      // Paused: the scale applies, the new template does not.
      for (let i = 0; i < 200; i++) {
        const d = await json(['get', 'deployment', 'api']);
        if (d.status.availableReplicas === 4 && d.status.observedGeneration === d.metadata.generation) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await images('app=api')).toEqual(['nginx:1.25', 'nginx:1.25', 'nginx:1.25', 'nginx:1.25']);
      await ok(['rollout', 'resume', 'deployment/api']);
      await ok(['rollout', 'status', 'deployment/api', '--timeout=60s']);
      expect(await images('app=api')).toEqual(['nginx:1.26', 'nginx:1.26', 'nginx:1.26', 'nginx:1.26']);
    });

    it('rolls out a StatefulSet and a DaemonSet', async () => {
      await ok(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: { name: 'db' },
          spec: {
            replicas: 2,
            serviceName: 'db',
            selector: { matchLabels: { app: 'db' } },
            template: {
              metadata: { labels: { app: 'db' } },
              spec: { containers: [{ name: 'db', image: 'postgres:16' }] },
            },
          },
        }),
      );
      expect(await ok(['rollout', 'status', 'statefulset/db', '--timeout=60s'])).toContain(
        'partitioned roll out complete',
      );
      const names = ((await json(['get', 'pods', '-l', 'app=db'])).items as Json[])
        .map((p) => p.metadata.name)
        .sort();
      expect(names).toEqual(['db-0', 'db-1']);

      await ok(
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: 'agent' },
          spec: {
            selector: { matchLabels: { app: 'agent' } },
            template: {
              metadata: { labels: { app: 'agent' } },
              spec: { containers: [{ name: 'a', image: 'agent:1' }] },
            },
          },
        }),
      );
      expect(await ok(['rollout', 'status', 'daemonset/agent', '--timeout=60s'])).toContain(
        'daemon set "agent" successfully rolled out',
      );
      const nodes = ((await json(['get', 'pods', '-l', 'app=agent'])).items as Json[])
        .map((p) => p.spec.nodeName)
        .sort();
      expect(nodes).toEqual(['node-a', 'node-b']);
    });

    it('updates and undoes StatefulSets and DaemonSets through their ControllerRevisions', async () => {
      for (const [kind, name, container, from, to, selector] of [
        ['statefulset', 'db', 'db', 'postgres:16', 'postgres:17', 'app=db'],
        ['daemonset', 'agent', 'a', 'agent:1', 'agent:2', 'app=agent'],
      ] as const) {
        await ok(['set', 'image', `${kind}/${name}`, `${container}=${to}`]);
        await ok(['rollout', 'status', `${kind}/${name}`, '--timeout=60s']);
        expect(new Set(await images(selector))).toEqual(new Set([to]));
        const history = await ok(['rollout', 'history', `${kind}/${name}`]);
        expect(history).toMatch(/^1\s+<none>/m);
        expect(history).toMatch(/^2\s+<none>/m);
        await ok(['rollout', 'undo', `${kind}/${name}`]);
        await ok(['rollout', 'status', `${kind}/${name}`, '--timeout=60s']);
        for (let i = 0; i < 200 && (await images(selector)).some((img) => img !== from); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(new Set(await images(selector))).toEqual(new Set([from]));
        const after = await ok(['rollout', 'history', `${kind}/${name}`]);
        expect(after).toMatch(/^3\s+<none>/m);
        expect(after).not.toMatch(/^1\s+<none>/m);
      }
    });
  });
}
