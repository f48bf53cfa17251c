// apiVersion + kind -> ResourceRef, for objects whose resource the caller does not know in
// advance (custom resources, manifests from git). Built-in kinds resolve from resources.ts; the
// rest from the server's discovery: the aggregated document (/api and /apis as
// APIGroupDiscoveryList, one request each) or, from servers without it, the legacy
// APIResourceList of the one group version asked about.

import { formatApiVersion, parseApiVersion } from '../machinery/gvk.js';
import { isNotFound } from '../machinery/status.js';
import type { ResourceRef } from './client.js';
import { groupVersionPath } from './paths.js';
import { builtinRef } from './resources.js';

/** A client that can read discovery documents (both transports implement it). */
export interface DiscoveryClient {
  /** The document at a discovery path; the aggregated form of /api and /apis when served. */
  discover(path: string): Promise<unknown>;
}

/** No resource serves this kind in this version (kubectl: "no matches for kind"). */
export class NoKindMatchError extends Error {
  constructor(
    readonly group: string,
    readonly version: string,
    readonly kind: string,
  ) {
    super(`no matches for kind "${kind}" in version "${formatApiVersion({ group, version })}"`);
    this.name = 'NoKindMatchError';
  }
}

interface AggregatedResource {
  resource?: string;
  responseKind?: { kind?: string };
  scope?: string;
}

interface AggregatedList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: { version?: string; resources?: AggregatedResource[] }[];
  }[];
}

interface LegacyResourceList {
  kind?: string;
  resources?: { name?: string; kind?: string; namespaced?: boolean }[];
}

function gvKey(group: string, version: string): string {
  return `${group}/${version}`;
}

export class RESTMapper {
  /** group/version -> kind -> ref, from the last discovery of that group version. */
  private readonly known = new Map<string, Map<string, ResourceRef>>();
  private inflight = new Map<string, Promise<void>>();

  constructor(private readonly discovery: DiscoveryClient) {}

  /** The resource serving `kind` in `apiVersion`; NoKindMatchError if the server has none. */
  async refFor(apiVersion: string, kind: string): Promise<ResourceRef> {
    if (!apiVersion || !kind) {
      throw new TypeError(
        `an object needs apiVersion and kind to be mapped (got "${apiVersion}", "${kind}")`,
      );
    }
    const builtin = builtinRef(apiVersion, kind);
    if (builtin) return builtin;
    const { group, version } = parseApiVersion(apiVersion);
    const key = gvKey(group, version);
    const cached = this.known.get(key)?.get(kind);
    if (cached) return cached;
    // Unknown so far: the server may have learnt it since (a CRD just created). Look again.
    await this.refresh(group, version);
    const found = this.known.get(key)?.get(kind);
    if (!found) throw new NoKindMatchError(group, version, kind);
    return found;
  }

  /** Forgets everything discovered (the next lookups read discovery again). */
  reset(): void {
    this.known.clear();
  }

  private refresh(group: string, version: string): Promise<void> {
    // Concurrent lookups share one round of discovery.
    const root = group === '' ? '/api' : '/apis';
    const flightKey = `${root} ${gvKey(group, version)}`;
    let p = this.inflight.get(flightKey);
    if (!p) {
      p = this.discover(root, group, version).finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, p);
    }
    return p;
  }

  private async discover(root: string, group: string, version: string): Promise<void> {
    const doc = (await this.discovery.discover(root)) as AggregatedList | undefined;
    if (doc?.kind === 'APIGroupDiscoveryList') {
      // Everything under this root, replacing what was known of it.
      for (const key of [...this.known.keys()]) {
        if ((root === '/api') === key.startsWith('/')) this.known.delete(key);
      }
      for (const item of doc.items ?? []) {
        const g = root === '/api' ? '' : (item.metadata?.name ?? '');
        for (const v of item.versions ?? []) {
          if (!v.version) continue;
          const kinds = new Map<string, ResourceRef>();
          for (const r of v.resources ?? []) {
            const kind = r.responseKind?.kind;
            if (!r.resource || !kind) continue;
            kinds.set(kind, {
              group: g,
              version: v.version,
              resource: r.resource,
              kind,
              namespaced: r.scope === 'Namespaced',
            });
          }
          this.known.set(gvKey(g, v.version), kinds);
        }
      }
      return;
    }
    // Legacy discovery: the one group version's resource list.
    let list: LegacyResourceList;
    try {
      list = (await this.discovery.discover(groupVersionPath(group, version))) as LegacyResourceList;
    } catch (err) {
      if (isNotFound(err)) {
        this.known.delete(gvKey(group, version));
        return;
      }
      throw err;
    }
    const kinds = new Map<string, ResourceRef>();
    for (const r of list?.resources ?? []) {
      // "deployments/status" and the like are subresources, not resources.
      if (!r.name || !r.kind || r.name.includes('/')) continue;
      kinds.set(r.kind, {
        group,
        version,
        resource: r.name,
        kind: r.kind,
        namespaced: r.namespaced === true,
      });
    }
    this.known.set(gvKey(group, version), kinds);
  }
}
