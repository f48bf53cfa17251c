// React's view of the hub's API: the client of the signed-in user, and collections followed live.

import { createContext, useContext, useEffect, useState } from 'react';
import type { KubeObject } from '../../machinery/object.js';
import type { ApiClient, ListState } from './client.js';

export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside a signed-in page');
  return api;
}

/** The collection at `path` (a list URL of the API), kept current by a watch; null follows nothing. */
export function useList<T extends KubeObject = KubeObject>(path: string | null): ListState<T> {
  const api = useApi();
  const [state, setState] = useState<ListState<T>>({ items: [], synced: false });
  useEffect(() => {
    setState({ items: [], synced: false });
    if (!path) return;
    const abort = new AbortController();
    void api.follow(path, (s) => setState(s as ListState<T>), abort.signal);
    return () => abort.abort();
  }, [api, path]);
  return state;
}

/** A served API resource found by discovery. */
export interface DiscoveredResource {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

interface ApiGroupList {
  groups: { name: string; preferredVersion: { groupVersion: string; version: string } }[];
}
interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
}

/**
 * The resources of the API groups `wanted` picks, as the hub serves them now: features that come
 * later (Argo CD's Applications, Concord's recovery kinds) show once their API is there, and
 * nothing fails while it is not. Looked up again every 30 s.
 */
export function useDiscovered(wanted: (group: string) => boolean): DiscoveredResource[] {
  const api = useApi();
  const [found, setFound] = useState<DiscoveredResource[]>([]);
  useEffect(() => {
    let stopped = false;
    const look = async () => {
      try {
        const groups = await api.getJson<ApiGroupList>('/apis');
        const out: DiscoveredResource[] = [];
        for (const g of groups.groups.filter((g) => wanted(g.name))) {
          const list = await api.getJson<ApiResourceList>(`/apis/${g.preferredVersion.groupVersion}`);
          for (const r of list.resources) {
            if (r.name.includes('/') || !r.verbs.includes('watch')) continue;
            out.push({
              group: g.name,
              version: g.preferredVersion.version,
              resource: r.name,
              kind: r.kind,
              namespaced: r.namespaced,
            });
          }
        }
        if (!stopped) setFound((prev) => (JSON.stringify(prev) === JSON.stringify(out) ? prev : out));
      } catch {
        // Discovery failing leaves what was found before; the lists say what is wrong.
      }
    };
    void look();
    const t = setInterval(look, 30_000);
    return () => {
      stopped = true;
      clearInterval(t);
    };
  }, [api, wanted]);
  return found;
}

export function listPath(r: Pick<DiscoveredResource, 'group' | 'version' | 'resource'>): string {
  return r.group === '' ? `/api/${r.version}/${r.resource}` : `/apis/${r.group}/${r.version}/${r.resource}`;
}
