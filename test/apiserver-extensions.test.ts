// Kinds an API server is opened to: an extension installs its CustomResourceDefinitions when the
// server starts and gives custom resource kinds the behaviour of built-in ones (defaults,
// preparation, validation, field selectors, tables). Checked with the real kubectl over HTTPS,
// on the SQLite store and in memory; and the 200/201 of PUT and apply decided by the write itself.

import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiExtension,
  ageColumn,
  type FieldError,
  nameColumn,
  objectAge,
  type Strategy,
} from '../src/apiserver/extensions.js';
import { asObject } from '../src/apiserver/kinds/values.js';
import { array, crd, int32, metaConditions, object, oneOf, string } from '../src/hub/apis/schema.js';
import type { KubeObject } from '../src/machinery/object.js';
import type { Schema } from '../src/machinery/schema.js';
import { MemoryStore } from '../src/storage/memory.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import type { Store } from '../src/storage/store.js';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { type KubectlVersion, runKubectl } from './support/kubectl.js';

// Objects read back from kubectl's JSON output: the tests drill into them freely.
// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON documents
type Json = Record<string, any>;

const GROUP = 'example.concord.dev';

/** The Gadget schema; `extraSpec` adds fields (a newer release of the same kind). */
function gadgetSchema(extraSpec: Record<string, Schema> = {}): Schema {
  return object(
    {
      spec: object(
        {
          provider: string({ description: 'Where the gadget runs: a cloud name or "local".' }),
          size: oneOf(['small', 'large'], { default: 'small', description: 'How big each replica is.' }),
          replicas: int32({ minimum: 0, default: 1, description: 'How many copies to run.' }),
          tier: string({ description: 'Service tier; derived from the size when left out.' }),
          ports: array(object({ name: string(), port: int32() }, { required: ['name', 'port'] }), {
            listType: 'map',
            mapKeys: ['name'],
            description: 'Ports the gadget listens on, by name.',
          }),
          ...extraSpec,
        },
        { required: ['provider'], description: 'What the gadget should be.' },
      ),
      status: object(
        {
          phase: string({ description: 'Pending, Scaling or Ready.' }),
          readyReplicas: int32(),
          conditions: metaConditions(),
        },
        { description: 'What the gadget is.' },
      ),
    },
    { description: 'A Gadget is a made-up kind for testing API extensions.' },
  );
}

function gadgetCrd(extraSpec?: Record<string, Schema>): KubeObject {
  const schema = gadgetSchema(extraSpec);
  return crd({
    group: GROUP,
    kind: 'Gadget',
    plural: 'gadgets',
    shortNames: ['gd'],
    scope: 'Namespaced',
    versions: [
      { name: 'v1', storage: true, schema, status: true },
      { name: 'v1alpha1', storage: false, schema, status: true },
    ],
  });
}

interface GadgetSpec {
  provider?: string;
  size?: string;
  replicas?: number;
  tier?: string;
}

// Strategies see objects before validation: a spec of the wrong type is the schema's to report.
const specOf = (obj: KubeObject) => (asObject(obj.spec) ?? {}) as GadgetSpec;
const statusOf = (obj: KubeObject) =>
  (asObject(obj.status) ?? {}) as { phase?: string; readyReplicas?: number };

const gadgetStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = specOf(obj);
    // Runs after the schema's defaults, so the size is always known here.
    spec.tier ??= spec.size === 'large' ? 'gold' : spec.size === 'small' ? 'silver' : 'unsized';
  },
  prepareForCreate(obj) {
    obj.status = { phase: 'Pending' };
  },
  prepareForUpdate(obj, old) {
    if (specOf(obj).replicas !== specOf(old).replicas) obj.status = { ...statusOf(obj), phase: 'Scaling' };
  },
  prepareForStatusUpdate(obj) {
    const status = statusOf(obj);
    if ((status.readyReplicas ?? 0) >= (specOf(obj).replicas ?? 0)) status.phase = 'Ready';
  },
  statusResets: ['finalizers', 'ownerReferences'],
  validate(obj) {
    const spec = specOf(obj);
    const errs: FieldError[] = [];
    if (spec.size === 'small' && (spec.replicas ?? 0) > 3) {
      errs.push({
        type: 'FieldValueInvalid',
        field: 'spec.replicas',
        badValue: spec.replicas,
        detail: 'must be at most 3 for a small gadget',
      });
    }
    return errs;
  },
  validateUpdate(obj, old) {
    const provider = specOf(obj).provider;
    if (provider === specOf(old).provider) return [];
    return [
      { type: 'FieldValueInvalid', field: 'spec.provider', badValue: provider, detail: 'field is immutable' },
    ];
  },
  selectableFields: (obj) => ({ 'spec.provider': specOf(obj).provider ?? '' }),
  table: {
    columns: [
      nameColumn,
      { name: 'Provider', type: 'string', description: 'Where the gadget runs.' },
      { name: 'Replicas', type: 'integer', description: 'Copies wanted.' },
      { name: 'Phase', type: 'string', description: 'What the gadget is doing.' },
      ageColumn,
      { name: 'Tier', type: 'string', description: 'Service tier.', priority: 1 },
    ],
    cells: (obj, now) => [
      obj.metadata.name,
      specOf(obj).provider,
      specOf(obj).replicas,
      statusOf(obj).phase ?? '',
      objectAge(obj, now),
      specOf(obj).tier,
    ],
  },
};

