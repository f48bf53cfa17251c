// `concord hub` as users run it: it prints where it listens, writes an admin kubeconfig, stops
// cleanly on SIGTERM, and a restart on the same data dir keeps every object — on the default
// SQLite store and on etcd.

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcd } from '../support/etcd.js';
import { kubectlPath } from '../support/kubectl.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const kubectl = kubectlPath('1.33');

interface Hub {
  child: ChildProcess;
  output: string;
}

async function startHub(dataDir: string, extra: string[] = []): Promise<Hub> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', MAIN, 'hub', '--data-dir', dataDir, '--port', '0', ...extra],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const hub: Hub = { child, output: '' };
  child.stdout!.on('data', (c: Buffer) => {
    hub.output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    hub.output += c.toString();
  });
  const started = Date.now();
  while (!hub.output.includes('kubeconfig:')) {
    if (child.exitCode !== null) throw new Error(`concord hub exited with ${child.exitCode}:\n${hub.output}`);
    if (Date.now() - started > 60_000) throw new Error(`concord hub did not start:\n${hub.output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return hub;
}

async function stopHub(hub: Hub): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => hub.child.once('exit', (code) => resolve(code)));
  hub.child.kill('SIGTERM');
  return exited;
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
    await k(dataDir, 'create', 'namespace', 'keep');
    await k(dataDir, 'create', 'configmap', 'settings', '-n', 'keep', '--from-literal=a=1');
    const before = JSON.parse(await k(dataDir, 'get', 'configmap', 'settings', '-n', 'keep', '-o', 'json'));
    const caBefore = await readFile(join(dataDir, 'hub', 'pki', 'ca.crt'), 'utf8');
    expect(await stopHub(first)).toBe(0);

    const second = await startHub(dataDir);
    try {
      const after = JSON.parse(await k(dataDir, 'get', 'configmap', 'settings', '-n', 'keep', '-o', 'json'));
      expect(after.metadata.uid).toBe(before.metadata.uid);
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(after.data).toEqual({ a: '1' });
      // The same CA: kubeconfigs handed out before the restart still verify the server.
      expect(await readFile(join(dataDir, 'hub', 'pki', 'ca.crt'), 'utf8')).toBe(caBefore);
    } finally {
      expect(await stopHub(second)).toBe(0);
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
      expect(await stopHub(first)).toBe(0);
      const second = await startHub(dataDir, ['--store', `etcd:${etcd.clientUrl}`]);
      try {
        expect(
          await k(dataDir, 'get', 'configmap', 'settings', '-n', 'keep', '-o', 'jsonpath={.data.a}'),
        ).toBe('1');
      } finally {
        expect(await stopHub(second)).toBe(0);
      }
    } finally {
      await etcd.stop();
    }
  });

  it('refuses a malformed --store with a clear error', async () => {
    const result = await run(
      process.execPath,
      ['--import', 'tsx', MAIN, 'hub', '--data-dir', join(dir, 'bad'), '--store', 'mysql:x'],
      {
        timeout: 30_000,
      },
    ).catch((err: { code: number; stderr: string }) => err);
    expect((result as { code: number }).code).not.toBe(0);
    expect((result as { stderr: string }).stderr.trim()).toBe(
      'concord: invalid store "mysql:x": unknown kind "mysql"; expected memory, sqlite:PATH[?sync=full] or etcd:URL[,URL...]',
    );
  });
});
