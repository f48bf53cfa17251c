// Push execution end to end: a hub (its own controllers: member registry, propagation with
// execution and status) on SQLite and on memory, two simulated members in a sim host process of
// their own joined as member1 and member2, and Karmada's samples/nginx applied unchanged with the
// real kubectl. The Deployment runs on the members (pods Ready there), its status comes back to
// the Work, the binding and the hub's Deployment. Then, on SQLite: conflict resolution (Abort by
// default, Overwrite when asked), deletion from the members when the template goes (and
// preserveResourcesOnDeletion), drift on a member corrected, a partitioned member not delaying
// the other, a fleet security baseline (docs/examples/governance/baseline.yaml) kept on every
// member and shown by `concord audit` with its drift, and the hub's team roles as a team member
// sees them with kubectl: its namespace only, and no member credentials for anyone.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueClientCertificate } from '../src/apiserver/pki.js';
import { formatAudit, readAudit } from '../src/cli/audit.js';
import { HttpsClient } from '../src/client/https.js';
import { InProcessClient } from '../src/client/in-process.js';
import { resources } from '../src/client/resources.js';
import { AGENT_GROUP, agentUser, loadHubCA } from '../src/hub/clusters/agent-access.js';
import { joinCluster } from '../src/hub/clusters/join.js';
import { type RunningHub, startHub } from '../src/hub/hub.js';
import { buildKubeconfig } from '../src/machinery/kubeconfig.js';
import type { KubeObject } from '../src/machinery/object.js';
import { requestFault } from '../src/sim/control.js';
import { podReady, waitFor } from './sim/support.js';
import { clusterReader } from './support/clusters.js';
import { runKubectl } from './support/kubectl.js';
import { type SimHostProcess, startSimHostProcess } from './support/sim-host.js';

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from kubectl
type Json = Record<string, any>;

const NGINX = '/work/shared/fixtures/karmada/karmada-io_karmada/samples/nginx';
const BASELINE = join(import.meta.dirname, '..', 'docs', 'examples', 'governance', 'baseline.yaml');
const MEMBERS = ['member1', 'member2'];

interface Fleet {
  dir: string;
  hub: RunningHub;
  sims: SimHostProcess;
  members: Record<string, HttpsClient>;
  kubectl(args: string[]): Promise<string>;
  getJson(args: string[]): Promise<Json>;
  stop(): Promise<void>;
}

