// Laws of server-side apply, checked on random sequences of applies by several managers.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../object.js';
import type { ApiError } from '../status.js';
import { serverSideApply } from './apply.js';
import { FieldSet, type Path, pathToString } from './fieldpath.js';
import { decodeManagedFields } from './managed-fields.js';
import { deploymentSchema, dig } from './support.testing.js';
import { updateManagedFields } from './update.js';

interface Config {
  labels: Record<string, string>;
  containers: { name: string; image: string }[];
}

const config: fc.Arbitrary<Config> = fc.record({
  labels: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.constantFrom('1', '2')),
  containers: fc.uniqueArray(
    fc.record({ name: fc.constantFrom('x', 'y', 'z'), image: fc.constantFrom('i1', 'i2') }),
    { selector: (c) => c.name, maxLength: 3 },
  ),
});
const step = fc.record({ manager: fc.constantFrom('m1', 'm2', 'm3'), config });

function applied(c: Config): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: c.labels },
    spec: { template: { spec: { containers: c.containers } } },
  };
}

function run(live: KubeObject | undefined, manager: string, c: Config, i = 0, force = true): KubeObject {
  return serverSideApply({
    live,
    applied: applied(c),
    manager,
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    force,
    schema: deploymentSchema,
    time: new Date(Date.UTC(2024, 0, 1, 0, 0, i)),
  });
}

/** Whether the object has the field a managedFields path names. */
function exists(value: unknown, p: Path): boolean {
  let v = value;
  for (const pe of p) {
    if (pe.kind === 'field') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
      v = (v as Record<string, unknown>)[pe.name];
      if (v === undefined) return false;
    } else if (pe.kind === 'key') {
      if (!Array.isArray(v)) return false;
      v = v.find((item) => pe.fields.every(([k, kv]) => (item as Record<string, unknown>)[k] === kv));
      if (v === undefined) return false;
    } else return false;
  }
  return true;
}

describe('apply laws', () => {
  it('leaves what was just applied in the object, owned by its applier', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), (steps) => {
        let obj: KubeObject | undefined;
        steps.forEach((s, i) => {
          obj = run(obj, s.manager, s.config, i);
          for (const [k, v] of Object.entries(s.config.labels)) expect(obj.metadata.labels?.[k]).toBe(v);
          const containers = (dig(obj, 'spec', 'template', 'spec', 'containers') ?? []) as { name: string }[];
          for (const c of s.config.containers) expect(containers).toContainEqual(c);
          const mine = obj.metadata.managedFields?.find((e) => e.manager === s.manager);
          if (Object.keys(s.config.labels).length > 0 || s.config.containers.length > 0)
            expect(mine).toBeDefined();
        });
      }),
    );
  });

  it('is idempotent: applying the same configuration again changes nothing', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 5 }), step, (steps, last) => {
        let obj: KubeObject | undefined;
        steps.forEach((s, i) => {
          obj = run(obj, s.manager, s.config, i);
        });
        const once = run(obj, last.manager, last.config, 10);
        expect(run(once, last.manager, last.config, 11)).toEqual(once);
      }),
    );
  });

  it('keeps a label exactly while some applier still applies it (no forcing)', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        let obj: KubeObject | undefined;
        const latest = new Map<string, Config>();
        steps.forEach((s, i) => {
          try {
            obj = run(obj, s.manager, s.config, i, false);
          } catch (err) {
            // A conflict changes nothing.
            expect((err as ApiError).code).toBe(409);
            return;
          }
          latest.set(s.manager, s.config);
          const wanted = new Set([...latest.values()].flatMap((c) => Object.keys(c.labels)));
          expect(new Set(Object.keys(obj.metadata.labels ?? {}))).toEqual(wanted);
        });
      }),
    );
  });

  it('never records ownership of a field the object does not have, updates in between', () => {
    const write = fc.record({ writer: fc.constantFrom('u1', 'u2'), config });
    fc.assert(
      fc.property(fc.array(fc.oneof(step, write), { minLength: 1, maxLength: 8 }), (steps) => {
        let obj: KubeObject | undefined;
        steps.forEach((s, i) => {
          if ('writer' in s) {
            // A PUT that replaces labels and containers wholesale.
            const next = applied(s.config);
            const entries = updateManagedFields({
              live: obj,
              updated: next,
              manager: s.writer,
              apiVersion: 'apps/v1',
              time: new Date(Date.UTC(2024, 0, 1, 0, 0, i)),
              schema: deploymentSchema,
            });
            if (entries) next.metadata.managedFields = entries;
            obj = next;
          } else obj = run(obj, s.manager, s.config, i);
          const { managers, errors } = decodeManagedFields(obj.metadata.managedFields);
          expect(errors).toEqual([]);
          let all = FieldSet.empty;
          for (const e of managers.values()) all = all.union(e.set);
          for (const p of all.paths()) expect(exists(obj, p), pathToString(p)).toBe(true);
        });
      }),
    );
  });
});
