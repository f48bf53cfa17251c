// ApplicationSet generators, as Argo CD's produce parameters: list (elements or elementsYaml),
// clusters (the member registry's Clusters and Argo CD's cluster Secrets, selected by labels),
// git directories and files (from the repository at the generator's revision), matrix (the
// product of two generators, the second able to use the first's parameters) and merge (later
// generators override the first's parameter sets that share the merge keys). Any failure is
// thrown: the caller then leaves every Application as it is.

import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import { parse as parseYaml } from 'yaml';
import { labelSelectorMatches } from '../../../machinery/labels.js';
import type { KubeObject } from '../../../machinery/object.js';
import type { ApplicationSetGenerator, ApplicationSetTemplate } from '../../apis/argocd/index.js';
import { apiEndpointURL, type Cluster, secretValue } from '../../apis/karmada/index.js';
import { argoClusterSecrets } from '../application/destination.js';
import type { RepoServer } from '../repo-server.js';
import { flattenParams, normalizeName, type Params, renderTemplate } from './template.js';

export class GeneratorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GeneratorError';
  }
}

export interface GeneratorContext {
  clusters(): readonly Cluster[];
  /** Every Secret the hub's controllers see (cluster and repository Secrets among them). */
  secrets(): readonly KubeObject[];
  repoServer: RepoServer;
  goTemplate: boolean;
  goTemplateOptions: readonly string[];
  /** Read git refs again rather than from the poll-interval cache. */
  refresh: boolean;
  /**
   * Git generators' results within one generation, by generator: a matrix evaluates its second
   * generator once per parameter set of the first (a hundred clusters), and a git generator that
   * names no parameter reads the same refs and tree each time.
   */
  gitResults?: Map<string, Promise<Params[]>>;
}

export interface Generated {
  params: Params;
  /** The generator's own template, merged over the ApplicationSet's. */
  template?: ApplicationSetTemplate;
}

/** The label every Argo CD cluster Secret carries; the registry's Clusters match it too. */
const CLUSTER_SECRET_LABELS = { 'argocd.argoproj.io/secret-type': 'cluster' };

function clusterParams(
  name: string,
  server: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  extra: Params,
): Params {
  return { name, nameNormalized: normalizeName(name), server, ...extra, metadata: { labels, annotations } };
}

function withValues(p: Params, values: Record<string, string> | undefined, ctx: GeneratorContext): Params {
  if (!values) return p;
  const rendered: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) rendered[k] = renderTemplate(v, p, ctx);
  return { ...p, values: rendered };
}

function clustersGenerator(
  g: NonNullable<ApplicationSetGenerator['clusters']>,
  ctx: GeneratorContext,
): Params[] {
  const out: Params[] = [];
  const seen = new Set<string>();
  for (const c of ctx.clusters()) {
    const name = c.metadata.name ?? '';
    const labels: Record<string, string> = { ...(c.metadata.labels ?? {}) };
    if (c.spec?.region && !labels.region) labels.region = c.spec.region;
    if (c.spec?.provider && !labels.provider) labels.provider = c.spec.provider;
    const matchOn = { ...CLUSTER_SECRET_LABELS, ...labels };
    if (g.selector && !labelSelectorMatches(g.selector, matchOn)) continue;
    seen.add(name);
    out.push(
      withValues(
        clusterParams(
          name,
          c.spec?.apiEndpoint ? apiEndpointURL(c.spec.apiEndpoint) : '',
          labels,
          { ...(c.metadata.annotations ?? {}) },
          {},
        ),
        g.values,
        ctx,
      ),
    );
  }
  for (const s of argoClusterSecrets(ctx.secrets())) {
    const name = secretValue(s, 'name') ?? s.metadata.name ?? '';
    if (seen.has(name)) continue;
    const labels = { ...(s.metadata.labels ?? {}) };
    if (g.selector && !labelSelectorMatches(g.selector, labels)) continue;
    const project = secretValue(s, 'project');
    out.push(
      withValues(
        clusterParams(
          name,
          secretValue(s, 'server') ?? '',
          labels,
          { ...(s.metadata.annotations ?? {}) },
          project ? { project } : {},
        ),
        g.values,
        ctx,
      ),
    );
  }
  return out;
}

