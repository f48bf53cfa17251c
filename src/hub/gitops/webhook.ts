// The git webhook, at Argo CD's path /api/webhook: a push event from GitHub, GitLab, Gitea,
// Gogs, Bitbucket (or a plain {"repository": {"url": ...}}) names the repository; every
// Application with a source in it is annotated argocd.argoproj.io/refresh (and every
// ApplicationSet with a git generator on it argocd.argoproj.io/application-set-refresh), which
// makes the controllers read the repository again at once instead of at the next poll. Like Argo
// CD's, the endpoint takes no credential (git servers have none); all it can do is ask for a
// refresh.

import type { HttpRoute, RouteRequest, RouteResponse } from '../../apiserver/http/routes.js';
import type { Client } from '../../client/client.js';
import type { KubeObject } from '../../machinery/object.js';
import { errorMessage } from '../../machinery/status.js';
import {
  APPSET_REFRESH_ANNOTATION,
  type Application,
  type ApplicationSet,
  type ApplicationSetGenerator,
  argocdResources,
  REFRESH_ANNOTATION,
} from '../apis/argocd/index.js';
import { normalizeRepoURL } from './source/repo-url.js';

export const WEBHOOK_PATH = '/api/webhook';
const MAX_BODY = 4 * 1024 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: webhook payloads of several git servers
type Any = any;

/** The repository URLs a push payload names. */
export function webhookRepoURLs(payload: Any): string[] {
  const out = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string' && v) out.add(v);
  };
  const r = payload?.repository ?? {};
  for (const k of [
    'html_url',
    'clone_url',
    'ssh_url',
    'git_url',
    'url',
    'git_http_url',
    'git_ssh_url',
    'homepage',
  ])
    add(r[k]);
  add(r.links?.html?.href);
  const p = payload?.project ?? {};
  for (const k of ['web_url', 'git_http_url', 'git_ssh_url', 'http_url', 'ssh_url']) add(p[k]);
  add(payload?.repoURL);
  return [...out];
}

function gitRepos(gens: readonly ApplicationSetGenerator[] | undefined, out: string[] = []): string[] {
  for (const g of gens ?? []) {
    if (g.git?.repoURL) out.push(g.git.repoURL);
    gitRepos(g.matrix?.generators, out);
    gitRepos(g.merge?.generators, out);
  }
  return out;
}

function readBody(req: RouteRequest): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error(`the payload is larger than ${MAX_BODY} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function reply(res: RouteResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function badRequest(res: RouteResponse, message: string): void {
  reply(res, 400, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'BadRequest',
    code: 400,
  });
}

/** Annotates the Applications and ApplicationSets of the repositories; returns how many. */
export async function refreshRepositories(
  hub: Client,
  urls: readonly string[],
): Promise<{ applications: number; applicationSets: number }> {
  const wanted = new Set(urls.map(normalizeRepoURL));
  const stamp = new Date().toISOString();
  const mark = async (
    ref: typeof argocdResources.applications,
    obj: KubeObject,
    annotation: string,
    value: string,
  ) => {
    await hub.patch(
      ref,
      obj.metadata.name ?? '',
      { metadata: { annotations: { [annotation]: value } } },
      'merge',
      {
        namespace: obj.metadata.namespace,
      },
    );
  };
  let applications = 0;
  let applicationSets = 0;
  const apps = await hub.list<Application>(argocdResources.applications);
  await Promise.all(
    apps.items.map(async (a) => {
      const sources = a.spec?.sources?.length ? a.spec.sources : a.spec?.source ? [a.spec.source] : [];
      if (!sources.some((s) => wanted.has(normalizeRepoURL(s.repoURL ?? '')))) return;
      applications++;
      await mark(argocdResources.applications, a, REFRESH_ANNOTATION, 'normal').catch(() => undefined);
    }),
  );
  const sets = await hub.list<ApplicationSet>(argocdResources.applicationsets);
  await Promise.all(
    sets.items.map(async (s) => {
      if (!gitRepos(s.spec?.generators).some((u) => wanted.has(normalizeRepoURL(u)))) return;
      applicationSets++;
      await mark(argocdResources.applicationsets, s, APPSET_REFRESH_ANNOTATION, stamp).catch(() => undefined);
    }),
  );
  return { applications, applicationSets };
}

/** The route; `hub` gives the client to annotate with (undefined while the server starts: 503). */
export function webhookRoute(hub: () => Client | undefined): HttpRoute {
  return {
    path: WEBHOOK_PATH,
    public: true,
    methods: ['POST'],
    async handle(req, res) {
      let payload: unknown;
      try {
        const body = await readBody(req);
        const type = String(req.headers['content-type'] ?? '');
        if (type.includes('application/x-www-form-urlencoded')) {
          payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '');
        } else {
          payload = JSON.parse(body);
        }
      } catch (err) {
        badRequest(res, `the webhook payload is not JSON: ${errorMessage(err)}`);
        return;
      }
      const urls = webhookRepoURLs(payload);
      if (urls.length === 0) {
        badRequest(
          res,
          'the webhook payload names no repository (repository.html_url, clone_url, ssh_url or url)',
        );
        return;
      }
      const client = hub();
      if (!client) {
        reply(res, 503, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: 'the hub is starting',
          code: 503,
        });
        return;
      }
      try {
        const counts = await refreshRepositories(client, urls);
        reply(res, 200, { repositories: urls, ...counts });
      } catch (err) {
        reply(res, 500, {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: errorMessage(err),
          code: 500,
        });
      }
    },
  };
}
