import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { podTable } from './pod-table.js';

const now = new Date('2026-03-01T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');

function pod(
  status: Record<string, unknown>,
  extra: { spec?: Record<string, unknown>; deleting?: boolean } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'web-7d4b9c',
      namespace: 'default',
      creationTimestamp: minutesAgo(90),
      ...(extra.deleting ? { deletionTimestamp: minutesAgo(0) } : {}),
    },
    spec: { containers: [{ name: 'web', image: 'nginx' }], ...extra.spec },
    status,
  };
}

/** The cells kubectl shows without -o wide: NAME READY STATUS RESTARTS AGE. */
function row(p: KubeObject): unknown[] {
  return podTable.cells(p, now).slice(0, 5);
}

describe('Pod table', () => {
  it('has kubectl’s columns, the wide ones at priority 1', () => {
    expect(podTable.columns.map((c) => [c.name, c.type, c.priority ?? 0])).toEqual([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ]);
    expect(podTable.columns[0]!.format).toBe('name');
  });

  it('prints a pod not yet scheduled as Pending with <none> wide cells', () => {
    const p = pod({ phase: 'Pending' });
    expect(podTable.cells(p, now)).toEqual([
      'web-7d4b9c',
      '0/1',
      'Pending',
      '0',
      '90m',
      '<none>',
      '<none>',
      '<none>',
      '<none>',
    ]);
  });

  it('prints a pod whose container is being created', () => {
    const p = pod(
      {
        phase: 'Pending',
        containerStatuses: [
          { name: 'web', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      },
      { spec: { nodeName: 'node-1' } },
    );
    expect(row(p)).toEqual(['web-7d4b9c', '0/1', 'ContainerCreating', '0', '90m']);
  });

  it('prints a running pod with its IP and node', () => {
    const p = pod(
      {
        phase: 'Running',
        podIP: '10.244.1.7',
        podIPs: [{ ip: '10.244.1.7' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [
          {
            name: 'web',
            ready: true,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: minutesAgo(80) } },
          },
        ],
      },
      { spec: { nodeName: 'node-1' } },
    );
    expect(podTable.cells(p, now)).toEqual([
      'web-7d4b9c',
      '1/1',
      'Running',
      '0',
      '90m',
      '10.244.1.7',
      'node-1',
      '<none>',
      '<none>',
    ]);
  });

  it('prints a crash-looping pod with its restarts and when the last one was', () => {
    const p = pod({
      phase: 'Running',
      containerStatuses: [
        {
          name: 'web',
          ready: false,
          restartCount: 5,
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' },
          },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: minutesAgo(5) } },
        },
      ],
    });
    expect(row(p)).toEqual(['web-7d4b9c', '0/1', 'CrashLoopBackOff', '5 (5m ago)', '90m']);
  });

  it('prints a finished job pod as Completed', () => {
    const p = pod({
      phase: 'Succeeded',
      containerStatuses: [
        {
          name: 'web',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 0, reason: 'Completed' } },
        },
      ],
    });
    expect(row(p)).toEqual(['web-7d4b9c', '0/1', 'Completed', '0', '90m']);
  });

  it('prints a pod being deleted as Terminating, but not a finished one', () => {
    const running = pod(
      { phase: 'Running', containerStatuses: [{ name: 'web', ready: true, state: { running: {} } }] },
      { deleting: true },
    );
    expect(row(running)[2]).toBe('Terminating');
    const done = pod({ phase: 'Succeeded' }, { deleting: true });
    expect(row(done)[2]).toBe('Succeeded');
    const lost = pod({ phase: 'Running', reason: 'NodeLost' }, { deleting: true });
    expect(row(lost)[2]).toBe('Unknown');
  });

  it('prints init containers in progress and failing', () => {
    const spec = {
      initContainers: [
        { name: 'migrate', image: 'tool' },
        { name: 'warm', image: 'tool' },
      ],
    };
    const waiting = pod(
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'warm', state: { running: {} } },
        ],
      },
      { spec },
    );
    expect(row(waiting)[2]).toBe('Init:1/2');
    const failing = pod(
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'migrate', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } },
        ],
      },
      { spec },
    );
    expect(row(failing)[2]).toBe('Init:CrashLoopBackOff');
    const exited = pod(
      {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'migrate', state: { terminated: { exitCode: 2 } } }],
      },
      { spec },
    );
    expect(row(exited)[2]).toBe('Init:ExitCode:2');
  });

  it('counts sidecars as containers once started', () => {
    const p = pod(
      {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 'proxy', ready: true, started: true, state: { running: {} } }],
        containerStatuses: [{ name: 'web', ready: true, state: { running: {} } }],
      },
      { spec: { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }] } },
    );
    expect(row(p).slice(0, 3)).toEqual(['web-7d4b9c', '2/2', 'Running']);
  });

  it('shows readiness gates as satisfied/total', () => {
    const p = pod(
      { phase: 'Running', conditions: [{ type: 'example.com/lb', status: 'True' }] },
      {
        spec: { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
      },
    );
    expect(podTable.cells(p, now)[8]).toBe('1/2');
  });

  it('keeps printing when the status is garbage', () => {
    const p = pod({ containerStatuses: 'x', initContainerStatuses: [null, 3] });
    expect(podTable.cells(p, now)).toHaveLength(podTable.columns.length);
  });
});
