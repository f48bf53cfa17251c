// One member that hangs never holds up the others: with probes that wait for an answer as long as
// ten minutes (`concord hub --cluster-probe-timeout 10m`), a partitioned member's probe hangs for
// the whole test, and still the hub keeps another member's capacity up to date and notices that
// member going down and coming back.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsClient } from '../../src/client/https.js';
import { resources } from '../../src/client/resources.js';
import { requestFault } from '../../src/sim/control.js';
import { waitFor } from '../sim/support.js';
import { type HubWithMembers, readyOf, startHubWithMembers } from '../support/clusters.js';

let fleet: HubWithMembers;

beforeAll(async () => {
  fleet = await startHubWithMembers(['--cluster-probe-timeout', '10m'], ['hung', 'lively']);
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
});

describe('a member that hangs', () => {
  it("delays neither another member's capacity nor its health", async () => {
    await requestFault(fleet.sims.dataDir, 'hung', { action: 'partition' });
    // Longer than a probe interval: the hung member's probe is now under way, and stays so.
    await new Promise((r) => setTimeout(r, 3000));

    const lively = await HttpsClient.fromKubeconfigFile(
      join(fleet.dir, 'sims', 'clusters', 'lively.kubeconfig'),
    );
    try {
      await lively.create(
        resources.pods,
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'worker', namespace: 'default' },
          spec: {
            containers: [{ name: 'w', image: 'w', resources: { requests: { cpu: '3', memory: '5Gi' } } }],
          },
        },
        { namespace: 'default' },
      );
    } finally {
      lively.close();
    }
    const summary = await waitFor('the new pod in the summary', async () => {
      const s = (await fleet.get('lively')).status?.resourceSummary;
      return s?.allocated?.pods === '1' || s?.allocating?.pods === '1' ? s : undefined;
    });
    expect(summary.allocated ?? summary.allocating).toEqual({ cpu: '3', memory: '5Gi', pods: '1' });

    await requestFault(fleet.sims.dataDir, 'lively', { action: 'down' });
    expect(readyOf(await fleet.readyIs('lively', 'False'))?.reason).toBe('ClusterNotReachable');
    await requestFault(fleet.sims.dataDir, 'lively', { action: 'heal' });
    await fleet.readyIs('lively', 'True');

    // Its probe still waiting for an answer, the hung member has had no verdict at all.
    expect(readyOf(await fleet.get('hung'))?.status).toBe('True');
    await requestFault(fleet.sims.dataDir, 'hung', { action: 'heal' });
  });
});
