// The decoder against the real client: kubectl 1.33 (whose typed clients send built-in kinds only
// as protobuf) talks to a small HTTPS stub that serves just enough discovery and records every
// request body. Each decoded protobuf body must equal the JSON the same command produces with
// `--dry-run=client -o json`, or, for commands without a dry run, the JSON body kubectl 1.31 (whose
// typed clients still send JSON) sends for the same command, or, for `debug --copy-to`, the Pod the
// stub served (every corner of a PodSpec, 1.33 fields included).

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlPath } from '../../../test/support/kubectl.js';
import { createCA, issueServingCertificate, tlsServerOptions } from '../../apiserver/pki.js';
import { buildKubeconfig } from '../kubeconfig.js';
import type { JsonObject, JsonValue } from '../object.js';
import { decodeKubernetesProtobuf, isProtobufContentType } from './index.js';

const run = promisify(execFile);

interface Captured {
  method: string;
  path: string;
  contentType: string;
  body: Buffer;
}

// ---- discovery: the resources the commands below touch ----------------------------------------

type Res = [name: string, kind: string, namespaced: boolean, verbs?: string[], groupVersion?: string];
const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const RESOURCES: Record<string, Res[]> = {
  v1: [
    ['pods', 'Pod', true],
    ['pods/eviction', 'Eviction', true, ['create'], 'policy/v1'],
    ['configmaps', 'ConfigMap', true],
    ['secrets', 'Secret', true],
    ['services', 'Service', true],
    ['namespaces', 'Namespace', false],
    ['nodes', 'Node', false],
    ['serviceaccounts', 'ServiceAccount', true],
    ['serviceaccounts/token', 'TokenRequest', true, ['create']],
    ['resourcequotas', 'ResourceQuota', true],
  ],
  'apps/v1': [
    ['deployments', 'Deployment', true],
    ['deployments/scale', 'Scale', true, ['get', 'patch', 'update']],
    ['replicasets', 'ReplicaSet', true],
    ['statefulsets', 'StatefulSet', true],
    ['daemonsets', 'DaemonSet', true],
  ],
  'batch/v1': [
    ['jobs', 'Job', true],
    ['cronjobs', 'CronJob', true],
  ],
  'policy/v1': [['poddisruptionbudgets', 'PodDisruptionBudget', true]],
  'rbac.authorization.k8s.io/v1': [
    ['roles', 'Role', true],
    ['rolebindings', 'RoleBinding', true],
    ['clusterroles', 'ClusterRole', false],
    ['clusterrolebindings', 'ClusterRoleBinding', false],
  ],
  'networking.k8s.io/v1': [['ingresses', 'Ingress', true]],
  'scheduling.k8s.io/v1': [['priorityclasses', 'PriorityClass', false]],
  'autoscaling/v1': [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', true]],
  'autoscaling/v2': [['horizontalpodautoscalers', 'HorizontalPodAutoscaler', true]],
  'authorization.k8s.io/v1': [
    ['selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, ['create']],
    ['selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, ['create']],
  ],
  'authentication.k8s.io/v1': [['selfsubjectreviews', 'SelfSubjectReview', false, ['create']]],
  'certificates.k8s.io/v1': [
    ['certificatesigningrequests', 'CertificateSigningRequest', false],
    ['certificatesigningrequests/approval', 'CertificateSigningRequest', false, ['get', 'patch', 'update']],
  ],
};

function resourceList(groupVersion: string): JsonObject {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: RESOURCES[groupVersion]!.map(([name, kind, namespaced, verbs, gv]) => {
      const [group, version] = gv?.includes('/') ? gv.split('/') : [undefined, undefined];
      return {
        name,
        singularName: name.includes('/') ? '' : kind.toLowerCase(),
        namespaced,
        // A subresource of another group (pods/eviction is policy/v1) says so, as Kubernetes does.
        ...(group ? { group, version } : {}),
        kind,
        verbs: verbs ?? ALL_VERBS,
      };
    }),
  };
}

function groupList(): JsonObject {
  const groups = new Map<string, string[]>();
  for (const gv of Object.keys(RESOURCES)) {
    if (!gv.includes('/')) continue;
    const [group, version] = gv.split('/') as [string, string];
    groups.set(group, [...(groups.get(group) ?? []), version]);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => ({
      name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
      preferredVersion: { groupVersion: `${name}/${versions.at(-1)}`, version: versions.at(-1) },
    })),
  };
}

// ---- the stub ----------------------------------------------------------------------------------

let dir: string;
let server: Server;
let kubeconfig: string;
let captured: Captured[] = [];
/** Objects the stub answers GETs with, by path. */
const objects = new Map<string, JsonObject>();

function send(res: ServerResponse, code: number, body: unknown): void {
  res.statusCode = code;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse): void {
  send(res, 404, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server could not find the requested resource',
    reason: 'NotFound',
    code: 404,
  });
}

