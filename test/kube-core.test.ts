// The core controllers with the real kubectl: cascading deletion in each propagation mode, and
// namespace deletion that waits for the namespace to go, as users run them against a cluster.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestClusterWithControllers, type TestClusterWithControllers } from './support/controllers.js';
import { type KubectlVersion, kubectlPath } from './support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
type Json = Record<string, any>;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const OWNER = (name: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, image: nginx}]}
`;

/** A ReplicaSet owned by the Deployment, and pods owned by the ReplicaSet, as the controllers make them. */
const DEPENDENTS = (name: string, deployUid: string) => `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}-rs
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: ${name}, uid: ${deployUid}, controller: true, blockOwnerDeletion: true}]
spec:
  replicas: 2
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, image: nginx}]}
`;

const POD = (name: string, rsName: string, rsUid: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: ${rsName}, uid: ${rsUid}, controller: true, blockOwnerDeletion: true}]
spec: {containers: [{name: c, image: nginx}]}
`;

for (const version of ['1.27', '1.33'] as KubectlVersion[]) {
  describe(`core controllers with kubectl ${version} [sqlite]`, () => {
    let cluster: TestClusterWithControllers;
    const bin = kubectlPath(version);

    function kubectl(args: string[], input?: string): Promise<Result> {
      return new Promise((resolve) => {
        const child = execFile(
          bin,
          ['--kubeconfig', cluster.kubeconfigPath, '--cache-dir', join(cluster.dir, 'cache'), ...args],
          { timeout: 90_000 },
          (err, stdout, stderr) => {
            const code = err ? ((err as { code?: number }).code ?? 1) : 0;
            resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
          },
        );
        if (input !== undefined) {
          child.stdin?.write(input);
          child.stdin?.end();
        }
      });
    }

    async function ok(args: string[], input?: string): Promise<string> {
      const r = await kubectl(args, input);
      expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
      return r.stdout;
    }

    async function json(args: string[]): Promise<Json> {
      return JSON.parse(await ok([...args, '-o', 'json']));
    }

    /** Polls `kubectl get` until the object is gone (NotFound). */
    async function gone(args: string[]): Promise<void> {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const r = await kubectl(['get', ...args]);
        if (r.code !== 0 && /NotFound|not found/.test(r.stderr)) return;
        if (Date.now() > deadline) throw new Error(`still there: ${args.join(' ')}\n${r.stdout}${r.stderr}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    }

    /** A Deployment with a ReplicaSet and two pods hanging off it. */
    async function ownerChain(name: string): Promise<void> {
      await ok(['apply', '-f', '-'], OWNER(name));
      const uid = (await json(['get', 'deployment', name, '-n', 'shop'])).metadata.uid;
      await ok(['apply', '-f', '-'], DEPENDENTS(name, uid));
      const rsUid = (await json(['get', 'replicaset', `${name}-rs`, '-n', 'shop'])).metadata.uid;
      await ok(
        ['apply', '-f', '-'],
        [POD(`${name}-a`, `${name}-rs`, rsUid), POD(`${name}-b`, `${name}-rs`, rsUid)].join('---'),
      );
    }

    beforeAll(async () => {
      cluster = await startTestClusterWithControllers({ name: `core-${version}` });
      await ok(['create', 'namespace', 'shop']);
    });
    afterAll(async () => {
      await cluster?.stop();
    });

    it('--cascade=foreground deletes the dependents first and returns once the owner is gone', async () => {
      await ownerChain('fg');
      const out = await ok(['delete', 'deployment', 'fg', '-n', 'shop', '--cascade=foreground']);
      expect(out).toContain('deployment.apps "fg" deleted');
      // kubectl waited for the owner, which waited for its (blocking) dependents: all are gone.
      for (const args of [
        ['deployment', 'fg'],
        ['replicaset', 'fg-rs'],
        ['pod', 'fg-a'],
        ['pod', 'fg-b'],
      ]) {
        const r = await kubectl(['get', ...args, '-n', 'shop']);
        expect(r.stderr, args.join(' ')).toMatch(/not found/);
      }
    });

    it('--cascade=background deletes the owner at once and its dependents after', async () => {
      await ownerChain('bg');
      await ok(['delete', 'deployment', 'bg', '-n', 'shop', '--cascade=background']);
      await gone(['deployment', 'bg', '-n', 'shop']);
      await gone(['replicaset', 'bg-rs', '-n', 'shop']);
      await gone(['pod', 'bg-a', '-n', 'shop']);
      await gone(['pod', 'bg-b', '-n', 'shop']);
    });

    it('--cascade=orphan deletes the owner and leaves its dependents without it', async () => {
      await ownerChain('or');
      await ok(['delete', 'deployment', 'or', '-n', 'shop', '--cascade=orphan']);
      await gone(['deployment', 'or', '-n', 'shop']);
      const rs = await json(['get', 'replicaset', 'or-rs', '-n', 'shop']);
      expect(rs.metadata.ownerReferences ?? []).toEqual([]);
      expect(rs.metadata.deletionTimestamp).toBeUndefined();
      // The pods still belong to the ReplicaSet, which is still there.
      const pod = await json(['get', 'pod', 'or-a', '-n', 'shop']);
      expect(pod.metadata.ownerReferences[0].name).toBe('or-rs');
    });

    it('publishes a Service endpoints for its pods', async () => {
      await ok(
        ['apply', '-f', '-'],
        `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: or}
  ports: [{port: 80, targetPort: 8080}]
`,
      );
      // The pods have no IP yet (no kubelet here): the slice is the placeholder.
      const slices = await json([
        'get',
        'endpointslices',
        '-n',
        'shop',
        '-l',
        'kubernetes.io/service-name=web',
      ]);
      const deadline = Date.now() + 30_000;
      let items = slices.items;
      while (items.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        items = (await json(['get', 'endpointslices', '-n', 'shop', '-l', 'kubernetes.io/service-name=web']))
          .items;
      }
      expect(items).toHaveLength(1);
      expect(items[0].metadata.labels['endpointslice.kubernetes.io/managed-by']).toBe(
        'endpointslice-controller.k8s.io',
      );
      const eps = await json(['get', 'endpoints', 'web', '-n', 'shop']);
      expect(eps.subsets ?? []).toEqual([]);
    });

    it('kubectl delete namespace waits for its content to go, then the namespace goes', async () => {
      await ok(['create', 'namespace', 'scratch']);
      await ok(['create', 'configmap', 'settings', '-n', 'scratch', '--from-literal=a=1']);
      await ok(['create', 'secret', 'generic', 'token', '-n', 'scratch', '--from-literal=t=x']);
      await ok(['create', 'service', 'clusterip', 'db', '-n', 'scratch', '--tcp=5432:5432']);
      const out = await ok(['delete', 'namespace', 'scratch']);
      expect(out).toContain('namespace "scratch" deleted');
      // kubectl delete waits for the namespace by default: it is gone when the command returns.
      const r = await kubectl(['get', 'namespace', 'scratch']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/not found/);
      // The service account controller gave the namespace its default account meanwhile; it went too.
      const accounts = await kubectl(['get', 'serviceaccounts', '-n', 'scratch', '-o', 'name']);
      expect(accounts.stdout.trim()).toBe('');
    });
  });
}
