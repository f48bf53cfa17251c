// `concord hub` as users run it: it prints where it listens, writes an admin kubeconfig, stops
// cleanly on SIGTERM, and a restart on the same data dir keeps every object — on the default
// SQLite store and on etcd. Anonymous requests get health only, or 401 with --anonymous-auth=false.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concord, type RunningConcord, startConcord } from '../support/cli.js';
import { startEtcd } from '../support/etcd.js';
import { rawRequest } from '../support/https.js';
import { kubectlPath } from '../support/kubectl.js';

const run = promisify(execFile);
const kubectl = kubectlPath('1.33');

function startHub(dataDir: string, extra: string[] = []): Promise<RunningConcord> {
  return startConcord(['hub', '--data-dir', dataDir, '--port', '0', ...extra], 'kubeconfig:');
}

/** GET `path` from the hub with no credential at all. */
async function anonymousGet(hub: RunningConcord, dataDir: string, path: string): Promise<number> {
  const url = /listening on (https:\/\/\S+)/.exec(hub.output)![1]!;
  const ca = await readFile(join(dataDir, 'hub', 'pki', 'ca.crt'), 'utf8');
  return (await rawRequest(`${url}${path}`, { ca })).code;
}

async function k(dataDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(kubectl, ['--kubeconfig', join(dataDir, 'hub.kubeconfig'), ...args], {
    timeout: 30_000,
  });
  return stdout;
}

describe('concord hub', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-hub-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves, stops on SIGTERM and keeps every object across a restart (SQLite)', async () => {
    const dataDir = join(dir, 'sqlite');
    const first = await startHub(dataDir);
    expect(first.output).toMatch(/concord hub listening on https:\/\/127\.0\.0\.1:\d+/);
    expect(first.output).toContain(`kubeconfig: ${join(dataDir, 'hub.kubeconfig')}`);
    // Anonymous auth is on by default: health for everyone, the API for credentials only.
    expect(await anonymousGet(first, dataDir, '/healthz')).toBe(200);
    expect(await anonymousGet(first, dataDir, '/api/v1/namespaces')).toBe(403);
    await k(dataDir, 'create', 'namespace', 'keep');
    await k(dataDir, 'create', 'configmap', 'settings', '-n', 'keep', '--from-literal=a=1');
    const before = JSON.parse(await k(dataDir, 'get', 'configmap', 'settings', '-n', 'keep', '-o', 'json'));
    const caBefore = await readFile(join(dataDir, 'hub', 'pki', 'ca.crt'), 'utf8');
    expect(await first.stop()).toBe(0);

    const second = await startHub(dataDir);
    try {
      const after = JSON.parse(await k(dataDir, 'get', 'configmap', 'settings', '-n', 'keep', '-o', 'json'));
      expect(after.metadata.uid).toBe(before.metadata.uid);
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(after.data).toEqual({ a: '1' });
      // The same CA: kubeconfigs handed out before the restart still verify the server.
      expect(await readFile(join(dataDir, 'hub', 'pki', 'ca.crt'), 'utf8')).toBe(caBefore);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it('runs on etcd and keeps every object across a restart', async () => {
    const etcd = await startEtcd();
    try {
      const dataDir = join(dir, 'etcd');
      const first = await startHub(dataDir, ['--store', `etcd:${etcd.clientUrl}`]);
      expect(first.output).toContain(`store: etcd:`);
      await k(dataDir, 'create', 'namespace', 'keep');
      await k(dataDir, 'create', 'configmap', 'settings', '-n', 'keep', '--from-literal=a=1');
      expect(await first.stop()).toBe(0);
      const second = await startHub(dataDir, ['--store', `etcd:${etcd.clientUrl}`]);
      try {
        expect(
          await k(dataDir, 'get', 'configmap', 'settings', '-n', 'keep', '-o', 'jsonpath={.data.a}'),
        ).toBe('1');
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      await etcd.stop();
    }
  });

  it('refuses a malformed --store with a clear error', async () => {
    const result = await concord(['hub', '--data-dir', join(dir, 'bad'), '--store', 'mysql:x']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe(
      'concord: invalid store "mysql:x": unknown kind "mysql"; expected memory, sqlite:PATH[?sync=full] or etcd:URL[,URL...]',
    );
  });

  it('answers requests without a credential 401 with --anonymous-auth=false', async () => {
    const dataDir = join(dir, 'no-anonymous');
    const hub = await startHub(dataDir, ['--anonymous-auth=false']);
    try {
      expect(await anonymousGet(hub, dataDir, '/healthz')).toBe(401);
      expect(await anonymousGet(hub, dataDir, '/api/v1/namespaces')).toBe(401);
      expect(await k(dataDir, 'get', '--raw', '/healthz')).toBe('ok');
    } finally {
      expect(await hub.stop()).toBe(0);
    }
  });
});
