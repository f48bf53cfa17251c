// The dashboard's acceptance test with the real fleet: `concord up` with three simulated clusters
// registered as members, a Deployment propagated across them, the browser signed in; then one
// member is taken down with fault injection and the page, never reloaded, shows it turn red and
// its replicas move to the others (the member registry's health, propagation's placement and
// failover on the hub).

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVING_CERT_FILE } from '../src/apiserver/pki.js';
import { loadKubeconfig } from '../src/client/kubeconfig-file.js';
import { ensureDashboardBuilt, launchBrowser, type TestBrowser } from './support/browser.js';
import { concordArgs } from './support/cli.js';
import { kubectlPath } from './support/kubectl.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

const WORKLOAD = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 6
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx }] }
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: { name: web, namespace: default }
spec:
  resourceSelectors: [{ apiVersion: apps/v1, kind: Deployment, name: web }]
  placement:
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference: { dynamicWeight: AvailableReplicas }
`;

describe('dashboard with a real fleet', () => {
  let dir: string;
  let up: ChildProcess;
  let output = '';
  let browser: TestBrowser;
  let page: Page;
  let hubUrl: string;

  const concord = (...args: string[]) =>
    run(process.execPath, [...concordArgs(), ...args, '--data-dir', dir], { cwd: ROOT });

  beforeAll(async () => {
    ensureDashboardBuilt();
    dir = await mkdtemp(join(tmpdir(), 'concord-dashboard-fleet-'));
    up = spawn(
      process.execPath,
      [
        ...concordArgs(),
        'up',
        '--clusters',
        '3',
        '--nodes',
        '1',
        '--port',
        '0',
        '--no-demo',
        '--data-dir',
        dir,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    up.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    up.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
    });
    const started = Date.now();
    while (!output.includes('Ctrl-C stops everything')) {
      if (up.exitCode !== null) throw new Error(`concord up exited with ${up.exitCode}:\n${output}`);
      if (Date.now() - started > 90_000) throw new Error(`concord up did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const hub = await loadKubeconfig(join(dir, 'hub.kubeconfig'));
    hubUrl = hub.server;
    await writeFile(join(dir, 'web.yaml'), WORKLOAD);
    await run(kubectlPath('1.33'), [
      '--kubeconfig',
      join(dir, 'hub.kubeconfig'),
      'apply',
      '-f',
      join(dir, 'web.yaml'),
    ]);
    browser = await launchBrowser(await readFile(join(dir, 'hub', 'pki', SERVING_CERT_FILE), 'utf8'));
    page = await browser.context.newPage();
    const { stdout } = await concord('dashboard');
    await page.goto(stdout.trim());
  });

  afterAll(async () => {
    await browser?.close();
    if (up && up.exitCode === null) {
      const exited = new Promise((r) => up.once('exit', r));
      up.kill('SIGINT');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const replicas = async (cluster: string) =>
    Number(await page.getByTestId(`replicas-${cluster}`).textContent());

  it('shows three Ready clusters sharing the workload', async () => {
    for (const name of ['europe-1', 'us-1', 'asia-1']) {
      await expect
        .poll(() => page.getByTestId(`cluster-${name}`).getAttribute('data-health'), { timeout: 30_000 })
        .toBe('Ready');
    }
    await expect
      .poll(
        async () => (await replicas('europe-1')) + (await replicas('us-1')) + (await replicas('asia-1')),
        {
          timeout: 30_000,
        },
      )
      .toBe(6);
    expect(await replicas('europe-1')).toBeGreaterThan(0);
    expect(page.url()).toBe(`${hubUrl}/dashboard/`);
  }, 120_000);

  it('turns a member taken down red and moves its replicas, without a reload', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as { stayed: boolean }).stayed = true;
    });
    await concord('fault', 'down', '--cluster', 'europe-1');
    await expect
      .poll(() => page.getByTestId('cluster-europe-1').getAttribute('data-health'), { timeout: 60_000 })
      .toBe('NotReady');
    await expect.poll(() => replicas('europe-1'), { timeout: 90_000 }).toBe(0);
    // The dashboard drops europe-1 at once; the replicas it had arrive on the others as they are placed.
    await expect
      .poll(async () => (await replicas('us-1')) + (await replicas('asia-1')), { timeout: 90_000 })
      .toBe(6);
    expect(await page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed)).toBe(true);
  }, 180_000);
});
