// ApplicationSets: Argo CD's own examples applied unchanged with the real kubectl (list, clusters,
// create-only, a matrix whose template errs), what the applicationset e2e tests upstream expect of
// them, a failing generator that deletes nothing (Argo CD's bug #18480); then, with the
// application controller running too, a clusters generator syncing one Application per member
// named with its region, and a RollingSync promotion dev -> staging -> prod with an approval gate
// on prod that stops and rolls back when staging turns Degraded.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../src/client/resources.js';
import { type Application, type ApplicationSet, argocdResources } from '../../src/hub/apis/argocd/index.js';
import {
  APPROVED_ANNOTATION,
  ROLLED_BACK_REVISION_ANNOTATION,
  refreshRepositories,
} from '../../src/hub/gitops/index.js';
import { waitFor } from '../../src/kube/core.testing.js';
import { runKubectl } from '../support/kubectl.js';
import { ARGO_FIXTURES, EXAMPLE_APPS, type GitopsEnv, GitRepo, startGitopsEnv } from './support.js';

const EXAMPLES = join(ARGO_FIXTURES, 'argoproj_argo-cd', 'applicationset', 'examples');
const MEMBERS = ['dev', 'staging', 'prod'];

describe('ApplicationSets', () => {
  let env: GitopsEnv;
  let repo: GitRepo;
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await runKubectl('1.33', env.server.kubeconfigPath, args, input ? { input } : {});
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const appsIn = async (ns: string) =>
    (await env.hub.list<Application>(argocdResources.applications, { namespace: ns })).items;
  const names = async (ns: string) => (await appsIn(ns)).map((a) => a.metadata.name).sort();
  const appset = (name: string, ns = 'default') =>
    env.hub.get<ApplicationSet>(argocdResources.applicationsets, name, { namespace: ns });
  const appNamesAre = (ns: string, want: string[]) =>
    waitFor(`Applications ${want.join(', ')}`, async () => {
      const have = await names(ns);
      return JSON.stringify(have) === JSON.stringify([...want].sort()) ? have : undefined;
    });

  beforeAll(async () => {
    // Only the ApplicationSet controller at first: Argo CD's examples point at github.com, which
    // the application controller would fetch.
    env = await startGitopsEnv('sqlite', MEMBERS, { controllers: ['applicationset'] });
    repo = GitRepo.init(join(env.dir, 'repo'));
    for (const e of MEMBERS) repo.copy(join(EXAMPLE_APPS, 'guestbook'), `envs/${e}`);
    repo.copy(join(EXAMPLE_APPS, 'guestbook'), 'guestbook');
    repo.copy(join(EXAMPLE_APPS, 'kustomize-guestbook'), 'apps/kustomize-guestbook');
    repo.copy(join(EXAMPLE_APPS, 'guestbook'), 'apps/plain-guestbook');
    repo.commit('environments');
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
  });

  it("applies Argo CD's list example: one Application per element, rendered with goTemplate", async () => {
    await kubectl(['apply', '-f', join(EXAMPLES, 'list-generator', 'list-example.yaml')]);
    await appNamesAre('default', ['engineering-dev-guestbook', 'engineering-prod-guestbook']);
    const [dev] = await appsIn('default');
    expect(dev!.spec.source).toEqual({
      repoURL: 'https://github.com/argoproj/argo-cd.git',
      targetRevision: 'HEAD',
      path: 'applicationset/examples/list-generator/guestbook/engineering-dev',
    });
    expect(dev!.spec.destination).toEqual({
      server: 'https://kubernetes.default.svc',
      namespace: 'guestbook',
    });
    expect(dev!.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'ApplicationSet',
      name: 'guestbook',
      controller: true,
    });
    const set = await waitFor('status conditions', async () => {
      const s = await appset('guestbook');
      return s.status?.conditions?.length ? s : undefined;
    });
    expect(set.status?.conditions?.find((c) => c.type === 'ResourcesUpToDate')).toMatchObject({
      status: 'True',
      reason: 'ApplicationSetUpToDate',
    });
    expect(set.status?.resourcesCount).toBe(2);
    await kubectl(['delete', 'applicationset', 'guestbook']);
    await appNamesAre('default', []);
  });

  it("applies Argo CD's clusters example: one Application per member and per cluster Secret", async () => {
    await kubectl(['apply', '-f', join(EXAMPLES, 'cluster', 'cluster-example.yaml')]);
    await appNamesAre('default', ['dev-guestbook', 'prod-guestbook', 'staging-guestbook']);
    const dev = (await appsIn('default')).find((a) => a.metadata.name === 'dev-guestbook')!;
    const cluster = await env.hub.get(resources.secrets, 'dev', { namespace: 'karmada-cluster' });
    expect(dev.spec.destination.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cluster).toBeDefined();
    // An Argo CD cluster Secret (declarative setup) is a cluster too, and leaves with its Secret.
    await kubectl(['create', 'namespace', 'argocd']);
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Secret
metadata:
  name: my-secret
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: cluster
type: Opaque
stringData:
  name: cluster1
  server: https://kubernetes.default.svc
`,
    );
    await appNamesAre('default', [
      'cluster1-guestbook',
      'dev-guestbook',
      'prod-guestbook',
      'staging-guestbook',
    ]);
    await kubectl(['delete', 'secret', 'my-secret', '-n', 'argocd']);
    await appNamesAre('default', ['dev-guestbook', 'prod-guestbook', 'staging-guestbook']);
    await kubectl(['delete', 'applicationset', 'guestbook']);
    await appNamesAre('default', []);
  });

  it("keeps Applications as Argo CD's create-only policy says", async () => {
    const file = join(EXAMPLES, 'applications-sync-policies', 'create-only.yaml');
    await kubectl(['apply', '-f', file]);
    await appNamesAre('default', ['engineering-dev-guestbook', 'engineering-prod-guestbook']);
    // A changed element is not applied, a removed one not deleted.
    await kubectl([
      'patch',
      'applicationset',
      'guestbook',
      '--type=json',
      '-p',
      '[{"op":"replace","path":"/spec/generators/0/list/elements/1/foo","value":"changed"},{"op":"remove","path":"/spec/generators/0/list/elements/0"}]',
    ]);
    await waitFor('the change seen', async () =>
      (await appset('guestbook')).status?.resourcesCount === 2 ? true : undefined,
    );
    const prod = (await appsIn('default')).find((a) => a.metadata.name === 'engineering-prod-guestbook')!;
    expect(prod.metadata.labels?.foo).toBe('baz');
    expect(await names('default')).toEqual(['engineering-dev-guestbook', 'engineering-prod-guestbook']);
    // Deleting the ApplicationSet frees them.
    await kubectl(['delete', 'applicationset', 'guestbook']);
    await waitFor('owner references removed', async () => {
      const list = await appsIn('default');
      return list.length === 2 && list.every((a) => !a.metadata.ownerReferences?.length) ? list : undefined;
    });
    await kubectl(['delete', 'applications', '--all', '-n', 'default']);
  });

  it("reports the template error of Argo CD's list-and-list matrix example (missingkey=error) and creates nothing", async () => {
    await kubectl(['apply', '-f', join(EXAMPLES, 'matrix', 'list-and-list.yaml')]);
    const set = await waitFor('ErrorOccurred', async () => {
      const s = await appset('list-and-list', 'argocd').catch(() => undefined);
      return s?.status?.conditions?.find((c) => c.type === 'ErrorOccurred' && c.status === 'True')
        ? s
        : undefined;
    });
    expect(set.status?.conditions?.find((c) => c.type === 'ErrorOccurred')?.message).toMatch(
      /map has no entry for key "path"/,
    );
    expect(await names('argocd')).toEqual([]);
    await kubectl(['delete', 'applicationset', 'list-and-list', '-n', 'argocd']);
  });

  it('keeps every Application when a generator starts failing (Argo CD bug #18480)', async () => {
    const manifest = (repoURL: string) => `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: addons
spec:
  goTemplate: true
  generators:
  - git:
      repoURL: ${repoURL}
      revision: HEAD
      directories:
      - path: apps/*
  template:
    metadata:
      name: '{{.path.basename}}'
    spec:
      project: default
      source:
        repoURL: ${repoURL}
        targetRevision: HEAD
        path: '{{.path.path}}'
      destination:
        name: dev
        namespace: '{{.path.basename}}'
`;
    await kubectl(['apply', '-f', '-'], manifest(repo.dir));
    await appNamesAre('default', ['kustomize-guestbook', 'plain-guestbook']);
    await kubectl(['apply', '-f', '-'], manifest(join(env.dir, 'no-such-repository')));
    const set = await waitFor('ErrorOccurred', async () => {
      const s = await appset('addons');
      return s.status?.conditions?.find((c) => c.type === 'ErrorOccurred' && c.status === 'True')
        ? s
        : undefined;
    });
    expect(set.status?.conditions?.find((c) => c.type === 'ErrorOccurred')?.message).toMatch(
      /no-such-repository/,
    );
    expect(await names('default')).toEqual(['kustomize-guestbook', 'plain-guestbook']);
    await kubectl(['delete', 'applicationset', 'addons']);
    await appNamesAre('default', []);
  });

  describe('with the application controller', () => {
    beforeAll(() => {
      env.startControllers({ controllers: ['application'] });
    });

    it('syncs one Application per member, named with its region, from a clusters generator', async () => {
      await kubectl(
        ['apply', '-f', '-'],
        `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: fleet
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - clusters:
      selector:
        matchLabels:
          argocd.argoproj.io/secret-type: cluster
  template:
    metadata:
      name: 'guestbook-{{.metadata.labels.region}}'
    spec:
      project: default
      source:
        repoURL: ${repo.dir}
        targetRevision: HEAD
        path: guestbook
      destination:
        server: '{{.server}}'
        namespace: guestbook
      syncPolicy:
        automated: {}
        syncOptions: [CreateNamespace=true]
`,
      );
      await appNamesAre('argocd', [
        'guestbook-region-dev',
        'guestbook-region-prod',
        'guestbook-region-staging',
      ]);
      await waitFor(
        'all Synced and Healthy',
        async () => {
          const list = await appsIn('argocd');
          return list.every(
            (a) => a.status?.sync?.status === 'Synced' && a.status.health?.status === 'Healthy',
          )
            ? list
            : undefined;
        },
        30_000,
      );
      for (const m of MEMBERS) {
        const d = await env.members
          .get(m)!
          .get(resources.deployments, 'guestbook-ui', { namespace: 'guestbook' });
        expect(d.metadata.annotations?.['argocd.argoproj.io/tracking-id']).toBe(
          `guestbook-region-${m}:apps/Deployment:guestbook/guestbook-ui`,
        );
      }
      await kubectl(['delete', 'applicationset', 'fleet', '-n', 'argocd']);
      await appNamesAre('argocd', []);
    });

    it('promotes dev -> staging -> prod step by step, waits for approval of prod, and rolls back when staging turns Degraded', async () => {
      await kubectl(['create', 'namespace', 'promotion']);
      await kubectl(
        ['apply', '-f', '-'],
        `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: shop
  namespace: promotion
  annotations:
    gitops.concord.dev/approval-steps: "3"
spec:
  goTemplate: true
  generators:
  - list:
      elements:
      - env: dev
      - env: staging
      - env: prod
  strategy:
    type: RollingSync
    rollingSync:
      steps:
      - matchExpressions: [{key: env, operator: In, values: [dev]}]
      - matchExpressions: [{key: env, operator: In, values: [staging]}]
      - matchExpressions: [{key: env, operator: In, values: [prod]}]
  template:
    metadata:
      name: 'shop-{{.env}}'
      labels:
        env: '{{.env}}'
    spec:
      project: default
      source:
        repoURL: ${repo.dir}
        targetRevision: HEAD
        path: 'envs/{{.env}}'
      destination:
        name: '{{.env}}'
        namespace: shop
      syncPolicy:
        syncOptions: [CreateNamespace=true]
`,
      );
      const first = repo.git('rev-parse', 'HEAD');
      const app = (env_: string) =>
        env.hub.get<Application>(argocdResources.applications, `shop-${env_}`, { namespace: 'promotion' });
      const stepStatus = async (e: string) =>
        (await appset('shop', 'promotion')).status?.applicationStatus?.find(
          (s) => s.application === `shop-${e}`,
        );
      // dev and staging go on their own; prod waits for its approval.
      const waiting = await waitFor(
        'prod waiting for approval',
        async () => {
          const s = await stepStatus('prod');
          return s?.message.startsWith('Waiting for approval') ? s : undefined;
        },
        40_000,
      );
      expect(waiting.status).toBe('Waiting');
      const dev = await app('dev');
      const staging = await app('staging');
      expect(dev.status?.history?.[0]?.initiatedBy?.username).toBe('promotion/step-1');
      expect(staging.status?.history?.[0]?.initiatedBy?.username).toBe('promotion/step-2');
      expect(Date.parse(dev.status!.history![0]!.deployedAt)).toBeLessThanOrEqual(
        Date.parse(staging.status!.history![0]!.deployStartedAt!),
      );
      expect((await app('prod')).status?.history ?? []).toEqual([]);
      // `concord app approve shop-prod` annotates the Application with the revision it waits for.
      await env.hub.patch(
        argocdResources.applications,
        'shop-prod',
        { metadata: { annotations: { [APPROVED_ANNOTATION]: first } } },
        'merge',
        {
          namespace: 'promotion',
        },
      );
      await waitFor(
        'prod Healthy',
        async () => ((await stepStatus('prod'))?.status === 'Healthy' ? true : undefined),
        30_000,
      );
      expect((await app('prod')).status?.history?.[0]).toMatchObject({
        revision: first,
        initiatedBy: { username: 'promotion/step-3/approved' },
      });

      // A commit whose staging Deployment never becomes available.
      for (const e of MEMBERS) {
        const path = `envs/${e}/guestbook-ui-deployment.yaml`;
        let text = repo.git('show', `HEAD:${path}`).replace('gb-frontend:v5', 'gb-frontend:v6');
        if (e === 'staging') {
          text = text
            .replace('  revisionHistoryLimit: 3', '  revisionHistoryLimit: 3\n  progressDeadlineSeconds: 2')
            .replace(
              /( {2}template:\n {4}metadata:\n)/,
              '$1      annotations:\n        sim.concord.dev/fail-start: ErrImagePull\n',
            );
        }
        repo.write(path, text);
      }
      const second = repo.commit('v6, broken in staging');
      await refreshRepositories(env.hub, [repo.dir]);
      const set = await waitFor(
        'the rollout rolled back',
        async () => {
          const s = await appset('shop', 'promotion');
          const staging = s.status?.applicationStatus?.find((x) => x.application === 'shop-staging');
          return s.metadata.annotations?.[ROLLED_BACK_REVISION_ANNOTATION] === second &&
            staging?.message.startsWith('Rolled back from')
            ? s
            : undefined;
        },
        60_000,
      );
      expect(set.status?.applicationStatus?.find((s) => s.application === 'shop-staging')?.message).toMatch(
        /^Rolled back from [0-9a-f]{7} to [0-9a-f]{7}: shop-staging turned Degraded/,
      );
      for (const e of ['dev', 'staging']) {
        const a = await waitFor(
          `${e} back on the first revision`,
          async () => {
            const x = await app(e);
            const last = x.status?.history?.at(-1);
            return last?.revision === first &&
              last.initiatedBy?.username === 'promotion/rollback' &&
              !x.operation
              ? x
              : undefined;
          },
          30_000,
        );
        expect(a.status?.history?.map((h) => h.revision)).toEqual([first, second, first]);
      }
      // prod never saw the broken revision.
      const prod = await app('prod');
      expect(prod.status?.history?.map((h) => h.revision)).toEqual([first]);
      expect((await stepStatus('prod'))?.status).not.toBe('Pending');
      const events = await env.hub.list(resources.events, { namespace: 'promotion' });
      const reasons = new Set(events.items.map((e) => (e as unknown as { reason: string }).reason));
      expect([...reasons]).toEqual(expect.arrayContaining(['Promoted', 'Approved', 'RolledBack']));
    });
  });
});
