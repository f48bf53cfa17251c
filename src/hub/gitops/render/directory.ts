// A plain directory of manifests, as Argo CD reads one: every .yaml, .yml and .json file of the
// directory (and its subdirectories with `directory.recurse`), filtered by the `include` and
// `exclude` globs (matched against the path relative to the directory; `{a.yaml,b.yaml}` lists
// allowed), in path order. Hidden files and directories are skipped.

import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import type { KubeObject } from '../../../machinery/object.js';
import type { ApplicationSourceDirectory } from '../../apis/argocd/index.js';
import { parseManifests } from './manifests.js';

const MANIFEST_FILE = /\.(ya?ml|json)$/;

async function files(dir: string, recurse: boolean): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (recurse) out.push(...(await files(path, true)));
    } else if (e.isFile() && MANIFEST_FILE.test(e.name)) {
      out.push(path);
    }
  }
  return out;
}

function globMatcher(glob: string | undefined): ((path: string) => boolean) | undefined {
  if (!glob) return undefined;
  const match = picomatch(glob, { dot: false });
  // A pattern without a slash matches a file name anywhere, as Argo CD's do.
  return glob.includes('/') ? match : (path) => match(path) || match(path.split('/').pop() ?? path);
}

/** The objects of the directory `dir`; `label` (repo path) names files in errors. */
export async function renderDirectory(
  dir: string,
  opts: ApplicationSourceDirectory | undefined,
  label: string,
): Promise<KubeObject[]> {
  const include = globMatcher(opts?.include);
  const exclude = globMatcher(opts?.exclude);
  const out: KubeObject[] = [];
  for (const file of await files(dir, opts?.recurse === true)) {
    const rel = relative(dir, file);
    if (include && !include(rel)) continue;
    if (exclude?.(rel)) continue;
    out.push(...parseManifests(await readFile(file, 'utf8'), label ? `${label}/${rel}` : rel));
  }
  return out;
}
