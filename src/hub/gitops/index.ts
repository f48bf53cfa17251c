// GitOps on the hub, Argo CD's way: the application controller (Applications synced from git to
// members or the hub), the ApplicationSet controller (Applications generated from lists, the
// member registry and git) with progressive sync and promotion gates, the git webhook. One
// repo server (git mirrors and rendered manifests, cached per commit under DATA_DIR/gitops) is
// shared by all of them.

import { join } from 'node:path';
import type { RunningController } from '../../controller/context.js';
import type { HubContext } from '../manager.js';
import { type ApplicationControllerOptions, startApplicationController } from './application/controller.js';
import { startApplicationSetController } from './applicationset/controller.js';
import { DEFAULT_POLL_INTERVAL_MS, RepoServer } from './repo-server.js';

export { APPLICATION_CONTROLLER, startApplicationController } from './application/controller.js';
export { APPLICATIONSET_CONTROLLER, startApplicationSetController } from './applicationset/controller.js';
export * from './promotion/gates.js';
export { DEFAULT_POLL_INTERVAL_MS, RepoServer } from './repo-server.js';
export { refreshRepositories, WEBHOOK_PATH, webhookRoute } from './webhook.js';

export interface GitopsOptions {
  /** How often repositories are polled for new commits (default 3 min, as Argo CD). */
  pollIntervalMs?: number;
  /** How often Applications compare live state again without an event (default 10 s). */
  resyncIntervalMs?: number;
  /** Limit of one request to a member (default 5 s). */
  requestTimeoutMs?: number;
  /** Where git mirrors and rendered trees live (default DATA_DIR/gitops). */
  cacheDir?: string;
  /** Which controllers to run (default both). */
  controllers?: readonly ('application' | 'applicationset')[];
}

/** The poll interval from the environment (CONCORD_GITOPS_POLL_INTERVAL, e.g. "3m", "30s"), if set. */
export function gitopsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): GitopsOptions {
  const out: GitopsOptions = {};
  const seconds = (v: string | undefined) => {
    if (!v) return undefined;
    const m = /^(\d+)(ms|s|m)?$/.exec(v.trim());
    if (!m) throw new Error(`not a duration: ${v} (use e.g. 30s or 3m)`);
    const n = Number(m[1]);
    return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  };
  const poll = seconds(env.CONCORD_GITOPS_POLL_INTERVAL);
  const resync = seconds(env.CONCORD_GITOPS_RESYNC_INTERVAL);
  if (poll !== undefined) out.pollIntervalMs = poll;
  if (resync !== undefined) out.resyncIntervalMs = resync;
  return out;
}

export function startGitopsControllers(ctx: HubContext, opts: GitopsOptions = {}): RunningController[] {
  const repoServer = new RepoServer({
    cacheDir: opts.cacheDir ?? join(ctx.dataDir, 'gitops'),
    pollIntervalMs: opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
  });
  const appOpts: ApplicationControllerOptions = { repoServer };
  if (opts.resyncIntervalMs) appOpts.resyncIntervalMs = opts.resyncIntervalMs;
  if (opts.requestTimeoutMs) appOpts.requestTimeoutMs = opts.requestTimeoutMs;
  const which = opts.controllers ?? ['application', 'applicationset'];
  const out: RunningController[] = [];
  if (which.includes('application')) out.push(startApplicationController(ctx, appOpts));
  if (which.includes('applicationset')) out.push(startApplicationSetController(ctx, { repoServer }));
  return out;
}

/** The GitOps controllers as a factory of the hub's controller manager. */
export function gitopsControllers(opts: GitopsOptions = {}): (ctx: HubContext) => RunningController[] {
  return (ctx) => startGitopsControllers(ctx, opts);
}
