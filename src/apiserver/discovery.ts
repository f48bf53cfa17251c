// Discovery documents, legacy (/api, /apis, /apis/<g>, /api/v1, /apis/<g>/<v>) and aggregated
// (apidiscovery.k8s.io v2 and v2beta1, which kubectl 1.27+ asks for first). Built from the
// resource registry and cached until it changes.

import { createHash } from 'node:crypto';
import type { ResourceRegistry } from './registry/registry.js';
import { apiVersionOf, type ResourceInfo } from './registry/resource-info.js';

const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];

interface Cached {
  generation: number;
  docs: Map<string, { body: unknown; etag: string }>;
}

function etagOf(body: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 32)}"`;
}

function subresourcesOf(
  info: ResourceInfo,
): { name: string; group: string; version: string; kind: string; verbs: string[] }[] {
  const subs: { name: string; group: string; version: string; kind: string; verbs: string[] }[] = [];
  if (info.status)
    subs.push({
      name: 'status',
      group: info.group,
      version: info.version,
      kind: info.kind,
      verbs: SUBRESOURCE_VERBS,
    });
  if (info.scale)
    subs.push({
      name: 'scale',
      group: 'autoscaling',
      version: 'v1',
      kind: 'Scale',
      verbs: SUBRESOURCE_VERBS,
    });
  for (const s of info.extraSubresources) subs.push(s);
  return subs;
}

function apiResource(info: ResourceInfo): Record<string, unknown> {
  const r: Record<string, unknown> = {
    name: info.resource,
    singularName: info.singular,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: info.verbs,
  };
  if (info.shortNames.length > 0) r.shortNames = info.shortNames;
  if (info.categories.length > 0) r.categories = info.categories;
  r.storageVersionHash = createHash('sha256')
    .update(`${info.group}/${info.storageVersion}/${info.kind}`)
    .digest('base64')
    .slice(0, 11);
  return r;
}

export class Discovery {
  private cache: Cached = { generation: -1, docs: new Map() };

  constructor(
    private readonly registry: ResourceRegistry,
    private readonly serverAddress: () => string,
  ) {}

  /** The document for a discovery path, or undefined if the path is not a discovery path. */
  document(path: string, aggregated?: 'v2' | 'v2beta1'): { body: unknown; etag: string } | undefined {
    if (this.cache.generation !== this.registry.generation) {
      this.cache = { generation: this.registry.generation, docs: new Map() };
    }
    const key = `${aggregated ?? 'legacy'} ${path}`;
    const hit = this.cache.docs.get(key);
    if (hit) return hit;
    const body = aggregated ? this.buildAggregated(path, aggregated) : this.buildLegacy(path);
    if (body === undefined) return undefined;
    const doc = { body, etag: etagOf(body) };
    this.cache.docs.set(key, doc);
    return doc;
  }

  private groupsInOrder(): [string, string[]][] {
    // The core group first, then the rest in a stable order.
    return [...this.registry.groups().entries()].sort(([a], [b]) =>
      a === '' ? -1 : b === '' ? 1 : a.localeCompare(b),
    );
  }

  private buildLegacy(path: string): unknown {
    const trimmed = path.replace(/\/+$/, '');
    const segs = trimmed.split('/').filter(Boolean);
    if (trimmed === '/api') {
      return {
        kind: 'APIVersions',
        versions: this.registry.groups().get('') ?? [],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.serverAddress() }],
      };
    }
    if (trimmed === '/apis') {
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: this.groupsInOrder()
          .filter(([g]) => g !== '')
          .map(([g, versions]) => this.apiGroup(g, versions)),
      };
    }
    if (segs[0] === 'apis' && segs.length === 2) {
      const versions = this.registry.groups().get(segs[1]!);
      if (!versions || segs[1] === '') return undefined;
      return { kind: 'APIGroup', apiVersion: 'v1', ...this.apiGroup(segs[1]!, versions) };
    }
    const gv =
      segs[0] === 'api' && segs.length === 2
        ? { group: '', version: segs[1]! }
        : segs[0] === 'apis' && segs.length === 3
          ? { group: segs[1]!, version: segs[2]! }
          : undefined;
    if (!gv) return undefined;
    const infos = this.registry.all().filter((r) => r.group === gv.group && r.version === gv.version);
    if (infos.length === 0) return undefined;
    const resources: Record<string, unknown>[] = [];
    for (const info of infos.sort((a, b) => a.resource.localeCompare(b.resource))) {
      resources.push(apiResource(info));
      for (const s of subresourcesOf(info)) {
        const r: Record<string, unknown> = {
          name: `${info.resource}/${s.name}`,
          singularName: '',
          namespaced: info.namespaced,
          kind: s.kind,
          verbs: s.verbs,
        };
        if (s.group !== info.group || s.version !== info.version) {
          r.group = s.group;
          r.version = s.version;
        }
        resources.push(r);
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf(gv), resources };
  }

  private apiGroup(group: string, versions: string[]): Record<string, unknown> {
    const list = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
    return { name: group, versions: list, preferredVersion: list[0] };
  }

  private buildAggregated(path: string, version: 'v2' | 'v2beta1'): unknown {
    const trimmed = path.replace(/\/+$/, '');
    if (trimmed !== '/api' && trimmed !== '/apis') return undefined;
    const wantCore = trimmed === '/api';
    const items = this.groupsInOrder()
      .filter(([g]) => (g === '') === wantCore)
      .map(([g, versions]) => ({
        metadata: g === '' ? { creationTimestamp: null } : { name: g, creationTimestamp: null },
        versions: versions.map((v) => ({
          version: v,
          resources: this.registry
            .all()
            .filter((r) => r.group === g && r.version === v)
            .sort((a, b) => a.resource.localeCompare(b.resource))
            .map((info) => {
              const r: Record<string, unknown> = {
                resource: info.resource,
                responseKind: { group: info.group, version: info.version, kind: info.kind },
                scope: info.namespaced ? 'Namespaced' : 'Cluster',
                singularResource: info.singular,
                verbs: info.verbs,
              };
              if (info.shortNames.length > 0) r.shortNames = info.shortNames;
              if (info.categories.length > 0) r.categories = info.categories;
              const subs = subresourcesOf(info);
              if (subs.length > 0) {
                r.subresources = subs.map((s) => ({
                  subresource: s.name,
                  responseKind: { group: s.group, version: s.version, kind: s.kind },
                  verbs: s.verbs,
                }));
              }
              return r;
            }),
          freshness: 'Current',
        })),
      }));
    return {
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${version}`,
      metadata: {},
      items,
    };
  }
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}
