// Karmada's APIs on an API server that serves them (on the SQLite store), driven with the real
// kubectl: every upstream manifest of Karmada's kinds applies unchanged, client-side and
// server-side, and reads back with the defaults Karmada sets; `kubectl get` prints Karmada's
// columns and `kubectl explain` documents the fields; bad input is refused with a 4xx Status
// that names the field.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { karmadaApis } from '../src/hub/apis/karmada/index.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { type KubectlResult, runKubectl } from './support/kubectl.js';

// Objects read back from kubectl's JSON output: the tests drill into them freely.
// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON documents
type Json = Record<string, any>;

const FIXTURES = '/work/shared/fixtures/karmada';
const UPSTREAM = join(FIXTURES, 'karmada-io_karmada');
const KARMADA_GROUPS = ['cluster.karmada.io', 'policy.karmada.io', 'work.karmada.io'];
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Cluster',
  'ClusterPropagationPolicy',
  'ClusterOverridePolicy',
  'ClusterResourceBinding',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Fixture {
  path: string;
  docs: Json[];
}

const isKarmada = (doc: Json) => KARMADA_GROUPS.includes(String(doc.apiVersion).split('/')[0]!);

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await yamlFiles(p)));
    else if (/\.ya?ml$/.test(entry.name)) out.push(p);
  }
  return out.sort();
}

/** Every fixture file holding a manifest of Karmada's kinds. */
async function karmadaFixtures(): Promise<Fixture[]> {
  const out: Fixture[] = [];
  for (const path of await yamlFiles(FIXTURES)) {
    const docs = parseAllDocuments(await readFile(path, 'utf8'))
      .map((d) => d.toJS() as Json | null)
      .filter((d): d is Json => d !== null && typeof d === 'object' && 'kind' in d);
    if (docs.some(isKarmada)) out.push({ path, docs });
  }
  return out;
}

/** Files that can be applied together: no two of them write the same object. */
function rounds(fixtures: Fixture[]): Fixture[][] {
  const out: { files: Fixture[]; keys: Set<string> }[] = [];
  for (const f of fixtures) {
    const keys = f.docs.map(
      (d) =>
        `${d.kind}/${CLUSTER_SCOPED.has(d.kind) ? '' : (d.metadata?.namespace ?? 'default')}/${d.metadata?.name}`,
    );
    let round = out.find((r) => keys.every((k) => !r.keys.has(k)));
    if (!round) {
      round = { files: [], keys: new Set() };
      out.push(round);
    }
    round.files.push(f);
    for (const k of keys) round.keys.add(k);
  }
  return out.map((r) => r.files);
}

interface Reply {
  code: number;
  body: Json;
}

