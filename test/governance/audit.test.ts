// `concord audit` and the ResidencyRules' status as users see them, against a hub running the
// propagation controllers with the residency filter and the governance controllers: a workload
// placed inside its rule is compliant; a Work made by hand that carries a covered Deployment to a
// member outside the rule is listed as drift, counted in the rule's status (Compliant False) and
// makes the command exit 1; once it is removed the rule is compliant again and the command exits 0.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAudit, readAudit } from '../../src/cli/audit.js';
import { InProcessClient } from '../../src/client/in-process.js';
import { resources } from '../../src/client/resources.js';
import { type ResidencyRule, residencyRules } from '../../src/hub/apis/governance/index.js';
import { karmadaResources, type ResourceBinding } from '../../src/hub/apis/karmada/index.js';
import { governanceControllers, residencyFilter } from '../../src/hub/governance/index.js';
import { type RunningHub, startHub } from '../../src/hub/hub.js';
import { startPropagationControllers } from '../../src/hub/propagation/index.js';
import { putMember } from '../../src/hub/propagation/propagation.testing.js';
import { waitFor } from '../../src/kube/core.testing.js';
import type { KubeObject } from '../../src/machinery/object.js';
import { concordArgs } from '../support/cli.js';

let dir: string;
let hub: RunningHub;
let client: InProcessClient;

function concord(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [...concordArgs(), ...args, '--data-dir', join(dir, '.concord')],
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

function deployment(name: string, namespace: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
    },
  };
}

const policy = (name: string, namespace: string, placement: object): KubeObject => ({
  apiVersion: 'policy.karmada.io/v1alpha1',
  kind: 'PropagationPolicy',
  metadata: { name, namespace },
  spec: { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name }], placement },
});

const handMadeWork: KubeObject = {
  apiVersion: 'work.karmada.io/v1alpha1',
  kind: 'Work',
  metadata: { name: 'web-by-hand', namespace: 'karmada-es-us-1' },
  spec: { workload: { manifests: [deployment('web', 'shop-eu')] } },
};

const rule = () => client.get<ResidencyRule>(residencyRules, 'eu-data');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-audit-'));
  hub = await startHub({
    dataDir: join(dir, '.concord'),
    port: 0,
    controllers: [
      (ctx) => [startPropagationControllers(ctx, { scheduler: { filters: [residencyFilter(ctx)] } })],
      governanceControllers,
    ],
  });
  client = new InProcessClient(hub.api.server);
  await putMember(client, 'eu-1', { region: 'eu-west' });
  await putMember(client, 'us-1', { region: 'us-east' });
  await client.create(residencyRules, {
    apiVersion: 'governance.concord.dev/v1alpha1',
    kind: 'ResidencyRule',
    metadata: { name: 'eu-data' },
    spec: { resourceSelector: { namespaces: ['shop-eu'] }, allowedClusters: { regions: ['eu-west'] } },
  });
  for (const ns of ['shop-eu', 'shop-us', 'karmada-es-us-1']) {
    await client
      .create(resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
      .catch(() => undefined);
  }
  await client.create(resources.deployments, deployment('web', 'shop-eu'), { namespace: 'shop-eu' });
  await client.create(
    karmadaResources.propagationpolicies,
    policy('web', 'shop-eu', { clusterAffinity: { clusterNames: ['eu-1'] } }),
    { namespace: 'shop-eu' },
  );
  await client.create(resources.deployments, deployment('api', 'shop-us'), { namespace: 'shop-us' });
  await client.create(karmadaResources.propagationpolicies, policy('api', 'shop-us', {}), {
    namespace: 'shop-us',
  });
  for (const [name, ns, n] of [
    ['web', 'shop-eu', 1],
    ['api', 'shop-us', 2],
  ] as const) {
    await waitFor(`${name} placed`, async () => {
      const b = await client
        .get<ResourceBinding>(karmadaResources.resourcebindings, `${name}-deployment`, { namespace: ns })
        .catch(() => undefined);
      return (b?.spec.clusters?.length ?? 0) === n;
    });
  }
}, 60_000);

afterAll(async () => {
  await hub?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('concord audit', () => {
  it('reports a compliant fleet and exits 0', async () => {
    const r = await waitFor('the rule compliant', async () => {
      const s = (await rule()).status;
      return s?.coveredResources === 1 ? s : undefined;
    });
    expect(r).toMatchObject({ allowedClusters: ['eu-1'], coveredResources: 1, violations: 0 });
    expect(r.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Enforced'],
      ['Compliant', 'True', 'NoViolations'],
    ]);
    // The command's own output is checked below; here its table, in process.
    const out = { stdout: formatAudit(await readAudit(client)) };
    expect(out.stdout).toMatch(/^RULE\s+ALLOWED CLUSTERS\s+COVERED\s+VIOLATIONS\neu-data\s+eu-1\s+1\s+0\n/);
    expect(out.stdout).toMatch(/Deployment shop-eu\/web\s+eu-1\s+eu-data\s+-/);
    expect(out.stdout).toMatch(/Deployment shop-us\/api\s+eu-1,us-1\s+-\s+-/);
    expect(out.stdout.trimEnd().endsWith('no violations')).toBe(true);
  });

  it('lists a hand-made Work outside the rule as drift, in the status too, and exits 1', async () => {
    await client.create(karmadaResources.works, handMadeWork, { namespace: 'karmada-es-us-1' });
    const s = await waitFor('the violation in the status', async () => {
      const st = (await rule()).status;
      return st?.violations === 1 ? st : undefined;
    });
    expect(s.violationDetails).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'shop-eu',
        name: 'web',
        cluster: 'us-1',
        type: 'Drift',
      },
    ]);
    expect(s.conditions?.find((c) => c.type === 'Compliant')).toMatchObject({
      status: 'False',
      reason: 'ViolationsFound',
      message: '1 covered resource placement(s) outside the allowed members: Deployment shop-eu/web on us-1.',
    });
    const table = { stdout: formatAudit(await readAudit(client)) };
    expect(table.stdout).toMatch(/Deployment shop-eu\/web\s+eu-1,us-1\s+eu-data\s+us-1 \(Drift: eu-data\)/);
    expect(table.stdout.trimEnd().endsWith('1 violation(s)')).toBe(true);
    const json = await concord('audit', '--format', 'json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.violations).toBe(1);
    expect(report.resources.find((r: { name: string }) => r.name === 'web')).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'shop-eu',
      name: 'web',
      clusters: ['eu-1', 'us-1'],
      rules: ['eu-data'],
      violations: [{ cluster: 'us-1', rules: ['eu-data'], type: 'Drift' }],
    });
  });

  it('is compliant again once the drift is removed, and the command exits 0', async () => {
    await client.delete(karmadaResources.works, 'web-by-hand', { namespace: 'karmada-es-us-1' });
    await waitFor('the rule compliant again', async () => (await rule()).status?.violations === 0);
    const out = await concord('audit');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/Deployment shop-eu\/web\s+eu-1\s+eu-data\s+-/);
    expect(out.stdout.trimEnd().endsWith('no violations')).toBe(true);
  });
});
