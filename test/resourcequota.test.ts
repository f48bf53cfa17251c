// ResourceQuotas with the real kubectl, on SQLite and in memory: `kubectl create quota` and the
// quota table with what is used, pods refused for going past a hard limit or for leaving out a
// compute resource the quota limits, object counts, scoped quotas, and bad quotas refused naming
// the field — as kube-apiserver's quota admission and kube-controller-manager's quota controller.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from './sim/support.js';
import { startTestClusterWithControllers, type TestClusterWithControllers } from './support/controllers.js';
import { runKubectl } from './support/kubectl.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
type Json = Record<string, any>;

const pod = (name: string, resources = '') => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: team}
spec: {containers: [{name: app, image: nginx${resources ? `, resources: ${resources}` : ''}}]}
`;
const SIZED = '{requests: {cpu: 600m}, limits: {memory: 512Mi}}';

for (const store of ['sqlite', 'memory'] as const) {
  describe(`ResourceQuota with kubectl [${store}]`, () => {
    let cluster: TestClusterWithControllers;
    const kubectl = (args: string[], input?: string) =>
      runKubectl('1.33', cluster.kubeconfigPath, args, input === undefined ? {} : { input });
    const ok = async (args: string[], input?: string) => {
      const r = await kubectl(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
      return r.stdout;
    };
    const quota = async (name: string, ns = 'team'): Promise<Json> =>
      JSON.parse(await ok(['get', 'quota', name, '-n', ns, '-o', 'json']));
    const used = (name: string, ns = 'team') =>
      waitFor(`the used resources of quota ${name}`, async () => (await quota(name, ns)).status?.used);

    beforeAll(async () => {
      // Quotas counted again every second (the controller's default is 10 s): services are seen on resync.
      cluster = await startTestClusterWithControllers({ store, core: { resourceQuota: { resyncMs: 1000 } } });
      await ok(['create', 'namespace', 'team']);
      await ok(['create', 'namespace', 'batch']);
    }, 60_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    it('limits pods and compute: refuses a pod past the limit or without the limited resources', async () => {
      await ok([
        'create',
        'quota',
        'compute',
        '-n',
        'team',
        '--hard=pods=2,requests.cpu=1,limits.memory=1Gi',
      ]);
      expect(await used('compute')).toEqual({ pods: '0', 'requests.cpu': '0', 'limits.memory': '0' });

      const bare = await kubectl(['create', '-f', '-'], pod('bare'));
      expect(bare.code).toBe(1);
      expect(bare.stderr).toContain(
        'pods "bare" is forbidden: failed quota: compute: must specify limits.memory for: app; requests.cpu for: app',
      );
      await ok(['create', '-f', '-'], pod('first', SIZED));
      const second = await kubectl(['create', '-f', '-'], pod('second', SIZED));
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(
        'pods "second" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1',
      );

      const after = await waitFor('the quota counting the first pod', async () => {
        const u = (await quota('compute')).status?.used;
        return u?.pods === '1' ? u : undefined;
      });
      expect(after).toEqual({ pods: '1', 'requests.cpu': '600m', 'limits.memory': '512Mi' });
      const table = await ok(['get', 'quota', '-n', 'team']);
      expect(table.split('\n')[0]).toMatch(/^NAME\s+AGE\s+REQUEST\s+LIMIT$/);
      expect(table).toContain('pods: 1/2, requests.cpu: 600m/1');
      expect(table).toContain('limits.memory: 512Mi/1Gi');

      // Deleting the pod frees its share.
      await ok(['delete', 'pod', 'first', '-n', 'team', '--wait=false']);
      await ok(['create', '-f', '-'], pod('second', SIZED));
    });

    it('counts objects and services by type', async () => {
      await ok(['create', 'quota', 'objects', '-n', 'team', '--hard=services=1,services.loadbalancers=0']);
      await ok(['create', 'service', 'clusterip', 'web', '-n', 'team', '--tcp=80:80']);
      const lb = await kubectl(['create', 'service', 'loadbalancer', 'edge', '-n', 'team', '--tcp=80:80']);
      expect(lb.code).toBe(1);
      expect(lb.stderr).toContain(
        'services "edge" is forbidden: exceeded quota: objects, requested: services=1,services.loadbalancers=1, used: services=1,services.loadbalancers=0, limited: services=1,services.loadbalancers=0',
      );
      const u = await waitFor('services counted', async () => {
        const x = (await quota('objects')).status?.used;
        return x?.services === '1' ? x : undefined;
      });
      expect(u).toEqual({ services: '1', 'services.loadbalancers': '0' });
    });

    it('applies a scoped quota to the pods in its scope only', async () => {
      await ok(['create', 'quota', 'best-effort', '-n', 'batch', '--hard=pods=1', '--scopes=BestEffort']);
      const inBatch = (name: string, resources = '') => pod(name, resources).replace('team', 'batch');
      await ok(['create', '-f', '-'], inBatch('free-1'));
      const refused = await kubectl(['create', '-f', '-'], inBatch('free-2'));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        'exceeded quota: best-effort, requested: pods=1, used: pods=1, limited: pods=1',
      );
      // A pod that asks for resources is outside the BestEffort scope.
      await ok(['create', '-f', '-'], inBatch('sized', SIZED));
      expect(await used('best-effort', 'batch')).toEqual({ pods: '1' });
    });

    it('refuses a bad quota naming the field', async () => {
      const negative = await kubectl(['create', 'quota', 'neg', '-n', 'team', '--hard=pods=-1']);
      expect(negative.code).toBe(1);
      expect(negative.stderr).toContain(
        'spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0',
      );
      const scoped = await kubectl([
        'create',
        'quota',
        'scoped',
        '-n',
        'team',
        '--hard=configmaps=1',
        '--scopes=NotTerminating',
      ]);
      expect(scoped.code).toBe(1);
      expect(scoped.stderr).toContain(
        'spec.hard[configmaps]: Invalid value: "configmaps": unsupported scope applied to resource',
      );
    });
  });
}
