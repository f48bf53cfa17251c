// Argo CD's guestbook (argocd-example-apps/guestbook, unchanged) synced from a git repository the
// test makes with the git CLI to two simulated members, one Application each applied with the
// real kubectl; then what users rely on: a commit picked up at once after the webhook, drift
// reverted by selfHeal, a file removed from git pruned, a manifest that does not parse reported
// as a condition with nothing applied, rollback to an earlier revision, and a member that goes
// down turning its Application Unknown while the other keeps syncing.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../src/client/resources.js';
import { type Application, argocdResources } from '../../src/hub/apis/argocd/index.js';
import { refreshRepositories } from '../../src/hub/gitops/index.js';
import { rollbackApplication } from '../../src/hub/gitops/operations.js';
import { waitFor } from '../../src/kube/core.testing.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { markMember } from '../support/fleet.js';
import { runKubectl } from '../support/kubectl.js';
import { EXAMPLE_APPS, type GitopsEnv, GitRepo, startGitopsEnv } from './support.js';

const MEMBERS = ['member1', 'member2'];

function applicationYaml(name: string, repo: string, member: string, extra = ''): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: ${repo}
    targetRevision: HEAD
    path: guestbook
  destination:
    name: ${member}
    namespace: guestbook
  syncPolicy:
    automated:
      prune: true
      selfHeal: true
    syncOptions:
    - CreateNamespace=true
