// What Argo CD's repo server does for the hub's GitOps controllers: a source (repoURL, path,
// targetRevision) -> the commit it names now (refs read at most once per poll interval per
// repository, or at once after a webhook) -> that commit's rendered manifests (cached per commit).
// Credentials come from the repository Secrets the caller passes.

import type { KubeObject } from '../../machinery/object.js';
import type { ApplicationSource } from '../apis/argocd/index.js';
import { type RenderContext, Renderer, type SourceType } from './render/index.js';
import { credentialsFor } from './source/credentials.js';
import { GitRepositories } from './source/git.js';
import { normalizeRepoURL } from './source/repo-url.js';

/** Argo CD's default: repositories are polled every 3 minutes (timeout.reconciliation). */
export const DEFAULT_POLL_INTERVAL_MS = 180_000;

export interface RepoServerOptions {
  cacheDir: string;
  /** How long the refs of a repository are trusted before ls-remote runs again. */
  pollIntervalMs?: number;
  gitTimeoutMs?: number;
}

export interface Manifests {
  revision: string;
  sourceType: SourceType;
  manifests: KubeObject[];
}

export class RepoServer {
  readonly git: GitRepositories;
  readonly renderer = new Renderer();
  readonly pollIntervalMs: number;

  constructor(opts: RepoServerOptions) {
    this.git = new GitRepositories({
      cacheDir: opts.cacheDir,
      ...(opts.gitTimeoutMs ? { timeoutMs: opts.gitTimeoutMs } : {}),
    });
    this.pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  /**
   * The commit a source's revision names, from refs no older than the poll interval; `refresh`
   * asks for refs read now (true) or begun no earlier than that time (epoch ms: refreshes asked
   * together share one reading).
   */
  resolveRevision(
    source: ApplicationSource,
    secrets: readonly KubeObject[],
    refresh: boolean | number = false,
    revision?: string,
  ): Promise<string> {
    return this.git.resolve(
      source.repoURL,
      revision ?? source.targetRevision,
      credentialsFor(source.repoURL, secrets),
      refresh === true ? 0 : this.pollIntervalMs,
      typeof refresh === 'number' ? refresh : 0,
    );
  }

  /** The directory holding the repository at `commit`. */
  checkout(repoURL: string, commit: string, secrets: readonly KubeObject[]): Promise<string> {
    return this.git.checkout(repoURL, commit, credentialsFor(repoURL, secrets));
  }

  /** The manifests of `source` at `commit`. */
  async manifests(
    source: ApplicationSource,
    commit: string,
    secrets: readonly KubeObject[],
    ctx: RenderContext,
  ): Promise<Manifests> {
    const root = await this.checkout(source.repoURL, commit, secrets);
    const r = await this.renderer.render(root, commit, source, ctx);
    return { revision: commit, sourceType: r.sourceType, manifests: r.manifests };
  }

  /** A webhook said the repository changed: its refs are read again on next use. */
  invalidate(repoURL: string): void {
    const want = normalizeRepoURL(repoURL);
    this.git.invalidateWhere((url) => normalizeRepoURL(url) === want);
  }
}
