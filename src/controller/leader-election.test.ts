import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Client } from '../client/client.js';
import { resources } from '../client/resources.js';
import { startTestCluster, type TestCluster } from '../client/support.testing.js';
import { microTime } from '../machinery/time.js';
import { type LeaderElectionOptions, LeaderElector, type Lease } from './leader-election.js';

describe('LeaderElector', () => {
  let cluster: TestCluster;
  let client: Client;
  let n = 0;
  const electors: LeaderElector[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster('leader-election');
    client = cluster.inProcess;
  });
  afterEach(async () => {
    for (const e of electors.splice(0)) await e.stop();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  afterAll(() => cluster.close());

  function candidate(identity: string, leaseName: string, extra: Partial<LeaderElectionOptions> = {}) {
    const events: string[] = [];
    let signal: AbortSignal | undefined;
    const elector = new LeaderElector({
      client,
      lease: { namespace: 'kube-system', name: leaseName },
      identity,
      logLevel: 'silent',
      onStartedLeading: (s) => {
        signal = s;
        events.push('started');
      },
      onStoppedLeading: () => events.push('stopped'),
      onNewLeader: (who) => events.push(`leader ${who}`),
      ...extra,
    });
    electors.push(elector);
    return { elector, events, signal: () => signal };
  }

  const lease = (name: string) => client.get<Lease>(resources.leases, name, { namespace: 'kube-system' });

  // Moves the fake clock in small steps so that each step's requests complete before the next.
  async function advance(ms: number, step = 250) {
    for (let t = 0; t < ms; t += step) await vi.advanceTimersByTimeAsync(Math.min(step, ms - t));
  }

  // Retries are jittered; the bounds below must hold for the least and the most jitter.
  it.each([
    ['least', 0],
    ['most', 0.9999],
  ])(
    'elects one of two candidates; the other takes over once the leader stops renewing (%s jitter)',
    async (_, r) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
      vi.spyOn(Math, 'random').mockReturnValue(r);
      const name = `lease-${++n}`;
      const a = candidate('a', name, { releaseOnStop: false });
      const b = candidate('b', name);
      a.elector.start();
      await advance(500);
      b.elector.start();
      await advance(10_000);

      expect(a.elector.isLeader()).toBe(true);
      expect(b.elector.isLeader()).toBe(false);
      expect(a.events).toEqual(['leader a', 'started']);
      expect(b.events).toEqual(['leader a']);
      expect(b.elector.leader).toBe('a');
      const held = await lease(name);
      expect(held.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
      // Renewed while leading: renewTime moved on, acquireTime did not.
      expect(Date.parse(held.spec!.renewTime!)).toBeGreaterThan(Date.parse(held.spec!.acquireTime!));
      expect(held.spec!.renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

      // a goes away without releasing (as a crashed process would).
      await a.elector.stop();
      expect(a.events).toEqual(['leader a', 'started', 'stopped']);
      expect(a.signal()?.aborted).toBe(true);
      expect((await lease(name)).spec?.holderIdentity).toBe('a');
      // a renewed at most one retry period (2 s) before it stopped, so b cannot take the lease
      // within 13 s. b may have seen that renewal up to one jittered retry (4.4 s) late and then
      // waits out the 15 s duration plus one more jittered retry: it must lead 24 s after the stop.
      await advance(10_000);
      expect(b.elector.isLeader()).toBe(false);
      await advance(15_000);
      expect(b.elector.isLeader()).toBe(true);
      expect(b.events).toEqual(['leader a', 'leader b', 'started']);
      const taken = await lease(name);
      expect(taken.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    },
  );

  it('releases the lease on stop, so that the next candidate need not wait for it to expire', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const name = `lease-${++n}`;
    const a = candidate('a', name);
    a.elector.start();
    await advance(500);
    expect(a.elector.isLeader()).toBe(true);
    const b = candidate('b', name);
    b.elector.start();
    await advance(1000);
    expect(b.elector.isLeader()).toBe(false);
    await a.elector.stop();
    expect((await lease(name)).spec?.holderIdentity).toBe('');
    // Within one retry period (with jitter), far less than the 15 s lease duration.
    await advance(2000 * 2.2 + 500);
    expect(b.elector.isLeader()).toBe(true);
    expect((await lease(name)).spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
  });

  it('steps down when it cannot renew within the renew deadline, and campaigns again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const name = `lease-${++n}`;
    const a = candidate('a', name);
    a.elector.start();
    await advance(500);
    expect(a.elector.isLeader()).toBe(true);
    // Someone else writes the lease as theirs and keeps renewing it.
    const intruder = async () => {
      const l = await lease(name);
      const now = microTime(Date.now());
      await client.update(resources.leases, {
        ...l,
        spec: { ...l.spec, holderIdentity: 'intruder', renewTime: now, acquireTime: now },
      });
    };
    for (let t = 0; t < 12_000; t += 1000) {
      await intruder();
      await advance(1000);
    }
    expect(a.elector.isLeader()).toBe(false);
    expect(a.events).toEqual(['leader a', 'started', 'leader intruder', 'stopped']);
    expect(a.signal()?.aborted).toBe(true);
    // Once the intruder stops renewing, a takes the lease back: at most one jittered retry (4.4 s)
    // to see the last renewal, the 15 s duration, and one more jittered retry.
    await advance(25_000);
    expect(a.elector.isLeader()).toBe(true);
    expect(a.events.at(-1)).toBe('started');
  });

  it('checks its timing settings as client-go does', () => {
    const base = { client: {} as Client, lease: { namespace: 'ns', name: 'l' }, identity: 'x' };
    expect(() => new LeaderElector({ ...base, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(
      /leaseDurationMs/,
    );
    expect(() => new LeaderElector({ ...base, renewDeadlineMs: 2000, retryPeriodMs: 2000 })).toThrow(
      /renewDeadlineMs/,
    );
    expect(() => new LeaderElector({ ...base, identity: '' })).toThrow(/identity/);
  });

  it('formats MicroTime with microseconds', () => {
    expect(microTime(Date.UTC(2024, 4, 1, 10, 0, 0, 123))).toBe('2024-05-01T10:00:00.123000Z');
  });
});
