// How a drill takes members down and brings them back. A simulated member (one with a control
// file in the data dir) gets the sim's own fault injection: down (connections refused, its pods
// unreachable) or partition (nothing answers). A real member is never touched: the hub cordons
// and taints its Cluster (recovery.concord.dev/drill:NoExecute), which recovery and failover treat
// as an outage; healing removes the taint. Nothing is deleted either way.

import { access } from 'node:fs/promises';
import type { Client } from '../../../client/client.js';
import { controlFilePath, requestFault } from '../../../sim/control.js';
import { type Cluster, karmadaResources } from '../../apis/karmada/index.js';
import { DRILL_TAINT_KEY, type DrillScenario } from '../../apis/recovery/index.js';

export type FaultMethod = 'fault' | 'taint';

export async function faultMethod(dataDir: string, cluster: string): Promise<FaultMethod> {
  try {
    await access(controlFilePath(dataDir, cluster));
    return 'fault';
  } catch {
    return 'taint';
  }
}

async function setDrillTaint(hub: Client, cluster: string, drill: string | undefined): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const c = await hub.get<Cluster>(karmadaResources.clusters, cluster);
    const others = (c.spec.taints ?? []).filter((t) => t.key !== DRILL_TAINT_KEY);
    const taints = drill
      ? [
          ...others,
          {
            key: DRILL_TAINT_KEY,
            value: drill,
            effect: 'NoExecute' as const,
            timeAdded: new Date().toISOString(),
          },
        ]
      : others;
    try {
      await hub.update(karmadaResources.clusters, { ...c, spec: { ...c.spec, taints } });
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt >= 5) throw err;
    }
  }
}

export async function injectFault(
  hub: Client,
  dataDir: string,
  cluster: string,
  method: FaultMethod,
  scenario: DrillScenario,
  drill: string,
): Promise<void> {
  if (method === 'taint') return setDrillTaint(hub, cluster, drill);
  await requestFault(dataDir, cluster, { action: scenario === 'partition' ? 'partition' : 'down' });
}

export async function healFault(
  hub: Client,
  dataDir: string,
  cluster: string,
  method: FaultMethod,
): Promise<void> {
  if (method === 'taint') return setDrillTaint(hub, cluster, undefined);
  await requestFault(dataDir, cluster, { action: 'heal' });
}
