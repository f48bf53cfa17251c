// Git repositories through the `git` command line: one bare mirror per repository under the
// cache directory, refs read with `git ls-remote` (cheap, shared by every Application of the
// repository for a poll interval), objects fetched only when a wanted commit is missing, and each
// commit's tree exported once into its own directory (the per-commit cache renderers read from).
// Works for local paths, file://, http(s):// and ssh:// URLs; credentials come from
// repository Secrets (./credentials.ts) and never touch the disk except an ssh key for the call.

import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RepoCredentials } from './credentials.js';

/** Fetching or reading the repository failed; the message says what git said. */
export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

/** The revision exists in no branch, tag or commit of the repository. */
export class RevisionNotFoundError extends GitError {
  constructor(repoURL: string, revision: string) {
    super(
      `unable to resolve '${revision}' to a commit SHA: no branch, tag or commit of ${repoURL} is named so`,
    );
    this.name = 'RevisionNotFoundError';
  }
}

export interface GitOptions {
  /** Where mirrors and exported trees live. */
  cacheDir: string;
  /** Limit of one git command (default 60 s). */
  timeoutMs?: number;
}

interface RemoteRefs {
  /** ref name -> commit (tags peeled). */
  refs: Map<string, string>;
  head?: string;
  /** When the reading began (epoch ms). */
  at: number;
}

const SHA = /^[0-9a-f]{7,40}$/i;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

export class GitRepositories {
  private readonly timeoutMs: number;
  private readonly remote = new Map<string, RemoteRefs>();
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly reading = new Map<string, { startedAt: number; promise: Promise<RemoteRefs> }>();
  private readonly trees = new Map<string, Promise<string>>();

  constructor(private readonly opts: GitOptions) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** One call at a time per key; callers asking meanwhile share its result. */
  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.inflight.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn().finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private mirrorDir(repoURL: string): string {
    return join(this.opts.cacheDir, 'repos', sha256(repoURL));
  }

