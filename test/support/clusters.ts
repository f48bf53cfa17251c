// Reading member Clusters on a test hub: get one, its Ready condition, and wait for Ready to
// reach a status.

import type { Client } from '../../src/client/client.js';
import { type Cluster, karmadaResources } from '../../src/hub/apis/karmada/index.js';
import type { Condition } from '../../src/machinery/object.js';
import { waitFor } from '../sim/support.js';

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