function listGenerator(g: NonNullable<ApplicationSetGenerator['list']>): Params[] {
  let elements = g.elements ?? [];
  if (g.elementsYaml) {
    let parsed: unknown;
    try {
      parsed = parseYaml(g.elementsYaml);
    } catch (err) {
      throw new GeneratorError(`list generator: elementsYaml is not YAML: ${(err as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new GeneratorError('list generator: elementsYaml must be a YAML list');
    elements = [...elements, ...parsed];
  }
  return elements.map((e, i) => {
    if (!e || typeof e !== 'object' || Array.isArray(e))
      throw new GeneratorError(`list generator: element ${i} is not an object`);
    return e as Params;
  });
}

function pathParams(
  path: string,
  prefix: string | undefined,
  file: string | undefined,
  goTemplate: boolean,
): Params {
  const segments = path === '.' || path === '' ? [] : path.split('/');
  const basename = segments[segments.length - 1] ?? '';
  const p: Params = goTemplate
    ? {
        path: {
          path,
          basename,
          basenameNormalized: normalizeName(basename),
          segments,
          ...(file !== undefined ? { filename: file, filenameNormalized: normalizeName(file) } : {}),
        },
      }
    : {
        path,
        'path.basename': basename,
        'path.basenameNormalized': normalizeName(basename),
        ...(file !== undefined
          ? { 'path.filename': file, 'path.filenameNormalized': normalizeName(file) }
          : {}),
        ...Object.fromEntries(segments.map((s, i) => [`path[${i}]`, s])),
      };
  if (!prefix) return p;
  if (goTemplate) return { [prefix]: p };
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [`${prefix}.${k}`, v]));
}

async function walk(root: string, dir: string, dirs: string[], files: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name === '.git') continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      dirs.push(relative(root, path));
      await walk(root, path, dirs, files);
    } else if (e.isFile()) {
      files.push(relative(root, path));
    }
  }
}

function matcher(entries: readonly { path: string; exclude?: boolean }[]): (p: string) => boolean {
  const inc = entries.filter((e) => !e.exclude).map((e) => picomatch(e.path, { dot: false }));
  const exc = entries.filter((e) => e.exclude).map((e) => picomatch(e.path, { dot: false }));
  return (p) => inc.some((m) => m(p)) && !exc.some((m) => m(p));
}

async function gitGenerator(
  g: NonNullable<ApplicationSetGenerator['git']>,
  ctx: GeneratorContext,
): Promise<Params[]> {
  const source = { repoURL: g.repoURL, targetRevision: g.revision };
  let root: string;
  try {
    const commit = await ctx.repoServer.resolveRevision(source, ctx.secrets(), ctx.refresh);
    root = await ctx.repoServer.checkout(g.repoURL, commit, ctx.secrets());
  } catch (err) {
    throw new GeneratorError(`git generator: ${(err as Error).message}`);
  }
  const dirs: string[] = [];
  const files: string[] = [];
  await walk(root, root, dirs, files);
  dirs.sort();
  files.sort();
  const out: Params[] = [];
  if (g.directories?.length) {
    const match = matcher(g.directories);
    for (const d of dirs)
      if (match(d))
        out.push(withValues(pathParams(d, g.pathParamPrefix, undefined, ctx.goTemplate), g.values, ctx));
  }
  if (g.files?.length) {
    const match = matcher(g.files);
    for (const f of files) {
      if (!match(f)) continue;
      const text = await readFile(join(root, f), 'utf8');
      let doc: unknown;
      try {
        doc = f.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
      } catch (err) {
        throw new GeneratorError(`git generator: unable to parse file ${f}: ${(err as Error).message}`);
      }
      const slash = f.lastIndexOf('/');
      const dir = slash < 0 ? '' : f.slice(0, slash);
      const name = f.slice(slash + 1);
      for (const item of Array.isArray(doc) ? doc : [doc]) {
        if (!item || typeof item !== 'object')
          throw new GeneratorError(`git generator: file ${f} holds no object`);
        const content = ctx.goTemplate ? (item as Params) : flattenParams(item as Params);
        out.push(
          withValues(
            { ...content, ...pathParams(dir, g.pathParamPrefix, name, ctx.goTemplate) },
            g.values,
            ctx,
          ),
        );
      }
    }
  }
  if (!g.directories?.length && !g.files?.length)
    throw new GeneratorError('git generator: neither directories nor files are given');
  return out;
}

function deepMerge(a: Params, b: Params): Params {
  const out: Params = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      cur && typeof cur === 'object' && !Array.isArray(cur) && v && typeof v === 'object' && !Array.isArray(v)
        ? deepMerge(cur as Params, v as Params)
        : v;
  }
  return out;
}

const SUPPORTED = ['list', 'clusters', 'git', 'matrix', 'merge'];

function generatorKind(g: ApplicationSetGenerator): string {
  const kinds = Object.keys(g).filter((k) => k !== 'selector' && g[k] !== undefined && g[k] !== null);
  if (kinds.length !== 1)
    throw new GeneratorError(`a generator must have exactly one type, found: ${kinds.join(', ') || 'none'}`);
  const kind = kinds[0]!;
  if (!SUPPORTED.includes(kind))
    throw new GeneratorError(`the ${kind} generator is not supported (supported: ${SUPPORTED.join(', ')})`);
  return kind;
}

function selects(g: ApplicationSetGenerator, p: Params): boolean {
  if (!g.selector) return true;
  return labelSelectorMatches(g.selector, flattenParams(p));
}

/** The parameter sets of one generator. */
export async function generate(g: ApplicationSetGenerator, ctx: GeneratorContext): Promise<Generated[]> {
  const kind = generatorKind(g);
  let params: Params[];
  let template: ApplicationSetTemplate | undefined;
  switch (kind) {
    case 'list':
      params = listGenerator(g.list!);
      template = g.list!.template;
      break;
    case 'clusters':
      params = clustersGenerator(g.clusters!, ctx);
      template = g.clusters!.template;
      break;
    case 'git': {
      const key = JSON.stringify(g.git);
      let results = ctx.gitResults?.get(key);
      if (!results) {
        results = gitGenerator(g.git!, ctx);
        ctx.gitResults?.set(key, results);
      }
      // Copies: callers merge into them.
      params = structuredClone(await results);
      template = g.git!.template;
      break;
    }
    case 'matrix': {
      const children = g.matrix!.generators ?? [];
      if (children.length !== 2)
        throw new GeneratorError(
          `matrix generator must have exactly 2 child generators, found ${children.length}`,
        );
      const out: Generated[] = [];
      for (const a of await generate(children[0]!, ctx)) {
        // The second generator may use the first's parameters.
        const second = renderTemplate(children[1]!, a.params, ctx);
        for (const b of await generate(second, ctx)) {
          const merged = ctx.goTemplate ? deepMerge(a.params, b.params) : { ...a.params, ...b.params };
          if (selects(g, merged))
            out.push({ params: merged, ...(g.matrix!.template ? { template: g.matrix!.template } : {}) });
        }
      }
      return out;
    }
    case 'merge': {
      const children = g.merge!.generators ?? [];
      const keys = g.merge!.mergeKeys ?? [];
      if (children.length < 2)
        throw new GeneratorError('merge generator must have at least 2 child generators');
      if (keys.length === 0) throw new GeneratorError('merge generator needs mergeKeys');
      const keyOf = (p: Params) => {
        const flat = flattenParams(p);
        return JSON.stringify(keys.map((k) => flat[k] ?? ''));
      };
      const base = (await generate(children[0]!, ctx)).map((x) => x.params);
      for (const child of children.slice(1)) {
        const overrides = new Map<string, Params>();
        for (const x of await generate(child, ctx)) {
          const k = keyOf(x.params);
          if (overrides.has(k)) throw new GeneratorError(`merge generator: duplicate merge key ${k}`);
          overrides.set(k, x.params);
        }
        for (let i = 0; i < base.length; i++) {
          const o = overrides.get(keyOf(base[i]!));
          if (o) base[i] = ctx.goTemplate ? deepMerge(base[i]!, o) : { ...base[i], ...o };
        }
      }
      params = base;
      template = g.merge!.template;
      break;
    }
    default:
      throw new GeneratorError(`the ${kind} generator is not supported`);
  }
  return params.filter((p) => selects(g, p)).map((p) => ({ params: p, ...(template ? { template } : {}) }));
}

export { deepMerge };
