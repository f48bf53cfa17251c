import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../machinery/object.js';
import { fieldErrorMessage } from '../../machinery/status.js';
import { eventStrategy } from './event.js';

const now = new Date('2026-03-01T12:00:00Z');

/** An event as the scheduler records it through the core/v1 API. */
function event(extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-1.17f3a', namespace: 'default' },
    involvedObject: {
      kind: 'Pod',
      namespace: 'default',
      name: 'web-1',
      uid: 'u-1',
      apiVersion: 'v1',
      resourceVersion: '42',
    },
    reason: 'FailedScheduling',
    message: '0/3 nodes are available: 3 Insufficient cpu.\n',
    source: { component: 'default-scheduler' },
    firstTimestamp: '2026-03-01T11:50:00Z',
    lastTimestamp: '2026-03-01T11:58:00Z',
    count: 4,
    type: 'Warning',
    ...extra,
  };
}

describe('Event', () => {
  it('accepts an event about an object of its namespace', () => {
    expect(eventStrategy.validate!(event())).toEqual([]);
  });

  it('refuses an event filed in another namespace than its object', () => {
    const e = event();
    e.metadata.namespace = 'kube-system';
    expect(eventStrategy.validate!(e).map((x) => fieldErrorMessage(x))).toEqual([
      'involvedObject.namespace: Invalid value: "default": does not match event.namespace',
    ]);
  });

  it('holds new-style events to their reporting fields', () => {
    const e = event({ eventTime: '2026-03-01T11:58:00.000000Z', reason: '' });
    expect(eventStrategy.validate!(e).map((x) => fieldErrorMessage(x))).toEqual([
      'reportingComponent: Required value',
      'reportingInstance: Required value',
      'action: Required value',
      'reason: Required value',
    ]);
  });

  it('supports the field selectors kubectl uses', () => {
    expect(eventStrategy.selectableFields!(event())).toEqual({
      'involvedObject.kind': 'Pod',
      'involvedObject.namespace': 'default',
      'involvedObject.name': 'web-1',
      'involvedObject.uid': 'u-1',
      'involvedObject.apiVersion': 'v1',
      'involvedObject.resourceVersion': '42',
      'involvedObject.fieldPath': '',
      reason: 'FailedScheduling',
      reportingComponent: '',
      source: 'default-scheduler',
      type: 'Warning',
    });
  });

  it('prints LAST SEEN, TYPE, REASON, OBJECT and MESSAGE, with the rest for -o wide', () => {
    const table = eventStrategy.table!;
    expect(table.columns.filter((c) => !c.priority).map((c) => c.name)).toEqual([
      'Last Seen',
      'Type',
      'Reason',
      'Object',
      'Message',
    ]);
    expect(table.cells(event(), now)).toEqual([
      '2m',
      'Warning',
      'FailedScheduling',
      'pod/web-1',
      '',
      'default-scheduler',
      '0/3 nodes are available: 3 Insufficient cpu.',
      '10m',
      4,
      'web-1.17f3a',
    ]);
  });

  it('prints a new-style event from its series and reporting controller', () => {
    const e = event({
      firstTimestamp: undefined,
      lastTimestamp: undefined,
      count: undefined,
      source: undefined,
      eventTime: '2026-03-01T11:30:00.000000Z',
      series: { count: 7, lastObservedTime: '2026-03-01T11:59:00.000000Z' },
      reportingComponent: 'kubelet',
      reportingInstance: 'worker-1',
    });
    const cells = eventStrategy.table!.cells(e, now);
    expect([cells[0], cells[5], cells[7], cells[8]]).toEqual(['60s', 'kubelet, worker-1', '30m', 7]);
  });
});
