// Clients of member clusters for a drill, made the way every hub controller reaches a member:
// the Cluster's endpoint and the Secret its spec.secretRef names (clusterConnection).

import type { Client } from '../../../client/client.js';
import { HttpsClient } from '../../../client/https.js';
import { resources } from '../../../client/resources.js';
import type { KubeObject } from '../../../machinery/object.js';
import { type Cluster, clusterConnection, karmadaResources } from '../../apis/karmada/index.js';

export class MemberClients {
  private readonly clients = new Map<string, HttpsClient>();

  constructor(
    private readonly hub: Client,
    private readonly timeoutMs = 2_000,
  ) {}

  async get(name: string): Promise<HttpsClient> {
    const known = this.clients.get(name);
    if (known) return known;
    const cluster = await this.hub.get<Cluster>(karmadaResources.clusters, name);
    const ref = cluster.spec.secretRef;
    const secret = ref?.name
      ? await this.hub.get<KubeObject>(resources.secrets, ref.name, { namespace: ref.namespace })
      : undefined;
    const client = new HttpsClient(clusterConnection(cluster, secret), {
      timeoutMs: this.timeoutMs,
      userAgent: 'concord-drill',
      protocol: 'http/1.1',
    });
    this.clients.set(name, client);
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
