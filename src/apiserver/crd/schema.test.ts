import { describe, expect, it } from 'vitest';
import type { Schema } from '../../machinery/schema.js';
import { applyStructuralDefaults } from './schema.js';

const schema: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        selector: {
          type: 'object',
          properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } },
        },
        replicas: { type: 'integer', default: 1 },
        note: { type: 'string', nullable: true },
        labels: { type: 'object', additionalProperties: { type: 'string', nullable: true } },
      },
    },
  },
};

describe('structural defaulting of custom resources', () => {
  it('drops nulls of fields that are neither nullable nor defaulted, defaults the defaulted, keeps the nullable', () => {
    const obj = {
      spec: { selector: { matchLabels: null }, replicas: null, note: null, labels: { a: null } },
    };
    applyStructuralDefaults(obj, schema);
    expect(obj).toEqual({ spec: { selector: {}, replicas: 1, note: null, labels: { a: null } } });
  });
});
