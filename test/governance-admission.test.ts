// Residency at admission with the real kubectl: a ResidencyRule for the EU applied from
// docs/examples/governance, members in eu-west, eu-central and us-east, and Karmada policies that
// would place covered resources in us-east refused with a 422 that names the field and the rule
// (client-side and server-side apply, create and update), while placements inside the EU,
// policies for other namespaces and cluster-scoped baselines pass. On SQLite and memory.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessClient } from '../src/client/in-process.js';
import { argocdApis } from '../src/hub/apis/argocd/index.js';
import { governanceApis } from '../src/hub/apis/governance/index.js';
import { karmadaApis } from '../src/hub/apis/karmada/index.js';
import { governanceAdmission } from '../src/hub/governance/index.js';
import { putMember } from '../src/hub/propagation/propagation.testing.js';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { runKubectl } from './support/kubectl.js';

const EXAMPLES = join(import.meta.dirname, '..', 'docs', 'examples', 'governance');

const deploymentPolicy = (name: string, namespace: string, placement: object) => `
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
  placement: ${JSON.stringify(placement)}
`;

describe.each(['sqlite', 'memory'] as const)('residency admission [%s]', (store) => {
  let server: TestApiServer;
  // A discovery cache of this server's own: the default one is shared by servers that reuse a port.
  const kubectl = (args: string[], input?: string) =>
    runKubectl('1.33', server.kubeconfigPath, args, {
      home: join(server.dir, 'home'),
      ...(input === undefined ? {} : { input }),
    });
  const apply = (yaml: string, ...extra: string[]) => kubectl(['apply', '-f', '-', ...extra], yaml);

  beforeAll(async () => {
    server = await startTestApiServer({
      store,
      extensions: [karmadaApis, argocdApis, governanceApis, governanceAdmission],
    });
    const client = new InProcessClient(server.server);
    await putMember(client, 'eu-1', { region: 'eu-west', labels: { env: 'prod', geo: 'eu' } });
    await putMember(client, 'eu-2', { region: 'eu-central', labels: { env: 'staging', geo: 'eu' } });
    await putMember(client, 'us-1', { region: 'us-east', labels: { env: 'prod', geo: 'us' } });
    for (const ns of ['shop-eu', 'shop-us', 'argocd']) {
      const r = await kubectl(['create', 'namespace', ns]);
      expect(r.stderr).toBe('');
    }
    const rule = await kubectl(['apply', '-f', join(EXAMPLES, 'residency-eu.yaml')]);
    expect(rule.stdout).toContain('residencyrule.governance.concord.dev/eu-data created');
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('lists the rule by its short name with its columns', async () => {
    const r = await kubectl(['get', 'rr']);
    expect(r.stdout.split('\n')[0]).toMatch(
      /^NAME\s+REGIONS\s+ALLOWED\s+COVERED\s+VIOLATIONS\s+COMPLIANT\s+AGE/,
    );
    expect(r.stdout).toContain('["eu-west","eu-central"]');
  });

  it('refuses a placement that includes a US member, naming the field, the rule and the member', async () => {
    const r = await kubectl(['apply', '-f', join(EXAMPLES, 'placement-us-refused.yaml')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'The PropagationPolicy "web-us" is invalid: spec.placement.clusterAffinity: Forbidden:',
    );
    expect(r.stderr).toContain('denied by residency rule "eu-data"');
    expect(r.stderr).toContain('region in (eu-west, eu-central)');
    expect(r.stderr).toContain('us-1 (region us-east)');
    expect(r.stderr).not.toContain('eu-1 (region');
    const get = await kubectl(['get', 'propagationpolicy', 'web-us', '-n', 'shop-eu']);
    expect(get.stderr).toContain('NotFound');
  });

  it('refuses a placement with no affinity at all (every member), server-side apply too', async () => {
    const r = await apply(
      deploymentPolicy('everywhere', 'shop-eu', { clusterTolerations: [] }),
      '--server-side',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.placement: Forbidden: denied by residency rule "eu-data"');
    expect(r.stderr).toContain('us-1 (region us-east)');
  });

  it('admits a placement inside the EU and refuses an update that widens it', async () => {
    const ok = await kubectl(['apply', '-f', join(EXAMPLES, 'placement-eu.yaml')]);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain('propagationpolicy.policy.karmada.io/web created');
    const patch = await kubectl([
      'patch',
      'propagationpolicy',
      'web',
      '-n',
      'shop-eu',
      '--type=merge',
      '-p',
      '{"spec":{"placement":{"clusterAffinity":{"fieldSelector":null,"clusterNames":["eu-2","us-1"]}}}}',
    ]);
    expect(patch.code).not.toBe(0);
    expect(patch.stderr).toContain(
      'spec.placement.clusterAffinity: Forbidden: denied by residency rule "eu-data"',
    );
    const kept = JSON.parse((await kubectl(['get', 'pp', 'web', '-n', 'shop-eu', '-o', 'json'])).stdout);
    expect(kept.spec.placement.clusterAffinity.clusterNames).toBeUndefined();
  });

  it('refuses a failover group (clusterAffinities) that reaches the US', async () => {
    const r = await apply(
      deploymentPolicy('groups', 'shop-eu', {
        clusterAffinities: [
          { affinityName: 'primary', clusterNames: ['eu-1'] },
          { affinityName: 'backup', clusterNames: ['us-1'] },
        ],
      }),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'spec.placement.clusterAffinities[1]: Forbidden: denied by residency rule "eu-data"',
    );
    expect(r.stderr).not.toContain('clusterAffinities[0]');
  });

  it('admits any placement for namespaces the rule does not cover', async () => {
    const r = await apply(deploymentPolicy('anywhere', 'shop-us', {}));
    expect(r.stderr).toBe('');
  });

  it('refuses a ClusterPropagationPolicy of Deployments everywhere, admits cluster-scoped RBAC everywhere', async () => {
    const deployments = await apply(`
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: all-deployments}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]
`);
    expect(deployments.code).not.toBe(0);
    expect(deployments.stderr).toContain(
      'The ClusterPropagationPolicy "all-deployments" is invalid: spec.placement: Forbidden: denied by residency rule "eu-data"',
    );
    const rbac = await apply(`
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: team-roles}
spec:
  resourceSelectors: [{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole}]
`);
    expect(rbac.stderr).toBe('');
  });

  it('refuses an override aimed at a US member for covered resources', async () => {
    const r = await apply(`
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {name: us-image, namespace: shop-eu}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  overrideRules:
    - targetCluster: {clusterNames: [eu-1]}
      overriders: {imageOverrider: [{component: Registry, operator: replace, value: eu.registry.example}]}
    - targetCluster: {clusterNames: [us-1]}
      overriders: {imageOverrider: [{component: Registry, operator: replace, value: us.registry.example}]}
`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'The OverridePolicy "us-image" is invalid: spec.overrideRules[1].targetCluster: Forbidden: denied by residency rule "eu-data"',
    );
    expect(r.stderr).not.toContain('overrideRules[0]');
  });

  it('judges namespaces by their labels, so a namespace labelled for the EU is covered', async () => {
    expect((await kubectl(['create', 'namespace', 'billing'])).code).toBe(0);
    expect((await apply(deploymentPolicy('before', 'billing', {}))).stderr).toBe('');
    expect((await kubectl(['label', 'namespace', 'billing', 'data-residency=eu'])).code).toBe(0);
    const r = await apply(deploymentPolicy('after', 'billing', {}));
    expect(r.stderr).toContain('The PropagationPolicy "after" is invalid: spec.placement: Forbidden');
  });

  const application = (name: string, destination: object) => `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: ${name}, namespace: argocd}
spec:
  project: default
  source: {repoURL: https://git.example/shop.git, path: deploy, targetRevision: HEAD}
  destination: ${JSON.stringify(destination)}
`;

  it('refuses an Argo CD Application bound for a US member in a covered namespace', async () => {
    const us = await apply(application('shop-us-1', { name: 'us-1', namespace: 'shop-eu' }));
    expect(us.code).not.toBe(0);
    expect(us.stderr).toContain(
      'The Application "shop-us-1" is invalid: spec.destination: Forbidden: denied by residency rule "eu-data"',
    );
    expect((await apply(application('shop-eu-1', { name: 'eu-1', namespace: 'shop-eu' }))).stderr).toBe('');
    expect((await apply(application('other-us-1', { name: 'us-1', namespace: 'shop-us' }))).stderr).toBe('');
  });

  it('refuses an ApplicationSet whose generators reach a US member, admits one kept in the EU', async () => {
    const appset = (name: string, generator: object) => `
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: ${name}, namespace: argocd}
spec:
  generators: [${JSON.stringify(generator)}]
  template:
    metadata: {name: '{{name}}-shop'}
    spec:
      project: default
      source: {repoURL: https://git.example/shop.git, path: deploy, targetRevision: HEAD}
      destination: {name: '{{name}}', namespace: shop-eu}
`;
    const prod = await apply(appset('prod', { clusters: { selector: { matchLabels: { env: 'prod' } } } }));
    expect(prod.code).not.toBe(0);
    expect(prod.stderr).toContain(
      'The ApplicationSet "prod" is invalid: spec.template.spec.destination: Forbidden: denied by residency rule "eu-data"',
    );
    expect(prod.stderr).toContain('us-1 (region us-east)');
    const listed = await apply(
      appset('listed', { list: { elements: [{ name: 'eu-2' }, { name: 'us-1' }] } }),
    );
    expect(listed.stderr).toContain('spec.template.spec.destination: Forbidden');
    const eu = await apply(appset('eu', { clusters: { selector: { matchLabels: { geo: 'eu' } } } }));
    expect(eu.stderr).toBe('');
  });

  it('refuses a rule that allows no particular clusters, naming the field', async () => {
    const r = await apply(`
apiVersion: governance.concord.dev/v1alpha1
kind: ResidencyRule
metadata: {name: vague}
spec:
  resourceSelector: {namespaces: [shop-eu]}
  allowedClusters: {}
`);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The ResidencyRule "vague" is invalid: spec.allowedClusters: Required value');
  });
});
