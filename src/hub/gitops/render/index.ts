// Rendering a source's path at one commit into manifests: Kustomize when the directory holds a
// kustomization (or the source sets kustomize), Helm when it holds a Chart.yaml (or sets helm),
// a plain directory otherwise; Argo CD decides the same way. Results are cached per commit, path
// and options, so a thousand Applications of one repository render it once per commit.

import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { KubeObject } from '../../../machinery/object.js';
import type { ApplicationSource } from '../../apis/argocd/index.js';
import { renderDirectory } from './directory.js';
import { ManifestError } from './manifests.js';
import { renderHelm, renderKustomize } from './tools.js';

export { ManifestError } from './manifests.js';
export { ToolMissingError } from './tools.js';

export type SourceType = 'Directory' | 'Kustomize' | 'Helm';

export interface Rendered {
  sourceType: SourceType;
  manifests: KubeObject[];
}

export function sourceTypeOf(dir: string, source: ApplicationSource): SourceType {
  if (source.helm || existsSync(join(dir, 'Chart.yaml'))) return 'Helm';
  if (
    source.kustomize ||
    ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].some((f) => existsSync(join(dir, f)))
  ) {
    return 'Kustomize';
  }
  return 'Directory';
}

export interface RenderContext {
  /** The Application's name (Helm's default release name). */
  appName: string;
  /** The destination namespace (Helm's --namespace). */
  namespace?: string;
}

export class Renderer {
  private readonly cache = new Map<string, Promise<Rendered>>();

  constructor(private readonly maxEntries = 512) {}

  /** The manifests of `source` in the checked-out tree `root` at `commit` (copies: callers may change them). */
  async render(
    root: string,
    commit: string,
    source: ApplicationSource,
    ctx: RenderContext,
  ): Promise<Rendered> {
    const dir = resolve(root, source.path ?? '');
    // Only Helm's output depends on the Application (release name, namespace): a directory or a
    // kustomization renders once per commit for every Application of it.
    const perApp = source.helm || existsSync(join(dir, 'Chart.yaml'));
    const key = JSON.stringify([
      source.repoURL,
      commit,
      source.path ?? '',
      source.directory,
      source.kustomize,
      source.helm,
      ...(perApp ? [ctx.appName, ctx.namespace] : []),
    ]);
    let p = this.cache.get(key);
    if (!p) {
      p = this.renderUncached(root, source, ctx);
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
      if (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    }
    const r = await p;
    return { sourceType: r.sourceType, manifests: structuredClone(r.manifests) };
  }

  private async renderUncached(
    root: string,
    source: ApplicationSource,
    ctx: RenderContext,
  ): Promise<Rendered> {
    const path = source.path ?? '';
    const dir = resolve(root, path);
    if (dir !== root && !dir.startsWith(root + sep)) {
      throw new ManifestError(`path ${path} is outside the repository`);
    }
    if (!existsSync(dir)) throw new ManifestError(`app path does not exist: ${path || '.'}`);
    const type = sourceTypeOf(dir, source);
    const label = path.replace(/\/+$/, '');
    switch (type) {
      case 'Helm':
        return {
          sourceType: type,
          manifests: await renderHelm(dir, source.helm, ctx.appName, ctx.namespace, label || '.'),
        };
      case 'Kustomize':
        return { sourceType: type, manifests: await renderKustomize(dir, source.kustomize, label || '.') };
      default:
        return { sourceType: type, manifests: await renderDirectory(dir, source.directory, label) };
    }
  }
}
