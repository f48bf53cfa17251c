// The control plane init lock, as Cluster API's kubeadm bootstrap provider keeps it: a ConfigMap
// `<cluster>-lock` naming the one Machine allowed to run `kubeadm init`, so that two control
// plane Machines created at once never both initialize the cluster. A lock whose Machine is gone
// is taken over; the lock is dropped once the control plane is initialized.

import type { Client } from '../../../client/client.js';
import { resources } from '../../../client/resources.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isAlreadyExists, isNotFound } from '../../../machinery/status.js';
import type { Cluster } from '../../apis/cluster-api/index.js';

const LOCK_KEY = 'lock-information';

function lockName(cluster: Cluster): string {
  return `${cluster.metadata.name}-lock`;
}

function holderOf(cm: KubeObject & { data?: Record<string, string> }): string | undefined {
  try {
    return (JSON.parse(cm.data?.[LOCK_KEY] ?? '{}') as { machineName?: string }).machineName;
  } catch {
    return undefined;
  }
}

export class InitLock {
  constructor(private readonly client: Client) {}

  /** Whether `machine` holds the lock now (taking it when free or held by a Machine that is gone). */
  async acquire(
    cluster: Cluster,
    machine: string,
    machineExists: (name: string) => boolean,
  ): Promise<boolean> {
    const namespace = cluster.metadata.namespace ?? 'default';
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: lockName(cluster),
        namespace,
        ownerReferences: [
          {
            apiVersion: cluster.apiVersion ?? 'cluster.x-k8s.io/v1beta1',
            kind: 'Cluster',
            name: cluster.metadata.name ?? '',
            uid: cluster.metadata.uid ?? '',
          },
        ],
      },
      data: { [LOCK_KEY]: JSON.stringify({ machineName: machine }) },
    };
    try {
      await this.client.create(resources.configmaps, cm, { namespace });
      return true;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    const existing = await this.client.get(resources.configmaps, lockName(cluster), { namespace });
    const holder = holderOf(existing);
    if (holder === machine) return true;
    if (holder && machineExists(holder)) return false;
    // The holder is gone: free the lock; the next attempt takes it.
    await this.release(cluster);
    return false;
  }

  async release(cluster: Cluster): Promise<void> {
    try {
      await this.client.delete(resources.configmaps, lockName(cluster), {
        namespace: cluster.metadata.namespace ?? 'default',
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
