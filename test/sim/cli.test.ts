// `concord sim` and `concord fault` as a user runs them: the cluster as a child process, kubectl
// against the kubeconfig it prints, faults injected through the command line and observed from a
// client the way the hub would observe them (refused, timed out, slow), SIGTERM stopping it, and a
// restart finding every object again in its default store, SQLite. It runs with
// --anonymous-auth=false: a request without a credential gets 401.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpsClient } from '../../src/client/https.js';
import { NetworkError } from '../../src/client/network-error.js';
import { resources } from '../../src/client/resources.js';
import { concord, concordArgs, startConcord } from '../support/cli.js';
import { rawRequest } from '../support/https.js';
import { runKubectl, waitFor } from './support.js';

const ROOT = resolve(import.meta.dirname, '../..');

let dir: string;
let child: ChildProcess;
let output = '';
let kubeconfig: string;
let exited: Promise<number | null>;

async function failure(p: Promise<unknown>): Promise<NetworkError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof NetworkError) return err;
    throw err;
  }
  throw new Error('the request succeeded');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-cli-'));
  child = spawn(
    process.execPath,
    [
      ...concordArgs(),
      'sim',
      '--name',
      'cli',
      '--nodes',
      '2',
      '--region',
      'asia',
      '--data-dir',
      dir,
      '--anonymous-auth=false',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  exited = new Promise((r) => child.once('exit', (code) => r(code)));
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const match = await waitFor(
    'concord sim to print its kubeconfig',
    () => /^kubeconfig: (.+)$/m.exec(output)?.[1],
    60_000,
  );
  kubeconfig = resolve(ROOT, match);
}, 90_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('concord sim and concord fault', () => {
  it('prints where it listens and a kubeconfig that kubectl uses', async () => {
    expect(output).toMatch(/^concord sim: cluster cli listening on https:\/\/127\.0\.0\.1:\d+$/m);
    expect(kubeconfig).toBe(join(dir, 'clusters', 'cli.kubeconfig'));
    const nodes = await runKubectl('1.27', kubeconfig, ['get', 'nodes', '-L', 'topology.kubernetes.io/zone']);
    expect(nodes.code).toBe(0);
    expect(nodes.stdout).toMatch(/cli-node-1\s+Ready\s+<none>\s+\S+\s+v1\.33\.0\s+asia-a/);
    expect(nodes.stdout).toMatch(/cli-node-2\s+Ready\s+<none>\s+\S+\s+v1\.33\.0\s+asia-b/);
    expect(output).toContain(`store: sqlite:${join(dir, 'clusters', 'cli', 'store.db')}`);
    const kept = await runKubectl('1.33', kubeconfig, ['create', 'configmap', 'kept', '--from-literal=a=1']);
    expect(kept.code, kept.stderr).toBe(0);
  });

  it('answers a request without a credential 401 (--anonymous-auth=false)', async () => {
    const url = /listening on (https:\/\/\S+)/.exec(output)![1]!;
    const ca = await readFile(join(dir, 'clusters', 'cli', 'pki', 'ca.crt'), 'utf8');
    expect((await rawRequest(`${url}/healthz`, { ca })).code).toBe(401);
    expect((await rawRequest(`${url}/api/v1/namespaces`, { ca })).code).toBe(401);
  });

  it('refuses connections while down', async () => {
    const client = await HttpsClient.fromKubeconfigFile(kubeconfig, undefined, { timeoutMs: 5000 });
    try {
      const down = await concord(['fault', 'down', '--cluster', 'cli', '--data-dir', dir]);
      expect(down).toMatchObject({ code: 0, stdout: 'cluster cli: network down; failed nodes: none\n' });
      expect((await failure(client.list(resources.namespaces))).reason).toBe('ConnectionRefused');
      const k = await runKubectl('1.33', kubeconfig, ['get', 'ns']);
      expect(k.code).not.toBe(0);
      expect(k.stderr).toMatch(/connection.*refused/i);
      expect((await concord(['fault', 'heal', '--cluster', 'cli', '--data-dir', dir])).code).toBe(0);
      await client.list(resources.namespaces);
    } finally {
      client.close();
    }
  });

  it('lets requests time out while partitioned', async () => {
    const client = await HttpsClient.fromKubeconfigFile(kubeconfig, undefined, { timeoutMs: 1500 });
    try {
      await client.list(resources.namespaces);
      expect((await concord(['fault', 'partition', '--cluster', 'cli', '--data-dir', dir])).stdout).toContain(
        'network partition',
      );
      expect((await failure(client.list(resources.namespaces))).reason).toBe('Timeout');
      await concord(['fault', 'heal', '--cluster', 'cli', '--data-dir', dir]);
      await waitFor('served again', async () => (await client.list(resources.namespaces)).items.length > 0);
    } finally {
      client.close();
    }
  });

  it('adds latency while slow, and takes nodes down and up', async () => {
    const client = await HttpsClient.fromKubeconfigFile(kubeconfig, undefined, { timeoutMs: 10_000 });
    try {
      await client.list(resources.namespaces);
      const slow = await concord([
        'fault',
        'slow',
        '--latency',
        '700',
        '--cluster',
        'cli',
        '--data-dir',
        dir,
      ]);
      expect(slow.stdout).toBe('cluster cli: network slow (+700 ms per request); failed nodes: none\n');
      const started = Date.now();
      await client.get(resources.namespaces, 'default');
      expect(Date.now() - started).toBeGreaterThanOrEqual(700);
      await concord(['fault', 'heal', '--cluster', 'cli', '--data-dir', dir]);

      const down = await concord([
        'fault',
        'node-down',
        '--node',
        'cli-node-2',
        '--cluster',
        'cli',
        '--data-dir',
        dir,
      ]);
      expect(down.stdout).toBe('cluster cli: network up; failed nodes: cli-node-2\n');
      const up = await concord([
        'fault',
        'node-up',
        '--node',
        'cli-node-2',
        '--cluster',
        'cli',
        '--data-dir',
        dir,
      ]);
      expect(up.stdout).toBe('cluster cli: network up; failed nodes: none\n');
    } finally {
      client.close();
    }
  });

  it('explains bad fault commands', async () => {
    const [unknownNode, noLatency, unknownCluster, badAction] = await Promise.all([
      concord(['fault', 'node-down', '--node', 'nope', '--cluster', 'cli', '--data-dir', dir]),
      concord(['fault', 'slow', '--cluster', 'cli', '--data-dir', dir]),
      concord(['fault', 'down', '--cluster', 'nowhere', '--data-dir', dir]),
      concord(['fault', 'explode', '--cluster', 'cli', '--data-dir', dir]),
    ]);
    expect(unknownNode.code).toBe(1);
    expect(unknownNode.stderr).toContain(
      'cluster "cli" has no node "nope"; its nodes are cli-node-1, cli-node-2',
    );
    expect(noLatency.code).toBe(1);
    expect(noLatency.stderr).toContain('slow needs --latency MS');
    expect(unknownCluster.code).toBe(1);
    expect(unknownCluster.stderr).toContain('cluster "nowhere" is not running');
    expect(badAction.code).toBe(1);
    expect(badAction.stderr).toContain('unknown fault "explode"');
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('concord sim: SIGTERM, stopping');
    await expect(stat(join(dir, 'clusters', 'cli.control'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('finds every object again when started anew on the same data dir', async () => {
    const again = await startConcord(
      ['sim', '--name', 'cli', '--nodes', '2', '--region', 'asia', '--data-dir', dir],
      'kubeconfig:',
    );
    try {
      const kept = await runKubectl('1.33', kubeconfig, [
        'get',
        'configmap',
        'kept',
        '-o',
        'jsonpath={.data.a}',
      ]);
      expect(kept).toMatchObject({ code: 0, stdout: '1' });
      const nodes = await runKubectl('1.33', kubeconfig, ['get', 'nodes', '-o', 'name']);
      expect(nodes.stdout.trim().split('\n')).toEqual(['node/cli-node-1', 'node/cli-node-2']);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });
});
