import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { ApiError, type FieldError } from '../../machinery/status.js';
import { builtinResources } from './builtin.js';
import { kindsWithStrategies, strategyFor } from './index.js';

const empty: KubeObject = { apiVersion: '', kind: '', metadata: {} };

describe('strategyFor', () => {
  it('gives every served kind a strategy, empty for kinds without behaviour of their own', () => {
    expect(strategyFor('apps', 'Deployment').table).toBeDefined();
    expect(strategyFor('', 'Pod').gracefulDeletionSeconds).toBeDefined();
    expect(strategyFor('', 'Binding')).toEqual({});
    expect(strategyFor('example.com', 'Widget')).toEqual({});
    // A kind's strategy lives under its own group only.
    expect(strategyFor('apps', 'Pod')).toEqual({});
  });

  it('covers the built-in kinds a simulated cluster serves', () => {
    const covered = new Set(kindsWithStrategies().map((k) => `${k.group}/${k.kind}`));
    const kinds = [
      '/Namespace',
      '/Pod',
      '/Service',
      '/Endpoints',
      '/ConfigMap',
      '/Secret',
      '/ServiceAccount',
      '/Node',
      '/Event',
      '/PersistentVolumeClaim',
      'apps/Deployment',
      'apps/ReplicaSet',
      'apps/StatefulSet',
      'apps/DaemonSet',
      'batch/Job',
      'batch/CronJob',
      'coordination.k8s.io/Lease',
      'discovery.k8s.io/EndpointSlice',
      'networking.k8s.io/NetworkPolicy',
      'networking.k8s.io/Ingress',
      'policy/PodDisruptionBudget',
      'rbac.authorization.k8s.io/Role',
      'rbac.authorization.k8s.io/RoleBinding',
      'rbac.authorization.k8s.io/ClusterRole',
      'rbac.authorization.k8s.io/ClusterRoleBinding',
      'apiextensions.k8s.io/CustomResourceDefinition',
    ];
    expect(kinds.filter((k) => !covered.has(k))).toEqual([]);
    // Every kind with a strategy is one the server serves.
    const served = new Set(builtinResources.map((r) => `${r.group}/${r.kind}`));
    expect([...covered].filter((k) => !served.has(k))).toEqual([]);
  });

  it('names its first column Name (format "name") for every kind but Events, which keep it for -o wide', () => {
    for (const { group, kind } of kindsWithStrategies()) {
      const table = strategyFor(group, kind).table;
      if (!table) continue;
      const nameColumns = table.columns.filter((c) => c.format === 'name');
      expect(nameColumns, `${group}/${kind}`).toHaveLength(1);
      if (kind !== 'Event') expect(table.columns[0]!.name, `${group}/${kind}`).toBe('Name');
    }
  });
});

/** Objects of a kind whose body fields hold arbitrary JSON, as a hostile or confused client may send. */
function arbitraryObject(group: string, kind: string): fc.Arbitrary<KubeObject> {
  const json = fc.jsonValue({ maxDepth: 4 });
  const body = fc.dictionary(
    fc.constantFrom(
      'spec',
      'status',
      'data',
      'binaryData',
      'stringData',
      'type',
      'rules',
      'subjects',
      'roleRef',
      'subsets',
      'endpoints',
      'ports',
      'addressType',
      'involvedObject',
      'immutable',
    ),
    fc.oneof(
      json,
      fc.constant({}),
      fc.constant({ containers: [{}] }),
      fc.constant({ template: { spec: { containers: [1] } } }),
    ),
  );
  return body.map((b) => ({
    ...b,
    apiVersion: group === '' ? 'v1' : `${group}/v1`,
    kind,
    metadata: {
      name: 'x',
      namespace: 'ns',
      uid: 'u',
      resourceVersion: '1',
      creationTimestamp: '2026-01-01T00:00:00Z',
    },
  }));
}

function isFieldError(e: FieldError): boolean {
  return typeof e.type === 'string' && typeof e.field === 'string';
}

describe('every strategy on bad input', () => {
  for (const { group, kind } of kindsWithStrategies()) {
    it(`${group || 'core'}/${kind} never crashes and reports field errors`, () => {
      const s = strategyFor(group, kind);
      const supported = Object.keys(s.selectableFields?.(empty) ?? {}).sort();
      fc.assert(
        fc.property(arbitraryObject(group, kind), arbitraryObject(group, kind), (obj, old) => {
          s.prepareForCreate?.(obj);
          s.applyDefaults?.(obj);
          for (const e of s.validate?.(obj) ?? []) expect(isFieldError(e)).toBe(true);
          s.prepareForUpdate?.(obj, old);
          s.prepareForStatusUpdate?.(obj, old);
          for (const e of s.validateUpdate?.(obj, old) ?? []) expect(isFieldError(e)).toBe(true);
          if (s.selectableFields) {
            const fields = s.selectableFields(obj);
            expect(Object.keys(fields).sort()).toEqual(supported);
            for (const v of Object.values(fields)) expect(typeof v).toBe('string');
          }
          if (s.table)
            expect(s.table.cells(obj, new Date('2026-03-01T00:00:00Z'))).toHaveLength(s.table.columns.length);
          s.pendingFinalization?.(obj);
          const grace = s.gracefulDeletionSeconds?.(obj, undefined) ?? 0;
          expect(Number.isFinite(grace) && grace >= 0).toBe(true);
          try {
            s.prepareForDelete?.(obj);
          } catch (e) {
            expect(e).toBeInstanceOf(ApiError);
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
