// Cost of the cluster PKI: creating a CA, issuing serving and client certificates, reloading a
// CA from disk, and provisioning N simulated clusters (CA + serving + admin client certificate
// each). Prints one JSON document, then a one-line summary.
//
//   node --import tsx bench/pki/main.ts [--clusters N] [--samples N]

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  createCA,
  issueClientCertificate,
  issueServingCertificate,
  loadOrCreateCA,
} from '../../src/apiserver/pki.js';
import { benchOptions, countOption } from '../cli.js';

const USAGE = `usage: node dist/bench/pki/main.js [--clusters N] [--samples N]

The cost of the cluster PKI: creating a CA, issuing serving and client certificates, loading a CA
from disk (each --samples times), and provisioning --clusters clusters (a CA, a serving and an
admin client certificate each). Prints one JSON document and a one-line summary.

  --clusters N    clusters provisioned (default 1000)
  --samples N     samples per operation (default 200)
  -h, --help      this text`;

interface Timing {
  samples: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

async function time(samples: number, fn: () => Promise<unknown>): Promise<Timing> {
  // Warm up the JIT and the library's lazy initialisation before measuring.
  for (let i = 0; i < Math.min(20, samples); i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    samples,
    meanMs: round(ms.reduce((a, b) => a + b, 0) / samples),
    p50Ms: round(ms[Math.floor(samples * 0.5)]!),
    p99Ms: round(ms[Math.min(samples - 1, Math.floor(samples * 0.99))]!),
  };
}

async function main(): Promise<void> {
  const values = benchOptions(USAGE, {
    clusters: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '200' },
  });
  const samples = countOption(USAGE, 'samples', values.samples);
  const clusters = countOption(USAGE, 'clusters', values.clusters);
  const dir = await mkdtemp(join(tmpdir(), 'concord-bench-pki-'));
  try {
    const ca = await createCA('bench-ca');
    await loadOrCreateCA(dir, 'bench-ca');
    const results = {
      createCA: await time(samples, () => createCA('bench-ca')),
      issueServingCertificate: await time(samples, () =>
        issueServingCertificate(ca, { hosts: ['hub.local'] }),
      ),
      issueClientCertificate: await time(samples, () =>
        issueClientCertificate(ca, { user: 'admin', groups: ['system:masters'] }),
      ),
      loadOrCreateCAFromDisk: await time(samples, () => loadOrCreateCA(dir, 'bench-ca')),
    };

    // Provisioning a fleet: every cluster gets its own CA, serving certificate and admin
    // certificate. Clusters are provisioned 32 at a time, as a sim host starting them would.
    const t0 = performance.now();
    const batch = 32;
    for (let i = 0; i < clusters; i += batch) {
      const n = Math.min(batch, clusters - i);
      await Promise.all(
        Array.from({ length: n }, async () => {
          const clusterCA = await createCA('cluster-ca');
          await issueServingCertificate(clusterCA, { hosts: [] });
          await issueClientCertificate(clusterCA, { user: 'kubernetes-admin', groups: ['system:masters'] });
        }),
      );
    }
    const fleetMs = performance.now() - t0;
    const report = {
      benchmark: 'pki',
      node: process.version,
      results,
      fleet: {
        clusters,
        totalMs: Math.round(fleetMs),
        perClusterMs: Math.round((fleetMs / clusters) * 100) / 100,
      },
    };
    console.log(JSON.stringify(report, null, 2));
    console.log(
      `pki: createCA ${results.createCA.meanMs} ms, serving cert ${results.issueServingCertificate.meanMs} ms, ` +
        `client cert ${results.issueClientCertificate.meanMs} ms, CA from disk ${results.loadOrCreateCAFromDisk.meanMs} ms; ` +
        `${clusters} clusters (CA + serving + client) in ${(fleetMs / 1000).toFixed(1)} s`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
