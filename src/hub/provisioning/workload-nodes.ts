// The workload clusters' Nodes, as Cluster API's ClusterCache keeps them: for every Cluster whose
// kubeconfig Secret (<cluster>-kubeconfig, key value) exists, one HTTPS client and one Node
// informer on the workload cluster, indexed by providerID. A changed Secret is a new connection;
// a Secret gone ends the watch. Machines find their Node here; the watch starts with the Secret.

import { type ClientLease, HttpsClientCache } from '../../client/client-cache.js';
import type { Informer } from '../../client/informer.js';
import { Informer as NodeInformer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import type { ControllerContext } from '../../controller/context.js';
import { parseKubeconfig, resolveContext } from '../../machinery/kubeconfig.js';
import type { KubeObject } from '../../machinery/object.js';
import { Labels } from '../apis/cluster-api/index.js';
import { KUBECONFIG_SECRET_KEY } from './names.js';
import { kubeconfigSecretName } from './remote.js';

/** What the Machine controller reads of a Node. */
export interface WorkloadNode extends KubeObject {
  spec?: { providerID?: string; unschedulable?: boolean };
  status?: {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    nodeInfo?: Record<string, unknown>;
    addresses?: { type: string; address: string }[];
  };
}

function slimNode(n: KubeObject): WorkloadNode {
  const node = n as WorkloadNode;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.metadata.name,
      uid: node.metadata.uid,
      resourceVersion: node.metadata.resourceVersion,
      labels: node.metadata.labels,
    },
    spec: { providerID: node.spec?.providerID, unschedulable: node.spec?.unschedulable },
    status: {
      conditions: node.status?.conditions?.map(({ type, status, reason, message }) => ({
        type,
        status,
        reason,
        message,
      })),
      nodeInfo: node.status?.nodeInfo,
    },
  } as WorkloadNode;
}

interface Tracked {
  fingerprint: string;
  lease: ClientLease;
  nodes: Informer<WorkloadNode>;
  byProviderID: Map<string, WorkloadNode>;
}

export class WorkloadNodes {
  private readonly tracked = new Map<string, Tracked>();
  private readonly clients = new HttpsClientCache({
    clientOptions: { timeoutMs: 10_000, userAgent: 'concord-hub/cluster-cache' },
  });
  private readonly secrets: Informer<KubeObject>;
  private stopped = false;

  constructor(
    private readonly ctx: ControllerContext,
    /** Told "namespace/cluster" and the node whenever a workload cluster's Node changes. */
    private readonly onNode: (clusterKey: string, node: WorkloadNode) => void,
  ) {
    this.secrets = ctx.informers.informerFor<KubeObject>(resources.secrets, {
      labelSelector: Labels.clusterName,
    });
    // Watch a workload cluster's Nodes as soon as its kubeconfig is there, not when the first
    // Machine asks: by the time its infra machine is ready the Node is known, and the Machine
    // goes to Running in the same status write that makes it Provisioned.
    const early = (secret: KubeObject) => {
      const cluster = secret.metadata.labels?.[Labels.clusterName];
      if (!this.stopped && cluster && secret.metadata.name === kubeconfigSecretName(cluster)) {
        this.connect(secret.metadata.namespace ?? '', cluster);
      }
    };
    this.secrets.addEventHandler({ onAdd: early, onUpdate: (_o, s) => early(s) });
  }

  /** The secrets informer (a change of a kubeconfig Secret is news for its Cluster's Machines). */
  get secretInformer(): Informer<KubeObject> {
    return this.secrets;
  }

  /** The Node with this providerID in the Cluster's workload cluster, or why it cannot be told. */
  node(
    namespace: string,
    cluster: string,
    providerID: string,
  ): WorkloadNode | 'no-connection' | 'not-synced' | undefined {
    const t = this.connect(namespace, cluster);
    if (!t) return 'no-connection';
    if (!t.nodes.hasSynced()) return 'not-synced';
    return t.byProviderID.get(providerID);
  }

  private connect(namespace: string, cluster: string): Tracked | undefined {
    const key = `${namespace}/${cluster}`;
    const secret = this.secrets.get(kubeconfigSecretName(cluster), namespace);
    const value = (secret?.data as Record<string, string> | undefined)?.[KUBECONFIG_SECRET_KEY];
    const existing = this.tracked.get(key);
    if (!value) {
      if (existing) this.drop(key);
      return undefined;
    }
    if (existing?.fingerprint === value) return existing;
    if (existing) this.drop(key);
    let lease: ClientLease;
    try {
      lease = this.clients.acquire(
        resolveContext(parseKubeconfig(Buffer.from(value, 'base64').toString('utf8'))),
      );
    } catch (err) {
      this.ctx.logger.warn({ err, cluster: key }, 'the kubeconfig Secret of a cluster cannot be used');
      return undefined;
    }
    const byProviderID = new Map<string, WorkloadNode>();
    const nodes = new NodeInformer<WorkloadNode>(lease.client, resources.nodes, {
      logger: this.ctx.logger.child({ cluster: key }),
      transform: slimNode,
    });
    const put = (n: WorkloadNode) => {
      if (n.spec?.providerID) byProviderID.set(n.spec.providerID, n);
      this.onNode(key, n);
    };
    nodes.addEventHandler({
      onAdd: put,
      onUpdate: (_o, n) => put(n),
      onDelete: (n) => {
        if (n.spec?.providerID) byProviderID.delete(n.spec.providerID);
        this.onNode(key, n);
      },
    });
    nodes.start();
    const t: Tracked = { fingerprint: value, lease, nodes, byProviderID };
    this.tracked.set(key, t);
    return t;
  }

  /** Stops watching a Cluster's workload cluster (it is being deleted). */
  drop(key: string): void {
    const t = this.tracked.get(key);
    if (!t) return;
    this.tracked.delete(key);
    t.nodes.stop();
    t.lease.release();
  }

  stop(): void {
    this.stopped = true;
    for (const key of [...this.tracked.keys()]) this.drop(key);
    this.clients.close();
  }
}
