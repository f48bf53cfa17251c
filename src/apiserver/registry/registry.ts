// The set of resources a server serves right now: the built-ins plus whatever CRDs add.
// Discovery and OpenAPI documents are derived from it and rebuilt when it changes.

import type { ResourceInfo } from './resource-info.js';

function key(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}

export class ResourceRegistry {
  private readonly byPath = new Map<string, ResourceInfo>();
  private readonly listeners = new Set<() => void>();
  private generationCounter = 0;

  /** Bumped on every change, so derived documents know when to rebuild. */
  get generation(): number {
    return this.generationCounter;
  }

  add(info: ResourceInfo): void {
    this.byPath.set(key(info.group, info.version, info.resource), info);
    this.changed();
  }

  /** Replaces every version served for a CRD with `infos` (empty to stop serving it). */
  replaceCrd(crdName: string, infos: ResourceInfo[]): void {
    for (const [k, info] of this.byPath) if (info.crdName === crdName) this.byPath.delete(k);
    for (const info of infos) this.byPath.set(key(info.group, info.version, info.resource), info);
    this.changed();
  }

  get(group: string, version: string, resource: string): ResourceInfo | undefined {
    return this.byPath.get(key(group, version, resource));
  }

  /** Every served version of a group/resource (a CRD may serve several). */
  versionsOf(group: string, resource: string): ResourceInfo[] {
    return this.all().filter((r) => r.group === group && r.resource === resource);
  }

  byKind(group: string, version: string, kind: string): ResourceInfo | undefined {
    for (const info of this.byPath.values()) {
      if (info.group === group && info.version === version && info.kind === kind) return info;
    }
    return undefined;
  }

  all(): ResourceInfo[] {
    return [...this.byPath.values()];
  }

  /** Group -> versions, in the order discovery lists them (preferred first). */
  groups(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const info of this.byPath.values()) {
      const versions = groups.get(info.group) ?? [];
      if (!versions.includes(info.version)) versions.push(info.version);
      groups.set(info.group, versions);
    }
    for (const versions of groups.values()) versions.sort(compareKubeVersions);
    return groups;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.generationCounter++;
    for (const l of this.listeners) l();
  }
}

/**
 * Kubernetes' version priority: GA before beta before alpha, higher numbers first
 * (v2 > v1 > v1beta2 > v1beta1 > v1alpha1), non-conforming names last, alphabetically.
 */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stability = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return { major: Number(m[1]), stability, minor: m[3] ? Number(m[3]) : 0 };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && !pb) return -1;
  if (!pa && pb) return 1;
  if (!pa || !pb) return a.localeCompare(b);
  if (pa.stability !== pb.stability) return pb.stability - pa.stability;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}
