// `concord status` and `concord dashboard` as users run them, against a hub whose fleet the test
// writes as the registry and scheduler would.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessClient } from '../../src/client/in-process.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { concordArgs } from '../support/cli.js';
import { writeMember, writeWorkload } from '../support/fleet.js';

const run = promisify(execFile);
let dir: string;
let hub: RunningHub;

function concord(...args: string[]) {
  return run(process.execPath, [...concordArgs(), ...args, '--data-dir', join(dir, '.concord')]);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-status-'));
  hub = await startHub({ dataDir: join(dir, '.concord'), port: 0, controllers: [] });
  const client = new InProcessClient(hub.api.server);
  await writeMember(client, {
    name: 'europe-1',
    region: 'europe',
    cpu: { allocatable: '24', allocated: '6' },
    memory: { allocatable: '96Gi', allocated: '24Gi' },
  });
  await writeMember(client, { name: 'us-1', region: 'us', ready: false, nodes: { total: 3, ready: 0 } });
  await writeWorkload(client, {
    namespace: 'shop',
    name: 'web',
    replicas: 4,
    placement: { 'europe-1': 4 },
    ready: { 'europe-1': 3 },
  });
  await writeWorkload(client, {
    namespace: 'shop',
    name: 'gpu-train',
    replicas: 2,
    placement: {},
    unschedulable: { reason: 'NoClusterFit', message: '0/2 clusters are available' },
  });
});

afterAll(async () => {
  await hub?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('concord status', () => {
  it('prints the fleet as a table with the workloads and every alert', async () => {
    const { stdout } = await concord('status');
    expect(stdout).toBe(
      [
        'CLUSTER    REGION   READY      NODES   CPU            MEMORY                WORKLOADS        ALERTS',
        'europe-1   europe   Ready      3/3     6/24 (25%)     24.0Gi/96.0Gi (25%)   1 (4 replicas)   0',
        'us-1       us       NotReady   0/3     3.5/24 (15%)   12.0Gi/96.0Gi (13%)   0 (0 replicas)   2',
        '',
        'workloads: 2 propagated, 1 placed, 1 not placed; replicas 3 ready / 4 placed / 6 desired',
        'alerts:',
        '  cluster us-1: not ready: ClusterNotReachable',
        '  cluster us-1: 3 of 3 nodes not ready',
        '  Deployment shop/gpu-train not placed: NoClusterFit: 0/2 clusters are available',
        '',
      ].join('\n'),
    );
  });

  it('prints the same as JSON with -o json', async () => {
    const status = JSON.parse((await concord('status', '-o', 'json')).stdout);
    expect(status.clusters.map((c: { name: string; ready: string }) => [c.name, c.ready])).toEqual([
      ['europe-1', 'Ready'],
      ['us-1', 'NotReady'],
    ]);
    expect(status.clusters[0]).toMatchObject({
      region: 'europe',
      nodes: { ready: 3, total: 3 },
      cpu: { allocatable: 24, allocated: 6 },
      workloads: 1,
      replicas: 4,
    });
    expect(status.workloads.notPlaced).toEqual([
      {
        binding: 'shop/gpu-train-deployment',
        resource: 'Deployment shop/gpu-train',
        reason: 'NoClusterFit',
        message: '0/2 clusters are available',
      },
    ]);
  });

  it('refuses an output format it does not have, naming the flag', async () => {
    await expect(concord('status', '-o', 'yaml')).rejects.toMatchObject({
      stderr: expect.stringContaining('-o: expected table or json, got yaml'),
    });
  });
});

describe('concord dashboard', () => {
  it("prints the hub's dashboard URL with the kubeconfig's token in the fragment", async () => {
    const { stdout } = await concord('dashboard');
    expect(stdout).toBe(`${hub.url}/dashboard/#token=${encodeURIComponent(hub.api.adminToken)}\n`);
  });
});
