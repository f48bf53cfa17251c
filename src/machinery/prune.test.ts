import { describe, expect, it } from 'vitest';
import { pruneUnknownFields } from './prune.js';
import type { Schema } from './schema.js';

const container: Schema = {
  type: 'object',
  properties: { name: { type: 'string' }, image: { type: 'string' } },
};
const schema: Schema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object', properties: { name: { type: 'string' } } },
    spec: {
      type: 'object',
      properties: {
        containers: { type: 'array', items: container },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        raw: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: { known: { type: 'string' } },
        },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: {} },
        free: { type: 'object' },
      },
    },
  },
};

describe('pruneUnknownFields', () => {
  it('drops what the schema does not describe and reports where', () => {
    const obj = {
      apiVersion: 'v1',
      kind: 'X',
      metadata: { name: 'a', bogus: 1 },
      spec: {
        containers: [{ name: 'c', image: 'i', imagePullPolice: 'Always' }],
        labels: { anything: 'goes' },
        raw: { known: 'k', extra: { deep: true } },
        extra: 1,
      },
    };
    const removed = pruneUnknownFields(obj, schema);
    expect(removed.sort()).toEqual(['metadata.bogus', 'spec.containers[0].imagePullPolice', 'spec.extra']);
    expect(obj.spec.containers[0]).toEqual({ name: 'c', image: 'i' });
    expect(obj.spec.labels).toEqual({ anything: 'goes' });
    expect(obj.spec.raw).toEqual({ known: 'k', extra: { deep: true } });
  });

  it('keeps apiVersion, kind and standard metadata of embedded resources', () => {
    const obj = {
      spec: { template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', junk: 1 }, other: 2 } },
    };
    const removed = pruneUnknownFields(obj, schema, { structural: true });
    expect(removed.sort()).toEqual(['spec.template.metadata.junk', 'spec.template.other']);
    expect(obj.spec.template).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } });
  });

  it('empties objects without properties only under custom-resource rules', () => {
    const builtin = { spec: { free: { a: 1 } } };
    expect(pruneUnknownFields(builtin, schema)).toEqual([]);
    const custom = { spec: { free: { a: 1 } } };
    expect(pruneUnknownFields(custom, schema, { structural: true })).toEqual(['spec.free.a']);
  });
});
