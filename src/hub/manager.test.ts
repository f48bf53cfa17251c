import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../client/client.js';
import { resources } from '../client/resources.js';
import { startTestCluster, type TestCluster } from '../client/support.testing.js';
import type { RunningController } from '../controller/context.js';
import type { Lease } from '../controller/leader-election.js';
import {
  HUB_INFO,
  HUB_NAMESPACE,
  hubInfoData,
  startHubInfoController,
} from './identity/hub-info-controller.js';
import { ControllerManager, type HubContext, MANAGER_LEASE } from './manager.js';

// Two managers on one API server, as two hubs on one store: only the leader runs controllers.
describe('ControllerManager', () => {
  let cluster: TestCluster;
  let client: Client;
  beforeAll(async () => {
    cluster = await startTestCluster('hub-manager');
    client = cluster.inProcess;
  });
  afterAll(() => cluster.close());

  const timings = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 200 };

  function manager(identity: string, started: string[]) {
    const factory = (ctx: HubContext): RunningController[] => {
      started.push(`start ${ctx.identity}`);
      return [
        {
          name: 'probe',
          async stop() {
            started.push(`stop ${ctx.identity}`);
          },
        },
        ...startHubInfoController(ctx),
      ];
    };
    return new ControllerManager({
      context: {
        cluster: 'hub',
        client,
        logger: pino({ level: 'silent' }),
        now: () => new Date(),
        dataDir: '/nonexistent',
        identity,
        endpoint: { url: `https://127.0.0.1:${identity === 'a' ? 1 : 2}`, caPem: cluster.running.caPem },
      },
      controllers: [factory],
      informers: { informerDefaults: { watchTimeoutSeconds: 5 } },
      ...timings,
    });
  }

  const hubInfo = () =>
    client
      .get(resources.configmaps, HUB_INFO, { namespace: HUB_NAMESPACE })
      .then((cm) => cm.data as Record<string, string>)
      .catch(() => undefined);

  it('runs the controllers on the leader only, and on the other once the leader stops', async () => {
    const events: string[] = [];
    const a = manager('a', events);
    a.start();
    await expect.poll(() => a.isLeader(), { timeout: 10_000 }).toBe(true);
    const b = manager('b', events);
    b.start();
    await expect.poll(() => b.leader, { timeout: 10_000 }).toBe('a');
    expect(b.isLeader()).toBe(false);
    expect(a.controllerNames()).toEqual(['probe', 'hub-info']);
    expect(b.controllerNames()).toEqual([]);

    // The leader's hub-info controller publishes the leader's identity and endpoint ...
    await expect
      .poll(hubInfo, { timeout: 10_000 })
      .toMatchObject({ leader: 'a', endpoint: 'https://127.0.0.1:1' });
    // ... and puts it back when someone edits it.
    const cm = await client.get(resources.configmaps, HUB_INFO, { namespace: HUB_NAMESPACE });
    await client.update(
      resources.configmaps,
      { ...cm, data: { leader: 'someone else' } },
      { namespace: HUB_NAMESPACE },
    );
    await expect.poll(hubInfo, { timeout: 10_000 }).toEqual(
      hubInfoData({
        identity: 'a',
        endpoint: { url: 'https://127.0.0.1:1', caPem: cluster.running.caPem },
      }),
    );

    await a.stop();
    expect(events.slice(0, 2)).toEqual(['start a', 'stop a']);
    await expect.poll(() => b.isLeader(), { timeout: 10_000 }).toBe(true);
    await expect
      .poll(hubInfo, { timeout: 10_000 })
      .toMatchObject({ leader: 'b', endpoint: 'https://127.0.0.1:2' });
    expect(events).toEqual(['start a', 'stop a', 'start b']);
    const lease = await client.get<Lease>(resources.leases, MANAGER_LEASE.name, {
      namespace: MANAGER_LEASE.namespace,
    });
    expect(lease.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    await b.stop();
    expect(events).toEqual(['start a', 'stop a', 'start b', 'stop b']);
  });

  it('brings back hub-info after it is deleted', async () => {
    const a = manager('a', []);
    a.start();
    try {
      await expect.poll(() => a.isLeader(), { timeout: 10_000 }).toBe(true);
      await expect.poll(hubInfo, { timeout: 10_000 }).toMatchObject({ leader: 'a' });
      await client.delete(resources.configmaps, HUB_INFO, { namespace: HUB_NAMESPACE });
      await expect.poll(hubInfo, { timeout: 10_000 }).toMatchObject({ leader: 'a' });
    } finally {
      await a.stop();
    }
  });
});
