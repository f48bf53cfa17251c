import { describe, expect, it } from 'vitest';
import { isJsonObject } from '../../machinery/object.js';
import {
  contentHash,
  etagMatches,
  groupVersionKey,
  OpenAPIDocumentSet,
  openAPIDocuments,
  resourceSetFingerprint,
} from './document.js';
import { type ServedResource, servedResource } from './operations.js';
import type { JsonSchema } from './supplement.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const crontabSchema: JsonSchema = {
  type: 'object',
  description: 'CronTab runs a command on a schedule.',
  properties: {
    spec: {
      type: 'object',
      required: ['cronSpec'],
      properties: {
        cronSpec: { type: 'string', description: 'A cron expression.' },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    },
    // A CRD may say anything about metadata; what is published refers to ObjectMeta instead.
    metadata: { type: 'object' },
  },
};

function resources(extra: ServedResource[] = []): ServedResource[] {
  return [
    servedResource({
      group: 'apps',
      version: 'v1',
      resource: 'deployments',
      kind: 'Deployment',
      namespaced: true,
      verbs: ALL_VERBS,
      status: true,
      scale: { specReplicasPath: '.spec.replicas' },
    }),
    servedResource({
      group: '',
      version: 'v1',
      resource: 'pods',
      kind: 'Pod',
      namespaced: true,
      verbs: ALL_VERBS,
      status: true,
      extraSubresources: [
        { name: 'eviction', group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] },
      ],
    }),
    servedResource({
      group: '',
      version: 'v1',
      resource: 'namespaces',
      kind: 'Namespace',
      namespaced: false,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    }),
    servedResource({
      group: 'authorization.k8s.io',
      version: 'v1',
      resource: 'selfsubjectaccessreviews',
      kind: 'SelfSubjectAccessReview',
      namespaced: false,
      verbs: ['create'],
    }),
    servedResource(
      {
        group: 'stable.example.com',
        version: 'v1',
        resource: 'crontabs',
        kind: 'CronTab',
        namespaced: true,
        verbs: ALL_VERBS,
        status: true,
        scale: {},
      },
      crontabSchema,
    ),
    servedResource(
      {
        group: 'loose.example.com',
        version: 'v1',
        resource: 'things',
        kind: 'Thing',
        namespaced: false,
        verbs: ALL_VERBS,
      },
      null,
    ),
    ...extra,
  ];
}

const set = new OpenAPIDocumentSet(resources());
const apps = () => set.groupVersion('apis/apps/v1')!.body;
const core = () => set.groupVersion('api/v1')!.body;
const crd = () => set.groupVersion('apis/stable.example.com/v1')!.body;
const paths = (doc: JsonSchema) => doc.paths as Record<string, Record<string, JsonSchema>>;
const schemas = (doc: JsonSchema) => (doc.components as { schemas: Record<string, JsonSchema> }).schemas;
const paramNames = (op: JsonSchema) =>
  ((op.parameters ?? []) as { name: string; in: string }[]).map((p) => p.name);

/** Every PATCH operation of the document, with its group/version/kind (what kubectl looks at). */
function patchOperations(doc: JsonSchema): { path: string; op: JsonSchema; gvk: Record<string, string> }[] {
  return Object.entries(paths(doc)).flatMap(([path, item]) =>
    item.patch
      ? [
          {
            path,
            op: item.patch,
            gvk: item.patch['x-kubernetes-group-version-kind'] as Record<string, string>,
          },
        ]
      : [],
  );
}

describe('/openapi/v3', () => {
  it('lists one document per group/version, at a URL carrying its content hash', () => {
    const root = set.root().body as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(root.paths)).toEqual([
      'api/v1',
      'apis/apps/v1',
      'apis/authorization.k8s.io/v1',
      'apis/loose.example.com/v1',
      'apis/stable.example.com/v1',
    ]);
    const doc = set.groupVersion('apis/apps/v1')!;
    expect(root.paths['apis/apps/v1']!.serverRelativeURL).toBe(`/openapi/v3/apis/apps/v1?hash=${doc.hash}`);
    expect(doc.hash).toBe(contentHash(JSON.stringify(doc.body)));
    expect(doc.hash).toMatch(/^[0-9A-F]{128}$/);
    expect(doc.etag).toBe(`"${doc.hash}"`);
    expect(set.groupVersion('apis/nothing/v1')).toBeUndefined();
  });

  it('builds each document once', () => {
    expect(set.groupVersion('apis/apps/v1')).toBe(set.groupVersion('apis/apps/v1'));
    expect(set.root()).toBe(set.root());
  });
});