function bodyObject(c: Captured): JsonObject {
  return isProtobufContentType(c.contentType)
    ? (decodeKubernetesProtobuf(c.body) as unknown as JsonObject)
    : (JSON.parse(c.body.toString('utf8')) as JsonObject);
}

/** What the stub answers to a POST: the object, with the status that reviews and tokens fill in. */
function answer(obj: JsonObject): JsonObject {
  switch (obj.kind) {
    case 'SelfSubjectAccessReview':
      return { ...obj, status: { allowed: true } };
    case 'SelfSubjectRulesReview':
      return { ...obj, status: { resourceRules: [], nonResourceRules: [], incomplete: false } };
    case 'SelfSubjectReview':
      return { ...obj, status: { userInfo: { username: 'tester', groups: ['system:authenticated'] } } };
    case 'TokenRequest':
      return { ...obj, status: { token: 'a-token', expirationTimestamp: '2030-01-01T00:00:00Z' } };
    default:
      return obj;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const path = new URL(req.url ?? '/', 'https://stub').pathname;
  const c: Captured = {
    method: req.method ?? 'GET',
    path,
    contentType: req.headers['content-type'] ?? '',
    body: Buffer.concat(chunks),
  };
  captured.push(c);
  if (c.method === 'GET') {
    if (path === '/api') return send(res, 200, { kind: 'APIVersions', versions: ['v1'] });
    if (path === '/apis') return send(res, 200, groupList());
    if (path === '/api/v1') return send(res, 200, resourceList('v1'));
    const gv = path.match(/^\/apis\/([^/]+\/[^/]+)$/);
    if (gv && RESOURCES[gv[1]!]) return send(res, 200, resourceList(gv[1]!));
    const obj = objects.get(path);
    return obj ? send(res, 200, obj) : notFound(res);
  }
  if (c.method === 'POST' || c.method === 'PUT') {
    try {
      const obj = bodyObject(c);
      return c.method === 'POST' ? send(res, 201, answer(obj)) : send(res, 200, obj);
    } catch (err) {
      return send(res, 400, {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: String(err),
        code: 400,
      });
    }
  }
  if (c.method === 'PATCH') {
    const obj = objects.get(path);
    return obj ? send(res, 200, obj) : notFound(res);
  }
  notFound(res);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-protobuf-kubectl-'));
  const ca = await createCA('protobuf-stub-ca');
  const serving = await issueServingCertificate(ca, { hosts: [] });
  server = createServer(tlsServerOptions(ca, serving), (req, res) => {
    handle(req, res).catch((err) => send(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    buildKubeconfig({ name: 'stub', server: url, caPem: ca.certPem, user: { token: 'stub-token' } }),
  );
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function kubectl(version: '1.31' | '1.33', args: string[]): Promise<{ out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(kubectlPath(version), args, {
      env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECONFIG: kubeconfig },
    });
    return { out: stdout, err: stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`kubectl ${version} ${args.join(' ')} failed: ${err.stderr ?? e}`);
  }
}

/** Runs a command and returns the request bodies it sent with the given method. */
async function bodiesOf(version: '1.31' | '1.33', args: string[], method = 'POST'): Promise<Captured[]> {
  captured = [];
  await kubectl(version, args);
  return captured.filter((c) => c.method === method);
}

// ---- what dry-run output and a request body legitimately differ in -----------------------------

/**
 * Go writes a zero metav1.Time as `null` (`creationTimestamp: null` in every dry-run object) and a
 * nil slice or map without omitempty as `null` too. Protobuf has no null: the zero time is an empty
 * message and a nil list has no entries, so the decoded body leaves these fields out. Nulls are
 * therefore dropped before comparing; everything else must match exactly.
 */
function withoutNulls(value: JsonValue | undefined): JsonValue | undefined {
  if (Array.isArray(value)) return value.map((v) => withoutNulls(v) ?? null);
  if (value && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === null || v === undefined) continue;
      out[k] = withoutNulls(v);
    }
    return out;
  }
  return value;
}

async function expectSameAsDryRun(args: string[], flagsAfter: string[] = []): Promise<JsonObject> {
  const dry = JSON.parse(
    (await kubectl('1.33', [...args, '--dry-run=client', '-o', 'json', ...flagsAfter])).out,
  ) as JsonObject;
  const posts = await bodiesOf('1.33', [...args, ...flagsAfter]);
  expect(posts).toHaveLength(1);
  expect(posts[0]!.contentType).toBe('application/vnd.kubernetes.protobuf');
  const decoded = decodeKubernetesProtobuf(posts[0]!.body) as unknown as JsonObject;
  expect(decoded).toEqual(withoutNulls(dry));
  return decoded;
}

describe('kubectl 1.33 create: the decoded protobuf body equals the dry-run JSON', () => {
  it('create deployment with replicas and a port', async () => {
    await expectSameAsDryRun([
      'create',
      'deployment',
      'web',
      '--image=nginx:1.27',
      '--replicas=3',
      '--port=80',
    ]);
  });

  it('create configmap with text and binary data', async () => {
    await expectSameAsDryRun(['create', 'configmap', 'c', '--from-literal=a=b', '--from-literal=empty=']);
    // Bytes that are not UTF-8 go to binaryData (a map of bytes, base64 in JSON).
    const file = join(dir, 'blob.bin');
    await writeFile(file, Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]));
    const obj = await expectSameAsDryRun(['create', 'configmap', 'bin', `--from-file=blob=${file}`]);
    expect(obj.binaryData).toEqual({ blob: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]).toString('base64') });
  });

  it('create secret generic (bytes as base64)', async () => {
    const obj = await expectSameAsDryRun(['create', 'secret', 'generic', 's', '--from-literal=p=q']);
    expect(obj.data).toEqual({ p: 'cQ==' });
  });

  it('create secret tls and docker-registry', async () => {
    await expectSameAsDryRun([
      'create',
      'secret',
      'docker-registry',
      'reg',
      '--docker-server=registry.example',
      '--docker-username=u',
      '--docker-password=p',
    ]);
  });

  it('create service clusterip / nodeport / externalname', async () => {
    await expectSameAsDryRun(['create', 'service', 'clusterip', 's', '--tcp=80:8080', '--tcp=443:https']);
    await expectSameAsDryRun(['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30080']);
    await expectSameAsDryRun(['create', 'service', 'externalname', 'ext', '--external-name=example.com']);
  });

  it('create job with a command', async () => {
    await expectSameAsDryRun(['create', 'job', 'j', '--image=busybox'], ['--', 'echo', 'hi']);
  });

  it('create cronjob', async () => {
    await expectSameAsDryRun([
      'create',
      'cronjob',
      'c',
      '--image=busybox',
      '--schedule=*/5 * * * *',
      '--restart=Never',
    ]);
  });

  it('create role and clusterrole', async () => {
    await expectSameAsDryRun([
      'create',
      'role',
      'r',
      '--verb=get,list',
      '--resource=pods,deployments.apps',
      '--resource-name=a',
    ]);
    await expectSameAsDryRun(['create', 'clusterrole', 'cr', '--verb=get', '--non-resource-url=/healthz']);
    await expectSameAsDryRun([
      'create',
      'clusterrole',
      'agg',
      '--aggregation-rule=rbac.example.com/aggregate=true',
    ]);
  });

  it('create rolebinding and clusterrolebinding', async () => {
    await expectSameAsDryRun([
      'create',
      'rolebinding',
      'rb',
      '--role=r',
      '--user=alice',
      '--group=devs',
      '--serviceaccount=default:sa',
    ]);
    await expectSameAsDryRun(['create', 'clusterrolebinding', 'crb', '--clusterrole=view', '--user=bob']);
  });

  it('create namespace and serviceaccount', async () => {
    await expectSameAsDryRun(['create', 'namespace', 'n']);
    await expectSameAsDryRun(['create', 'serviceaccount', 'sa']);
  });

  it('create ingress with rules, TLS and a default backend', async () => {
    await expectSameAsDryRun([
      'create',
      'ingress',
      'ing',
      '--class=nginx',
      '--rule=foo.example.com/bar*=svc:8080,tls=cert',
      '--rule=/path=other:http',
      '--default-backend=def:80',
      '--annotation=a=b',
    ]);
  });

  it('create poddisruptionbudget', async () => {
    await expectSameAsDryRun(['create', 'pdb', 'p', '--selector=app=web', '--min-available=50%']);
    await expectSameAsDryRun(['create', 'pdb', 'p2', '--selector=app=web', '--max-unavailable=1']);
  });

  it('create priorityclass', async () => {
    await expectSameAsDryRun([
      'create',
      'priorityclass',
      'high',
      '--value=1000',
      '--description=important',
      '--preemption-policy=Never',
    ]);
    await expectSameAsDryRun(['create', 'priorityclass', 'zero', '--value=0', '--global-default']);
  });

  it('create quota with hard limits and scopes', async () => {
    await expectSameAsDryRun(['create', 'quota', 'q', '--hard=pods=3,requests.cpu=500m,limits.memory=2Gi']);
    await expectSameAsDryRun(['create', 'quota', 'best', '--hard=pods=10', '--scopes=BestEffort']);
  });
});