/** Gizmos have a strategy but no CRD in the extension: a user applies one later. */
const gizmoStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = (asObject(obj.spec) ?? {}) as { color?: string };
    spec.color ??= 'teal';
    obj.spec = spec;
  },
};

const EXTENSION: ApiExtension = {
  crds: [gadgetCrd()],
  strategies: { [`${GROUP}/Gadget`]: gadgetStrategy, [`${GROUP}/Gizmo`]: gizmoStrategy },
};

const GIZMO_CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gizmos.${GROUP}}
spec:
  group: ${GROUP}
  scope: Cluster
  names: {plural: gizmos, singular: gizmo, kind: Gizmo}
  versions:
  - name: v1
    served: true
    storage: true
    additionalPrinterColumns:
    - {name: Color, type: string, jsonPath: .spec.color}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              color: {type: string}
`;

const gadget = (name: string, spec: GadgetSpec & { ports?: unknown[] }, version = 'v1') =>
  JSON.stringify({ apiVersion: `${GROUP}/${version}`, kind: 'Gadget', metadata: { name }, spec });

interface Reply {
  code: number;
  body: Json;
}

/** Raw HTTPS requests as the admin, for what kubectl does not show (status codes, causes). */
function sender(server: TestApiServer) {
  const agent = new Agent({ keepAlive: true, ca: server.caPem, maxSockets: 64 });
  const send = (method: string, path: string, body: unknown, contentType = 'application/json') =>
    new Promise<Reply>((resolve, reject) => {
      const data = Buffer.from(body === undefined ? '' : JSON.stringify(body));
      const req = request(
        `${server.url}${path}`,
        {
          method,
          agent,
          headers: {
            authorization: `Bearer ${server.adminToken}`,
            'content-type': contentType,
            'content-length': String(data.length),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ code: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  return { send, close: () => agent.destroy() };
}

async function openStore(kind: 'sqlite' | 'memory', dir: string): Promise<Store> {
  return kind === 'sqlite' ? SqliteStore.open({ path: join(dir, 'store.db') }) : new MemoryStore();
}

// Each store with one of the two supported ends of kubectl: both stores and both clients are covered.
for (const [storeKind, version] of [
  ['sqlite', '1.33'],
  ['memory', '1.27'],
] as ['sqlite' | 'memory', KubectlVersion][]) {
  describe(`an extension on the ${storeKind} store, with kubectl ${version}`, () => {
    let dir: string;
    let server: TestApiServer;
    let http: ReturnType<typeof sender>;

    const kubectl = (args: string[], input?: string) =>
      runKubectl(version, server.kubeconfigPath, ['-n', 'lab', ...args], {
        input,
        home: join(server.dir, 'home'),
      });
    async function ok(args: string[], input?: string): Promise<string> {
      const r = await kubectl(args, input);
      expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
      return r.stdout;
    }
    const json = async (args: string[]): Promise<Json> => JSON.parse(await ok([...args, '-o', 'json']));

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'concord-ext-'));
      server = await startTestApiServer({
        name: `ext-${storeKind}`,
        store: await openStore(storeKind, dir),
        extensions: [EXTENSION],
      });
      http = sender(server);
      await ok(['create', 'namespace', 'lab']);
    });
    afterAll(async () => {
      http?.close();
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('has installed and established its CRD by the time the server has started', async () => {
      // No waiting: start() resolved only once the kind was served.
      const crdObj = (
        await http.send(
          'GET',
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.${GROUP}`,
          undefined,
        )
      ).body;
      expect(crdObj.status.conditions).toContainEqual(
        expect.objectContaining({ type: 'Established', status: 'True' }),
      );
      expect((await http.send('GET', `/apis/${GROUP}/v1/namespaces/lab/gadgets`, undefined)).code).toBe(200);
      expect(await ok(['get', 'crd'])).toMatch(
        new RegExp(`^gadgets\\.${GROUP.replace(/\./g, '\\.')}\\s`, 'm'),
      );
      expect(await ok(['api-resources', '--api-group', GROUP])).toMatch(
        /^gadgets\s+gd\s+example\.concord\.dev\/v1\s+true\s+Gadget$/m,
      );
    });

    it('defaults from the schema first, then by the kind, and prepares new objects, in every served version', async () => {
      await ok(['create', '-f', '-'], gadget('alpha', { provider: 'aws' }));
      const alpha = await json(['get', 'gadget', 'alpha']);
      expect(alpha.spec).toEqual({ provider: 'aws', size: 'small', replicas: 1, tier: 'silver' });
      expect(alpha.status).toEqual({ phase: 'Pending' });
      await ok(
        ['apply', '-f', '-'],
        gadget('beta', { provider: 'gcp', size: 'large', replicas: 5 }, 'v1alpha1'),
      );
      const beta = await json(['get', 'gadgets.v1alpha1.example.concord.dev', 'beta']);
      expect(beta.apiVersion).toBe(`${GROUP}/v1alpha1`);
      expect(beta.spec).toEqual({ provider: 'gcp', size: 'large', replicas: 5, tier: 'gold' });
      expect(beta.status).toEqual({ phase: 'Pending' });
    });

    it('prints the kind’s table, with its wide columns under -o wide', async () => {
      const table = (await ok(['get', 'gadgets'])).trim().split('\n');
      expect(table[0]).toMatch(/^NAME\s+PROVIDER\s+REPLICAS\s+PHASE\s+AGE$/);
      expect(table.slice(1)).toEqual([
        expect.stringMatching(/^alpha\s+aws\s+1\s+Pending\s+\d+s$/),
        expect.stringMatching(/^beta\s+gcp\s+5\s+Pending\s+\d+s$/),
      ]);
      const wide = (await ok(['get', 'gd', '-o', 'wide'])).trim().split('\n');
      expect(wide[0]).toMatch(/^NAME\s+PROVIDER\s+REPLICAS\s+PHASE\s+AGE\s+TIER$/);
      expect(wide[1]).toMatch(/^alpha\s+aws\s+1\s+Pending\s+\d+s\s+silver$/);
    });

    it('selects by the kind’s own field', async () => {
      expect(await ok(['get', 'gadgets', '--field-selector', 'spec.provider=gcp', '-o', 'name'])).toBe(
        `gadget.${GROUP}/beta\n`,
      );
      expect(await ok(['get', 'gadgets', '--field-selector', 'spec.provider!=gcp', '-o', 'name'])).toBe(
        `gadget.${GROUP}/alpha\n`,
      );
      const unknown = await kubectl(['get', 'gadgets', '--field-selector', 'spec.size=small']);
      expect(unknown.code).not.toBe(0);
      expect(unknown.stderr).toContain('field label not supported: spec.size');
    });

    it('refuses what the schema or the kind forbids with a 422 naming the field', async () => {
      const tooMany = await kubectl(['apply', '-f', '-'], gadget('gamma', { provider: 'aws', replicas: 5 }));
      expect(tooMany.code).not.toBe(0);
      expect(tooMany.stderr).toContain(
        'spec.replicas: Invalid value: 5: must be at most 3 for a small gadget',
      );
      const reply = await http.send('POST', `/apis/${GROUP}/v1/namespaces/lab/gadgets`, {
        ...JSON.parse(gadget('gamma', { provider: 'aws', replicas: 5, size: 'huge' })),
      });
      expect(reply.code).toBe(422);
      expect(reply.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
      expect(reply.body.details.causes).toEqual([
        expect.objectContaining({ field: 'spec.size', reason: 'FieldValueNotSupported' }),
      ]);
      const notAnObject = await http.send('POST', `/apis/${GROUP}/v1/namespaces/lab/gadgets`, {
        apiVersion: `${GROUP}/v1`,
        kind: 'Gadget',
        metadata: { name: 'gamma' },
        spec: 'large',
      });
      expect(notAnObject.code).toBe(422);
      expect(notAnObject.body.details.causes).toEqual([expect.objectContaining({ field: 'spec' })]);
      const moved = await kubectl(['apply', '-f', '-'], gadget('alpha', { provider: 'azure' }));
      expect(moved.code).not.toBe(0);
      expect(moved.stderr).toContain('spec.provider: Invalid value: "azure": field is immutable');
      expect((await http.send('GET', `/apis/${GROUP}/v1/namespaces/lab/gadgets/gamma`, undefined)).code).toBe(
        404,
      );
    });

    it('prepares updates and status writes by the kind’s rules', async () => {
      await ok(['apply', '-f', '-'], gadget('alpha', { provider: 'aws', replicas: 2 }));
      expect((await json(['get', 'gadget', 'alpha'])).status.phase).toBe('Scaling');
      await ok([
        'patch',
        'gadget',
        'alpha',
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"metadata":{"labels":{"ready":"yes"},"finalizers":["example.com/keep"]},"status":{"readyReplicas":2}}',
      ]);
      const alpha = await json(['get', 'gadget', 'alpha']);
      expect(alpha.status).toEqual({ phase: 'Ready', readyReplicas: 2 });
      // This kind lets status writers change labels, not finalizers.
      expect(alpha.metadata.labels).toEqual({ ready: 'yes' });
      expect(alpha.metadata.finalizers).toBeUndefined();
    });

    it('applies server-side, merging list entries by their keys across managers', async () => {
      const apply = (manager: string, ports: unknown[]) =>
        ok(
          ['apply', '--server-side', `--field-manager=${manager}`, '-f', '-'],
          gadget('delta', { provider: 'local', ports }),
        );
      await apply('web', [{ name: 'http', port: 80 }]);
      await apply('monitoring', [{ name: 'metrics', port: 9090 }]);
      await apply('web', [{ name: 'http', port: 8080 }]);
      const delta = await json(['get', 'gadget', 'delta']);
      expect(delta.spec.ports).toEqual([
        { name: 'http', port: 8080 },
        { name: 'metrics', port: 9090 },
      ]);
      const conflict = await kubectl(
        ['apply', '--server-side', '--field-manager=other', '-f', '-'],
        gadget('delta', { provider: 'local', ports: [{ name: 'metrics', port: 1 }] }),
      );
      expect(conflict.code).not.toBe(0);
      expect(conflict.stderr).toContain('conflict with "monitoring"');
    });

    it('explains the kind and its fields from the published schema', async () => {
      const kind = await ok(['explain', 'gadgets']);
      expect(kind).toMatch(/KIND:\s+Gadget/);
      expect(kind).toContain('A Gadget is a made-up kind for testing API extensions.');
      expect(kind).toMatch(/spec\s+<Object>/);
      const ports = await ok(['explain', 'gadgets.spec.ports']);
      expect(ports).toContain('Ports the gadget listens on, by name.');
      expect(ports).toMatch(/port\s+<integer> -required-/);
      const size = await ok(['explain', 'gadget.spec.size']);
      expect(size).toContain('How big each replica is.');
      // Both documents carry the list semantics clients (and apply) merge by.
      const v3 = (await http.send('GET', `/openapi/v3/apis/${GROUP}/v1`, undefined)).body;
      const v2 = (await http.send('GET', '/openapi/v2', undefined)).body;
      for (const gadgetDoc of [v3.components.schemas, v2.definitions].map(
        (d) => d['dev.concord.example.v1.Gadget'],
      )) {
        expect(gadgetDoc.properties.spec.properties.ports).toMatchObject({
          description: 'Ports the gadget listens on, by name.',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        });
      }
    });

    it('gives a kind’s behaviour to a CRD for that kind that a user applies later', async () => {
      await ok(['apply', '-f', '-'], GIZMO_CRD);
      await ok(['wait', '--for=condition=Established', `crd/gizmos.${GROUP}`, '--timeout=30s']);
      await ok(
        ['apply', '-f', '-'],
        `{"apiVersion":"${GROUP}/v1","kind":"Gizmo","metadata":{"name":"g1"},"spec":{}}`,
      );
      expect((await json(['get', 'gizmo', 'g1'])).spec).toEqual({ color: 'teal' });
      // Without a table of the kind's own, its additionalPrinterColumns print.
      expect(await ok(['get', 'gizmos'])).toMatch(/^NAME\s+COLOR\ng1\s+teal\n$/);
    });

    it('answers 201 to exactly one of many concurrent creating writes, 200 to the others', async () => {
      const writers = 24;
      const applies = await Promise.all(
        Array.from({ length: writers }, (_, i) =>
          http.send(
            'PATCH',
            `/apis/${GROUP}/v1/namespaces/lab/gadgets/race?fieldManager=writer-${i}&force=true`,
            JSON.parse(gadget('race', { provider: 'local', replicas: 1 + (i % 3) })),
            'application/apply-patch+yaml',
          ),
        ),
      );
      expect(applies.map((r) => r.code).sort()).toEqual([...Array(writers - 1).fill(200), 201]);
      // PUT creates Endpoints that do not exist yet: the same holds.
      const puts = await Promise.all(
        Array.from({ length: writers }, (_, i) =>
          http.send('PUT', '/api/v1/namespaces/lab/endpoints/race', {
            apiVersion: 'v1',
            kind: 'Endpoints',
            metadata: { name: 'race', labels: { writer: String(i) } },
          }),
        ),
      );
      expect(puts.map((r) => r.code).sort()).toEqual([...Array(writers - 1).fill(200), 201]);
    });
  });
}

