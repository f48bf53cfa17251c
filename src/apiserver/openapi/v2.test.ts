import { describe, expect, it } from 'vitest';
import { isJsonObject } from '../../machinery/object.js';
import { OpenAPIDocumentSet } from './document.js';
import { servedResource } from './operations.js';
import type { JsonSchema } from './supplement.js';
import { buildOpenAPIV2, openAPIV2, schemaToV2 } from './v2.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const set = new OpenAPIDocumentSet([
  servedResource({
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    verbs: ALL_VERBS,
    status: true,
    scale: {},
  }),
  servedResource({
    group: '',
    version: 'v1',
    resource: 'configmaps',
    kind: 'ConfigMap',
    namespaced: true,
    verbs: ALL_VERBS,
  }),
  servedResource(
    {
      group: 'stable.example.com',
      version: 'v1',
      resource: 'crontabs',
      kind: 'CronTab',
      namespaced: true,
      verbs: ALL_VERBS,
    },
    {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          required: ['mode', 'image'],
          properties: {
            image: { type: 'string' },
            mode: { type: 'string', nullable: true },
            choice: {
              oneOf: [{ required: ['a'] }, { required: ['b'] }],
              type: 'object',
              properties: { a: { type: 'string' } },
            },
            extra: {
              type: 'object',
              'x-kubernetes-preserve-unknown-fields': true,
              properties: { x: { type: 'string' } },
            },
            tags: { type: 'array', 'x-kubernetes-preserve-unknown-fields': true, items: { type: 'string' } },
          },
        },
      },
    },
  ),
  servedResource(
    {
      group: 'open.example.com',
      version: 'v1',
      resource: 'opens',
      kind: 'Open',
      namespaced: true,
      verbs: ALL_VERBS,
    },
    {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { spec: { type: 'object' } },
    },
  ),
]);
const doc = buildOpenAPIV2(set, 'v1.33.0');
const definitions = doc.definitions as Record<string, JsonSchema>;
const paths = doc.paths as Record<string, Record<string, JsonSchema>>;

describe('the v2 document', () => {
  it('is Swagger 2.0 with the server version', () => {
    expect(doc.swagger).toBe('2.0');
    expect(doc.info).toEqual({ title: 'Kubernetes', version: 'v1.33.0' });
  });

  it('refers into #/definitions/ and every reference resolves', () => {
    const refs = new Set<string>();
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (isJsonObject(n)) {
        for (const [k, v] of Object.entries(n)) {
          if (k === '$ref' && typeof v === 'string') refs.add(v);
          else if (k === 'allOf' || k === 'oneOf' || k === 'anyOf') throw new Error(`v2 has no ${k}`);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.size).toBeGreaterThan(10);
    for (const ref of refs) {
      expect(ref.startsWith('#/definitions/'), ref).toBe(true);
      expect(definitions[ref.slice('#/definitions/'.length)], ref).toBeDefined();
    }
  });

  it('keeps a described reference as a $ref with its description beside it', () => {
    const spec = (definitions['io.k8s.api.apps.v1.Deployment']!.properties as Record<string, JsonSchema>)
      .spec;
    expect(spec).toEqual({
      $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentSpec',
      description: 'Specification of the desired behavior of the Deployment.',
    });
  });

  it('publishes int-or-string and quantities as strings, as Kubernetes does in v2', () => {
    expect(definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({
      type: 'string',
      format: 'int-or-string',
    });
    expect(definitions['io.k8s.apimachinery.pkg.api.resource.Quantity']!.type).toBe('string');
  });

  it('keeps the patch metadata client-side apply reads', () => {
    const containers = (definitions['io.k8s.api.core.v1.PodSpec']!.properties as Record<string, JsonSchema>)
      .containers!;
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(containers['x-kubernetes-patch-strategy']).toBe('merge');
    const strategy = (
      definitions['io.k8s.api.apps.v1.DeploymentSpec']!.properties as Record<string, JsonSchema>
    ).strategy;
    expect(strategy).toMatchObject({
      $ref: '#/definitions/io.k8s.api.apps.v1.DeploymentStrategy',
      'x-kubernetes-patch-strategy': 'retainKeys',
    });
  });

  it('has operations with consumes, body parameters and the kind', () => {
    const patch = paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!.patch!;
    expect(patch.consumes).toContain('application/strategic-merge-patch+json');
    expect(patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'apps',
      kind: 'Deployment',
      version: 'v1',
    });
    const params = patch.parameters as JsonSchema[];
    expect(params[0]).toEqual({
      in: 'body',
      name: 'body',
      required: true,
      schema: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' },
    });
    expect(params.map((p) => p.name)).toContain('fieldValidation');
    expect(params.find((p) => p.name === 'force')).toMatchObject({ in: 'query', type: 'boolean' });
    const crdPatch = paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}']!.patch!;
    expect(crdPatch.consumes).not.toContain('application/strategic-merge-patch+json');
    const get = paths['/api/v1/namespaces/{namespace}/configmaps/{name}']!.get!;
    expect(get.responses).toMatchObject({
      '200': { schema: { $ref: '#/definitions/io.k8s.api.core.v1.ConfigMap' } },
    });
  });

  it('says of custom resources only what kubectl can read in v2', () => {
    const spec = ((definitions['com.example.stable.v1.CronTab']!.properties as Record<string, JsonSchema>)
      .spec!.properties ?? {}) as Record<string, JsonSchema>;
    expect(spec.mode).toEqual({});
    expect(spec.choice).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
    expect(spec.extra).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(spec.tags).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
    const cronSpec = (definitions['com.example.stable.v1.CronTab']!.properties as Record<string, JsonSchema>)
      .spec!;
    expect(cronSpec.required).toEqual(['image']);
    expect(definitions['com.example.open.v1.Open']).toEqual({
      type: 'object',
      'x-kubernetes-group-version-kind': [{ group: 'open.example.com', kind: 'Open', version: 'v1' }],
    });
    expect(
      (definitions['com.example.stable.v1.CronTab']!.properties as Record<string, JsonSchema>).metadata,
    ).toEqual({
      $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      description: expect.any(String),
    });
  });

  it('is built once per set and version', () => {
    expect(openAPIV2(set, 'v1.33.0')).toBe(openAPIV2(set, 'v1.33.0'));
    expect(openAPIV2(set, 'v1.33.1').body.info).toEqual({ title: 'Kubernetes', version: 'v1.33.1' });
  });
});

describe('schemaToV2', () => {
  it('rewrites references and keeps extensions untouched', () => {
    expect(
      schemaToV2({
        type: 'array',
        items: { $ref: '#/components/schemas/A' },
        'x-kubernetes-list-map-keys': ['name'],
        enum: [{ allOf: 1 }],
      }),
    ).toEqual({
      type: 'array',
      items: { $ref: '#/definitions/A' },
      'x-kubernetes-list-map-keys': ['name'],
      enum: [{ allOf: 1 }],
    });
  });
});
