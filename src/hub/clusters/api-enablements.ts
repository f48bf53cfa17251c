// status.apiEnablements: every group version a member serves with its resources (name and kind,
// subresources left out), sorted, as Karmada collects them, and the CompleteAPIEnablements
// condition saying whether the list is whole. Read from the aggregated discovery documents (/api
// and /apis, one request each) with their ETags, so that a member whose APIs did not change
// answers 304 with no body; from the legacy documents on servers without aggregated discovery.

import { DISCOVERY_ACCEPT, type HttpsClient } from '../../client/https.js';
import type { Condition } from '../../machinery/object.js';
import {
  API_ENABLEMENTS_COMPLETE,
  API_ENABLEMENTS_EMPTY,
  API_ENABLEMENTS_PARTIAL,
  type APIEnablement,
  type APIResource,
  CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS,
} from '../apis/karmada/index.js';

interface AggregatedList {
  kind?: string;
  items?: {
    metadata?: { name?: string };
    versions?: { version?: string; resources?: { resource?: string; responseKind?: { kind?: string } }[] }[];
  }[];
}

interface LegacyResourceList {
  resources?: { name?: string; kind?: string }[];
}

function sortResources(resources: APIResource[]): APIResource[] {
  return resources.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function fromAggregated(doc: AggregatedList, core: boolean): APIEnablement[] {
  const out: APIEnablement[] = [];
  for (const item of doc.items ?? []) {
    const group = core ? '' : (item.metadata?.name ?? '');
    for (const v of item.versions ?? []) {
      if (!v.version) continue;
      const resources: APIResource[] = [];
      for (const r of v.resources ?? []) {
        const kind = r.responseKind?.kind;
        if (!r.resource || !kind || r.resource.includes('/')) continue;
        resources.push({ name: r.resource, kind });
      }
      out.push({
        groupVersion: group ? `${group}/${v.version}` : v.version,
        resources: sortResources(resources),
      });
    }
  }
  return out;
}

function fromLegacyList(groupVersion: string, list: LegacyResourceList): APIEnablement {
  const resources: APIResource[] = [];
  for (const r of list.resources ?? []) {
    if (!r.name || !r.kind || r.name.includes('/')) continue;
    resources.push({ name: r.name, kind: r.kind });
  }
  return { groupVersion, resources: sortResources(resources) };
}

export interface ApiEnablementsResult {
  enablements: APIEnablement[];
  condition: Condition;
}

/** Reads one member's APIs, remembering the documents and ETags of the last read. */
export class ApiEnablementsReader {
  private readonly cached = new Map<string, { etag: string; enablements: APIEnablement[] }>();

  constructor(
    private readonly client: HttpsClient,
    private readonly timeoutMs: number,
  ) {}

  async read(): Promise<ApiEnablementsResult> {
    const all: APIEnablement[] = [];
    let failure: unknown;
    for (const root of ['/api', '/apis']) {
      try {
        all.push(...(await this.readRoot(root)));
      } catch (err) {
        failure ??= err;
      }
    }
    all.sort((a, b) => (a.groupVersion < b.groupVersion ? -1 : a.groupVersion > b.groupVersion ? 1 : 0));
    return { enablements: all, condition: enablementsCondition(all.length, failure) };
  }

  private async readRoot(root: string): Promise<APIEnablement[]> {
    const cached = this.cached.get(root);
    const doc = await this.client.getDocument(root, {
      accept: DISCOVERY_ACCEPT,
      timeoutMs: this.timeoutMs,
      ...(cached ? { etag: cached.etag } : {}),
    });
    if (doc.notModified) return cached!.enablements;
    const body = doc.body as AggregatedList & { versions?: string[]; groups?: unknown[] };
    if (body?.kind === 'APIGroupDiscoveryList') {
      const enablements = fromAggregated(body, root === '/api');
      if (doc.etag) this.cached.set(root, { etag: doc.etag, enablements });
      else this.cached.delete(root);
      return enablements;
    }
    this.cached.delete(root);
    return this.readLegacy(root, body);
  }

  /** APIVersions (/api) or APIGroupList (/apis), then each group version's resource list. */
  private async readLegacy(root: string, body: unknown): Promise<APIEnablement[]> {
    const groupVersions: string[] = [];
    if (root === '/api') {
      for (const v of (body as { versions?: unknown[] })?.versions ?? []) {
        if (typeof v === 'string') groupVersions.push(v);
      }
    } else {
      for (const g of (body as { groups?: { versions?: { groupVersion?: string }[] }[] })?.groups ?? []) {
        for (const v of g.versions ?? []) if (v.groupVersion) groupVersions.push(v.groupVersion);
      }
    }
    const out: APIEnablement[] = [];
    let failure: unknown;
    for (const gv of groupVersions) {
      try {
        const doc = await this.client.getDocument(`${root}/${gv}`, { timeoutMs: this.timeoutMs });
        if (!doc.notModified) out.push(fromLegacyList(gv, doc.body as LegacyResourceList));
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure && out.length === 0) throw failure;
    return out;
  }
}

/** CompleteAPIEnablements as Karmada sets it: True when complete, else Partial or Empty. */
export function enablementsCondition(count: number, failure: unknown): Condition {
  if (count === 0) {
    return {
      type: CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS,
      status: 'False',
      reason: API_ENABLEMENTS_EMPTY,
      message: 'no API could be read from the cluster',
    };
  }
  if (failure) {
    return {
      type: CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS,
      status: 'False',
      reason: API_ENABLEMENTS_PARTIAL,
      message: `only part of the cluster's APIs could be read (${count} group versions): ${failure instanceof Error ? failure.message : String(failure)}`,
    };
  }
  return {
    type: CLUSTER_CONDITION_COMPLETE_API_ENABLEMENTS,
    status: 'True',
    reason: API_ENABLEMENTS_COMPLETE,
    message: 'every API of the cluster is listed',
  };
}
