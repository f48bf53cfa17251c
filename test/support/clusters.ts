// Member Clusters on a test hub: a `concord hub` with simulated members joined to it, and reading
// them (a Cluster, its Ready condition, waiting for Ready to reach a status).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '../../src/client/client.js';
import type { HttpsClient } from '../../src/client/https.js';
import { type Cluster, karmadaResources } from '../../src/hub/apis/karmada/index.js';
import { joinCluster } from '../../src/hub/clusters/join.js';
import type { Condition } from '../../src/machinery/object.js';
import { waitFor } from '../sim/support.js';
import { HubProcess } from './hub.js';
import { type SimHostProcess, startSimHostProcess } from './sim-host.js';

export function readyOf(c: Cluster | undefined): Condition | undefined {
  return c?.status?.conditions?.find((x) => x.type === 'Ready');
}

export function clusterReader(client: Client) {
  const get = (name: string) => client.get<Cluster>(karmadaResources.clusters, name);
  return {
    get,
    /** Waits until the Cluster's Ready condition has `status`; returns the Cluster then. */
    readyIs: (name: string, status: Condition['status'], timeoutMs?: number) =>
      waitFor(
        `${name} Ready ${status}`,
        async () => {
          const c = await get(name);
          return readyOf(c)?.status === status ? c : undefined;
        },
        timeoutMs,
      ),
  };
}

export interface HubWithMembers extends ReturnType<typeof clusterReader> {
  dir: string;
  hub: HubProcess;
  client: HttpsClient;
  sims: SimHostProcess;
  stop(): Promise<void>;
}

/**
 * A `concord hub` (with `hubArgs`) and a sim host process running `names`, each joined to the hub
 * with joinCluster and Ready.
 */
export async function startHubWithMembers(hubArgs: string[], names: string[]): Promise<HubWithMembers> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-members-'));
  const [hub, sims] = await Promise.all([
    HubProcess.start(join(dir, 'hub'), hubArgs),
    startSimHostProcess(join(dir, 'sims'), names),
  ]);
  const client = await hub.client();
  const reader = clusterReader(client);
  for (const name of names) {
    await joinCluster(client, { name, kubeconfig: join(dir, 'sims', 'clusters', `${name}.kubeconfig`) });
  }
  await Promise.all(names.map((name) => reader.readyIs(name, 'True')));
  return {
    ...reader,
    dir,
    hub,
    client,
    sims,
    async stop() {
      client.close();
      await sims.stop();
      await hub.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
