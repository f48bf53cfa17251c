import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { customResourceDefinitionStrategy as crd } from './crd.js';

const messages = (errs: { type: string; field: string }[]) => errs.map((e) => fieldErrorMessage(e as never));

/** The CronTab example of the Kubernetes documentation. */
function cronTabs(): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com', creationTimestamp: '2026-03-01T10:00:00Z' },
    spec: {
      group: 'stable.example.com',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    cronSpec: { type: 'string' },
                    image: { type: 'string' },
                    replicas: { type: 'integer' },
                  },
                },
              },
            },
          },
          additionalPrinterColumns: [{ name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' }],
          subresources: {
            status: {},
            scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
          },
        },
      ],
      scope: 'Namespaced',
      names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', shortNames: ['ct'] },
    },
  };
}

function create(obj: KubeObject): string[] {
  crd.prepareForCreate!(obj);
  crd.applyDefaults!(obj);
  return messages(crd.validate!(obj));
}

function versions(obj: KubeObject): Record<string, unknown>[] {
  return (obj.spec as { versions: Record<string, unknown>[] }).versions;
}

describe('CustomResourceDefinition', () => {
  it('accepts the documentation example, defaulting listKind and conversion, recording the stored version', () => {
    const c = cronTabs();
    expect(create(c)).toEqual([]);
    expect((c.spec as { names: unknown }).names).toEqual({
      plural: 'crontabs',
      singular: 'crontab',
      kind: 'CronTab',
      listKind: 'CronTabList',
      shortNames: ['ct'],
    });
    expect((c.spec as Record<string, unknown>).conversion).toEqual({ strategy: 'None' });
    expect(c.status).toEqual({ storedVersions: ['v1'] });
  });

  it('must be named plural.group, with a group that has a dot', () => {
    const c = cronTabs();
    c.metadata.name = 'crontabs';
    (c.spec as Record<string, unknown>).group = 'stable';
    expect(create(c)).toEqual([
      'metadata.name: Invalid value: "crontabs": must be spec.names.plural+"."+spec.group',
      'spec.group: Invalid value: "stable": should be a domain with at least one dot',
    ]);
  });

  it('needs exactly one storage version, one served, and a scope', () => {
    const c = cronTabs();
    versions(c)[0]!.storage = false;
    versions(c)[0]!.served = false;
    (c.spec as Record<string, unknown>).scope = 'Global';
    const errs = create(c);
    expect(errs).toContain(
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    );
    expect(
      errs.some(
        (e) =>
          e.startsWith('spec.versions: Invalid value:') &&
          e.endsWith('must have exactly one version marked as storage version'),
      ),
    ).toBe(true);
    expect(errs.some((e) => e.endsWith('must have at least one version marked as served'))).toBe(true);
    expect(errs).toContain('status.storedVersions: Invalid value: []: must have at least one stored version');
  });

  it('requires a structural schema', () => {
    const c = cronTabs();
    delete versions(c)[0]!.schema;
    expect(create(c)).toEqual([
      'spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required',
    ]);
    const untyped = cronTabs();
    versions(untyped)[0]!.schema = {
      openAPIV3Schema: {
        properties: {
          metadata: { type: 'object', properties: { labels: { type: 'object' } } },
          spec: {
            properties: {
              items: { type: 'array' },
              extra: {
                type: 'object',
                properties: { a: { type: 'string' } },
                additionalProperties: { type: 'string' },
              },
            },
          },
        },
      },
    };
    expect(create(untyped)).toEqual([
      'spec.versions[0].schema.openAPIV3Schema.type: Required value: must not be empty at the root',
      'spec.versions[0].schema.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[items].items: Required value: must be specified',
      'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[extra].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
    ]);
  });

  it('accepts preserved unknown fields and int-or-string without a type', () => {
    const c = cronTabs();
    versions(c)[0]!.schema = {
      openAPIV3Schema: {
        type: 'object',
        properties: {
          spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          port: { 'x-kubernetes-int-or-string': true },
        },
      },
    };
    expect(create(c)).toEqual([]);
  });

  it('checks printer columns and the scale subresource', () => {
    const c = cronTabs();
    versions(c)[0]!.additionalPrinterColumns = [
      { name: 'Age', type: 'duration', jsonPath: 'metadata.creationTimestamp' },
    ];
    versions(c)[0]!.subresources = {
      scale: { specReplicasPath: '.replicas', statusReplicasPath: '.status.replicas' },
    };
    expect(create(c)).toEqual([
      'spec.versions[0].additionalPrinterColumns[0].type: Invalid value: "duration": must be one of boolean,date,integer,number,string',
      'spec.versions[0].additionalPrinterColumns[0].JSONPath: Invalid value: "metadata.creationTimestamp": must be a simple json path starting with .',
      'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".replicas": should be a json path under .spec',
    ]);
  });

  it('asks for an API review on Kubernetes-owned groups', () => {
    const c = cronTabs();
    (c.spec as Record<string, unknown>).group = 'stable.k8s.io';
    c.metadata.name = 'crontabs.stable.k8s.io';
    expect(create(c)).toEqual([
      'metadata.annotations[api-approved.kubernetes.io]: Required value: protected groups must have approval annotation "api-approved.kubernetes.io", see https://github.com/kubernetes/enhancements/pull/1111',
    ]);
  });

  it('records a new storage version on update and keeps group and plural', () => {
    const old = cronTabs();
    create(old);
    old.status = { ...(old.status as object), conditions: [{ type: 'Established', status: 'True' }] };
    const next = structuredClone(old);
    const vs = versions(next);
    vs[0]!.storage = false;
    vs.push({ ...structuredClone(vs[0]!), name: 'v2', storage: true });
    crd.prepareForUpdate!(next, old);
    expect((next.status as { storedVersions: string[] }).storedVersions).toEqual(['v1', 'v2']);
    expect(crd.validate!(next)).toEqual([]);
    expect(crd.validateUpdate!(next, old)).toEqual([]);
    const renamed = structuredClone(old);
    (renamed.spec as { names: Record<string, unknown> }).names.kind = 'Cron';
    (renamed.spec as Record<string, unknown>).group = 'other.example.com';
    expect(crd.validateUpdate!(renamed, old).map((e) => e.field)).toEqual(['spec.names.kind', 'spec.group']);
  });

  it('prints NAME and CREATED AT', () => {
    expect(crd.table!.cells(cronTabs(), new Date())).toEqual([
      'crontabs.stable.example.com',
      '2026-03-01T10:00:00Z',
    ]);
  });
});
