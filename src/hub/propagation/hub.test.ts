// The hub runs propagation: startHub with the propagation controllers schedules a Deployment that a
// PropagationPolicy selects onto a Ready member and writes the member's Work.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessClient } from '../../client/in-process.js';
import { resources } from '../../client/resources.js';
import { waitFor } from '../../kube/core.testing.js';
import { karmadaResources, type ResourceBinding } from '../apis/karmada/index.js';
import { type RunningHub, startHub } from '../hub.js';
import { startPropagationControllers } from './index.js';
import { putMember } from './propagation.testing.js';

describe('the hub', () => {
  let dir: string;
  let hub: RunningHub;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-hub-propagation-'));
    // Only propagation: the test writes the member as the registry would, and the registry would
    // find it unreachable (it has no credentials) and taint it before the scheduler places on it.
    hub = await startHub({
      dataDir: dir,
      port: 0,
      controllers: [(ctx) => [startPropagationControllers(ctx)]],
    });
  }, 60_000);

  afterAll(async () => {
    await hub?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('places a Deployment selected by a PropagationPolicy and writes the Work', async () => {
    const client = new InProcessClient(hub.api.server);
    await putMember(client, 'edge1');
    await client.create(
      resources.deployments,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'hello', namespace: 'default' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'hello' } },
          template: {
            metadata: { labels: { app: 'hello' } },
            spec: { containers: [{ name: 'c', image: 'nginx' }] },
          },
        },
      },
      { namespace: 'default' },
    );
    await client.create(
      karmadaResources.propagationpolicies,
      {
        apiVersion: 'policy.karmada.io/v1alpha1',
        kind: 'PropagationPolicy',
        metadata: { name: 'hello', namespace: 'default' },
        spec: {
          resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'hello' }],
          // The hub's registry finds no credentials for edge1 and taints it not-ready, NoExecute
          // after a few seconds; tolerating that keeps failover from moving the Deployment away.
          placement: {
            clusterAffinity: { clusterNames: ['edge1'] },
            clusterTolerations: [{ key: 'cluster.karmada.io/not-ready', operator: 'Exists' }],
          },
        },
      },
      { namespace: 'default' },
    );
    const b = await waitFor('the binding placed', async () => {
      const rb = await client
        .get<ResourceBinding>(karmadaResources.resourcebindings, 'hello-deployment', { namespace: 'default' })
        .catch(() => undefined);
      return rb?.spec.clusters?.length ? rb : undefined;
    });
    expect(b.spec.clusters).toEqual([{ name: 'edge1', replicas: 2 }]);
    await waitFor('the Work', async () => {
      const works = await client.list(karmadaResources.works, { namespace: 'karmada-es-edge1' });
      return works.items.some((w) => w.metadata.name?.startsWith('hello-'));
    });
  });
});
