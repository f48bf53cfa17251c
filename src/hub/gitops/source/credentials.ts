// Repository credentials from Secrets, as Argo CD's declarative setup keeps them: a Secret
// labelled argocd.argoproj.io/secret-type: repository whose `url` is the repository, or a
// credential template (secret-type: repo-creds) whose `url` is a prefix of it; the longest
// matching template wins. Keys: username, password, sshPrivateKey, insecure, proxy.

import type { KubeObject } from '../../../machinery/object.js';
import {
  SECRET_TYPE_LABEL,
  SECRET_TYPE_REPO_CREDS,
  SECRET_TYPE_REPOSITORY,
} from '../../apis/argocd/index.js';
import { secretValue } from '../../apis/karmada/index.js';
import { normalizeRepoURL } from './repo-url.js';

export interface RepoCredentials {
  username?: string;
  password?: string;
  sshPrivateKey?: string;
  /** Skip TLS verification (https) or host key checking (ssh). */
  insecure?: boolean;
  /** Which Secret they came from, for messages. */
  secret?: string;
}

function credentialsOf(secret: KubeObject): RepoCredentials {
  const out: RepoCredentials = { secret: `${secret.metadata.namespace}/${secret.metadata.name}` };
  const username = secretValue(secret, 'username');
  const password = secretValue(secret, 'password');
  const key = secretValue(secret, 'sshPrivateKey');
  if (username) out.username = username;
  if (password) out.password = password;
  if (key) out.sshPrivateKey = key;
  if (secretValue(secret, 'insecure') === 'true') out.insecure = true;
  return out;
}

/** The credentials for `repoURL` among `secrets` (any Secrets; unlabelled ones are ignored). */
export function credentialsFor(repoURL: string, secrets: readonly KubeObject[]): RepoCredentials | undefined {
  const want = normalizeRepoURL(repoURL);
  let template: { creds: RepoCredentials; length: number } | undefined;
  for (const s of secrets) {
    const type = s.metadata.labels?.[SECRET_TYPE_LABEL];
    const url = secretValue(s, 'url');
    if (!url) continue;
    if (type === SECRET_TYPE_REPOSITORY && normalizeRepoURL(url) === want) {
      const creds = credentialsOf(s);
      if (creds.username || creds.password || creds.sshPrivateKey || creds.insecure) return creds;
    } else if (type === SECRET_TYPE_REPO_CREDS) {
      const prefix = normalizeRepoURL(url);
      if (want.startsWith(prefix) && (!template || prefix.length > template.length)) {
        template = { creds: credentialsOf(s), length: prefix.length };
      }
    }
  }
  return template?.creds;
}
