// The demo application `concord up` places on its fleet (examples/demo/app.yaml): applied to the
// hub by server-side apply, so a second run on the same data dir changes nothing, and then
// followed until the fleet serves it — every replica ready across the members (the hub
// Deployment's aggregated status) and a real request answered through its clusterset IP.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { Client } from '../client/client.js';
import type { InProcessClient } from '../client/in-process.js';
import { resources } from '../client/resources.js';
import { RESTMapper } from '../client/rest-mapper.js';
import { mcsResources, type ServiceImport } from '../hub/apis/mcs/index.js';
import type { KubeObject } from '../machinery/object.js';

export const DEMO_NAMESPACE = 'demo';
export const DEMO_APP = 'web';

/** examples/demo/app.yaml of the package this module runs from (src/cli or dist/src/cli). */
export function demoManifestPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'examples', 'demo', 'app.yaml');
}

/** Applies the objects to the hub in order, by server-side apply (field manager concord-up). */
export async function applyObjects(
  hub: InProcessClient,
  objs: KubeObject[],
  mapper = new RESTMapper(hub),
): Promise<void> {
  for (const obj of objs) {
    const ref = await mapper.refFor(obj.apiVersion, obj.kind);
    await hub.apply(ref, obj, { fieldManager: 'concord-up', force: true });
  }
}

/** Applies every object of the demo manifest to the hub (field manager concord-up). */
export async function applyDemo(hub: InProcessClient, path = demoManifestPath()): Promise<KubeObject[]> {
  const docs = parseAllDocuments(await readFile(path, 'utf8'))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => !!o);
  await applyObjects(hub, docs);
  return docs;
}

interface DeploymentStatusView {
  spec?: { replicas?: number };
  status?: { readyReplicas?: number };
}

/** Ready replicas of the demo across the fleet, and how many it asks for. */
export async function demoReplicas(hub: Client): Promise<{ ready: number; desired: number }> {
  const d = (await hub.get(resources.deployments, DEMO_APP, { namespace: DEMO_NAMESPACE })) as KubeObject &
    DeploymentStatusView;
  return { ready: d.status?.readyReplicas ?? 0, desired: d.spec?.replicas ?? 0 };
}

/** The demo's clusterset IP on the hub, once its ServiceImport has one. */
export async function demoClustersetIp(hub: Client): Promise<string | undefined> {
  try {
    const si = await hub.get<ServiceImport>(mcsResources.serviceimports, DEMO_APP, {
      namespace: DEMO_NAMESPACE,
    });
    return si.spec.ips?.[0];
  } catch {
    return undefined;
  }
}

/** One request through the clusterset IP; the answering pod's cluster, or undefined. */
export async function askDemo(ip: string): Promise<string | undefined> {
  try {
    const res = await fetch(`http://${ip}/`, { signal: AbortSignal.timeout(1_000) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { cluster?: string };
    return body.cluster;
  } catch {
    return undefined;
  }
}
