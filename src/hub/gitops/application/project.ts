// AppProject enforcement, as Argo CD does it before every comparison and sync: the source
// repository must match one of spec.sourceRepos and the destination one of spec.destinations
// (server or name, and namespace; globs with `*`, `!` negations deny). The project `default`
// permits everything when it has not been created.

import picomatch from 'picomatch';
import type { ApplicationDestination, ApplicationSource, AppProject } from '../../apis/argocd/index.js';
import { normalizeRepoURL } from '../source/repo-url.js';

function globMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  return picomatch.isMatch(value, pattern, { dot: true, bash: true });
}

/** Whether the patterns permit the value: some positive pattern matches and no `!` pattern does. */
function permitted(patterns: readonly string[], value: string): boolean {
  let allowed = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), value)) return false;
    } else if (globMatch(p, value)) {
      allowed = true;
    }
  }
  return allowed;
}

export function projectPermitsSource(project: AppProject, source: ApplicationSource): boolean {
  const repos = project.spec?.sourceRepos ?? [];
  const want = normalizeRepoURL(source.repoURL);
  return permitted(
    repos.map((r) =>
      r.startsWith('!') ? `!${normalizeRepoURL(r.slice(1))}` : r === '*' ? r : normalizeRepoURL(r),
    ),
    want,
  );
}

export function projectPermitsDestination(
  project: AppProject,
  dest: ApplicationDestination,
  resolved: { name: string; server: string },
): boolean {
  const namespace = dest.namespace ?? '';
  return (project.spec?.destinations ?? []).some((d) => {
    const nsOk = globMatch(d.namespace ?? '*', namespace) || (namespace === '' && (d.namespace ?? '') === '');
    if (!nsOk) return false;
    if (d.server && globMatch(d.server, resolved.server)) return true;
    if (d.name && globMatch(d.name, resolved.name)) return true;
    return false;
  });
}

/** The project's objection to the app's sources and destination, or undefined. */
export function projectViolation(
  project: AppProject,
  sources: readonly ApplicationSource[],
  dest: ApplicationDestination,
  resolved: { name: string; server: string } | undefined,
): string | undefined {
  const name = project.metadata.name;
  for (const s of sources) {
    if (!projectPermitsSource(project, s))
      return `application repo ${s.repoURL} is not permitted in project '${name}'`;
  }
  if (resolved && !projectPermitsDestination(project, dest, resolved)) {
    return `application destination server '${resolved.server}' and namespace '${dest.namespace ?? ''}' do not match any of the allowed destinations in project '${name}'`;
  }
  return undefined;
}
