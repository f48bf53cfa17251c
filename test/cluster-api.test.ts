// Cluster API's v1beta1 kinds on a hub API server (SQLite store), driven by the real kubectl:
// Cluster API's own published manifests apply unchanged (client-side and server-side, with only
// the clusterctl variables they leave to the user filled in), read back with the defaults Cluster
// API's webhooks give, print Cluster API's columns, explain themselves, and bad input gets a 4xx
// naming the field. Fixtures: /work/shared/fixtures/cluster-api (see its README).

import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterApis } from '../src/hub/apis/cluster-api/index.js';
import { infrastructureApis } from '../src/hub/apis/infrastructure/index.js';
import { SqliteStore } from '../src/storage/sqlite.js';
import { startTestApiServer, type TestApiServer } from './support/apiserver.js';
import { envsubst } from './support/envsubst.js';
import { kubectlPath, runKubectl } from './support/kubectl.js';

// Objects read back from kubectl's JSON output: the tests drill into them freely.
// biome-ignore lint/suspicious/noExplicitAny: arbitrary JSON documents
type Json = Record<string, any>;

const FIXTURES = '/work/shared/fixtures/cluster-api/test';
const EXAMPLES = `${FIXTURES}/infrastructure/docker/examples`;
const TEMPLATES = `${FIXTURES}/infrastructure/docker/templates`;
const E2E = `${FIXTURES}/e2e/data/infrastructure-docker/main`;

/** The e2e flavors: kustomizations of the e2e building blocks. */
const FLAVORS = ['cluster-template', 'cluster-template-md-remediation', 'cluster-template-kcp-remediation'];

/** The clusterctl variables the e2e templates leave to the user. */
function variables(clusterName: string, namespace: string): Record<string, string> {
  return {
    CLUSTER_NAME: clusterName,
    NAMESPACE: namespace,
    KUBERNETES_VERSION: 'v1.31.0',
    CONTROL_PLANE_MACHINE_COUNT: '3',
    WORKER_MACHINE_COUNT: '2',
    DOCKER_SERVICE_CIDRS: '10.128.0.0/12',
    DOCKER_POD_CIDRS: '192.168.0.0/16',
    DOCKER_SERVICE_DOMAIN: 'cluster.local',
    CNI_RESOURCES: '{}',
    CLUSTER_CLASS_NAMESPACE: namespace,
    TOKEN: 'a-token',
    SERVER: 'https://127.0.0.1:6443',
  };
}

/** A kustomization as clusterctl's e2e renders it (kubectl's built-in kustomize). */
function kustomize(dir: string): string {
  return execFileSync(kubectlPath('1.33'), ['kustomize', '--load-restrictor=LoadRestrictionsNone', dir], {
    encoding: 'utf8',
  });
}

/** How many objects a YAML stream holds. */
function documents(yaml: string): number {
  return yaml.split(/^---\s*$/m).filter((d) => /^kind:/m.test(d)).length;
}