/** For commands without a dry run: kubectl 1.31 sends the same request as JSON. */
async function expectSameAsJsonClient(
  args: string[],
  opts: { method?: string; normalize?: (obj: JsonObject) => JsonObject } = {},
): Promise<JsonObject> {
  const normalize = opts.normalize ?? ((o: JsonObject) => o);
  const json = await bodiesOf('1.31', args, opts.method);
  expect(json).toHaveLength(1);
  expect(json[0]!.contentType).toMatch(/^application\/json/);
  const proto = await bodiesOf('1.33', args, opts.method);
  expect(proto).toHaveLength(1);
  expect(proto[0]!.contentType).toBe('application/vnd.kubernetes.protobuf');
  expect(proto[0]!.path).toBe(json[0]!.path);
  const decoded = decodeKubernetesProtobuf(proto[0]!.body) as unknown as JsonObject;
  const sent = JSON.parse(json[0]!.body.toString('utf8')) as JsonObject;
  expect(normalize(decoded)).toEqual(withoutNulls(normalize(sent)));
  return decoded;
}

describe('kubectl 1.33 without a dry run: the decoded body equals what kubectl 1.31 sends as JSON', () => {
  it('auth can-i (SelfSubjectAccessReview)', async () => {
    const obj = await expectSameAsJsonClient(['auth', 'can-i', 'create', 'deployments.apps', '-n', 'web']);
    expect(obj.spec).toEqual({
      resourceAttributes: { namespace: 'web', verb: 'create', group: 'apps', resource: 'deployments' },
    });
    await expectSameAsJsonClient(['auth', 'can-i', 'get', '/healthz']);
    await expectSameAsJsonClient([
      'auth',
      'can-i',
      'update',
      'deployments.apps/web',
      '--subresource=scale',
      '-n',
      'web',
    ]);
  });

  it('auth can-i --list (SelfSubjectRulesReview)', async () => {
    await expectSameAsJsonClient(['auth', 'can-i', '--list', '-n', 'web']);
  });

  it('auth whoami (SelfSubjectReview)', async () => {
    await expectSameAsJsonClient(['auth', 'whoami']);
  });

  it('create token (TokenRequest with audiences, expiry and a bound object)', async () => {
    const obj = await expectSameAsJsonClient([
      'create',
      'token',
      'sa',
      '--audience=a',
      '--audience=b',
      '--duration=1h',
      '--bound-object-kind=Secret',
      '--bound-object-name=s',
      '--bound-object-uid=123',
    ]);
    expect(obj.spec).toMatchObject({ audiences: ['a', 'b'], expirationSeconds: 3600 });
  });
});

