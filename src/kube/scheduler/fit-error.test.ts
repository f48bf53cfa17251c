import { describe, expect, it } from 'vitest';
import { Diagnosis, fitErrorMessage, status, truncateMessage } from './fit-error.js';

describe('fitErrorMessage', () => {
  it('counts reasons over nodes and sorts them as strings, as kube-scheduler does', () => {
    const d = new Diagnosis();
    for (let i = 0; i < 10; i++)
      d.set(`cpu-${i}`, status('Unschedulable', 'NodeResourcesFit', 'Insufficient cpu'));
    d.set('both', status('Unschedulable', 'NodeResourcesFit', 'Insufficient cpu', 'Insufficient memory'));
    d.set(
      't1',
      status('UnschedulableAndUnresolvable', 'TaintToleration', 'node(s) had untolerated taint {a: b}'),
    );
    d.set(
      't2',
      status('UnschedulableAndUnresolvable', 'TaintToleration', 'node(s) had untolerated taint {a: b}'),
    );
    // "11 ..." sorts before "1 ..." and "2 ...": byte order, not numeric.
    expect(fitErrorMessage(13, d)).toBe(
      '0/13 nodes are available: 1 Insufficient memory, 11 Insufficient cpu, 2 node(s) had untolerated taint {a: b}.',
    );
    expect([...d.unschedulablePlugins].sort()).toEqual(['NodeResourcesFit', 'TaintToleration']);
  });

  it('uses the PreFilter message alone when a PreFilter refused the pod', () => {
    const d = new Diagnosis();
    d.preFilterMsg = 'persistentvolumeclaim "x" not found';
    d.postFilterMsg = 'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.';
    expect(fitErrorMessage(2, d)).toBe(
      '0/2 nodes are available: persistentvolumeclaim "x" not found. ' +
        'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
  });

  it('counts nodes that were never checked with the absent status', () => {
    const d = new Diagnosis();
    d.set('a', status('Unschedulable', 'NodeResourcesFit', 'Insufficient cpu'));
    d.absentStatus = status(
      'UnschedulableAndUnresolvable',
      'NodeAffinity',
      "node(s) didn't satisfy plugin(s) [NodeAffinity]",
    );
    expect(fitErrorMessage(4, d)).toBe(
      "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) didn't satisfy plugin(s) [NodeAffinity].",
    );
  });

  it('truncates event notes at 1024 bytes', () => {
    const long = 'x'.repeat(2000);
    const t = truncateMessage(long);
    expect(Buffer.byteLength(t)).toBe(1024);
    expect(t.endsWith(' ...')).toBe(true);
    expect(truncateMessage('short')).toBe('short');
  });
});