async function startFleet(store: 'sqlite' | 'memory'): Promise<Fleet> {
  const dir = await mkdtemp(join(tmpdir(), `concord-execution-${store}-`));
  const [hub, sims] = await Promise.all([
    startHub({
      dataDir: join(dir, 'hub'),
      port: 0,
      ...(store === 'memory' ? { store: 'memory' } : {}),
    }),
    startSimHostProcess(join(dir, 'sims'), MEMBERS),
  ]);
  const client = new InProcessClient(hub.api.server);
  const members: Record<string, HttpsClient> = {};
  for (const name of MEMBERS) {
    const kubeconfig = join(dir, 'sims', 'clusters', `${name}.kubeconfig`);
    await joinCluster(client, { name, kubeconfig });
    members[name] = await HttpsClient.fromKubeconfigFile(kubeconfig);
  }
  const reader = clusterReader(client);
  await Promise.all(MEMBERS.map((m) => reader.readyIs(m, 'True')));
  const kubectl = async (args: string[]) => {
    const r = await runKubectl('1.33', hub.kubeconfigPath, args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  return {
    dir,
    hub,
    sims,
    members,
    kubectl,
    getJson: async (args) => JSON.parse(await kubectl(['get', ...args, '-o', 'json'])),
    async stop() {
      for (const c of Object.values(members)) c.close();
      await hub.close();
      await sims.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const memberDeployment = (f: Fleet, member: string, name: string, namespace = 'default') =>
  f.members[member]!.get(resources.deployments, name, { namespace }).catch(() => undefined);

async function readyPodsOn(f: Fleet, member: string, app: string): Promise<number> {
  const pods = await f.members[member]!.list(resources.pods, {
    namespace: 'default',
    labelSelector: `app=${app}`,
  });
  return pods.items.filter((p) => podReady(p as Json)).length;
}

function policy(name: string, clusters: string[], extra: Json = {}): string {
  return JSON.stringify({
    apiVersion: 'policy.karmada.io/v1alpha1',
    kind: 'PropagationPolicy',
    metadata: { name, namespace: 'default' },
    spec: {
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name }],
      placement: { clusterAffinity: { clusterNames: clusters } },
      ...extra,
    },
  });
}

function deployment(name: string, image: string, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { app: name }, annotations },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

async function applyFile(f: Fleet, name: string, text: string): Promise<void> {
  const path = join(f.dir, `${name}.json`);
  await writeFile(path, text);
  await f.kubectl(['apply', '-f', path]);
}

async function nginxSample(f: Fleet): Promise<void> {
  await f.kubectl(['apply', '-f', join(NGINX, 'deployment.yaml')]);
  await f.kubectl(['apply', '-f', join(NGINX, 'propagationpolicy.yaml')]);

  // One replica on each member, running there.
  for (const member of MEMBERS) {
    const d = await waitFor(`nginx on ${member}`, () => memberDeployment(f, member, 'nginx'));
    expect(d.spec).toMatchObject({ replicas: 1 });
    expect(d.metadata.labels).toMatchObject({ app: 'nginx', 'karmada.io/managed': 'true' });
    expect(d.metadata.annotations).toMatchObject({
      'work.karmada.io/name': 'nginx-687f7fb96f',
      'work.karmada.io/namespace': `karmada-es-${member}`,
      'resourcebinding.karmada.io/name': 'nginx-deployment',
    });
    // Applied with server-side apply as the hub's field manager.
    expect(d.metadata.managedFields?.map((m) => m.manager)).toContain('concord');
    await waitFor(
      `a Ready nginx pod on ${member}`,
      async () => (await readyPodsOn(f, member, 'nginx')) === 1,
    );
  }

  // Each Work reports the member's object, made from the template's current generation.
  const generation = (await f.getJson(['deployment', 'nginx'])).metadata.generation;
  for (const member of MEMBERS) {
    const work = await waitFor(`the Work on ${member} reporting a healthy Deployment`, async () => {
      const w = await f.getJson(['work', 'nginx-687f7fb96f', '-n', `karmada-es-${member}`]);
      return w.status?.manifestStatuses?.[0]?.health === 'Healthy' ? w : undefined;
    });
    const conditions = Object.fromEntries(work.status.conditions.map((c: Json) => [c.type, c]));
    expect(conditions.Applied).toMatchObject({
      status: 'True',
      reason: 'AppliedSuccessful',
      message: 'Manifest has been successfully applied',
    });
    expect(conditions.Available).toMatchObject({ status: 'True' });
    expect(conditions.Degraded).toMatchObject({ status: 'False' });
    expect(conditions.Dispatching).toMatchObject({ status: 'True', reason: 'Dispatching' });
    expect(work.status.manifestStatuses[0].identifier).toEqual({
      ordinal: 0,
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      resource: 'deployments',
      namespace: 'default',
      name: 'nginx',
    });
    expect(work.status.manifestStatuses[0].status).toMatchObject({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      updatedReplicas: 1,
      resourceTemplateGeneration: generation,
    });
  }

  // The binding gathers both, FullyApplied.
  const rb = await waitFor('the binding fully applied and healthy', async () => {
    const b = await f.getJson(['resourcebinding', 'nginx-deployment']);
    const full = b.status?.conditions?.find((c: Json) => c.type === 'FullyApplied');
    return full?.status === 'True' && b.status.aggregatedStatus.every((i: Json) => i.health === 'Healthy')
      ? b
      : undefined;
  });
  expect(rb.status.conditions.find((c: Json) => c.type === 'FullyApplied')).toMatchObject({
    reason: 'FullyAppliedSuccess',
    message: 'All works have been successfully applied',
  });
  expect(
    rb.status.aggregatedStatus.map((i: Json) => [i.clusterName, i.applied, i.status.readyReplicas]),
  ).toEqual([
    ['member1', true, 1],
    ['member2', true, 1],
  ]);

  // The hub's Deployment reads like a single cluster's: 2/2 ready.
  const hubDeploy = await waitFor('the hub Deployment 2/2', async () => {
    const d = await f.getJson(['deployment', 'nginx']);
    return d.status?.readyReplicas === 2 ? d : undefined;
  });
  expect(hubDeploy.status).toMatchObject({
    replicas: 2,
    readyReplicas: 2,
    availableReplicas: 2,
    updatedReplicas: 2,
    observedGeneration: hubDeploy.metadata.generation,
  });
  const table = await f.kubectl(['get', 'deployment', 'nginx']);
  expect(table).toMatch(/nginx\s+2\/2\s+2\s+2/);
}

describe('push execution on memory', () => {
  let f: Fleet;
  beforeAll(async () => {
    f = await startFleet('memory');
  }, 120_000);
  afterAll(async () => {
    await f?.stop();
  });

  it("runs Karmada's nginx sample on both members and sums its status on the hub", async () => {
    await nginxSample(f);
  });
});

describe('push execution on SQLite', () => {
  let f: Fleet;
  beforeAll(async () => {
    f = await startFleet('sqlite');
  }, 120_000);
  afterAll(async () => {
    await f?.stop();
  });

  it("runs Karmada's nginx sample on both members and sums its status on the hub", async () => {
    await nginxSample(f);
  });

  it('corrects drift on a member: a deleted object comes back, an edited spec is put back', async () => {
    await applyFile(f, 'drift-deploy', JSON.stringify(deployment('drift', 'web:1')));
    await applyFile(f, 'drift-pp', policy('drift', ['member1']));
    const first = await waitFor('drift on member1', () => memberDeployment(f, 'member1', 'drift'));
    await f.members.member1!.delete(resources.deployments, 'drift', { namespace: 'default' });
    const back = await waitFor('drift back on member1', async () => {
      const d = await memberDeployment(f, 'member1', 'drift');
      return d && d.metadata.uid !== first.metadata.uid ? d : undefined;
    });
    await f.members.member1!.patch(
      resources.deployments,
      'drift',
      { spec: { template: { spec: { containers: [{ name: 'c', image: 'edited:9' }] } } } },
      'strategic',
      { namespace: 'default' },
    );
    await waitFor('the edit undone', async () => {
      const d = await memberDeployment(f, 'member1', 'drift');
      return (d?.spec as Json)?.template.spec.containers[0].image === 'web:1' &&
        d!.metadata.generation! > back.metadata.generation!
        ? d
        : undefined;
    });
  });

  it('leaves a resource it did not make alone (Abort), and takes it over when told to overwrite', async () => {
    // The member has its own "legacy" Deployment already.
    await f.members.member1!.create(resources.deployments, deployment('legacy', 'theirs:1'), {
      namespace: 'default',
    });
    await applyFile(f, 'legacy-deploy', JSON.stringify(deployment('legacy', 'ours:2')));
    await applyFile(f, 'legacy-pp', policy('legacy', ['member1']));
    const work = await waitFor('the Work refusing to apply', async () => {
      const works = await f.getJson(['works', '-n', 'karmada-es-member1']);
      const w = works.items.find((x: Json) => x.metadata.name.startsWith('legacy-'));
      const applied = w?.status?.conditions?.find((c: Json) => c.type === 'Applied');
      return applied?.status === 'False' ? w : undefined;
    });
    const applied = work.status.conditions.find((c: Json) => c.type === 'Applied');
    expect(applied.reason).toBe('AppliedFailed');
    expect(applied.message).toContain(
      'resource(kind=Deployment, default/legacy) already exists in the cluster member1 and the work.karmada.io/conflict-resolution strategy value is empty, Karmada will not manage this resource',
    );
    const untouched = (await memberDeployment(f, 'member1', 'legacy')) as Json;
    expect(untouched.spec.template.spec.containers[0].image).toBe('theirs:1');
    expect(untouched.metadata.labels['karmada.io/managed']).toBeUndefined();
    const rb = await waitFor('the binding not fully applied', async () => {
      const b = await f.getJson(['resourcebinding', 'legacy-deployment']);
      return b.status?.aggregatedStatus?.length ? b : undefined;
    });
    expect(rb.status.aggregatedStatus[0]).toMatchObject({
      clusterName: 'member1',
      applied: false,
      health: 'Unknown',
    });
    expect(rb.status.aggregatedStatus[0].appliedMessage).toContain('already exists in the cluster member1');
    expect(rb.status.conditions.find((c: Json) => c.type === 'FullyApplied')).toMatchObject({
      status: 'False',
      reason: 'FullyAppliedFailed',
    });

    // Overwrite, asked on the template.
    await f.kubectl(['annotate', 'deployment', 'legacy', 'work.karmada.io/conflict-resolution=overwrite']);
    const taken = (await waitFor('legacy taken over', async () => {
      const d = (await memberDeployment(f, 'member1', 'legacy')) as Json;
      return d?.metadata.labels?.['karmada.io/managed'] === 'true' ? d : undefined;
    })) as Json;
    expect(taken.spec.template.spec.containers[0].image).toBe('ours:2');
  });

  it('removes a workload from its members when the template goes, and keeps it when asked to preserve', async () => {
    await applyFile(f, 'gone-deploy', JSON.stringify(deployment('gone', 'web:1')));
    await applyFile(f, 'gone-pp', policy('gone', ['member1', 'member2']));
    await applyFile(f, 'kept-deploy', JSON.stringify(deployment('kept', 'web:1')));
    await applyFile(f, 'kept-pp', policy('kept', ['member2'], { preserveResourcesOnDeletion: true }));
    for (const m of MEMBERS) await waitFor(`gone on ${m}`, () => memberDeployment(f, m, 'gone'));
    await waitFor('kept on member2', () => memberDeployment(f, 'member2', 'kept'));

    await f.kubectl(['delete', 'deployment', 'gone', 'kept']);
    for (const m of MEMBERS) {
      await waitFor(
        `gone removed from ${m}`,
        async () => (await memberDeployment(f, m, 'gone')) === undefined,
      );
    }
    // The Works went too (their finalizer let go once the members were cleaned).
    await waitFor('the Works of gone deleted', async () => {
      const works = await f.getJson(['works', '-A']);
      return !works.items.some(
        (w: Json) => w.metadata.name.startsWith('gone-') || w.metadata.name.startsWith('kept-'),
      );
    });
    const kept = await memberDeployment(f, 'member2', 'kept');
    expect(kept).toBeDefined();
    // Released: no longer marked as the hub's.
    expect(kept!.metadata.labels?.['karmada.io/managed']).toBeUndefined();
    expect(kept!.metadata.annotations?.['work.karmada.io/name']).toBeUndefined();
  });

  it('keeps dispatching to one member while another is partitioned, and catches up when it heals', async () => {
    await requestFault(f.sims.dataDir, 'member2', { action: 'partition' });
    try {
      await applyFile(f, 'both-deploy', JSON.stringify(deployment('both', 'web:1')));
      await applyFile(f, 'both-pp', policy('both', ['member1', 'member2']));
      await waitFor('both on member1 and Ready', async () => (await readyPodsOn(f, 'member1', 'both')) === 1);
      // member2 has not been reached while partitioned.
      const w2 = await f.getJson(['works', '-n', 'karmada-es-member2']);
      const work = w2.items.find((x: Json) => x.metadata.name.startsWith('both-'));
      expect(work?.status?.conditions?.find((c: Json) => c.type === 'Applied')?.status).not.toBe('True');
    } finally {
      await requestFault(f.sims.dataDir, 'member2', { action: 'heal' });
    }
    await waitFor('both on member2 once healed', () => memberDeployment(f, 'member2', 'both'), 60_000);
  }, 90_000);

  it('keeps a fleet baseline on every member, puts drift right and shows it in concord audit', async () => {
    await f.kubectl(['apply', '-f', BASELINE]);
    const role = (m: string) =>
      f.members[m]!.get<KubeObject & { rules: Json[] }>(resources.clusterroles, 'baseline-read-only').catch(
        () => undefined,
      );
    const netpol = (m: string) =>
      f.members[m]!.get(resources.networkpolicies, 'default-deny-ingress', { namespace: 'shop' }).catch(
        () => undefined,
      );
    for (const m of MEMBERS) {
      await waitFor(`the baseline ClusterRole on ${m}`, () => role(m));
      await waitFor(`the baseline NetworkPolicy on ${m}`, () => netpol(m));
    }
    // Someone deletes the role on member1, then widens it there; another edits the policy on member2.
    const first = (await role('member1'))!;
    await f.members.member1!.delete(resources.clusterroles, 'baseline-read-only');
    const back = await waitFor('the role back on member1', async () => {
      const r = await role('member1');
      return r && r.metadata.uid !== first.metadata.uid ? r : undefined;
    });
    await f.members.member1!.update(resources.clusterroles, {
      ...back,
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    });
    await waitFor('the rules put back on member1', async () => {
      const r = await role('member1');
      return r?.rules?.[0]?.verbs?.join(',') === 'get,list,watch' ? r : undefined;
    });
    await f.members.member2!.patch(
      resources.networkpolicies,
      'default-deny-ingress',
      { spec: { policyTypes: ['Egress'] } },
      'merge',
      { namespace: 'shop' },
    );
    await waitFor('the NetworkPolicy put back on member2', async () => {
      const p = (await netpol('member2')) as (KubeObject & { spec: Json }) | undefined;
      return p && p.spec.policyTypes?.join(',') === 'Ingress' && p.metadata.generation! > 2 ? p : undefined;
    });

    const audit = await waitFor('the corrections in the audit', async () => {
      const a = await readAudit(new InProcessClient(f.hub.api.server));
      const [cr, np] = a.baselines;
      return cr?.driftCorrections.length === 2 &&
        np?.driftCorrections.length === 1 &&
        a.baselines.every((b) => b.applied.length === 2)
        ? a
        : undefined;
    });
    expect(
      audit.baselines.map((b) => [
        b.kind,
        b.namespace,
        b.name,
        b.policy,
        b.clusters,
        b.driftCorrections.map((d) => [d.cluster, d.change, d.count]).sort(),
      ]),
    ).toEqual([
      [
        'ClusterRole',
        undefined,
        'baseline-read-only',
        'fleet-baseline',
        MEMBERS,
        [
          ['member1', 'changed', 1],
          ['member1', 'deleted', 1],
        ],
      ],
      [
        'NetworkPolicy',
        'shop',
        'default-deny-ingress',
        'fleet-baseline',
        MEMBERS,
        [['member2', 'changed', 1]],
      ],
    ]);
    const table = formatAudit(audit);
    expect(table).toMatch(/^BASELINE\s+POLICY\s+CLUSTERS\s+APPLIED\s+DRIFT CORRECTED$/m);
    const roleRow = table.split('\n').find((l) => /^ClusterRole baseline-read-only\s+fleet-baseline/.test(l));
    expect(roleRow).toMatch(
      /^ClusterRole baseline-read-only\s+fleet-baseline\s+member1,member2\s+2\/2\s+member1 \(/,
    );
    expect(roleRow).toMatch(/member1 \(deleted x1, 20\d\d-[^)]+\)/);
    expect(roleRow).toMatch(/member1 \(changed x1, 20\d\d-[^)]+\)/);
    expect(table).toMatch(
      /^NetworkPolicy shop\/default-deny-ingress\s+fleet-baseline\s+member1,member2\s+2\/2\s+member2 \(changed x1, \S+\)$/m,
    );
  });

  it("gives a team its namespace and nothing else, and nobody but the hub the members' credentials", async () => {
    const ca = await loadHubCA(join(f.dir, 'hub'));
    const as = async (user: string, groups: string[]) => {
      const path = join(f.dir, `${user.replaceAll(':', '-')}.kubeconfig`);
      const cert = await issueClientCertificate(ca, { user, groups });
      await writeFile(
        path,
        buildKubeconfig({ name: 'hub', server: f.hub.url, caPem: ca.certPem, user: cert, userName: user }),
      );
      return (args: string[], input?: string) =>
        runKubectl('1.33', path, args, {
          home: join(f.dir, `home-${user.replaceAll(':', '-')}`),
          ...(input === undefined ? {} : { input }),
        });
    };
    for (const ns of ['team-a', 'team-b']) await f.kubectl(['create', 'namespace', ns]);
    await f.kubectl([
      'create',
      'rolebinding',
      'team-a-admins',
      '-n',
      'team-a',
      '--clusterrole=concord:team-admin',
      '--group=team-a',
    ]);
    const alice = await as('alice', ['team-a']);
    const app = (ns: string) =>
      [
        JSON.stringify({
          ...deployment('shop', 'web:1'),
          metadata: { name: 'shop', namespace: ns, labels: { app: 'shop' } },
        }),
        JSON.stringify({
          ...JSON.parse(policy('shop', ['member1'])),
          metadata: { name: 'shop', namespace: ns },
        }),
      ].join('\n');
    const own = await alice(['apply', '-f', '-'], app('team-a'));
    expect(own.stderr).toBe('');
    expect(own.stdout).toContain('deployment.apps/shop created');
    expect(own.stdout).toContain('propagationpolicy.policy.karmada.io/shop created');
    await waitFor('the team app on member1', () => memberDeployment(f, 'member1', 'shop', 'team-a'));
    const listed = await alice(['get', 'propagationpolicies', '-n', 'team-a', '-o', 'name']);
    expect(listed.stdout.trim()).toBe('propagationpolicy.policy.karmada.io/shop');

    const other = await alice(['apply', '-f', '-'], app('team-b'));
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(
      'deployments.apps "shop" is forbidden: User "alice" cannot get resource "deployments" in API group "apps" in the namespace "team-b"',
    );
    const cpp = await alice(['apply', '-f', BASELINE]);
    expect(cpp.stderr).toContain(
      'clusterpropagationpolicies.policy.karmada.io "fleet-baseline" is forbidden: User "alice" cannot get resource "clusterpropagationpolicies" in API group "policy.karmada.io" at the cluster scope',
    );
    const cluster = await alice(['label', 'cluster', 'member1', 'team=a']);
    expect(cluster.stderr).toContain(
      'clusters.cluster.karmada.io "member1" is forbidden: User "alice" cannot',
    );

    // The members' credentials: the Secrets join wrote in karmada-cluster.
    const secret = ['get', 'secret', 'member1', '-n', 'karmada-cluster'];
    await f.kubectl(secret); // there, for the hub
    const agent = await as(agentUser('member1'), [AGENT_GROUP]);
    const nobody = await as('bob', []);
    for (const [who, kubectl] of [
      ['alice', alice],
      [agentUser('member1'), agent],
      ['bob', nobody],
    ] as const) {
      const r = await kubectl(secret);
      expect(r.stderr).toContain(
        `secrets "member1" is forbidden: User "${who}" cannot get resource "secrets" in API group "" in the namespace "karmada-cluster"`,
      );
    }
  });
});