  private async run(args: string[], creds: RepoCredentials | undefined, cwd?: string): Promise<string> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_ASKPASS: 'true',
      GCM_INTERACTIVE: 'never',
    };
    const config: string[] = ['-c', 'credential.helper=', '-c', 'protocol.file.allow=always'];
    if (creds?.username || creds?.password) {
      const basic = Buffer.from(`${creds.username ?? ''}:${creds.password ?? ''}`).toString('base64');
      config.push('-c', `http.extraHeader=Authorization: Basic ${basic}`);
    }
    if (creds?.insecure) config.push('-c', 'http.sslVerify=false');
    let keyFile: string | undefined;
    if (creds?.sshPrivateKey) {
      keyFile = join(tmpdir(), `concord-ssh-${randomUUID()}`);
      await writeFile(
        keyFile,
        creds.sshPrivateKey.endsWith('\n') ? creds.sshPrivateKey : `${creds.sshPrivateKey}\n`,
        {
          mode: 0o600,
        },
      );
      await chmod(keyFile, 0o600);
      const hostKeys = creds.insecure ? 'no' : 'accept-new';
      env.GIT_SSH_COMMAND = `ssh -i ${keyFile} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=${hostKeys}`;
    } else {
      env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
    }
    try {
      return await new Promise<string>((resolve, reject) => {
        execFile(
          'git',
          [...config, ...args],
          { cwd, env, timeout: this.timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
          (err, stdout, stderr) => {
            if (err) {
              const e = err as NodeJS.ErrnoException & { killed?: boolean };
              if (e.code === 'ENOENT') {
                reject(new GitError('the git command is not installed on the hub'));
                return;
              }
              const said = (stderr || e.message).trim().split('\n').slice(-3).join('; ');
              reject(new GitError(e.killed ? `git ${args[0]} timed out after ${this.timeoutMs} ms` : said));
              return;
            }
            resolve(stdout);
          },
        );
      });
    } finally {
      if (keyFile) await rm(keyFile, { force: true });
    }
  }

  /**
   * The remote's branches and tags, read with ls-remote unless a reading younger than `maxAgeMs`
   * and begun at or after `freshSince` (epoch ms) is at hand or under way: every Application of a
   * repository shares one, and a thousand refreshes asked by one webhook share one reading begun
   * after the last of them was seen.
   */
  async remoteRefs(
    repoURL: string,
    creds: RepoCredentials | undefined,
    maxAgeMs: number,
    freshSince = 0,
  ): Promise<RemoteRefs> {
    for (;;) {
      const known = this.remote.get(repoURL);
      if (known && Date.now() - known.at < maxAgeMs && known.at >= freshSince) return known;
      const running = this.reading.get(repoURL);
      if (!running) break;
      if (running.startedAt >= freshSince) return running.promise;
      // Begun before the change this caller must see: wait for it, then read again (once).
      await running.promise.catch(() => undefined);
    }
    const startedAt = Date.now();
    const promise = this.readRefs(repoURL, creds, startedAt).finally(() => {
      if (this.reading.get(repoURL)?.promise === promise) this.reading.delete(repoURL);
    });
    this.reading.set(repoURL, { startedAt, promise });
    return promise;
  }

  private async readRefs(
    repoURL: string,
    creds: RepoCredentials | undefined,
    startedAt: number,
  ): Promise<RemoteRefs> {
    let out: string;
    try {
      out = await this.run(['ls-remote', '--symref', repoURL], creds);
    } catch (err) {
      throw new GitError(`failed to list refs of ${repoURL}: ${(err as Error).message}`);
    }
    const refs = new Map<string, string>();
    let head: string | undefined;
    for (const line of out.split('\n')) {
      const [left, name] = line.split('\t');
      if (!left || !name) continue;
      if (left.startsWith('ref: ')) continue;
      if (name === 'HEAD') head = left;
      else if (name.endsWith('^{}')) refs.set(name.slice(0, -3), left);
      else if (!refs.has(name)) refs.set(name, left);
    }
    // Dated by its start: a commit pushed while ls-remote ran may be missing from it.
    const reading: RemoteRefs = { refs, ...(head ? { head } : {}), at: startedAt };
    const known = this.remote.get(repoURL);
    if (!known || known.at <= startedAt) this.remote.set(repoURL, reading);
    return reading;
  }

  /** Forget the remote's refs so the next resolve reads them again (a webhook said it changed). */
  invalidate(repoURL: string): void {
    this.remote.delete(repoURL);
  }

  /** Forget every reading of a repository whose normalized URL is `matches`. */
  invalidateWhere(matches: (repoURL: string) => boolean): void {
    for (const url of [...this.remote.keys()]) if (matches(url)) this.remote.delete(url);
  }

  /**
   * The commit `revision` (branch, tag, full or short commit, HEAD or empty) names in the
   * repository, from refs no older than `maxAgeMs` and read no earlier than `freshSince`.
   */
  async resolve(
    repoURL: string,
    revision: string | undefined,
    creds: RepoCredentials | undefined,
    maxAgeMs: number,
    freshSince = 0,
  ): Promise<string> {
    const rev = (revision ?? '').trim();
    const remote = await this.remoteRefs(repoURL, creds, maxAgeMs, freshSince);
    if (rev === '' || rev === 'HEAD') {
      if (!remote.head) throw new GitError(`${repoURL} has no HEAD (an empty repository?)`);
      return remote.head;
    }
    for (const name of [rev, `refs/heads/${rev}`, `refs/tags/${rev}`]) {
      const sha = remote.refs.get(name);
      if (sha) return sha;
    }
    if (SHA.test(rev)) {
      // A commit: known once fetched (a short one is expanded by the mirror).
      await this.ensureCommit(repoURL, rev, creds);
      const full = (
        await this.run(
          ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`],
          undefined,
          this.mirrorDir(repoURL),
        )
      ).trim();
      if (full) return full;
    }
    throw new RevisionNotFoundError(repoURL, rev);
  }

  private async hasCommit(dir: string, sha: string): Promise<boolean> {
    if (!existsSync(dir)) return false;
    try {
      await this.run(['cat-file', '-e', `${sha}^{commit}`], undefined, dir);
      return true;
    } catch {
      return false;
    }
  }

  /** Makes sure the mirror holds `sha`, fetching every branch and tag when it does not. */
  async ensureCommit(repoURL: string, sha: string, creds: RepoCredentials | undefined): Promise<void> {
    const dir = this.mirrorDir(repoURL);
    if (await this.hasCommit(dir, sha)) return;
    await this.once(`fetch ${repoURL}`, async () => {
      if (!existsSync(join(dir, 'HEAD'))) {
        await mkdir(dir, { recursive: true });
        await this.run(['init', '--bare', '--quiet', dir], undefined);
      }
      try {
        await this.run(
          [
            'fetch',
            '--quiet',
            '--prune',
            '--force',
            repoURL,
            '+refs/heads/*:refs/heads/*',
            '+refs/tags/*:refs/tags/*',
            '+HEAD:refs/remote-head',
          ],
          creds,
          dir,
        );
      } catch (err) {
        throw new GitError(`failed to fetch ${repoURL}: ${(err as Error).message}`);
      }
    });
    if (!(await this.hasCommit(dir, sha))) {
      // A commit that no branch or tag reaches: ask for it by name (servers allowing it).
      try {
        await this.run(['fetch', '--quiet', repoURL, sha], creds, dir);
      } catch {
        throw new RevisionNotFoundError(repoURL, sha);
      }
    }
  }

  /**
   * The directory holding the repository's files at commit `sha`, exported once and shared by
   * every reader of that commit.
   */
  checkout(repoURL: string, sha: string, creds: RepoCredentials | undefined): Promise<string> {
    const key = `${sha256(repoURL)}-${sha}`;
    let p = this.trees.get(key);
    if (!p) {
      p = this.export(repoURL, sha, creds, join(this.opts.cacheDir, 'trees', key));
      this.trees.set(key, p);
      p.catch(() => this.trees.delete(key));
    }
    return p;
  }

  private async export(
    repoURL: string,
    sha: string,
    creds: RepoCredentials | undefined,
    target: string,
  ): Promise<string> {
    if (existsSync(target)) return target;
    await this.ensureCommit(repoURL, sha, creds);
    const tmp = `${target}.${randomUUID()}`;
    await mkdir(tmp, { recursive: true });
    try {
      // `git archive | tar -x`, without a shell: archive to a file, then extract.
      const tar = `${tmp}.tar`;
      await this.run(['archive', '--format=tar', `--output=${tar}`, sha], undefined, this.mirrorDir(repoURL));
      await new Promise<void>((resolve, reject) =>
        execFile('tar', ['-xf', tar, '-C', tmp], { timeout: this.timeoutMs }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      await rm(tar, { force: true });
      await rename(tmp, target).catch(async (err) => {
        if (!existsSync(target)) throw err;
        await rm(tmp, { recursive: true, force: true });
      });
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
    return target;
  }
}
