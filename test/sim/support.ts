// A simulated cluster for end-to-end tests, started in the test process (data dir in a temporary
// folder) on SQLite as `concord sim` runs it, with timings short enough for tests, and the real
// kubectl pointed at it.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimCluster, type SimClusterOptions } from '../../src/sim/cluster.js';
import { type KubectlResult, type KubectlVersion, runKubectl } from '../support/kubectl.js';

export { type KubectlResult, runKubectl };

// Objects read back from kubectl's JSON output: the tests drill into them freely.
// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON documents
export type Json = Record<string, any>;

export interface TestSim {
  cluster: SimCluster;
  dir: string;
  /** Runs kubectl of `version` (default 1.33) against the cluster. */
  kubectl(
    args: string[],
    opts?: { input?: string; version?: KubectlVersion; timeoutMs?: number },
  ): Promise<KubectlResult>;
  /** kubectl that must succeed; returns its stdout. */
  ok(
    args: string[],
    opts?: { input?: string; version?: KubectlVersion; timeoutMs?: number },
  ): Promise<string>;
  /** kubectl ... -o json, parsed. */
  json(args: string[], opts?: { version?: KubectlVersion }): Promise<Json>;
  stop(): Promise<void>;
}

/** Timings for tests: pods start in 50 ms, nodes renew leases every second. */
export const FAST: Partial<SimClusterOptions> = {
  kubelet: {
    heartbeatIntervalMs: 1000,
    leaseDurationSeconds: 4,
    timings: { startDelayMs: 50, runTimeMs: 300, crashAfterMs: 200, backoffBaseMs: 500 },
  },
};

export async function startTestSim(opts: Partial<SimClusterOptions> = {}): Promise<TestSim> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-sim-e2e-'));
  const cluster = await SimCluster.start({
    name: 'e2e',
    region: 'europe',
    nodes: 3,
    store: 'sqlite',
    ...FAST,
    ...opts,
    kubelet: {
      ...FAST.kubelet,
      ...(opts.kubelet ?? {}),
      timings: { ...FAST.kubelet?.timings, ...(opts.kubelet?.timings ?? {}) },
    },
    dataDir: dir,
  });
  const kubectl: TestSim['kubectl'] = (args, o = {}) =>
    runKubectl(o.version ?? '1.33', cluster.kubeconfigPath, args, o);
  const ok: TestSim['ok'] = async (args, o = {}) => {
    const r = await kubectl(args, o);
    if (r.code !== 0)
      throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  return {
    cluster,
    dir,
    kubectl,
    ok,
    json: async (args, o = {}) => JSON.parse(await ok([...args, '-o', 'json'], o)) as Json,
    async stop() {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until fn returns something other than undefined/false; fails naming what it waited for. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function podReady(pod: Json): boolean {
  return (pod.status?.conditions ?? []).some((c: Json) => c.type === 'Ready' && c.status === 'True');
}