describe('Cluster API kinds on the hub (kubectl 1.33, SQLite store)', () => {
  let dir: string;
  let server: TestApiServer;

  const kubectl = (args: string[], input?: string) =>
    runKubectl('1.33', server.kubeconfigPath, args, { input, home: join(server.dir, 'home') });
  async function ok(args: string[], input?: string): Promise<string> {
    const r = await kubectl(args, input);
    expect(r.code, `kubectl ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r.stdout;
  }
  /** Runs a command that must fail; returns what kubectl printed. */
  async function refused(args: string[], input?: string): Promise<string> {
    const r = await kubectl(args, input);
    expect(r.code, `kubectl ${args.join(' ')} should have failed\n${r.stdout}`).not.toBe(0);
    return r.stderr;
  }
  const get = async (resource: string, name: string, namespace = 'default'): Promise<Json> =>
    JSON.parse(await ok(['get', resource, name, '-n', namespace, '-o', 'json']));
  /** Several objects of a namespace in one request, by "resource/name" as asked. */
  async function getAll(namespace: string, ...refs: string[]): Promise<Record<string, Json>> {
    const list = JSON.parse(await ok(['get', ...refs, '-n', namespace, '-o', 'json'])) as { items: Json[] };
    expect(list.items).toHaveLength(refs.length);
    return Object.fromEntries(refs.map((ref, i) => [ref, list.items[i]!]));
  }

  /** Applies a YAML stream (client-side or server-side): every object is created. */
  async function applyAll(yaml: string, namespace: string, serverSide: boolean): Promise<void> {
    const out = await ok(
      ['apply', ...(serverSide ? ['--server-side'] : []), '-n', namespace, '-f', '-'],
      yaml,
    );
    const word = serverSide ? 'serverside-applied' : 'created';
    expect(out.split('\n').filter((l) => l.endsWith(` ${word}`))).toHaveLength(documents(yaml));
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-capi-'));
    server = await startTestApiServer({
      name: 'capi',
      store: await SqliteStore.open({ path: join(dir, 'store.db') }),
      extensions: [clusterApis, infrastructureApis],
    });
    const namespaces = [
      ...FLAVORS.flatMap((f) => [f, `${f}-ssa`]),
      'quick-start',
      'quick-start-ssa',
      'fleet',
    ];
    await ok(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })),
      }),
    );
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves every kind under its Cluster API names, and marks infrastructure CRDs with the contract label', async () => {
    const resources = await ok(['api-resources', '--categories=cluster-api', '-o', 'name']);
    for (const r of [
      'clusters.cluster.x-k8s.io',
      'clusterclasses.cluster.x-k8s.io',
      'machinedeployments.cluster.x-k8s.io',
      'machinesets.cluster.x-k8s.io',
      'machines.cluster.x-k8s.io',
      'machinehealthchecks.cluster.x-k8s.io',
      'machinepools.cluster.x-k8s.io',
      'kubeadmcontrolplanes.controlplane.cluster.x-k8s.io',
      'kubeadmcontrolplanetemplates.controlplane.cluster.x-k8s.io',
      'kubeadmconfigs.bootstrap.cluster.x-k8s.io',
      'kubeadmconfigtemplates.bootstrap.cluster.x-k8s.io',
      'clusterresourcesets.addons.cluster.x-k8s.io',
      'clusterresourcesetbindings.addons.cluster.x-k8s.io',
      'dockerclusters.infrastructure.cluster.x-k8s.io',
      'dockermachinetemplates.infrastructure.cluster.x-k8s.io',
      'localclusters.infrastructure.concord.dev',
      'localmachinetemplates.infrastructure.concord.dev',
    ]) {
      expect(resources.split('\n')).toContain(r);
    }
    expect(await ok(['api-resources', '--api-group=cluster.x-k8s.io'])).toMatch(
      /^machinedeployments\s+md\s+cluster\.x-k8s\.io\/v1beta1\s+true\s+MachineDeployment$/m,
    );
    const contract = await ok([
      'get',
      'crd',
      '-l',
      'cluster.x-k8s.io/v1beta1',
      '-o',
      'custom-columns=NAME:.metadata.name,CONTRACT:.metadata.labels.cluster\\.x-k8s\\.io/v1beta1',
      '--no-headers',
    ]);
    expect(contract).toMatch(/^dockermachines\.infrastructure\.cluster\.x-k8s\.io\s+v1beta1$/m);
    expect(contract).toMatch(/^localmachines\.infrastructure\.concord\.dev\s+v1alpha1$/m);
  });

  it('applies simple-cluster.yaml unchanged and reads it back with Cluster API defaults, client-side and server-side', async () => {
    const yaml = await readFile(`${EXAMPLES}/simple-cluster.yaml`, 'utf8');
    for (const serverSide of [false, true]) {
      await applyAll(yaml, 'default', serverSide);
      const listed = await ok(['get', 'cluster,machinedeployment', '-o', 'name']);
      expect(listed.split('\n')).toEqual(
        expect.arrayContaining([
          'cluster.cluster.x-k8s.io/my-cluster',
          'machinedeployment.cluster.x-k8s.io/worker-md-0',
        ]),
      );
      const read = await getAll(
        'default',
        'machinedeployment/worker-md-0',
        'kubeadmcontrolplane/controlplane',
        'dockercluster/my-cluster',
        'kubeadmconfigtemplate/worker',
      );
      const md = read['machinedeployment/worker-md-0']!;
      expect(md.metadata.labels).toEqual({ 'cluster.x-k8s.io/cluster-name': 'my-cluster' });
      expect(md.spec).toMatchObject({
        replicas: 1,
        minReadySeconds: 0,
        revisionHistoryLimit: 1,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { 'cluster.x-k8s.io/cluster-name': 'my-cluster' } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      });
      expect(md.spec.template.metadata.labels).toEqual({ 'cluster.x-k8s.io/cluster-name': 'my-cluster' });
      const kcp = read['kubeadmcontrolplane/controlplane']!;
      expect(kcp.spec.rolloutStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } });
      expect(kcp.spec.kubeadmConfigSpec.format).toBe('cloud-config');
      expect(kcp.spec.kubeadmConfigSpec.initConfiguration.nodeRegistration).toEqual({
        imagePullPolicy: 'IfNotPresent',
        kubeletExtraArgs: {
          'eviction-hard': 'nodefs.available<0%,nodefs.inodesFree<0%,imagefs.available<0%',
        },
      });
      expect(read['dockercluster/my-cluster']!.spec.controlPlaneEndpoint).toEqual({ port: 6443 });
      const worker = read['kubeadmconfigtemplate/worker']!;
      expect(worker.spec.template.spec.format).toBe('cloud-config');
      await ok(['delete', '-f', '-'], yaml);
    }
  });

  it('applies the machine-pool and Machine examples unchanged, client-side and server-side', async () => {
    const pool = await readFile(`${EXAMPLES}/machine-pool.yaml`, 'utf8');
    const machines = await readFile(`${EXAMPLES}/simple-cluster-without-kcp.yaml`, 'utf8');
    for (const serverSide of [false, true]) {
      await applyAll(pool, 'default', serverSide);
      const mp = await get('machinepool', 'worker-mp-0');
      expect(mp.metadata.labels).toEqual({ 'cluster.x-k8s.io/cluster-name': 'my-cluster' });
      expect(mp.spec).toMatchObject({ replicas: 2, minReadySeconds: 0 });
      expect(mp.spec.template.spec.nodeDeletionTimeout).toBe('10s');
      await ok(['delete', '-f', '-'], pool);

      await applyAll(machines, 'default', serverSide);
      const machine = await get('machine', 'controlplane-0');
      expect(machine.metadata.labels).toEqual({
        'cluster.x-k8s.io/cluster-name': 'my-cluster',
        'cluster.x-k8s.io/control-plane': 'true',
      });
      expect(machine.spec.nodeDeletionTimeout).toBe('10s');
      await ok(['delete', '-f', '-'], machines);
    }
  });

  it("applies the e2e cluster templates with clusterctl's variables; md.yaml's empty selector is filled in", async () => {
    // Each flavor goes into namespaces of its own, side by side with the others.
    await Promise.all(
      FLAVORS.map(async (flavor) => {
        const rendered = kustomize(`${E2E}/${flavor}`);
        for (const serverSide of [false, true]) {
          const ns = `${flavor}${serverSide ? '-ssa' : ''}`;
          await applyAll(envsubst(rendered, variables('e2e', ns)), ns, serverSide);
          const read = await getAll(
            ns,
            'machinedeployment/e2e-md-0',
            'clusterresourceset/e2e-crs-0',
            'cluster/e2e',
          );
          const md = read['machinedeployment/e2e-md-0']!;
          expect(md.spec.selector).toEqual({
            matchLabels: {
              'cluster.x-k8s.io/cluster-name': 'e2e',
              'cluster.x-k8s.io/deployment-name': 'e2e-md-0',
            },
          });
          expect(md.spec.template.metadata.labels).toMatchObject(md.spec.selector.matchLabels);
          expect(md.spec.replicas).toBe(2);
          expect(md.spec.template.spec.infrastructureRef.namespace).toBe(ns);
          expect(read['clusterresourceset/e2e-crs-0']!.spec.strategy).toBe('ApplyOnce');
          expect(read['cluster/e2e']!.spec.infrastructureRef.namespace).toBe(ns);
        }
      }),
    );
    const mdRemediation = await getAll(
      'cluster-template-md-remediation',
      'machinehealthcheck/e2e-mhc-0',
      'machinedeployment/e2e-md-0',
    );
    const workers = mdRemediation['machinehealthcheck/e2e-mhc-0']!;
    expect(workers.spec).toMatchObject({ maxUnhealthy: '100%', nodeStartupTimeout: '10m0s' });
    expect(workers.metadata.labels).toEqual({ 'cluster.x-k8s.io/cluster-name': 'e2e' });
    const remediated = mdRemediation['machinedeployment/e2e-md-0']!;
    expect(remediated.spec.template.metadata.labels['e2e.remediation.label']).toBe('');
    const kcpRemediation = await getAll(
      'cluster-template-kcp-remediation',
      'machinehealthcheck/e2e-mhc-0',
      'kubeadmcontrolplane/e2e-control-plane',
    );
    const controlPlane = kcpRemediation['machinehealthcheck/e2e-mhc-0']!;
    expect(controlPlane.spec.nodeStartupTimeout).toBe('30s');
    const kcp = kcpRemediation['kubeadmcontrolplane/e2e-control-plane']!;
    expect(kcp.spec.kubeadmConfigSpec.files[0]).toMatchObject({
      path: '/wait-signal.sh',
      permissions: '0777',
    });
    expect(kcp.spec.kubeadmConfigSpec.files[0].content).toContain('TOKEN=$1');
  });

  it('applies the ClusterClass quick-start and the Clusters built from it; CLUSTERCLASS and VERSION print', async () => {
    const clusterClass = await readFile(`${TEMPLATES}/clusterclass-quick-start.yaml`, 'utf8');
    const development = await readFile(`${TEMPLATES}/cluster-template-development.yaml`, 'utf8');
    const withTopology = await readFile(`${E2E}/bases/cluster-with-topology.yaml`, 'utf8');
    for (const serverSide of [false, true]) {
      const ns = serverSide ? 'quick-start-ssa' : 'quick-start';
      await applyAll(clusterClass, ns, serverSide);
      await applyAll(envsubst(development, variables('dev', ns)), ns, serverSide);
      // This one names the default namespace itself.
      await applyAll(envsubst(withTopology, variables(`topology-${ns}`, 'default')), 'default', serverSide);
    }
    const quickStart = await getAll('quick-start', 'clusterclass/quick-start', 'cluster/dev');
    const cc = quickStart['clusterclass/quick-start']!;
    expect(cc.spec.infrastructure.ref.namespace).toBe('quick-start');
    expect(cc.spec.workers.machineDeployments[0].template.bootstrap.ref.namespace).toBe('quick-start');
    const dev = quickStart['cluster/dev']!;
    expect(dev.spec.topology).toMatchObject({ class: 'quick-start', version: 'v1.31.0' });
    expect(dev.spec.clusterNetwork.services.cidrBlocks).toEqual(['10.128.0.0/12']);
    const table = await ok(['get', 'clusters', '-n', 'quick-start']);
    expect(table).toMatch(/^NAME\s+CLUSTERCLASS\s+PHASE\s+AGE\s+VERSION\n/);
    expect(table).toMatch(/^dev\s+quick-start\s+\S+\s+v1\.31\.0$/m);
    const variablesOf = (await get('cluster', 'topology-quick-start')).spec.topology.variables;
    expect(variablesOf).toContainEqual({ name: 'preLoadImages', value: [] });
  });

  it("prints Cluster API's columns, status included", async () => {
    const ns = 'cluster-template-kcp-remediation';
    await ok([
      'patch',
      'cluster',
      'e2e',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"phase":"Provisioned"}}',
    ]);
    expect(await ok(['get', 'cluster', 'e2e', '-n', ns])).toMatch(
      /^NAME\s+CLUSTERCLASS\s+PHASE\s+AGE\s+VERSION\ne2e\s+Provisioned\s+\S+\s*$/,
    );
    await ok([
      'patch',
      'machinedeployment',
      'e2e-md-0',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"replicas":2,"readyReplicas":1,"updatedReplicas":2,"unavailableReplicas":1,"phase":"ScalingUp"}}',
    ]);
    expect(await ok(['get', 'md', 'e2e-md-0', '-n', ns])).toMatch(
      /^NAME\s+CLUSTER\s+REPLICAS\s+READY\s+UPDATED\s+UNAVAILABLE\s+PHASE\s+AGE\s+VERSION\ne2e-md-0\s+e2e\s+2\s+1\s+2\s+1\s+ScalingUp\s+\S+\s+v1\.31\.0$/m,
    );
    expect(await ok(['get', 'md', 'e2e-md-0', '-n', ns, '-o', 'wide'])).toMatch(
      /^NAME\s+CLUSTER\s+DESIRED\s+REPLICAS\s+READY\s+UPDATED\s+UNAVAILABLE\s+PHASE\s+AGE\s+VERSION\ne2e-md-0\s+e2e\s+2\s/m,
    );
    expect(await ok(['get', 'kcp', '-n', ns])).toMatch(
      /^NAME\s+CLUSTER\s+INITIALIZED\s+API SERVER AVAILABLE\s+REPLICAS\s+READY\s+UPDATED\s+UNAVAILABLE\s+AGE\s+VERSION\ne2e-control-plane\s+\S+\s+v1\.31\.0$/m,
    );
    expect(await ok(['get', 'mhc', '-n', ns])).toMatch(
      /^NAME\s+CLUSTER\s+EXPECTEDMACHINES\s+MAXUNHEALTHY\s+CURRENTHEALTHY\s+AGE\ne2e-mhc-0\s+e2e\s+100%\s+\S+$/m,
    );
    await ok(['apply', '-f', `${EXAMPLES}/simple-cluster-without-kcp.yaml`]);
    expect(await ok(['get', 'machines'])).toMatch(
      /^NAME\s+CLUSTER\s+NODENAME\s+PROVIDERID\s+PHASE\s+AGE\s+VERSION\ncontrolplane-0\s+my-cluster\s+\S+\s+v1\.33\.0$/m,
    );
  });

  it('scales MachineDeployments and KubeadmControlPlanes through the scale subresource', async () => {
    const ns = 'cluster-template';
    await ok(['scale', 'md', 'e2e-md-0', '-n', ns, '--replicas=5']);
    expect((await get('md', 'e2e-md-0', ns)).spec.replicas).toBe(5);
    await ok(['scale', 'kcp', 'e2e-control-plane', '-n', ns, '--replicas=5']);
    expect((await get('kcp', 'e2e-control-plane', ns)).spec.replicas).toBe(5);
    // Stacked etcd needs an odd number of members: the control plane's own rule holds for scale too.
    expect(await refused(['scale', 'kcp', 'e2e-control-plane', '-n', ns, '--replicas=4'])).toContain(
      'spec.replicas: Forbidden: cannot be an even number when etcd is stacked',
    );
  });

  it('explains the kinds from their schemas', async () => {
    const topology = await ok([
      'explain',
      'clusters.spec.topology',
      '--api-version=cluster.x-k8s.io/v1beta1',
    ]);
    expect(topology).toMatch(/class\s+<string> -required-/);
    expect(topology).toMatch(/version\s+<string> -required-/);
    expect(topology).toMatch(/workers\s+<Object>/);
    const strategy = await ok(['explain', 'machinedeployments.spec.strategy.rollingUpdate']);
    expect(strategy).toContain('Machines that may exist above the desired count during a rollout.');
    const machine = await ok(['explain', 'localmachines.spec']);
    for (const field of ['gpus', 'instanceType', 'nodeLabels', 'providerID'])
      expect(machine).toContain(field);
    expect(machine).toContain('sim.gpu');
  });

  it('refuses bad input with a 4xx naming the field', async () => {
    const ns = 'cluster-template';
    // A misspelt field: strict field validation (kubectl's default) refuses it by name.
    const misspelt = await refused(
      ['apply', '-n', ns, '-f', '-'],
      `apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineHealthCheck
metadata: {name: typo}
spec:
  clusterName: e2e
  selector: {matchLabels: {a: b}}
  maxUnhealty: 40%
`,
    );
    expect(misspelt).toContain('unknown field "spec.maxUnhealty"');
    const misspeltKubeadm = await refused(
      ['apply', '-n', ns, '-f', '-'],
      `apiVersion: bootstrap.cluster.x-k8s.io/v1beta1
kind: KubeadmConfig
metadata: {name: typo}
spec:
  joinConfiguration:
    nodeRegistration: {kubeletExtraArg: {v: "4"}}
`,
    );
    expect(misspeltKubeadm).toContain(
      'unknown field "spec.joinConfiguration.nodeRegistration.kubeletExtraArg"',
    );

    // A version that is not "v" and semver.
    const machine = (version: string) => `apiVersion: cluster.x-k8s.io/v1beta1
kind: Machine
metadata: {name: bad-version}
spec:
  clusterName: e2e
  version: "${version}"
  bootstrap: {dataSecretName: data}
  infrastructureRef: {apiVersion: infrastructure.cluster.x-k8s.io/v1beta1, kind: DockerMachine, name: m}
`;
    expect(await refused(['apply', '-n', ns, '-f', '-'], machine('1.31'))).toContain(
      'spec.version: Invalid value: "v1.31": must be a valid semantic version',
    );
    // "1.31.0" gets its "v", as Cluster API's webhook gives it.
    await ok(['apply', '-n', ns, '-f', '-'], machine('1.31.0'));
    expect((await get('machine', 'bad-version', ns)).spec.version).toBe('v1.31.0');

    // Immutable fields.
    expect(
      await refused([
        'patch',
        'md',
        'e2e-md-0',
        '-n',
        ns,
        '--type=merge',
        '-p',
        '{"spec":{"clusterName":"other"}}',
      ]),
    ).toContain('spec.clusterName: Forbidden: field is immutable');
    expect(
      await refused([
        'patch',
        'cluster',
        'e2e',
        '-n',
        ns,
        '--type=merge',
        '-p',
        '{"spec":{"infrastructureRef":{"name":"another"}}}',
      ]),
    ).toContain('spec.infrastructureRef: Invalid value');
    expect(
      await refused([
        'patch',
        'cluster',
        'e2e',
        '-n',
        ns,
        '--type=json',
        '-p',
        '[{"op":"remove","path":"/spec/infrastructureRef"}]',
      ]),
    ).toContain('spec.infrastructureRef: Forbidden: cannot be removed');
    expect(
      await refused([
        'patch',
        'clusterresourceset',
        'e2e-crs-0',
        '-n',
        ns,
        '--type=merge',
        '-p',
        '{"spec":{"strategy":"Reconcile"}}',
      ]),
    ).toContain('spec.strategy: Invalid value: "Reconcile": field is immutable');

    // A health check: maxUnhealthy a number or a percentage, a selector that selects something.
    const mhc = (maxUnhealthy: string, selector: string) => `apiVersion: cluster.x-k8s.io/v1beta1
kind: MachineHealthCheck
metadata: {name: bad-mhc}
spec:
  clusterName: e2e
  maxUnhealthy: ${maxUnhealthy}
  selector: ${selector}
`;
    expect(await refused(['apply', '-n', ns, '-f', '-'], mhc('"40"', '{matchLabels: {a: b}}'))).toContain(
      'spec.maxUnhealthy: Invalid value: "40": must be either an int or a percentage',
    );
    expect(await refused(['apply', '-n', ns, '-f', '-'], mhc('40%', '{}'))).toContain(
      'spec.selector: Required value: selector must not be empty',
    );

    // A topology version may not go back, nor skip a minor version.
    const topology = (version: string) => `{"spec":{"topology":{"version":"${version}"}}}`;
    expect(
      await refused([
        'patch',
        'cluster',
        'dev',
        '-n',
        'quick-start',
        '--type=merge',
        '-p',
        topology('v1.30.2'),
      ]),
    ).toContain(
      'spec.topology.version: Invalid value: "v1.30.2": version cannot be decreased from "1.31.0" to "1.30.2"',
    );
    expect(
      await refused([
        'patch',
        'cluster',
        'dev',
        '-n',
        'quick-start',
        '--type=merge',
        '-p',
        topology('v1.33.0'),
      ]),
    ).toContain('version cannot be increased from "1.31.0" to "1.33.0"');
    await ok(['patch', 'cluster', 'dev', '-n', 'quick-start', '--type=merge', '-p', topology('v1.32.1')]);

    // Enums of the schema.
    expect(
      await refused([
        'patch',
        'clusterresourceset',
        'e2e-crs-0',
        '-n',
        'cluster-template-md-remediation',
        '--type=merge',
        '-p',
        '{"spec":{"strategy":"Always"}}',
      ]),
    ).toContain('spec.strategy: Unsupported value: "Always"');

    // A server-side apply gets the same answers as a client-side one.
    const serverSide = await refused(
      ['apply', '--server-side', '-n', ns, '-f', '-'],
      mhc('"40"', '{matchLabels: {a: b}}'),
    );
    expect(serverSide).toContain('spec.maxUnhealthy: Invalid value: "40"');
  });

  it('serves the local provider: a LocalCluster gets zones from its region, LocalMachines a node shape', async () => {
    await ok(
      ['apply', '-n', 'fleet', '-f', '-'],
      `apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalCluster
metadata: {name: europe-2}
spec: {region: europe}
---
apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalCluster
metadata: {name: anywhere}
---
apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalMachineTemplate
metadata: {name: gpu}
spec:
  template:
    spec:
      instanceType: sim.gpu
      gpus: 8
      nodeLabels: {pool: gpu}
---
apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalMachine
metadata: {name: plain}
`,
    );
    expect((await get('localcluster', 'europe-2', 'fleet')).spec).toEqual({
      region: 'europe',
      zones: ['europe-a', 'europe-b', 'europe-c'],
    });
    expect((await get('localcluster', 'anywhere', 'fleet')).spec).toEqual({
      region: 'local',
      zones: ['local-a', 'local-b', 'local-c'],
    });
    expect((await get('localmachine', 'plain', 'fleet')).spec).toEqual({ instanceType: 'sim.xlarge' });

    // The example of docs/provisioning.md applies as written.
    const doc = await readFile(new URL('../docs/provisioning.md', import.meta.url), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    await applyAll(example, 'fleet', true);
    expect((await get('localcluster', 'europe-1', 'fleet')).spec.zones).toEqual([
      'europe-west',
      'europe-north',
    ]);
    const md = await get('machinedeployment', 'europe-1-gpu', 'fleet');
    expect(md.spec.selector.matchLabels).toEqual({
      'cluster.x-k8s.io/cluster-name': 'europe-1',
      'cluster.x-k8s.io/deployment-name': 'europe-1-gpu',
    });
    expect(md.spec.template.spec.bootstrap).toEqual({ dataSecretName: '' });
    expect(await ok(['get', 'localclusters', '-n', 'fleet'])).toMatch(
      /^NAME\s+CLUSTER\s+REGION\s+ENDPOINT\s+READY\s+AGE\nanywhere\s+local\s+/,
    );
    const reserved = await refused(
      ['apply', '-n', 'fleet', '-f', '-'],
      `apiVersion: infrastructure.concord.dev/v1alpha1
kind: LocalMachine
metadata: {name: zoned}
spec:
  instanceType: sim.huge
  nodeLabels: {topology.kubernetes.io/zone: elsewhere}
`,
    );
    expect(reserved).toContain('spec.instanceType: Unsupported value: "sim.huge"');
    expect(reserved).toContain('spec.nodeLabels[topology.kubernetes.io/zone]: Forbidden');
    expect(
      await refused([
        'patch',
        'localmachinetemplate',
        'gpu',
        '-n',
        'fleet',
        '--type=merge',
        '-p',
        '{"spec":{"template":{"spec":{"gpus":2}}}}',
      ]),
    ).toContain('spec.template.spec: Invalid value');
  });
});