describe('a group/version document', () => {
  it('is an OpenAPI 3.0 document', () => {
    expect(apps().openapi).toBe('3.0.0');
    expect(apps().info).toEqual({ title: 'Kubernetes', version: 'unversioned' });
  });

  it('has a path per operation with the action and kind kubectl reads', () => {
    const p = paths(apps());
    const collection = p['/apis/apps/v1/namespaces/{namespace}/deployments']!;
    const object = p['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!;
    const gvk = { group: 'apps', kind: 'Deployment', version: 'v1' };
    expect(collection.get).toMatchObject({
      'x-kubernetes-action': 'list',
      'x-kubernetes-group-version-kind': gvk,
    });
    expect(collection.post).toMatchObject({
      'x-kubernetes-action': 'post',
      'x-kubernetes-group-version-kind': gvk,
    });
    expect(collection.delete!['x-kubernetes-action']).toBe('deletecollection');
    expect(object.get!['x-kubernetes-action']).toBe('get');
    expect(object.put!['x-kubernetes-action']).toBe('put');
    expect(object.patch!['x-kubernetes-action']).toBe('patch');
    expect(object.delete!['x-kubernetes-action']).toBe('delete');
    expect(object.get!.operationId).toBe('readAppsV1NamespacedDeployment');
    expect(p['/apis/apps/v1/deployments']!.get!.operationId).toBe('listAppsV1DeploymentForAllNamespaces');
    expect(p['/apis/apps/v1/watch/namespaces/{namespace}/deployments']!.get!['x-kubernetes-action']).toBe(
      'watchlist',
    );
    expect(p['/apis/apps/v1/']!.get!.operationId).toBe('getAppsV1APIResources');
  });

  it('advertises fieldValidation on every PATCH, POST and PUT, so kubectl validates on the server', () => {
    for (const doc of [apps(), core(), crd()]) {
      for (const item of Object.values(paths(doc))) {
        for (const method of ['patch', 'post', 'put'] as const) {
          if (item[method]) expect(paramNames(item[method]!)).toContain('fieldValidation');
        }
      }
    }
    const patch = paths(apps())['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!.patch!;
    expect(paramNames(patch)).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
  });

  it('finds a PATCH with fieldValidation for each kind the way kubectl does', () => {
    // kubectl: for the PATCH operation whose x-kubernetes-group-version-kind is the kind, is
    // there a query parameter named fieldValidation?
    const supports = (doc: JsonSchema, gvk: Record<string, string>) => {
      const op = patchOperations(doc).find(
        (p) => p.gvk.group === gvk.group && p.gvk.version === gvk.version && p.gvk.kind === gvk.kind,
      )?.op;
      return ((op?.parameters ?? []) as { name: string; in: string }[]).some(
        (p) => p.name === 'fieldValidation' && p.in === 'query',
      );
    };
    expect(supports(apps(), { group: 'apps', version: 'v1', kind: 'Deployment' })).toBe(true);
    expect(supports(core(), { group: '', version: 'v1', kind: 'Namespace' })).toBe(true);
    expect(supports(crd(), { group: 'stable.example.com', version: 'v1', kind: 'CronTab' })).toBe(true);
  });

  it('takes the query parameters of lists and deletes', () => {
    const p = paths(apps());
    expect(paramNames(p['/apis/apps/v1/namespaces/{namespace}/deployments']!.get!)).toEqual(
      expect.arrayContaining([
        'labelSelector',
        'fieldSelector',
        'limit',
        'continue',
        'resourceVersion',
        'watch',
      ]),
    );
    expect(paramNames(p['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!.delete!)).toEqual(
      expect.arrayContaining(['dryRun', 'gracePeriodSeconds', 'propagationPolicy']),
    );
    const shared = p['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'] as unknown as {
      parameters: { name: string; in: string; required?: boolean }[];
    };
    expect(shared.parameters.map((x) => `${x.in}:${x.name}`)).toEqual([
      'path:name',
      'path:namespace',
      'query:pretty',
    ]);
    expect(shared.parameters[0]!.required).toBe(true);
  });

  it('consumes every patch type for built-in kinds and all but strategic merge for custom ones', () => {
    const builtin = patchOperations(apps())[0]!.op.requestBody as { content: Record<string, unknown> };
    expect(Object.keys(builtin.content).sort()).toEqual([
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);
    for (const { op } of patchOperations(crd())) {
      const content = (op.requestBody as { content: Record<string, unknown> }).content;
      expect(Object.keys(content)).not.toContain('application/strategic-merge-patch+json');
      expect(Object.keys(content)).toContain('application/apply-patch+yaml');
    }
  });

  it('serves the status and scale subresources with their kinds', () => {
    const p = paths(apps());
    expect(p['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status']!.get).toMatchObject({
      'x-kubernetes-action': 'get',
      'x-kubernetes-group-version-kind': { group: 'apps', kind: 'Deployment', version: 'v1' },
    });
    const scale = p['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale']!;
    expect(scale.patch!['x-kubernetes-group-version-kind']).toEqual({
      group: 'autoscaling',
      kind: 'Scale',
      version: 'v1',
    });
    expect(Object.keys(scale).sort()).toEqual(['get', 'parameters', 'patch', 'put']);
    expect(schemas(apps())['io.k8s.api.autoscaling.v1.Scale']).toBeDefined();
    const eviction = paths(core())['/api/v1/namespaces/{namespace}/pods/{name}/eviction']!;
    expect(eviction.post!['x-kubernetes-group-version-kind']).toEqual({
      group: 'policy',
      kind: 'Eviction',
      version: 'v1',
    });
    expect(schemas(core())['io.k8s.api.policy.v1.Eviction']).toBeDefined();
  });

  it('gives cluster-scoped kinds paths without a namespace', () => {
    const p = paths(core());
    expect(p['/api/v1/namespaces']!.post).toBeDefined();
    expect(p['/api/v1/namespaces/{name}']!.get!.operationId).toBe('readCoreV1Namespace');
    expect(p['/api/v1/pods']!.get!.operationId).toBe('listCoreV1PodForAllNamespaces');
  });

  it('gives create-only kinds just their POST', () => {
    const doc = set.groupVersion('apis/authorization.k8s.io/v1')!.body;
    const p = paths(doc);
    expect(Object.keys(p).sort()).toEqual([
      '/apis/authorization.k8s.io/v1/',
      '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    ]);
    expect(Object.keys(p['/apis/authorization.k8s.io/v1/selfsubjectaccessreviews']!).sort()).toEqual([
      'parameters',
      'post',
    ]);
  });

  it('holds the closure of the definitions it refers to, and nothing dangles', () => {
    for (const doc of [apps(), core(), crd()]) {
      const names = new Set(Object.keys(schemas(doc)));
      const refs = new Set<string>();
      const walk = (n: unknown): void => {
        if (Array.isArray(n)) n.forEach(walk);
        else if (isJsonObject(n)) {
          for (const [k, v] of Object.entries(n)) {
            if (k === '$ref' && typeof v === 'string') refs.add(v);
            else walk(v);
          }
        }
      };
      walk(doc);
      for (const ref of refs) {
        expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
        expect(names.has(ref.slice('#/components/schemas/'.length)), ref).toBe(true);
      }
    }
    expect(schemas(apps())['io.k8s.api.core.v1.Container']).toBeDefined();
    expect(schemas(apps())['io.k8s.api.core.v1.Namespace']).toBeUndefined();
  });

  it('marks top-level kinds with their group/version/kind and keeps patch metadata', () => {
    const s = schemas(apps());
    expect(s['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    expect(s['io.k8s.api.apps.v1.DeploymentList']!['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'DeploymentList' },
    ]);
    const containers = (s['io.k8s.api.core.v1.PodSpec']!.properties as Record<string, JsonSchema>)
      .containers!;
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(containers['x-kubernetes-list-map-keys']).toEqual(['name']);
    const deleteOptions = s['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']!;
    expect(deleteOptions['x-kubernetes-group-version-kind']).toContainEqual({
      group: 'apps',
      kind: 'DeleteOptions',
      version: 'v1',
    });
  });
});

describe('custom resources', () => {
  const s = () => schemas(crd());

  it('are published under the reversed group, with apiVersion, kind and ObjectMeta', () => {
    const kind = s()['com.example.stable.v1.CronTab']!;
    expect(kind['x-kubernetes-group-version-kind']).toEqual([
      { group: 'stable.example.com', kind: 'CronTab', version: 'v1' },
    ]);
    expect(kind.description).toBe('CronTab runs a command on a schedule.');
    const props = kind.properties as Record<string, JsonSchema>;
    expect(props.metadata).toEqual({
      allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }],
      description: expect.stringMatching(/^Standard object's metadata/),
    });
    expect(props.apiVersion!.type).toBe('string');
    expect(props.kind!.description).toMatch(/^Kind is a string value/);
    expect((props.spec!.properties as Record<string, JsonSchema>).cronSpec).toEqual({
      type: 'string',
      description: 'A cron expression.',
    });
    expect(s()['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();
  });

  it('complete embedded resources with apiVersion, kind and metadata', () => {
    const template = (
      (s()['com.example.stable.v1.CronTab']!.properties as Record<string, JsonSchema>).spec!
        .properties as Record<string, JsonSchema>
    ).template!;
    expect(Object.keys(template.properties as object).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
    expect(template.required).toEqual(['kind', 'apiVersion']);
  });

  it('have a list kind', () => {
    const list = s()['com.example.stable.v1.CronTabList']!;
    expect(list.required).toEqual(['items']);
    expect((list.properties as Record<string, JsonSchema>).items!.items).toEqual({
      $ref: '#/components/schemas/com.example.stable.v1.CronTab',
    });
    expect(list['x-kubernetes-group-version-kind']).toEqual([
      { group: 'stable.example.com', kind: 'CronTabList', version: 'v1' },
    ]);
  });

  it('without a schema are published as bare objects', () => {
    const doc = set.groupVersion('apis/loose.example.com/v1')!.body;
    expect(schemas(doc)['com.example.loose.v1.Thing']).toEqual({
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'loose.example.com', kind: 'Thing', version: 'v1' }],
    });
  });

  it('do not change the CRD they come from', () => {
    expect((crontabSchema.properties as Record<string, JsonSchema>).metadata).toEqual({ type: 'object' });
    expect(crontabSchema['x-kubernetes-group-version-kind']).toBeUndefined();
  });
});

describe('sharing', () => {
  it('gives servers that serve the same resources the same documents', () => {
    expect(openAPIDocuments(resources())).toBe(openAPIDocuments(resources()));
    expect(resourceSetFingerprint(resources())).toBe(resourceSetFingerprint([...resources()].reverse()));
  });

  it('builds new documents when a custom resource changes', () => {
    const before = openAPIDocuments(resources());
    const changed = resources();
    changed[4] = servedResource(
      {
        group: 'stable.example.com',
        version: 'v1',
        resource: 'crontabs',
        kind: 'CronTab',
        namespaced: true,
        verbs: ALL_VERBS,
      },
      { type: 'object', properties: { spec: { type: 'object' } } },
    );
    const after = openAPIDocuments(changed);
    expect(after).not.toBe(before);
    expect(after.groupVersion('apis/stable.example.com/v1')!.hash).not.toBe(
      before.groupVersion('apis/stable.example.com/v1')!.hash,
    );
    expect(after.groupVersion('apis/apps/v1')!.hash).toBe(before.groupVersion('apis/apps/v1')!.hash);
  });

  it('publishes a kind it has no definition for without a schema, and says so', () => {
    const odd = new OpenAPIDocumentSet([
      servedResource({
        group: 'odd.k8s.io',
        version: 'v1',
        resource: 'odds',
        kind: 'Odd',
        namespaced: true,
        verbs: ALL_VERBS,
      }),
    ]);
    expect(odd.untyped).toEqual(['odd.k8s.io/v1/Odd']);
    expect(schemas(odd.groupVersion('apis/odd.k8s.io/v1')!.body)['io.k8s.odd.v1.Odd']).toMatchObject({
      type: 'object',
    });
  });
});

describe('etagMatches', () => {
  it('understands lists, weak tags and *', () => {
    expect(etagMatches('"a"', '"a"')).toBe(true);
    expect(etagMatches('"b", W/"a"', '"a"')).toBe(true);
    expect(etagMatches('*', '"a"')).toBe(true);
    expect(etagMatches('"b"', '"a"')).toBe(false);
    expect(etagMatches(undefined, '"a"')).toBe(false);
  });
});

describe('groupVersionKey', () => {
  it('is api/<v> for the core group and apis/<g>/<v> otherwise', () => {
    expect(groupVersionKey('', 'v1')).toBe('api/v1');
    expect(groupVersionKey('apps', 'v1')).toBe('apis/apps/v1');
  });
});
