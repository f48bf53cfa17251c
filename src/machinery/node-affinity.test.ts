import { describe, expect, it } from 'vitest';
import {
  compilePreferredNodeAffinity,
  compileRequiredNodeAffinity,
  preferredNodeAffinityScore,
  requiredNodeAffinityMatches,
} from './node-affinity.js';

const node = (name: string, labels: Record<string, string>) => ({ name, labels });
const required = (...nodeSelectorTerms: unknown[]) =>
  compileRequiredNodeAffinity({
    affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } },
  });

describe('node affinity', () => {
  it('matches every operator as Kubernetes does', () => {
    const n = node('n1', { zone: 'a', cores: '16', gpu: '' });
    const expr = (key: string, operator: string, values?: string[]) =>
      required({ matchExpressions: [{ key, operator, values }] });
    expect(requiredNodeAffinityMatches(expr('zone', 'In', ['a', 'b']), n)).toBe(true);
    expect(requiredNodeAffinityMatches(expr('zone', 'In', ['b']), n)).toBe(false);
    expect(requiredNodeAffinityMatches(expr('zone', 'NotIn', ['b']), n)).toBe(true);
    expect(requiredNodeAffinityMatches(expr('missing', 'NotIn', ['b']), n)).toBe(true);
    expect(requiredNodeAffinityMatches(expr('gpu', 'Exists'), n)).toBe(true);
    expect(requiredNodeAffinityMatches(expr('gpu', 'DoesNotExist'), n)).toBe(false);
    expect(requiredNodeAffinityMatches(expr('cores', 'Gt', ['8']), n)).toBe(true);
    expect(requiredNodeAffinityMatches(expr('cores', 'Lt', ['8']), n)).toBe(false);
    // Gt on a label that is not an integer never matches.
    expect(requiredNodeAffinityMatches(expr('zone', 'Gt', ['1']), n)).toBe(false);
  });

  it('ORs terms, ANDs requirements, ignores unreadable terms and matches nothing with an empty term', () => {
    const n = node('n1', { zone: 'a', tier: 'web' });
    const both = required({
      matchExpressions: [
        { key: 'zone', operator: 'In', values: ['a'] },
        { key: 'tier', operator: 'In', values: ['db'] },
      ],
    });
    expect(requiredNodeAffinityMatches(both, n)).toBe(false);
    const bad = { matchExpressions: [{ key: 'zone', operator: 'Near', values: ['a'] }] };
    const good = { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] };
    expect(requiredNodeAffinityMatches(required(bad, good), n)).toBe(true);
    expect(requiredNodeAffinityMatches(required(bad), n)).toBe(false);
    expect(requiredNodeAffinityMatches(required({}), n)).toBe(false);
    // Gt needs exactly one integer.
    expect(
      requiredNodeAffinityMatches(
        required({ matchExpressions: [{ key: 'x', operator: 'Gt', values: ['1', '2'] }] }),
        n,
      ),
    ).toBe(false);
  });

  it('selects on metadata.name and works out the nodes a DaemonSet pod pins', () => {
    const a = required(
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] },
    );
    expect([...a!.nodeNames!].sort()).toEqual(['n1', 'n2']);
    expect(requiredNodeAffinityMatches(a, node('n2', {}))).toBe(true);
    expect(requiredNodeAffinityMatches(a, node('n3', {}))).toBe(false);
    const notIn = required({ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] });
    expect(notIn!.nodeNames).toBeUndefined();
    expect(requiredNodeAffinityMatches(notIn, node('n1', {}))).toBe(false);
    expect(requiredNodeAffinityMatches(notIn, node('n2', {}))).toBe(true);
    // A term without a pinned name allows any node.
    const mixed = required(
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
      { matchExpressions: [{ key: 'zone', operator: 'Exists' }] },
    );
    expect(mixed!.nodeNames).toBeUndefined();
  });

  it('ANDs nodeSelector with the required terms', () => {
    const a = compileRequiredNodeAffinity({
      nodeSelector: { disk: 'ssd' },
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }],
          },
        },
      },
    });
    expect(requiredNodeAffinityMatches(a, node('n', { disk: 'ssd', zone: 'a' }))).toBe(true);
    expect(requiredNodeAffinityMatches(a, node('n', { disk: 'hdd', zone: 'a' }))).toBe(false);
    expect(requiredNodeAffinityMatches(a, node('n', { disk: 'ssd', zone: 'b' }))).toBe(false);
    expect(compileRequiredNodeAffinity({})).toBeUndefined();
  });

  it('scores preferred terms by the sum of the weights that match', () => {
    const terms = compilePreferredNodeAffinity({
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 30,
              preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
            },
            { weight: 5, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
            { weight: 0, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
          ],
        },
      },
    })!;
    expect(preferredNodeAffinityScore(terms, node('n', { zone: 'a', disk: 'ssd' }))).toBe(35);
    expect(preferredNodeAffinityScore(terms, node('n', { zone: 'b' }))).toBe(0);
  });
});
