// The API server with the real kubectl, oldest and newest supported minor versions: every
// everyday command a user runs against a Kubernetes cluster, on SQLite (the default store); on
// etcd, the commands whose outcome rests on the store (writes, patches, apply, watches,
// finalizers, custom resources) with the newest kubectl.

import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { issueClientCertificate, parseCA } from '../src/apiserver/pki.js';
import { buildKubeconfig } from '../src/machinery/kubeconfig.js';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { type KubectlVersion, kubectlPath } from './support/kubectl.js';
import type { TestStoreKind } from './support/stores.js';

// Objects read back from kubectl's JSON output: the tests drill into them freely.
// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON documents
type Json = Record<string, any>;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

const DEPLOYMENT = (replicas: number, env: { name: string; value: string }[]) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80}]
        env: ${JSON.stringify(env)}
`;

const CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Color, type: string, jsonPath: .spec.color}
    - {name: Size, type: integer, jsonPath: .spec.size}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              color: {type: string, enum: [red, blue]}
              size: {type: integer, default: 3}
`;

const RUNS: { version: KubectlVersion; store: TestStoreKind; all: boolean }[] = [
  { version: '1.27', store: 'sqlite', all: true },
  { version: '1.33', store: 'sqlite', all: true },
  { version: '1.33', store: 'etcd', all: false },
];

