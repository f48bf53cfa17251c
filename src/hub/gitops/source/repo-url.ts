// Repository URLs as Argo CD compares them: the same repository written with or without `.git`,
// a trailing slash, upper-case host or scp-like ssh (`git@host:org/repo`) is one repository.

/** A canonical form of a repository URL for comparing (not for fetching). */
export function normalizeRepoURL(url: string): string {
  let u = url.trim();
  const scp = /^([^@/\s]+@)?([^:/\s]+):(?!\/)(.+)$/.exec(u);
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `ssh://${scp[1] ?? ''}${scp[2]}/${scp[3]}`;
  u = u.replace(/\/+$/, '').replace(/\.git$/, '');
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)(.*)$/i.exec(u);
  if (m) u = `${m[1]!.toLowerCase()}${m[2]!.toLowerCase()}${m[3]}`;
  if (u.startsWith('file://')) u = u.slice('file://'.length);
  return u;
}

/** Whether two URLs name one repository. */
export function sameRepo(a: string, b: string): boolean {
  return normalizeRepoURL(a) === normalizeRepoURL(b);
}
