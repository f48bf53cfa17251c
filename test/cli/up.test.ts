// `concord up` as users run it: the hub and a simulated cluster in one process, and a restart on
// the same data dir that finds every object again — the hub's and the cluster's, whose default
// store is SQLite.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConcord } from '../support/cli.js';
import { runKubectl } from '../support/kubectl.js';

describe('concord up [sqlite]', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-up-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const up = () =>
    startConcord(
      ['up', '--clusters', '1', '--nodes', '1', '--port', '0', '--data-dir', dir],
      'Ctrl-C stops everything.',
    );
  const kubectl = (kubeconfig: string, ...args: string[]) =>
    runKubectl('1.33', join(dir, kubeconfig), args, { home: join(dir, 'home') });

  it('keeps the hub’s and the simulated cluster’s objects across a restart', async () => {
    const first = await up();
    try {
      expect(first.output).toContain('simulated clusters (1, store sqlite):');
      expect(first.output).toMatch(
        /^ {2}europe-1 +https:\/\/127\.0\.0\.1:\d+ +region europe +1 nodes +kubeconfig /m,
      );
      for (const kubeconfig of ['hub.kubeconfig', 'clusters/europe-1.kubeconfig']) {
        const created = await kubectl(kubeconfig, 'create', 'configmap', 'kept', '--from-literal=a=1');
        expect(created.code, created.stderr).toBe(0);
      }
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await up();
    try {
      for (const kubeconfig of ['hub.kubeconfig', 'clusters/europe-1.kubeconfig']) {
        const kept = await kubectl(kubeconfig, 'get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}');
        expect(kept, kubeconfig).toMatchObject({ code: 0, stdout: '1' });
      }
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });
});