for (const { version, store, all } of RUNS) {
  describe(`kubectl ${version} [${store}]`, () => {
    let server: TestApiServer;
    const bin = kubectlPath(version);
    // A test that reads what the store holds runs on every store; the others on the full runs.
    const onEveryStore = it;
    const onFullRuns = (name: string, fn: () => Promise<void>) => {
      if (all) it(name, fn);
    };

    function kubectl(
      args: string[],
      opts: { input?: string; env?: Record<string, string>; kubeconfig?: string } = {},
    ): Promise<Result> {
      return new Promise((resolve) => {
        const child = execFile(
          bin,
          [
            '--kubeconfig',
            opts.kubeconfig ?? server.kubeconfigPath,
            '--cache-dir',
            join(server.dir, 'cache'),
            ...args,
          ],
          { env: { ...process.env, ...opts.env }, timeout: 60_000 },
          (err, stdout, stderr) => {
            const code = err ? ((err as { code?: number }).code ?? 1) : 0;
            resolve({ code: typeof code === 'number' ? code : 1, stdout, stderr });
          },
        );
        if (opts.input !== undefined) {
          child.stdin?.write(opts.input);
          child.stdin?.end();
        }
      });
    }

    async function ok(args: string[], opts: Parameters<typeof kubectl>[1] = {}): Promise<string> {
      const r = await kubectl(args, opts);
      expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
      return r.stdout;
    }

    async function json(args: string[]): Promise<Json> {
      return JSON.parse(await ok([...args, '-o', 'json']));
    }

    beforeAll(async () => {
      server = await startTestApiServer({ name: `kubectl-${version}`, store });
    });
    afterAll(async () => {
      await server?.stop();
    });

    onFullRuns('lists the API resources with their short names and groups', async () => {
      const out = await ok(['api-resources']);
      expect(out).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      expect(out).toMatch(
        /^customresourcedefinitions\s+crd,crds\s+apiextensions\.k8s\.io\/v1\s+false\s+CustomResourceDefinition$/m,
      );
      expect(out).toMatch(/^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);
    });

    onEveryStore('creates a namespace, applies a deployment and re-applies a change three-way', async () => {
      await ok(['create', 'namespace', 'shop']);
      const file = join(server.dir, 'deploy.yaml');
      await writeFile(
        file,
        DEPLOYMENT(2, [
          { name: 'MODE', value: 'a' },
          { name: 'DEBUG', value: '1' },
        ]),
      );
      expect(await ok(['apply', '-f', file])).toContain('deployment.apps/web created');
      // Someone else adds a label; the re-apply must keep it (three-way merge, not replace).
      await ok(['label', 'deployment', 'web', '-n', 'shop', 'owner=team']);
      await writeFile(file, DEPLOYMENT(3, [{ name: 'MODE', value: 'b' }]));
      expect(await ok(['apply', '-f', file])).toContain('deployment.apps/web configured');
      const d = await json(['get', 'deployment', 'web', '-n', 'shop']);
      expect(d.spec.replicas).toBe(3);
      expect(d.spec.template.spec.containers[0].env).toEqual([{ name: 'MODE', value: 'b' }]);
      expect(d.metadata.labels).toEqual({ app: 'web', owner: 'team' });
      expect(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain(
        '"replicas":3',
      );
      expect(d.metadata.generation).toBe(2);
      expect(await ok(['apply', '-f', file])).toContain('deployment.apps/web unchanged');
    });

    onEveryStore(
      'applies server-side, reports a conflict and takes the field with --force-conflicts',
      async () => {
        const file = join(server.dir, 'ssa.yaml');
        await writeFile(
          file,
          'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: shop}\ndata: {size: "1"}\n',
        );
        expect(await ok(['apply', '--server-side', '-f', file])).toContain(
          'configmap/ssa serverside-applied',
        );
        await writeFile(
          file,
          'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa, namespace: shop}\ndata: {size: "2"}\n',
        );
        const conflict = await kubectl(['apply', '--server-side', '--field-manager=ops', '-f', file]);
        expect(conflict.code).not.toBe(0);
        expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl"');
        expect(conflict.stderr).toContain('.data.size');
        await ok(['apply', '--server-side', '--field-manager=ops', '--force-conflicts', '-f', file]);
        const cm = await json(['get', 'configmap', 'ssa', '-n', 'shop', '--show-managed-fields']);
        expect(cm.data.size).toBe('2');
        const ops = cm.metadata.managedFields.find((m: { manager: string }) => m.manager === 'ops');
        expect(ops.operation).toBe('Apply');
        expect(ops.fieldsV1).toEqual({ 'f:data': { 'f:size': {} } });
      },
    );

    onFullRuns('prints tables, wide tables, JSON and YAML', async () => {
      const table = await ok(['get', 'deployments', '-n', 'shop']);
      expect(table.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
      expect(table).toMatch(/^web\s+0\/3\s+0\s+0\s+\d+s$/m);
      const wide = await ok(['get', 'deployments', '-n', 'shop', '-o', 'wide']);
      expect(wide).toMatch(/CONTAINERS\s+IMAGES\s+SELECTOR/);
      expect(wide).toMatch(/nginx\s+nginx:1\.27\s+app=web/);
      const list = await json(['get', 'deployments', '-n', 'shop']);
      expect(list.kind).toBe('List');
      expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['web']);
      const yaml = parseYaml(await ok(['get', 'deployment', 'web', '-n', 'shop', '-o', 'yaml'])) as Json;
      expect(yaml.spec.strategy).toEqual({
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      });
    });

    onEveryStore('streams an update to `get -w`', async () => {
      await ok(['create', 'configmap', 'watched', '-n', 'shop', '--from-literal=v=1']);
      // The entry kube-apiserver records for this command, as `kubectl get --show-managed-fields`
      // shows it there (an Update by kubectl's create field manager, owning the data map and key).
      const created = await json(['get', 'configmap', 'watched', '-n', 'shop', '--show-managed-fields']);
      expect(created.metadata.managedFields).toEqual([
        {
          apiVersion: 'v1',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { '.': {}, 'f:v': {} } },
          manager: 'kubectl-create',
          operation: 'Update',
          time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        },
      ]);
      const child = spawn(bin, [
        '--kubeconfig',
        server.kubeconfigPath,
        '--cache-dir',
        join(server.dir, 'cache'),
        'get',
        'configmap',
        'watched',
        '-n',
        'shop',
        '-w',
        '-o',
        'jsonpath={.data.v}{"\\n"}',
      ]);
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      try {
        await until(() => out.includes('1\n'), 'the initial state');
        await ok(['patch', 'configmap', 'watched', '-n', 'shop', '--type=merge', '-p', '{"data":{"v":"2"}}']);
        await until(() => out.includes('2\n'), 'the update');
      } finally {
        child.kill();
      }
      expect(out.trim().split('\n')).toEqual(['1', '2']);
    });

    onEveryStore('patches with each patch type', async () => {
      await ok([
        'patch',
        'deployment',
        'web',
        '-n',
        'shop',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/spec/replicas","value":5}]',
      ]);
      await ok([
        'patch',
        'deployment',
        'web',
        '-n',
        'shop',
        '--type=merge',
        '-p',
        '{"metadata":{"annotations":{"patched":"merge"}}}',
      ]);
      // Strategic merge: containers merge by name, so the image changes and the rest stays.
      await ok([
        'patch',
        'deployment',
        'web',
        '-n',
        'shop',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}',
      ]);
      const d = await json(['get', 'deployment', 'web', '-n', 'shop']);
      expect(d.spec.replicas).toBe(5);
      expect(d.metadata.annotations.patched).toBe('merge');
      expect(d.spec.template.spec.containers).toHaveLength(1);
      expect(d.spec.template.spec.containers[0]).toMatchObject({
        name: 'nginx',
        image: 'nginx:1.28',
        env: [{ name: 'MODE', value: 'b' }],
      });
      const bad = await kubectl([
        'patch',
        'deployment',
        'web',
        '-n',
        'shop',
        '--type=json',
        '-p',
        '[{"op":"test","path":"/spec/replicas","value":99}]',
      ]);
      expect(bad.code).not.toBe(0);
    });

    onFullRuns('scales, labels and annotates', async () => {
      expect(await ok(['scale', 'deployment', 'web', '-n', 'shop', '--replicas=4'])).toContain('scaled');
      await ok(['label', 'deployment', 'web', '-n', 'shop', 'tier=front']);
      await ok(['annotate', 'deployment', 'web', '-n', 'shop', 'note=hello']);
      const d = await json(['get', 'deployment', 'web', '-n', 'shop']);
      expect(d.spec.replicas).toBe(4);
      expect(d.metadata.labels.tier).toBe('front');
      expect(d.metadata.annotations.note).toBe('hello');
      const selected = await ok([
        'get',
        'deployments',
        '-n',
        'shop',
        '-l',
        'tier=front,app in (web)',
        '-o',
        'name',
      ]);
      expect(selected.trim()).toBe('deployment.apps/web');
    });

    onFullRuns('edits with a non-interactive editor', async () => {
      const editor = join(server.dir, 'editor.sh');
      await writeFile(editor, '#!/bin/sh\nsed -i "s/replicas: 4/replicas: 6/" "$1"\n', { mode: 0o755 });
      expect(
        await ok(['edit', 'deployment', 'web', '-n', 'shop'], {
          env: { EDITOR: editor, KUBE_EDITOR: editor },
        }),
      ).toContain('edited');
      expect((await json(['get', 'deployment', 'web', '-n', 'shop'])).spec.replicas).toBe(6);
    });

    onFullRuns('explains fields from the OpenAPI documents', async () => {
      const out = await ok(['explain', 'deployment.spec']);
      expect(out).toContain('KIND:');
      expect(out).toMatch(/replicas\s+<integer>/);
      expect(out).toMatch(/template\s+<(Object|PodTemplateSpec)> -required-/);
    });

    onEveryStore('waits on delete until a second client removes the finalizer', async () => {
      await ok(['create', 'configmap', 'held', '-n', 'shop', '--from-literal=a=b']);
      await ok([
        'patch',
        'configmap',
        'held',
        '-n',
        'shop',
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":["example.com/hold"]}}',
      ]);
      const deleting = kubectl(['delete', 'configmap', 'held', '-n', 'shop', '--wait=true', '--timeout=60s']);
      await until(async () => {
        const r = await kubectl([
          'get',
          'configmap',
          'held',
          '-n',
          'shop',
          '-o',
          'jsonpath={.metadata.deletionTimestamp}',
        ]);
        return r.stdout !== '';
      }, 'the deletion to start');
      const stillThere = await kubectl(['get', 'configmap', 'held', '-n', 'shop']);
      expect(stillThere.code).toBe(0);
      await ok([
        'patch',
        'configmap',
        'held',
        '-n',
        'shop',
        '--type=json',
        '-p',
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      ]);
      const done = await deleting;
      expect(done.code, done.stderr).toBe(0);
      expect((await kubectl(['get', 'configmap', 'held', '-n', 'shop'])).stderr).toContain('NotFound');
    });

    onFullRuns('answers auth can-i by RBAC, for a user authenticated by client certificate', async () => {
      expect((await ok(['auth', 'can-i', 'create', 'pods'])).trim()).toBe('yes');
      const ca = await parseCA(
        await import('node:fs/promises').then((fs) =>
          fs.readFile(join(server.dir, 'state', 'pki', 'ca.crt'), 'utf8'),
        ),
        await import('node:fs/promises').then((fs) =>
          fs.readFile(join(server.dir, 'state', 'pki', 'ca.key'), 'utf8'),
        ),
      );
      const cert = await issueClientCertificate(ca, { user: `viewer-${version}`, groups: ['team'] });
      const viewerConfig = join(server.dir, `viewer-${version}.kubeconfig`);
      await writeFile(
        viewerConfig,
        buildKubeconfig({
          name: 'viewer',
          server: server.url,
          caPem: server.caPem,
          user: { certPem: cert.certPem, keyPem: cert.keyPem },
        }),
      );
      await ok([
        'create',
        'rolebinding',
        'viewers',
        '-n',
        'shop',
        '--clusterrole=view',
        `--user=viewer-${version}`,
      ]);
      const asViewer = { kubeconfig: viewerConfig };
      expect((await ok(['auth', 'can-i', 'list', 'pods', '-n', 'shop'], asViewer)).trim()).toBe('yes');
      const no = await kubectl(['auth', 'can-i', 'create', 'pods', '-n', 'shop'], asViewer);
      expect(no.code).toBe(1);
      expect(no.stdout.trim()).toBe('no');
      const forbidden = await kubectl(['delete', 'configmap', 'ssa', '-n', 'shop'], asViewer);
      expect(forbidden.stderr).toContain(
        `configmaps "ssa" is forbidden: User "viewer-${version}" cannot delete resource "configmaps" in API group "" in the namespace "shop"`,
      );
      const wrongToken = await kubectl(['get', 'namespaces', '--token', 'not-a-token']);
      expect(wrongToken.code).toBe(1);
      expect(wrongToken.stderr).toContain('error: You must be logged in to the server');
    });

    onEveryStore(
      'serves a new CRD at once: custom resources are validated, defaulted, applied and listed',
      async () => {
        await ok(['apply', '-f', '-'], { input: CRD });
        await ok(['apply', '-f', '-'], {
          input:
            'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1, namespace: shop}\nspec: {color: red}\n',
        });
        const table = await ok(['get', 'widgets', '-n', 'shop']);
        expect(table.split('\n')[0]).toMatch(/^NAME\s+COLOR\s+SIZE$/);
        expect(table).toMatch(/^w1\s+red\s+3$/m);
        expect(await ok(['get', 'wd', 'w1', '-n', 'shop', '-o', 'jsonpath={.spec.size}'])).toBe('3');
        const invalid = await kubectl(['apply', '-f', '-'], {
          input:
            'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2, namespace: shop}\nspec: {color: green}\n',
        });
        expect(invalid.code).not.toBe(0);
        expect(invalid.stderr).toContain('spec.color');
        expect(invalid.stderr).toContain('Unsupported value: "green"');
      },
    );
  });
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await check()) return;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
