// `kubectl auth can-i`, `kubectl auth can-i --list` and a forbidden `kubectl get --raw` against a
// minimal HTTPS server made of the real authenticator, authorizer and reviews: checks that real
// kubectl reads what they answer. Discovery is served just far enough for kubectl to map
// resource names to groups.

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubectlVersion, kubectlPath } from '../../../test/support/kubectl.js';
import { writeKubeconfig } from '../../client/kubeconfig-file.js';
import { buildKubeconfig } from '../../machinery/kubeconfig.js';
import type { KubeObject } from '../../machinery/object.js';
import { ApiError, errors } from '../../machinery/status.js';
import { Authenticator } from '../authn.js';
import {
  type CertificateAuthority,
  createCA,
  issueClientCertificate,
  issueServingCertificate,
  tlsServerOptions,
} from '../pki.js';
import { RbacAuthorizer } from './authorizer.js';
import { bootstrapPolicy } from './bootstrap-policy.js';
import { accessReview, forbiddenError, rulesReview } from './review.js';
import { decodeReviewProtobuf, PROTOBUF_CONTENT_TYPE } from './review-protobuf.js';
import type { AuthorizationAttributes } from './types.js';

const run = promisify(execFile);
// Found as the README says (PATH, then the Google Cloud SDK); a missing one fails the test by name.
const kubectls: KubectlVersion[] = ['1.27', '1.33'];