${extra}`;
}

describe.each(['sqlite', 'memory'] as const)('Applications from git [%s]', (store) => {
  let env: GitopsEnv;
  let repo: GitRepo;
  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await runKubectl('1.33', env.server.kubeconfigPath, args, input ? { input } : {});
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const app = (name: string) =>
    env.hub.get<Application>(argocdResources.applications, name, { namespace: 'argocd' });
  const deployment = (member: string) =>
    env.members
      .get(member)!
      .get<KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } }>(
        resources.deployments,
        'guestbook-ui',
        { namespace: 'guestbook' },
      );
  const syncedAt = (name: string, revision: string) =>
    waitFor(
      `${name} Synced and Healthy at ${revision.slice(0, 7)}`,
      async () => {
        const a = await app(name);
        return a.status?.sync?.status === 'Synced' &&
          a.status.sync.revision === revision &&
          a.status.health?.status === 'Healthy'
          ? a
          : undefined;
      },
      30_000,
    );

  beforeAll(async () => {
    env = await startGitopsEnv(store, MEMBERS);
    repo = GitRepo.init(join(env.dir, 'repo'));
    repo.copy(join(EXAMPLE_APPS, 'guestbook'), 'guestbook');
    repo.commit('guestbook');
    await kubectl(['create', 'namespace', 'argocd']);
  }, 60_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('syncs the guestbook to two members, one Application each, and kubectl shows their status', async () => {
    const head = repo.git('rev-parse', 'HEAD');
    for (const m of MEMBERS)
      await kubectl(['apply', '-f', '-'], applicationYaml(`guestbook-${m}`, repo.dir, m));
    for (const m of MEMBERS) {
      const a = await syncedAt(`guestbook-${m}`, head);
      expect(a.status?.resources?.map((r) => `${r.kind}/${r.name}:${r.status}:${r.health?.status}`)).toEqual([
        'Service/guestbook-ui:Synced:Healthy',
        'Deployment/guestbook-ui:Synced:Healthy',
      ]);
      expect(a.status?.operationState?.phase).toBe('Succeeded');
      expect(a.status?.history?.[0]).toMatchObject({ id: 0, revision: head });
      const d = await deployment(m);
      expect(d.spec.template.spec.containers[0]!.image).toBe('gcr.io/google-samples/gb-frontend:v5');
      expect(d.metadata.annotations?.['argocd.argoproj.io/tracking-id']).toBe(
        `guestbook-${m}:apps/Deployment:guestbook/guestbook-ui`,
      );
    }
    const table = await kubectl(['get', 'applications', '-n', 'argocd']);
    expect(table.split('\n')[0]).toMatch(/NAME\s+SYNC STATUS\s+HEALTH STATUS/);
    expect(table).toMatch(/guestbook-member1\s+Synced\s+Healthy/);
    expect(await kubectl(['get', 'app', 'guestbook-member2', '-n', 'argocd', '-o', 'name'])).toContain(
      'guestbook-member2',
    );
  });

  // The rest is the store's business no more than the first test: SQLite alone runs it.
  if (store === 'memory') return;

  it('picks up a commit changing the image as soon as the webhook names the repository', async () => {
    repo.write(
      'guestbook/guestbook-ui-deployment.yaml',
      repo
        .git('show', 'HEAD:guestbook/guestbook-ui-deployment.yaml')
        .replace('gb-frontend:v5', 'gb-frontend:v6'),
    );
    const next = repo.commit('v6');
    // The poll interval is 3 minutes: only the webhook's refresh makes this quick.
    const refreshed = await refreshRepositories(env.hub, [`file://${repo.dir}.git`]);
    expect(refreshed.applications).toBe(2);
    for (const m of MEMBERS) {
      const a = await syncedAt(`guestbook-${m}`, next);
      expect(a.status?.history?.map((h) => h.revision).slice(-1)).toEqual([next]);
      expect((await deployment(m)).spec.template.spec.containers[0]!.image).toBe(
        'gcr.io/google-samples/gb-frontend:v6',
      );
    }
  });

  it('reverts a change made by hand on a member (selfHeal)', async () => {
    const client = env.members.get('member1')!;
    await client.patch(
      resources.deployments,
      'guestbook-ui',
      { spec: { revisionHistoryLimit: 0 } },
      'merge',
      {
        namespace: 'guestbook',
      },
    );
    await waitFor(
      'revisionHistoryLimit back to 3',
      async () => {
        const d = (await deployment('member1')) as KubeObject & { spec: { revisionHistoryLimit?: number } };
        return d.spec.revisionHistoryLimit === 3 ? d : undefined;
      },
      30_000,
    );
  });

  it('prunes a resource removed from git', async () => {
    repo.remove('guestbook/guestbook-ui-svc.yaml');
    const next = repo.commit('no service');
    await refreshRepositories(env.hub, [repo.dir]);
    for (const m of MEMBERS) {
      const a = await syncedAt(`guestbook-${m}`, next);
      expect(a.status?.resources?.map((r) => r.kind)).toEqual(['Deployment']);
      await waitFor(`the Service gone from ${m}`, async () =>
        (await env.members
          .get(m)!
          .get(resources.services, 'guestbook-ui', { namespace: 'guestbook' })
          .then(
            () => false,
            () => true,
          ))
          ? true
          : undefined,
      );
    }
  });

  it('reports a manifest that does not parse as a condition and applies nothing of it', async () => {
    const before = repo.git('rev-parse', 'HEAD');
    repo.write(
      'guestbook/broken.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n data: [\n',
    );
    repo.write(
      'guestbook/extra.yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\ndata:\n  a: b\n',
    );
    repo.commit('broken');
    await refreshRepositories(env.hub, [repo.dir]);
    const a = await waitFor('a ComparisonError', async () => {
      const x = await app('guestbook-member1');
      return x.status?.conditions?.some((c) => c.type === 'ComparisonError') ? x : undefined;
    });
    const cond = a.status!.conditions!.find((c) => c.type === 'ComparisonError')!;
    expect(cond.message).toContain('guestbook/broken.yaml');
    expect(a.status?.sync?.status).toBe('Unknown');
    await expect(
      env.members.get('member1')!.get(resources.configmaps, 'extra', { namespace: 'guestbook' }),
    ).rejects.toThrow(/not found/);
    // The last good revision stays deployed.
    const h = (await app('guestbook-member1')).status?.history;
    expect(h?.at(-1)?.revision, JSON.stringify({ h, before, log: repo.git('log', '--format=%H %s') })).toBe(
      before,
    );
    repo.remove('guestbook/broken.yaml');
    repo.remove('guestbook/extra.yaml');
    const fixed = repo.commit('fixed');
    await refreshRepositories(env.hub, [repo.dir]);
    for (const m of MEMBERS) {
      const ok = await syncedAt(`guestbook-${m}`, fixed);
      expect(ok.status?.conditions ?? []).toEqual([]);
    }
  });

  it('turns the Application of a member that is down Unknown while the other keeps syncing', async () => {
    await markMember(env.hub, 'member2', false);
    const down = await waitFor('member2 Unknown', async () => {
      const a = await app('guestbook-member2');
      return a.status?.sync?.status === 'Unknown' ? a : undefined;
    });
    expect(down.status?.health?.status).toBe('Unknown');
    expect(down.status?.conditions?.[0]?.message).toMatch(/member2 is not ready/);
    repo.write(
      'guestbook/guestbook-ui-deployment.yaml',
      repo
        .git('show', 'HEAD:guestbook/guestbook-ui-deployment.yaml')
        .replace('gb-frontend:v6', 'gb-frontend:v7'),
    );
    const next = repo.commit('v7');
    await refreshRepositories(env.hub, [repo.dir]);
    await syncedAt('guestbook-member1', next);
    await markMember(env.hub, 'member2', true);
    await syncedAt('guestbook-member2', next);
  });

  it('rolls an Application without automated sync back to an earlier revision of its history', async () => {
    const manual = (extra = '') =>
      applicationYaml('manual', repo.dir, 'member1', extra)
        .replace(/ {2}syncPolicy:\n {4}automated:\n {6}prune: true\n {6}selfHeal: true\n/, '  syncPolicy:\n')
        .replace('namespace: guestbook', 'namespace: manual');
    await kubectl(['apply', '-f', '-'], manual());
    const outOfSync = await waitFor('manual OutOfSync', async () => {
      const a = await app('manual');
      return a.status?.sync?.status === 'OutOfSync' ? a : undefined;
    });
    expect(outOfSync.status?.history ?? []).toEqual([]);
    const first = repo.git('rev-parse', 'HEAD');
    const sync = async () => {
      await kubectl([
        'patch',
        'application',
        'manual',
        '-n',
        'argocd',
        '--type=merge',
        '-p',
        '{"operation":{"sync":{}}}',
      ]);
    };
    await sync();
    await syncedAt('manual', first);
    repo.write(
      'guestbook/guestbook-ui-deployment.yaml',
      repo
        .git('show', 'HEAD:guestbook/guestbook-ui-deployment.yaml')
        .replace('gb-frontend:v7', 'gb-frontend:v8'),
    );
    const second = repo.commit('v8');
    await refreshRepositories(env.hub, [repo.dir]);
    await waitFor('manual OutOfSync at the new commit', async () => {
      const a = await app('manual');
      return a.status?.sync?.status === 'OutOfSync' && a.status.sync.revision === second ? a : undefined;
    });
    await sync();
    await syncedAt('manual', second);
    await expect(rollbackApplication(env.hub, 'guestbook-member1')).rejects.toThrow(/auto-sync is enabled/);
    const r = await rollbackApplication(env.hub, 'manual', 0);
    expect(r).toMatchObject({ id: 0, revision: first, namespace: 'argocd' });
    const rolled = await waitFor('the rollback done', async () => {
      const a = await app('manual');
      return a.status?.history?.length === 3 && !a.operation ? a : undefined;
    });
    expect(rolled.status?.history?.map((h) => [h.id, h.revision])).toEqual([
      [0, first],
      [1, second],
      [2, first],
    ]);
    const d = await env.members
      .get('member1')!
      .get<KubeObject & { spec: { template: { spec: { containers: { image: string }[] } } } }>(
        resources.deployments,
        'guestbook-ui',
        { namespace: 'manual' },
      );
    expect(d.spec.template.spec.containers[0]!.image).toBe('gcr.io/google-samples/gb-frontend:v7');
    // git has moved on, so the Application is OutOfSync until the next sync.
    await waitFor('manual OutOfSync', async () => {
      const a = await app('manual');
      return a.status?.sync?.status === 'OutOfSync' && a.status.sync.revision === second ? a : undefined;
    });
  });
});
