// The web dashboard in a real browser (Debian's chromium, headless) against a hub: sign in with a
// token, see the fleet, and see a member turn red and its replicas move while the page stays
// loaded. The fleet's objects are written by the test as the registry and scheduler would write
// them; test/dashboard-failover.test.ts does the same with the real controllers and a fault.

import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVING_CERT_FILE } from '../src/apiserver/pki.js';
import { InProcessClient } from '../src/client/in-process.js';
import { resources } from '../src/client/resources.js';
import type { ResourceBinding } from '../src/hub/apis/karmada/work/types.js';
import { type RunningHub, startHub } from '../src/hub/hub.js';
import { fleetResources } from '../src/hub/observability/resources.js';
import { ensureDashboardBuilt, launchBrowser, type TestBrowser } from './support/browser.js';
import { markMember, placeWorkload, writeMember, writeWorkload } from './support/fleet.js';

let dir: string;
let hub: RunningHub;
let browser: TestBrowser;
let client: InProcessClient;
let token: string;
/** Where screenshots of the main pages go when asked for (CONCORD_SCREENSHOTS=docs/images). */
const screenshots = process.env.CONCORD_SCREENSHOTS;

beforeAll(async () => {
  ensureDashboardBuilt();
  dir = await mkdtemp(join(tmpdir(), 'concord-dashboard-'));
  // No controllers: the test writes what the registry and the scheduler would.
  hub = await startHub({ dataDir: dir, port: 0, controllers: [] });
  token = hub.api.adminToken;
  client = new InProcessClient(hub.api.server);
  await writeMember(client, { name: 'europe-1', region: 'europe', zones: ['europe-a', 'europe-b'] });
  await writeMember(client, { name: 'us-1', region: 'us' });
  await writeMember(client, {
    name: 'asia-1',
    region: 'asia',
    taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  });
  await writeWorkload(client, {
    namespace: 'shop',
    name: 'web',
    replicas: 6,
    placement: { 'europe-1': 2, 'us-1': 2, 'asia-1': 2 },
  });
  await writeWorkload(client, {
    namespace: 'shop',
    name: 'gpu-train',
    replicas: 2,
    placement: {},
    unschedulable: {
      reason: 'NoClusterFit',
      message:
        '0/3 clusters are available: 3 cluster(s) did not match the placement cluster affinity constraint.',
    },
  });
  await client.create(
    resources.events,
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'gpu-train.1', namespace: 'shop' },
      involvedObject: { kind: 'Deployment', namespace: 'shop', name: 'gpu-train' },
      reason: 'ScheduleBindingFailed',
      message: '0/3 clusters are available',
      type: 'Warning',
      source: { component: 'scheduler' },
      lastTimestamp: new Date().toISOString(),
    },
    { namespace: 'shop' },
  );
  browser = await launchBrowser(await readFile(join(dir, 'hub', 'pki', SERVING_CERT_FILE), 'utf8'));
  if (screenshots) await mkdir(screenshots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await hub?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function shoot(page: Page, name: string): Promise<void> {
  if (screenshots) await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

describe('dashboard', () => {
  let page: Page;

  it('is public static files whose calls need a token: a wrong one is refused on the login page', async () => {
    page = await browser.context.newPage();
    const res = await page.goto(`${hub.url}/dashboard/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.getByLabel('Token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('did not accept the token');
    await shoot(page, 'dashboard-login');
  });

  it('signs in with the admin token and shows three clusters on the map, with health, capacity and taints', async () => {
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('user').textContent()).toBe('kubernetes-admin');
    for (const name of ['europe-1', 'us-1', 'asia-1']) {
      await expect.poll(() => page.getByTestId(`cluster-${name}`).getAttribute('data-health')).toBe('Ready');
    }
    expect(await page.getByTestId('region-europe').textContent()).toContain('europe · 1/1');
    expect(await page.getByTestId('cluster-europe-1').textContent()).toContain('europe-a, europe-b');
    expect(await page.getByTestId('cluster-europe-1').textContent()).toContain('3.5 / 24');
    expect(await page.getByTestId('taint-asia-1').textContent()).toBe('dedicated=gpu:NoSchedule');
    expect(await page.getByTestId('replicas-us-1').textContent()).toBe('2');
    expect(await page.getByTestId('stat-not-placed').textContent()).toContain('1');
    await shoot(page, 'dashboard-fleet');
  });

  it('follows watches: a member turns red and its replicas move without a reload', async () => {
    await page.evaluate(() => {
      (globalThis as unknown as { stayed: boolean }).stayed = true;
    });
    await markMember(client, 'europe-1', false);
    await expect
      .poll(() => page.getByTestId('cluster-europe-1').getAttribute('data-health'))
      .toBe('NotReady');
    expect(await page.getByTestId('cluster-europe-1').textContent()).toContain('ClusterNotReachable');
    const binding = await client.get<ResourceBinding>(fleetResources.resourcebindings, 'web-deployment', {
      namespace: 'shop',
    });
    await placeWorkload(client, binding, { placement: { 'us-1': 3, 'asia-1': 3 } });
    await expect.poll(() => page.getByTestId('replicas-europe-1').textContent()).toBe('0');
    await expect.poll(() => page.getByTestId('replicas-us-1').textContent()).toBe('3');
    expect(await page.evaluate(() => (globalThis as unknown as { stayed?: boolean }).stayed)).toBe(true);
    await shoot(page, 'dashboard-fleet-member-down');
  });

  it('lists every workload with its placement per cluster, and the bindings that could not be placed and why', async () => {
    await page.getByRole('link', { name: 'Workloads' }).click();
    const web = page.getByTestId('binding-shop/web-deployment');
    await expect.poll(() => web.textContent()).toContain('6 / 6 / 6');
    expect(await page.getByTestId('placement-shop/web-deployment-us-1').getAttribute('data-replicas')).toBe(
      '3',
    );
    expect(await page.getByTestId('placement-shop/web-deployment-europe-1').count()).toBe(0);
    const unplaced = await page.getByTestId('unplaced-shop/gpu-train-deployment').textContent();
    expect(unplaced).toContain('NoClusterFit');
    expect(unplaced).toContain('did not match the placement cluster affinity constraint');
    await shoot(page, 'dashboard-workloads');
  });

  it('shows recent Events', async () => {
    await page.getByRole('link', { name: 'Events' }).click();
    await expect.poll(() => page.getByTestId('events').textContent()).toContain('ScheduleBindingFailed');
    await shoot(page, 'dashboard-events');
  });

  it('takes a token passed once in the fragment and removes it from the address', async () => {
    const other = await browser.context.newPage();
    await other.goto(`${hub.url}/dashboard/#token=${encodeURIComponent(token)}`);
    await expect.poll(() => other.getByTestId('user').textContent()).toBe('kubernetes-admin');
    expect(other.url()).toBe(`${hub.url}/dashboard/`);
    await other.close();
  });
});