describe('kubectl 1.33 sending whole pods, HPAs and delete options', () => {
  it('debug --copy-to sends back a Pod with every corner of a PodSpec exactly as served', async () => {
    // The fixture is written the way Go writes it (no zero values where omitempty drops them,
    // `resources: {}` on every container), so the copy must come back field for field.
    const rich = JSON.parse(
      readFileSync(new URL('./testdata/rich-pod.json', import.meta.url), 'utf8'),
    ) as JsonObject & { metadata: JsonObject; spec: JsonObject & { containers: JsonObject[] } };
    objects.set('/api/v1/namespaces/default/pods/rich', rich);
    const posts = await bodiesOf('1.33', [
      'debug',
      'rich',
      '--copy-to=rich-copy',
      '--set-image=app=busybox:1',
      '--keep-annotations',
      '--keep-liveness',
      '--keep-readiness',
      '--keep-startup',
      '--same-node',
    ]);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.contentType).toBe('application/vnd.kubernetes.protobuf');
    // What debug --copy-to changes (seen by looking): a new name, no labels, the new image, no
    // ephemeral containers and an empty status.
    const { ephemeralContainers: _, ...spec } = rich.spec;
    const expected = {
      ...rich,
      metadata: { name: 'rich-copy', namespace: 'default', annotations: rich.metadata.annotations },
      spec: {
        ...spec,
        containers: rich.spec.containers.map((c) => (c.name === 'app' ? { ...c, image: 'busybox:1' } : c)),
      },
      status: {},
    };
    expect(decodeKubernetesProtobuf(posts[0]!.body)).toEqual(expected);
  });

  it('debug node/<name> creates the same Pod as kubectl 1.31 (but for the random name suffix)', async () => {
    objects.set('/api/v1/nodes/node-1', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1' },
      spec: {},
    });
    // The pod's name ends in five random characters: the two runs are compared without them.
    const obj = await expectSameAsJsonClient(
      ['debug', 'node/node-1', '--image=busybox', '--profile=sysadmin'],
      {
        normalize: (o) => ({
          ...o,
          metadata: { ...(o.metadata as JsonObject), name: 'node-debugger-node-1-*' },
        }),
      },
    );
    expect(obj.spec).toMatchObject({ nodeName: 'node-1', hostPID: true, hostNetwork: true });
  });

  it('autoscale creates an autoscaling/v2 HorizontalPodAutoscaler', async () => {
    objects.set('/apis/apps/v1/namespaces/default/deployments/web', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', uid: 'web-uid' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'i' }] } },
      },
    });
    const obj = await expectSameAsDryRun([
      'autoscale',
      'deployment',
      'web',
      '--min=2',
      '--max=5',
      '--cpu-percent=80',
    ]);
    expect(obj.apiVersion).toBe('autoscaling/v2');
    // desiredReplicas has no omitempty: the zero is carried.
    expect(obj.status).toEqual({ desiredReplicas: 0 });
  });

  it('certificate approve updates a CertificateSigningRequest with its conditions', async () => {
    objects.set('/apis/certificates.k8s.io/v1/certificatesigningrequests/csr-1', {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: {
        name: 'csr-1',
        uid: 'csr-uid',
        resourceVersion: '7',
        creationTimestamp: '2025-03-04T05:06:07Z',
      },
      spec: {
        request: Buffer.from('-----BEGIN CERTIFICATE REQUEST-----\n').toString('base64'),
        signerName: 'kubernetes.io/kube-apiserver-client',
        expirationSeconds: 86400,
        usages: ['client auth'],
        username: 'alice',
        groups: ['devs', 'system:authenticated'],
        extra: { scopes: ['a', 'b'], empty: [] },
      },
      status: {},
    });
    const obj = await expectSameAsJsonClient(['certificate', 'approve', 'csr-1'], {
      method: 'PUT',
      // The condition's timestamps are the time of each run.
      normalize: (o) =>
        JSON.parse(JSON.stringify(o).replace(/"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"/g, '"<time>"')),
    });
    expect(obj.metadata).toMatchObject({ creationTimestamp: '2025-03-04T05:06:07Z', resourceVersion: '7' });
    expect((obj.status as JsonObject).conditions).toMatchObject([{ type: 'Approved', status: 'True' }]);
  });

  // drain's evictions go through a hand-written client method that still sends JSON in 1.33;
  // its typed deletes (--disable-eviction) send DeleteOptions as protobuf.
  describe('drain', () => {
    beforeAll(() => {
      objects.set('/api/v1/nodes/node-2', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'node-2' },
        spec: {},
      });
      objects.set('/api/v1/pods', {
        apiVersion: 'v1',
        kind: 'PodList',
        metadata: {},
        items: [
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: 'p',
              namespace: 'default',
              uid: 'p-uid',
              ownerReferences: [
                { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true },
              ],
            },
            spec: { nodeName: 'node-2', containers: [{ name: 'c', image: 'i' }] },
          },
        ],
      });
    });

    it('--disable-eviction deletes with a DeleteOptions body', async () => {
      const obj = await expectSameAsJsonClient(
        ['drain', 'node-2', '--disable-eviction', '--grace-period=0'],
        {
          method: 'DELETE',
        },
      );
      // gracePeriodSeconds is a pointer: an explicit 0 (delete now) must survive.
      expect(obj).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
    });
  });
});
