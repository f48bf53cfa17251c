import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../client/resources.js';
import { startTestCluster, type TestCluster } from '../client/support.testing.js';
import type { KubeObject } from '../machinery/object.js';
import { type CoreEvent, EventRateLimiter, EventRecorder } from './events.js';

describe('EventRecorder', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster('events');
  });
  afterAll(() => cluster.close());

  async function configMap(name: string): Promise<KubeObject> {
    return cluster.inProcess.create(
      resources.configmaps,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' } },
      { namespace: 'default' },
    );
  }

  async function eventsAbout(name: string, namespace = 'default'): Promise<CoreEvent[]> {
    const list = await cluster.inProcess.list<CoreEvent>(resources.events, {
      namespace,
      fieldSelector: `involvedObject.name=${name}`,
    });
    return list.items;
  }

  it('writes an Event naming the object, the reason, the message and the source', async () => {
    const cm = await configMap('first');
    const recorder = new EventRecorder({ client: cluster.inProcess, component: 'test-controller' });
    recorder.event(cm, 'Normal', 'Synced', 'all good');
    await recorder.flush();
    const [e, ...rest] = await eventsAbout('first');
    expect(rest).toEqual([]);
    expect(e).toMatchObject({
      type: 'Normal',
      reason: 'Synced',
      message: 'all good',
      count: 1,
      source: { component: 'test-controller' },
      reportingComponent: 'test-controller',
      involvedObject: { kind: 'ConfigMap', name: 'first', namespace: 'default', uid: cm.metadata.uid },
    });
    expect(e!.metadata.name).toMatch(/^first\.[0-9a-f]+$/);
    expect(e!.firstTimestamp).toBe(e!.lastTimestamp);
    await recorder.stop();
  });

  it('aggregates repeats of the same event into one Event with a count and lastTimestamp', async () => {
    const cm = await configMap('repeated');
    let now = new Date('2030-01-01T00:00:00Z');
    const recorder = new EventRecorder({
      client: cluster.inProcess,
      component: 'test-controller',
      now: () => now,
    });
    recorder.event(cm, 'Warning', 'FailedSync', 'it broke');
    await recorder.flush();
    now = new Date('2030-01-01T00:00:07Z');
    recorder.event(cm, 'Warning', 'FailedSync', 'it broke');
    await recorder.flush();
    now = new Date('2030-01-01T00:00:09Z');
    // Repeats made before the previous write lands fold into it.
    recorder.event(cm, 'Warning', 'FailedSync', 'it broke');
    recorder.event(cm, 'Warning', 'FailedSync', 'it broke');
    // A different message is a different event.
    recorder.event(cm, 'Warning', 'FailedSync', 'it broke differently');
    await recorder.flush();
    const events = await eventsAbout('repeated');
    expect(events).toHaveLength(2);
    const broke = events.find((e) => e.message === 'it broke')!;
    expect(broke.count).toBe(4);
    expect(broke.firstTimestamp).toBe('2030-01-01T00:00:00Z');
    expect(broke.lastTimestamp).toBe('2030-01-01T00:00:09Z');
    expect(events.find((e) => e.message === 'it broke differently')!.count).toBe(1);
    await recorder.stop();
  });

  it('combines more than ten similar events differing only in their message', async () => {
    const cm = await configMap('similar');
    const recorder = new EventRecorder({ client: cluster.inProcess, component: 'test-controller' });
    for (let i = 0; i < 15; i++) recorder.event(cm, 'Normal', 'SuccessfulCreate', `Created pod: p-${i}`);
    await recorder.flush();
    const events = await eventsAbout('similar');
    // Nine stand alone; from the tenth on they count on one combined event.
    expect(events).toHaveLength(10);
    const combined = events.filter((e) => e.message.startsWith('(combined from similar events): '));
    expect(combined).toHaveLength(1);
    expect(combined[0]!.count).toBe(6);
    expect(combined[0]!.message).toBe('(combined from similar events): Created pod: p-14');
    await recorder.stop();
  });

  it('rate-limits a source that keeps talking about one object', async () => {
    const cm = await configMap('noisy');
    const recorder = new EventRecorder({ client: cluster.inProcess, component: 'test-controller' });
    for (let i = 0; i < 1000; i++) recorder.event(cm, 'Warning', 'Loop', 'again');
    await recorder.flush();
    const [e, ...rest] = await eventsAbout('noisy');
    expect(rest).toEqual([]);
    // 25 at once, then one every five minutes: the loop's other 975 are dropped.
    expect(e!.count).toBe(25);
    await recorder.stop();
  });

  it('caps its write rate: a flood about many objects waits in a bounded queue, the rest is dropped', async () => {
    const objects: KubeObject[] = [];
    for (let i = 0; i < 10; i++) objects.push(await configMap(`flood-${i}`));
    const recorder = new EventRecorder({
      client: cluster.inProcess,
      component: 'flood-controller',
      rateLimiter: new EventRateLimiter(20, 2),
      maxQueued: 3,
      logger: pino({ level: 'silent' }),
    });
    for (const o of objects) recorder.event(o, 'Normal', 'Flood', 'one of many');
    await recorder.flush();
    const written = await cluster.inProcess.list<CoreEvent>(resources.events, {
      namespace: 'default',
      fieldSelector: 'source=flood-controller',
    });
    // One went out at once and three found room in the queue; the two-token burst and the 20/s
    // rate wrote them all. The other six were dropped.
    expect(written.items.map((e) => e.involvedObject.name).sort()).toEqual([
      'flood-0',
      'flood-1',
      'flood-2',
      'flood-3',
    ]);
    await recorder.stop();
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const ns = await cluster.inProcess.get(resources.namespaces, 'kube-public');
    const recorder = new EventRecorder({
      client: cluster.inProcess,
      component: 'test-controller',
      host: 'node-1',
    });
    recorder.event(ns, 'Normal', 'Looked', 'at it');
    await recorder.flush();
    const [e] = await eventsAbout('kube-public');
    expect(e).toMatchObject({
      involvedObject: { kind: 'Namespace', name: 'kube-public' },
      source: { component: 'test-controller', host: 'node-1' },
      reportingInstance: 'node-1',
    });
    expect(e!.involvedObject.namespace).toBeUndefined();
    await recorder.stop();
  });

  it('drops what it cannot write without throwing, and ignores events after stop', async () => {
    // Quiet: the failure it logs is the point of the test.
    const recorder = new EventRecorder({
      client: cluster.inProcess,
      component: 'test-controller',
      logger: pino({ level: 'silent' }),
    });
    const ghost: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ghost', namespace: 'no-such-namespace' },
    };
    expect(() => recorder.event(ghost, 'Normal', 'Boo', 'nowhere to go')).not.toThrow();
    await recorder.flush();
    expect(await eventsAbout('ghost', 'no-such-namespace')).toEqual([]);
    await recorder.stop();
    const cm = await configMap('after-stop');
    recorder.event(cm, 'Normal', 'Late', 'too late');
    await recorder.flush();
    expect(await eventsAbout('after-stop')).toEqual([]);
  });
});
