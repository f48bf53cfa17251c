import { describe, expect, it } from 'vitest';
import type { ServiceExport } from '../../apis/mcs/index.js';
import type { MemberService } from '../members.js';
import { type Export, mergeExports } from './merge.js';

function exp(
  cluster: string,
  created: string,
  service: MemberService['spec'] | undefined,
  labels?: Record<string, string>,
): Export {
  const e: ServiceExport = {
    apiVersion: 'multicluster.x-k8s.io/v1beta1',
    kind: 'ServiceExport',
    metadata: { name: 'hello', namespace: 'ns', creationTimestamp: created },
    ...(labels ? { spec: { exportedLabels: labels } } : {}),
  };
  return {
    cluster,
    export: e,
    service: service
      ? { apiVersion: 'v1', kind: 'Service', metadata: { name: 'hello', namespace: 'ns' }, spec: service }
      : undefined,
  };
}

const tcp42 = { clusterIP: '127.16.128.5', ports: [{ name: 'tcp', port: 42, protocol: 'TCP' }] };

describe('the MCS conflict rules', () => {
  it('agrees when the exports agree: ClusterSetIP, ports, NoConflicts on both', () => {
    const m = mergeExports([
      exp('b', '2026-01-01T00:00:01Z', tcp42),
      exp('a', '2026-01-01T00:00:00Z', tcp42),
    ]);
    expect(m.clusters).toEqual(['a', 'b']);
    expect(m.spec).toEqual({
      type: 'ClusterSetIP',
      ports: [{ name: 'tcp', protocol: 'TCP', port: 42 }],
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
    });
    for (const c of ['a', 'b']) {
      expect(m.conditions.get(c)?.map((x) => [x.type, x.status, x.reason])).toEqual([
        ['Valid', 'True', 'Valid'],
        ['Conflict', 'False', 'NoConflicts'],
      ]);
    }
  });

  it("keeps the oldest export's port on a clash, and merges the rest into a union", () => {
    const m = mergeExports([
      exp('new', '2026-01-01T00:00:05Z', {
        clusterIP: '127.17.128.5',
        ports: [
          { name: 'tcp', port: 43 },
          { name: 'x', port: 142, protocol: 'SCTP' },
        ],
      }),
      exp('old', '2026-01-01T00:00:00Z', tcp42),
    ]);
    expect(m.spec?.ports).toEqual([
      { name: 'tcp', protocol: 'TCP', port: 42 },
      { name: 'x', protocol: 'SCTP', port: 142 },
    ]);
    expect(m.conditions.get('new')?.[1]).toMatchObject({
      type: 'Conflict',
      status: 'True',
      reason: 'PortConflict',
    });
    expect(m.conditions.get('old')?.[1]).toMatchObject({
      type: 'Conflict',
      status: 'True',
      reason: 'PortConflict',
    });
  });

  it('lets the oldest win the type and session affinity, naming every conflict', () => {
    const m = mergeExports([
      exp('a', '2026-01-01T00:00:00Z', tcp42, { team: 'a' }),
      exp(
        'b',
        '2026-01-01T00:00:01Z',
        { ...tcp42, clusterIP: 'None', sessionAffinity: 'ClientIP' },
        { team: 'b' },
      ),
    ]);
    expect(m.spec?.type).toBe('ClusterSetIP');
    expect(m.spec?.sessionAffinity).toBe('None');
    expect(m.labels).toEqual({ team: 'a' });
    expect(m.conditions.get('b')?.[1]?.reason).toBe('TypeConflict,SessionAffinityConflict,LabelsConflict');
  });

  it('finds exports without a Service or of an ExternalName Service invalid, and imports nothing from them', () => {
    const m = mergeExports([
      exp('a', '2026-01-01T00:00:00Z', undefined),
      exp('b', '2026-01-01T00:00:00Z', { type: 'ExternalName' }),
    ]);
    expect(m.spec).toBeUndefined();
    expect(m.conditions.get('a')).toMatchObject([{ type: 'Valid', status: 'False', reason: 'NoService' }]);
    expect(m.conditions.get('b')).toMatchObject([
      { type: 'Valid', status: 'False', reason: 'InvalidServiceType' },
    ]);
  });
});
