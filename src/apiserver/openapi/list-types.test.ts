import { describe, expect, it } from 'vitest';
import { applyListTypes, LIST_TYPES, SELF } from './list-types.js';
import type { JsonSchema } from './supplement.js';

const REF = '#/components/schemas/';

function sample(): Record<string, JsonSchema> {
  return {
    'io.k8s.api.apps.v1.DeploymentSpec': {
      type: 'object',
      properties: {
        strategy: { allOf: [{ $ref: `${REF}io.k8s.api.apps.v1.DeploymentStrategy` }], description: 'how' },
      },
    },
    'io.k8s.api.core.v1.PodSpec': {
      type: 'object',
      properties: {
        containers: { type: 'array', items: { $ref: `${REF}io.k8s.api.core.v1.Container` } },
        tolerations: { type: 'array', items: { $ref: `${REF}io.k8s.api.core.v1.Toleration` } },
      },
    },
    'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector': { type: 'object', properties: {} },
    'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': {
      type: 'object',
      properties: { selector: { $ref: `${REF}io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector` } },
    },
  };
}

describe('applyListTypes', () => {
  const defs = sample();
  const problems = applyListTypes(defs);
  const podSpec = defs['io.k8s.api.core.v1.PodSpec']!.properties as Record<string, JsonSchema>;

  it('annotates list fields with their list type, keys and patch strategy', () => {
    expect(podSpec.containers).toEqual({
      type: 'array',
      items: { $ref: `${REF}io.k8s.api.core.v1.Container` },
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'name',
    });
    expect(podSpec.tolerations!['x-kubernetes-list-type']).toBe('atomic');
  });

  it('puts annotations of a reference beside it, in the allOf form Kubernetes publishes', () => {
    const strategy = (defs['io.k8s.api.apps.v1.DeploymentSpec']!.properties as Record<string, JsonSchema>)
      .strategy;
    expect(strategy).toEqual({
      allOf: [{ $ref: `${REF}io.k8s.api.apps.v1.DeploymentStrategy` }],
      description: 'how',
      'x-kubernetes-patch-strategy': 'retainKeys',
    });
    const selector = (
      defs['io.k8s.api.policy.v1.PodDisruptionBudgetSpec']!.properties as Record<string, JsonSchema>
    ).selector;
    expect(selector).toEqual({
      allOf: [{ $ref: `${REF}io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector` }],
      'x-kubernetes-patch-strategy': 'replace',
    });
  });

  it('annotates atomic structs on the definition', () => {
    expect(defs['io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector']!['x-kubernetes-map-type']).toBe(
      'atomic',
    );
  });

  it('reports the table entries that match nothing', () => {
    expect(problems).toContain('io.k8s.api.core.v1.Container: no such definition');
    expect(problems).toContain('io.k8s.api.core.v1.PodSpec.volumes: no such field');
  });
});

describe('LIST_TYPES', () => {
  it('only uses list types, map types and patch strategies Kubernetes defines', () => {
    for (const [name, fields] of Object.entries(LIST_TYPES)) {
      for (const [field, a] of Object.entries(fields)) {
        const where = `${name}.${field}`;
        if (a['x-kubernetes-list-type'] !== undefined) {
          expect(['atomic', 'set', 'map'], where).toContain(a['x-kubernetes-list-type']);
        }
        if (a['x-kubernetes-list-type'] === 'map') {
          expect(a['x-kubernetes-list-map-keys']?.length, where).toBeGreaterThan(0);
        } else {
          expect(a['x-kubernetes-list-map-keys'], where).toBeUndefined();
        }
        if (a['x-kubernetes-patch-strategy'] !== undefined) {
          expect(['merge', 'replace', 'retainKeys', 'merge,retainKeys'], where).toContain(
            a['x-kubernetes-patch-strategy'],
          );
        }
        if (a['x-kubernetes-patch-merge-key'] !== undefined) {
          expect(a['x-kubernetes-patch-strategy'], where).toMatch(/merge/);
        }
        if (field === SELF) expect(Object.keys(a), where).toEqual(['x-kubernetes-map-type']);
      }
    }
  });
});