describe('Karmada APIs with kubectl', () => {
  let server: TestApiServer;
  let dir: string;
  let agent: Agent;

  const kubectl = (args: string[], input?: string): Promise<KubectlResult> =>
    runKubectl('1.33', server.kubeconfigPath, args, input === undefined ? {} : { input });

  async function ok(args: string[], input?: string): Promise<string> {
    const r = await kubectl(args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  }

  const getJson = async (args: string[]): Promise<Json> =>
    JSON.parse(await ok(['get', ...args, '-o', 'json']));

  /** Applies and returns the objects as the server stored them (a List, or the one object). */
  const applyAll = async (args: string[]): Promise<Json[]> => {
    const out = JSON.parse(await ok([...args, '-o', 'json']));
    return out.kind === 'List' ? out.items : [out];
  };

  /** A raw request as the admin, for what kubectl does not show: the status code and the causes. */
  const send = (method: string, path: string, body: unknown) =>
    new Promise<Reply>((resolve, reject) => {
      const data = Buffer.from(JSON.stringify(body));
      const req = request(
        `${server.url}${path}`,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${server.adminToken}`,
            'content-type': 'application/json',
            'content-length': data.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ code: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }),
          );
        },
      );
      req.on('error', reject);
      req.end(data);
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-karmada-'));
    const store = await SqliteStore.open({ path: join(dir, 'state.db') });
    server = await startTestApiServer({ store, extensions: [karmadaApis] });
    agent = new Agent({ keepAlive: true, ca: server.caPem });
    await ok(['apply', '-f', join(UPSTREAM, 'artifacts/example/namespace.yaml')]);
    await ok(['create', 'namespace', 'nginx']);
  }, 60_000);

  afterAll(async () => {
    agent?.destroy();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the upstream manifests of Karmada kinds', async () => {
    const names = (await karmadaFixtures()).map((f) => relative(FIXTURES, f.path));
    expect(names).toContain('karmada-io_karmada/samples/nginx/propagationpolicy.yaml');
    expect(names).toContain('karmada-io_karmada/artifacts/example/cr_cluster.yaml');
    expect(names).toContain(
      'karmada-io_website/docs/resources/tutorials/rollout/progressive/base/http-probe-app.yaml',
    );
    expect(names.length).toBeGreaterThanOrEqual(17);
  });

  for (const mode of ['client-side', 'server-side'] as const) {
    it(`applies every upstream manifest of Karmada kinds unchanged, ${mode}, twice, and reads them back defaulted`, async () => {
      const applyArgs = mode === 'server-side' ? ['apply', '--server-side'] : ['apply'];
      // The one v1alpha1 binding manifest is left to its own test: bindings are served at v1alpha2.
      const fixtures = (await karmadaFixtures()).filter(
        (f) => !f.path.endsWith('artifacts/example/binding.yaml'),
      );
      for (const round of rounds(fixtures)) {
        const files = round.flatMap((f) => ['-f', f.path]);
        const first = await applyAll([...applyArgs, ...files]);
        const again = await applyAll([...applyArgs, ...files]);
        const applied = round.flatMap((f) => f.docs);
        for (const doc of applied.filter(isKarmada)) {
          const same = (o: Json) => o.kind === doc.kind && o.metadata.name === doc.metadata.name;
          const live = first.find(same) as Json;
          expect(live, `${doc.kind} ${doc.metadata.name}`).toBeDefined();
          const relived = again.find(same) as Json;
          // Re-applying changes nothing the server decided.
          expect(relived.metadata.labels).toEqual(live.metadata.labels);
          expect(relived.spec).toEqual(live.spec);
          if (doc.kind === 'PropagationPolicy' || doc.kind === 'ClusterPropagationPolicy') {
            const id = `${doc.kind.toLowerCase()}.karmada.io/permanent-id`;
            expect(live.metadata.labels[id]).toMatch(UUID);
            expect(live.spec).toMatchObject({
              priority: doc.spec.priority ?? 0,
              preemption: doc.spec.preemption ?? 'Never',
              conflictResolution: doc.spec.conflictResolution ?? 'Abort',
              schedulerName: doc.spec.schedulerName ?? 'default-scheduler',
            });
          }
          if (doc.kind === 'PropagationPolicy' || doc.kind === 'OverridePolicy') {
            for (const s of live.spec.resourceSelectors ?? [])
              expect(s.namespace).toBe(live.metadata.namespace);
          }
        }
        await ok(['delete', '--wait=false', ...files]);
      }
    }, 120_000);
  }

  it('reads the nginx sample back as Karmada would store it', async () => {
    await ok(['apply', '-n', 'nginx', '-f', join(UPSTREAM, 'samples/nginx')]);
    const pp = await getJson(['-n', 'nginx', 'propagationpolicy', 'nginx-propagation']);
    expect(Object.keys(pp.metadata.labels)).toEqual(['propagationpolicy.karmada.io/permanent-id']);
    expect(pp.spec).toEqual({
      resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx', namespace: 'nginx' }],
      placement: {
        clusterAffinity: { clusterNames: ['member1', 'member2'] },
        replicaScheduling: {
          replicaDivisionPreference: 'Weighted',
          replicaSchedulingType: 'Divided',
          weightPreference: {
            staticWeightList: [
              { targetCluster: { clusterNames: ['member1'] }, weight: 1 },
              { targetCluster: { clusterNames: ['member2'] }, weight: 1 },
            ],
          },
        },
      },
      conflictResolution: 'Abort',
      preemption: 'Never',
      priority: 0,
      schedulerName: 'default-scheduler',
    });
    const op = await getJson(['-n', 'nginx', 'overridepolicy', 'nginx-op']);
    expect(op.spec.resourceSelectors).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx', namespace: 'nginx' },
    ]);

    // Divided with no preference is weighted; Duplicated stays as written.
    const progressive = join(FIXTURES, 'karmada-io_website/docs/resources/tutorials/rollout/progressive');
    await ok(['apply', '-n', 'nginx', '-f', join(progressive, 'base/http-probe-app.yaml')]);
    const divided = await getJson(['-n', 'nginx', 'pp', 'http-probe-app-propagation']);
    expect(divided.spec.placement.replicaScheduling).toEqual({
      replicaSchedulingType: 'Divided',
      replicaDivisionPreference: 'Weighted',
    });
    await ok(['create', 'namespace', 'wave']);
    await ok(['apply', '-n', 'wave', '-f', join(progressive, 'wave/http-probe-app-wave-base.yaml')]);
    const duplicated = await getJson(['-n', 'wave', 'pp', 'http-probe-app-propagation']);
    expect(duplicated.spec.placement.replicaScheduling).toEqual({ replicaSchedulingType: 'Duplicated' });

    const table = await ok(['get', '-n', 'nginx', 'propagationpolicies']);
    const [header, ...rows] = table
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(header).toEqual(['NAME', 'CONFLICT-RESOLUTION', 'PRIORITY', 'AGE']);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ['http-probe-app-propagation', 'Abort', '0'],
      ['nginx-propagation', 'Abort', '0'],
    ]);
  });

  it('keeps the namespaced-looking cr_cluster.yaml as a cluster-wide Cluster with Karmada defaults and columns', async () => {
    await ok(['apply', '--server-side', '-f', join(UPSTREAM, 'artifacts/example/cr_cluster.yaml')]);
    const cluster = await getJson(['cluster', 'cluster-foo']);
    expect(cluster.metadata.namespace).toBeUndefined();
    expect(cluster.spec.zone).toBeUndefined();
    expect(cluster.spec.zones).toEqual(['az-1']);
    expect(cluster.spec.secretRef).toEqual({ namespace: 'karmada-cluster', name: 'secret-foo' });
    expect(cluster.spec.resourceModels).toHaveLength(9);
    expect(cluster.spec.resourceModels[8]).toEqual({
      grade: 8,
      ranges: [
        { name: 'cpu', min: '128', max: '9223372036854775807' },
        { name: 'memory', min: '1Ti', max: '9223372036854775807' },
      ],
    });

    const [header, row] = (await ok(['get', 'clusters']))
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(header).toEqual(['NAME', 'VERSION', 'MODE', 'READY', 'AGE']);
    // No version until the first probe: the cell is empty.
    expect(row!.slice(0, 3)).toEqual(['cluster-foo', 'Push', 'Unknown']);
    const [wideHeader, wideRow] = (await ok(['get', 'clusters', '-o', 'wide']))
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(wideHeader).toEqual([
      'NAME',
      'VERSION',
      'MODE',
      'READY',
      'AGE',
      'ZONES',
      'REGION',
      'PROVIDER',
      'API-ENDPOINT',
      'PROXY-URL',
    ]);
    expect(wideRow!.slice(-5)).toEqual([
      'az-1',
      'ap-southeast-1',
      'huaweicloud',
      'https://10.10.10.10:6339',
      '<none>',
    ]);

    expect(await ok(['get', 'clusters', '--field-selector', 'spec.syncMode=Push', '-o', 'name'])).toBe(
      'cluster.cluster.karmada.io/cluster-foo\n',
    );
    expect(await ok(['get', 'clusters', '--field-selector', 'spec.syncMode=Pull', '-o', 'name'])).toBe('');

    // The registry's probes write status through the subresource; the columns follow.
    await ok([
      'patch',
      'cluster',
      'cluster-foo',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          kubernetesVersion: 'v1.33.1',
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'ClusterReady',
              message: 'cluster is healthy and ready to accept workloads',
              lastTransitionTime: '2026-03-01T12:00:00Z',
            },
          ],
        },
      }),
    ]);
    const [, probed] = (await ok(['get', 'clusters']))
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(probed!.slice(0, 4)).toEqual(['cluster-foo', 'v1.33.1', 'Push', 'True']);
  });

  it('serves bindings at v1alpha2 only, with their columns and field selectors', async () => {
    const v1alpha1 = await kubectl(['apply', '-f', join(UPSTREAM, 'artifacts/example/binding.yaml')]);
    expect(v1alpha1.code).not.toBe(0);
    expect(v1alpha1.stderr).toContain(
      'no matches for kind "ResourceBinding" in version "work.karmada.io/v1alpha1"',
    );

    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'work.karmada.io/v1alpha2',
        kind: 'ResourceBinding',
        metadata: { name: 'nginx-deployment', namespace: 'nginx' },
        spec: {
          resource: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'nginx', name: 'nginx' },
          replicas: 2,
          clusters: [
            { name: 'member1', replicas: 1 },
            { name: 'member2', replicas: 1 },
          ],
        },
      }),
    );
    const rb = await getJson(['-n', 'nginx', 'resourcebinding', 'nginx-deployment']);
    expect(rb.metadata.labels['resourcebinding.karmada.io/permanent-id']).toMatch(UUID);
    expect(rb.spec.conflictResolution).toBe('Abort');
    await ok([
      'patch',
      '-n',
      'nginx',
      'rb',
      'nginx-deployment',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          conditions: [
            {
              type: 'Scheduled',
              status: 'True',
              reason: 'Success',
              message: 'Binding has been scheduled successfully.',
              lastTransitionTime: '2026-03-01T12:00:00Z',
            },
            {
              type: 'FullyApplied',
              status: 'False',
              reason: 'FullyAppliedFailed',
              message: 'Failed to apply all works',
              lastTransitionTime: '2026-03-01T12:00:00Z',
            },
          ],
        },
      }),
    ]);
    const [header, row] = (await ok(['get', '-n', 'nginx', 'resourcebindings']))
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(header).toEqual(['NAME', 'SCHEDULED', 'FULLYAPPLIED', 'AGE']);
    expect(row!.slice(0, 3)).toEqual(['nginx-deployment', 'True', 'False']);
    expect(
      await ok([
        'get',
        '-n',
        'nginx',
        'rb',
        '--field-selector',
        'spec.resource.kind=Deployment',
        '-o',
        'name',
      ]),
    ).toBe('resourcebinding.work.karmada.io/nginx-deployment\n');
    expect(
      await ok(['get', '-n', 'nginx', 'rb', '--field-selector', 'spec.resource.kind=Service', '-o', 'name']),
    ).toBe('');
  });

  it('cleans the manifests of a Work and labels them with its id', async () => {
    await ok(['create', 'namespace', 'karmada-es-member1']);
    await ok(['apply', '-n', 'nginx', '-f', join(UPSTREAM, 'samples/nginx/deployment.yaml')]);
    const template = await getJson(['-n', 'nginx', 'deployment', 'nginx']);
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'work.karmada.io/v1alpha1',
        kind: 'Work',
        metadata: { name: 'nginx-687f7fb96f', namespace: 'karmada-es-member1' },
        spec: { workload: { manifests: [{ ...template, status: { replicas: 2 } }] } },
      }),
    );
    const work = await getJson(['-n', 'karmada-es-member1', 'work', 'nginx-687f7fb96f']);
    const id = work.metadata.labels['work.karmada.io/permanent-id'];
    expect(id).toMatch(UUID);
    const [manifest] = work.spec.workload.manifests;
    expect(manifest.status).toBeUndefined();
    expect(Object.keys(manifest.metadata).sort()).toEqual(['annotations', 'labels', 'name', 'namespace']);
    expect(manifest.metadata.labels).toEqual({ app: 'nginx', 'work.karmada.io/permanent-id': id });
    expect(manifest.metadata.annotations['resourcetemplate.karmada.io/managed-labels']).toBe(
      'app,work.karmada.io/permanent-id',
    );
    const [header, row] = (await ok(['get', 'works', '-A']))
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    expect(header).toEqual(['NAMESPACE', 'NAME', 'WORKLOAD-KIND', 'APPLIED', 'AGE']);
    expect(row!.slice(0, 3)).toEqual(['karmada-es-member1', 'nginx-687f7fb96f', 'Deployment']);
  });

  it('explains the placement of a PropagationPolicy', async () => {
    const out = await ok(['explain', 'propagationpolicy.spec.placement']);
    expect(out).toContain('KIND:       PropagationPolicy');
    expect(out).toContain('VERSION:    v1alpha1');
    for (const field of [
      'clusterAffinities',
      'clusterAffinity',
      'clusterTolerations',
      'replicaScheduling',
      'spreadConstraints',
    ]) {
      expect(out).toMatch(new RegExp(`^\\s+${field}\\t<`, 'm'));
    }
    expect(await ok(['explain', 'cluster.spec.syncMode'])).toMatch(/ENUM:\s+Push\s+Pull/);
  });

  describe('bad input', () => {
    beforeAll(async () => {
      await ok(['create', 'namespace', 'bad']);
    });
    const policy = (spec: Json) => ({
      apiVersion: 'policy.karmada.io/v1alpha1',
      kind: 'PropagationPolicy',
      metadata: { name: 'bad', namespace: 'bad' },
      spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'nginx' }], ...spec },
    });
    const causes = (r: Reply) => (r.body.details?.causes ?? []).map((c: Json) => c.field);

    it('refuses an unknown field under strict validation', async () => {
      const r = await kubectl(
        ['apply', '-f', '-'],
        JSON.stringify(policy({ placement: { clusterAffinty: { clusterNames: ['member1'] } } })),
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('unknown field "spec.placement.clusterAffinty"');
      const raw = await send(
        'POST',
        '/apis/policy.karmada.io/v1alpha1/namespaces/bad/propagationpolicies?fieldValidation=Strict',
        policy({ placement: { clusterAffinty: {} } }),
      );
      expect(raw.code).toBe(422);
      expect(raw.body).toMatchObject({ kind: 'Status', reason: 'Invalid' });
    });

    it('refuses an unknown spread field, weights that add up to nothing and a selector that cannot parse', async () => {
      const r = await send(
        'POST',
        '/apis/policy.karmada.io/v1alpha1/namespaces/bad/propagationpolicies',
        policy({
          resourceSelectors: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              labelSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['nginx'] }] },
            },
          ],
          placement: {
            spreadConstraints: [{ spreadByField: 'galaxy' }],
            replicaScheduling: {
              replicaSchedulingType: 'Divided',
              weightPreference: {
                staticWeightList: [{ targetCluster: { clusterNames: ['member1'] }, weight: 0 }],
              },
            },
          },
        }),
      );
      expect(r.code).toBe(422);
      expect(r.body.kind).toBe('Status');
      expect(causes(r)).toEqual(
        expect.arrayContaining([
          'spec.placement.spreadConstraints[0].spreadByField',
          'spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight',
          'spec.resourceSelectors[0].labelSelector.matchExpressions[0].operator',
        ]),
      );
      // Selecting nothing is refused: an empty selector list does not mean every resource.
      const none = await send(
        'POST',
        '/apis/policy.karmada.io/v1alpha1/namespaces/bad/propagationpolicies',
        policy({ resourceSelectors: [] }),
      );
      expect(none.code).toBe(422);
      expect(causes(none)).toEqual(['spec.resourceSelectors']);
      const viaKubectl = await kubectl(
        ['apply', '-f', '-'],
        JSON.stringify(policy({ placement: { spreadConstraints: [{ spreadByField: 'galaxy' }] } })),
      );
      expect(viaKubectl.stderr).toContain(
        'spec.placement.spreadConstraints[0].spreadByField: Unsupported value: "galaxy": supported values: "cluster", "region", "zone", "provider"',
      );
    });

    it('refuses a Cluster with a bad sync mode or a name too long for its execution namespace', async () => {
      const cluster = (name: string, syncMode: string) => ({
        apiVersion: 'cluster.karmada.io/v1alpha1',
        kind: 'Cluster',
        metadata: { name },
        spec: { syncMode },
      });
      const mode = await send(
        'POST',
        '/apis/cluster.karmada.io/v1alpha1/clusters',
        cluster('member9', 'Sideways'),
      );
      expect(mode.code).toBe(422);
      expect(causes(mode)).toEqual(['spec.syncMode']);
      expect(mode.body.message).toContain(
        'spec.syncMode: Unsupported value: "Sideways": supported values: "Push", "Pull"',
      );
      const long = await send(
        'POST',
        '/apis/cluster.karmada.io/v1alpha1/clusters',
        cluster('m'.repeat(49), 'Push'),
      );
      expect(long.code).toBe(422);
      expect(causes(long)).toEqual(['metadata.name']);
    });

    it('refuses a new scheduler for an existing policy', async () => {
      await ok(['apply', '-f', '-'], JSON.stringify(policy({})));
      const r = await kubectl(
        ['apply', '-f', '-'],
        JSON.stringify(policy({ schedulerName: 'other-scheduler' })),
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('spec.schedulerName: Invalid value: "other-scheduler": field is immutable');
    });
  });
});