const resourceLists: Record<string, { groupVersion: string; resources: unknown[] }> = {
  '/api/v1': {
    groupVersion: 'v1',
    resources: [
      {
        name: 'pods',
        singularName: 'pod',
        namespaced: true,
        kind: 'Pod',
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
      {
        name: 'nodes',
        singularName: 'node',
        namespaced: false,
        kind: 'Node',
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
      {
        name: 'secrets',
        singularName: 'secret',
        namespaced: true,
        kind: 'Secret',
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
    ],
  },
  '/apis/apps/v1': {
    groupVersion: 'apps/v1',
    resources: [
      {
        name: 'deployments',
        singularName: 'deployment',
        namespaced: true,
        kind: 'Deployment',
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
    ],
  },
  '/apis/authorization.k8s.io/v1': {
    groupVersion: 'authorization.k8s.io/v1',
    resources: [
      {
        name: 'selfsubjectaccessreviews',
        singularName: 'selfsubjectaccessreview',
        namespaced: false,
        kind: 'SelfSubjectAccessReview',
        verbs: ['create'],
      },
      {
        name: 'selfsubjectrulesreviews',
        singularName: 'selfsubjectrulesreview',
        namespaced: false,
        kind: 'SelfSubjectRulesReview',
        verbs: ['create'],
      },
    ],
  },
};

function groupList() {
  const group = (name: string) => ({
    name,
    versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
    preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group('apps'), group('authorization.k8s.io')] };
}

let dir: string;
let server: ReturnType<typeof createServer>;
let url: string;
let ca: CertificateAuthority;
const adminToken = 'admin-token-for-can-i';
const aliceToken = 'alice-token-for-can-i';

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.statusCode = code;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'concord-can-i-'));
  ca = await createCA('can-i-ca');
  const serving = await issueServingCertificate(ca, { hosts: [] });
  const authn = new Authenticator({
    tokens: [
      { token: adminToken, user: 'kubernetes-admin', uid: '', groups: ['system:masters'] },
      { token: aliceToken, user: 'alice', uid: '', groups: [] },
    ],
    clientCA: ca.certPem,
  });
  const authz = new RbacAuthorizer();
  for (const obj of bootstrapPolicy()) authz.upsert(obj);
  authz.upsert({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { namespace: 'web', name: 'alice-edit' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'User', name: 'alice' }],
  });

  server = createServer(tlsServerOptions(ca, serving), async (req, res) => {
    try {
      const user = authn.authenticate(req);
      if (!user) throw errors.unauthorized();
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      const review = path.match(
        /^\/apis\/authorization\.k8s\.io\/v1\/(selfsubjectaccessreviews|selfsubjectrulesreviews)$/,
      );
      const attrs: AuthorizationAttributes = review
        ? {
            user,
            verb: 'create',
            isResourceRequest: true,
            apiGroup: 'authorization.k8s.io',
            apiVersion: 'v1',
            resource: review[1]!,
          }
        : { user, verb: (req.method ?? 'GET').toLowerCase(), isResourceRequest: false, path };
      const decision = authz.authorize(attrs);
      if (!decision.allowed) throw forbiddenError(attrs, decision.reason);
      if (review && req.method === 'POST') {
        const body = await readBody(req);
        // kubectl 1.32+ sends built-in kinds as protobuf.
        const obj = (req.headers['content-type'] ?? '').startsWith(PROTOBUF_CONTENT_TYPE)
          ? decodeReviewProtobuf(body)
          : (JSON.parse(body.toString('utf8')) as KubeObject);
        const answer =
          review[1] === 'selfsubjectaccessreviews'
            ? accessReview(authz, obj, user)
            : rulesReview(authz, obj, user);
        send(res, 201, answer);
        return;
      }
      if (path === '/api')
        send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      else if (path === '/apis') send(res, 200, groupList());
      else if (resourceLists[path])
        send(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', ...resourceLists[path] });
      else throw errors.noSuchResource();
    } catch (err) {
      const e = err instanceof ApiError ? err : errors.internal(String(err));
      send(res, e.code, e.status);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

async function kubeconfigFor(
  name: string,
  user: { token: string } | { certPem: string; keyPem: string },
): Promise<string> {
  const path = join(dir, `${name}.kubeconfig`);
  await writeKubeconfig(path, buildKubeconfig({ name: 'test', server: url, caPem: ca.certPem, user }));
  return path;
}

async function kubectl(
  bin: KubectlVersion,
  kubeconfig: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(kubectlPath(bin), [...args, '--kubeconfig', kubeconfig], {
      env: { PATH: process.env.PATH ?? '', HOME: dir },
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, out: err.stdout ?? '', err: err.stderr ?? '' };
  }
}

describe.each(kubectls)('kubectl %s', (bin) => {
  it('auth can-i says yes to system:masters for anything', async () => {
    const admin = await kubeconfigFor('admin', { token: adminToken });
    expect(await kubectl(bin, admin, 'auth', 'can-i', 'delete', 'nodes')).toMatchObject({
      code: 0,
      out: 'yes\n',
    });
  });

  it('auth can-i follows a RoleBinding to edit in one namespace', async () => {
    const alice = await kubeconfigFor('alice', { token: aliceToken });
    expect(
      await kubectl(bin, alice, 'auth', 'can-i', 'create', 'deployments.apps', '-n', 'web'),
    ).toMatchObject({
      code: 0,
      out: 'yes\n',
    });
    expect(await kubectl(bin, alice, 'auth', 'can-i', 'create', 'deployments', '-n', 'db')).toMatchObject({
      code: 1,
      out: 'no\n',
    });
    expect(await kubectl(bin, alice, 'auth', 'can-i', 'list', 'nodes')).toMatchObject({
      code: 1,
      out: 'no\n',
    });
  });

  it('auth can-i works with a client certificate identity', async () => {
    const cert = await kubeconfigFor('cert', await issueClientCertificate(ca, { user: 'alice' }));
    expect(await kubectl(bin, cert, 'auth', 'can-i', 'get', 'secrets', '-n', 'web')).toMatchObject({
      code: 0,
      out: 'yes\n',
    });
  });

  it('auth can-i --list shows the rules in the namespace', async () => {
    const alice = await kubeconfigFor('alice-list', { token: aliceToken });
    const res = await kubectl(bin, alice, 'auth', 'can-i', '--list', '-n', 'web');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs/);
    expect(res.out).toMatch(
      /\ndeployments\.apps\s+\[\]\s+\[\]\s+\[create delete deletecollection patch update get list watch\]/,
    );
    expect(res.out).toMatch(/\n\s+\[\/api\/\*\]\s+\[\]\s+\[get\]/);
  });

  it('a request no rule allows is refused with the Forbidden message', async () => {
    const alice = await kubeconfigFor('alice-raw', { token: aliceToken });
    const res = await kubectl(bin, alice, 'get', '--raw', '/metrics');
    expect(res.code).toBe(1);
    expect(res.err).toContain(
      'Error from server (Forbidden): forbidden: User "alice" cannot get path "/metrics"',
    );
  });

  it('a request without credentials is refused', async () => {
    const nobody = await kubeconfigFor('nobody', { token: 'unknown-token' });
    const res = await kubectl(bin, nobody, 'auth', 'can-i', 'get', 'pods');
    expect(res.code).not.toBe(0);
    expect(res.err).toMatch(/Unauthorized|must be logged in/);
  });
});