describe('extension CRDs across restarts of a server on one SQLite file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-ext-restart-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const start = async (crds: KubeObject[]) =>
    startTestApiServer({
      name: 'ext-restart',
      store: await SqliteStore.open({ path: join(dir, 'store.db') }),
      extensions: [{ crds, strategies: EXTENSION.strategies }],
    });
  const crdPath = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.${GROUP}`;
  const gadgetsPath = `/apis/${GROUP}/v1/namespaces/default/gadgets`;

  it('updates a stored CRD whose schema changed, and writes nothing when it did not', async () => {
    let server = await start([gadgetCrd()]);
    let http = sender(server);
    expect((await http.send('POST', gadgetsPath, JSON.parse(gadget('kept', { provider: 'aws' })))).code).toBe(
      201,
    );
    const first = (await http.send('GET', crdPath, undefined)).body;
    http.close();
    await server.stop();

    // A newer release of the kind: one more field, with a default.
    const newer = gadgetCrd({ color: string({ default: 'blue', description: 'Paint of the gadget.' }) });
    server = await start([newer]);
    http = sender(server);
    const second = (await http.send('GET', crdPath, undefined)).body;
    expect(second.metadata.uid).toBe(first.metadata.uid);
    expect(second.metadata.generation).toBe(first.metadata.generation + 1);
    expect(second.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.color).toEqual({
      type: 'string',
      default: 'blue',
      description: 'Paint of the gadget.',
    });
    const created = await http.send('POST', gadgetsPath, JSON.parse(gadget('painted', { provider: 'gcp' })));
    expect(created.code).toBe(201);
    expect(created.body.spec).toEqual({
      provider: 'gcp',
      size: 'small',
      replicas: 1,
      tier: 'silver',
      color: 'blue',
    });
    expect((await http.send('GET', `${gadgetsPath}/kept`, undefined)).body.spec.provider).toBe('aws');
    const explained = await runKubectl('1.33', server.kubeconfigPath, ['explain', 'gadgets.spec.color'], {
      home: join(server.dir, 'home'),
    });
    expect(explained.stdout).toContain('Paint of the gadget.');
    http.close();
    await server.stop();

    server = await start([newer]);
    http = sender(server);
    const third = (await http.send('GET', crdPath, undefined)).body;
    expect(third.metadata.resourceVersion).toBe(second.metadata.resourceVersion);
    const crds = (
      await http.send('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', undefined)
    ).body;
    expect(crds.items.map((c: Json) => c.metadata.name)).toEqual([`gadgets.${GROUP}`]);
    http.close();
    await server.stop();
  });

  it('refuses to start with a CRD that is invalid or whose names another CRD holds, saying which', async () => {
    const invalid = gadgetCrd();
    for (const v of (invalid.spec as { versions: Json[] }).versions) v.storage = false;
    await expect(
      startTestApiServer({ name: 'ext-invalid', extensions: [{ crds: [invalid] }] }),
    ).rejects.toThrow(`installing CustomResourceDefinition gadgets.${GROUP}:`);

    const server = await startTestApiServer({ name: 'ext-clash' });
    const held = crd({
      group: GROUP,
      kind: 'Gadget',
      plural: 'contraptions',
      scope: 'Namespaced',
      versions: [{ name: 'v1', storage: true, schema: object({}) }],
    });
    const http = sender(server);
    expect(
      (await http.send('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', held)).code,
    ).toBe(201);
    http.close();
    await server.server.close();
    const again = startTestApiServer({ name: 'ext-clash', store: server.store, extensions: [EXTENSION] });
    await expect(again).rejects.toThrow(
      `CustomResourceDefinition gadgets.${GROUP} is not served: "Gadget" is already in use`,
    );
    await server.stop();
  });
});
