// One member that hangs never holds up the others: with probes that wait for an answer as long as
// ten minutes (`concord hub --cluster-probe-timeout 10m`), a partitioned member's probe hangs for
// the whole test, and still the hub keeps another member's capacity up to date and notices that
// member going down and coming back.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsClient } from '../../src/client/https.js';
import { resources } from '../../src/client/resources.js';
import { joinCluster } from '../../src/hub/clusters/join.js';
import { requestFault } from '../../src/sim/control.js';
import { waitFor } from '../sim/support.js';
import { clusterReader, readyOf } from '../support/clusters.js';
import { HubProcess } from '../support/hub.js';
import { type SimHostProcess, startSimHostProcess } from '../support/sim-host.js';

let dir: string;
let hub: HubProcess;
let client: HttpsClient;
let sims: SimHostProcess;

let get: ReturnType<typeof clusterReader>['get'];
let readyIs: ReturnType<typeof clusterReader>['readyIs'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-independence-'));
  [hub, sims] = await Promise.all([
    HubProcess.start(join(dir, 'hub'), ['--cluster-probe-timeout', '10m']),
    startSimHostProcess(join(dir, 'sims'), ['hung', 'lively']),
  ]);
  client = await hub.client();
  ({ get, readyIs } = clusterReader(client));
  for (const name of ['hung', 'lively']) {
    await joinCluster(client, {
      name,
      kubeconfig: join(dir, 'sims', 'clusters', `${name}.kubeconfig`),
    });
  }
  await Promise.all([readyIs('hung', 'True'), readyIs('lively', 'True')]);
}, 120_000);

afterAll(async () => {
  client?.close();
  await sims?.stop();
  await hub?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a member that hangs', () => {
  it("delays neither another member's capacity nor its health", async () => {
    await requestFault(sims.dataDir, 'hung', { action: 'partition' });
    // Longer than a probe interval: the hung member's probe is now under way, and stays so.
    await new Promise((r) => setTimeout(r, 3000));

    const lively = await HttpsClient.fromKubeconfigFile(join(dir, 'sims', 'clusters', 'lively.kubeconfig'));
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
      const s = (await get('lively')).status?.resourceSummary;
      return s?.allocated?.pods === '1' || s?.allocating?.pods === '1' ? s : undefined;
    });
    expect(summary.allocated ?? summary.allocating).toEqual({ cpu: '3', memory: '5Gi', pods: '1' });

    await requestFault(sims.dataDir, 'lively', { action: 'down' });
    expect(readyOf(await readyIs('lively', 'False'))?.reason).toBe('ClusterNotReachable');
    await requestFault(sims.dataDir, 'lively', { action: 'heal' });
    await readyIs('lively', 'True');

    // Its probe still waiting for an answer, the hung member has had no verdict at all.
    expect(readyOf(await get('hung'))?.status).toBe('True');
    await requestFault(sims.dataDir, 'hung', { action: 'heal' });
  });
});
