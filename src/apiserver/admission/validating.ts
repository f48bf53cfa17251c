// Validating admission beyond a kind's own rules: checks that need other objects of the server
// (Kubernetes gives these to validating admission webhooks and ValidatingAdmissionPolicies). A
// check is registered for kinds ("group/Kind") and runs on every create and update of the main
// resource, dry runs included, after defaulting and the kind's validation, before the write.
// Writes through subresources (status, scale) are not admitted again, as a webhook registered for
// the main resource only is not called for them.

import { parseApiVersion } from '../../machinery/gvk.js';
import type { KubeObject } from '../../machinery/object.js';
import { errors, type FieldError } from '../../machinery/status.js';
import { resourceKey, resourcePrefix } from '../../storage/keys.js';
import type { Store } from '../../storage/store.js';
import type { UserInfo } from '../authn.js';
import type { ResourceRegistry } from '../registry/registry.js';
import type { ResourceInfo } from '../registry/resource-info.js';

export type AdmissionOperation = 'CREATE' | 'UPDATE';

/** Read access to the server's objects, straight from the store (so a write just made is seen). */
export interface ObjectReader {
  /** Every object of a resource, or of those in one namespace. */
  list(group: string, resource: string, namespace?: string): Promise<KubeObject[]>;
  get(
    group: string,
    resource: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined>;
  /** The resource serving a kind in a group version, as the server knows it now. */
  resourceFor(apiVersion: string, kind: string): { resource: string; namespaced: boolean } | undefined;
}

export interface AdmissionRequest {
  operation: AdmissionOperation;
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespace?: string;
  name: string;
  /** The object about to be stored (defaulted and valid by its kind's own rules). */
  object: KubeObject;
  /** The stored object an update replaces. */
  oldObject?: KubeObject;
  dryRun: boolean;
  reader: ObjectReader;
  /** Who writes (absent for the server's own writes that no user asked for). */
  user?: UserInfo;
}

export interface ValidatingAdmission {
  /** Who refuses: shown nowhere but logs, and unique among the server's checks. */
  name: string;
  /** The kinds it checks, as "group/Kind" (core group: "/Pod"). */
  kinds: readonly string[];
  /** The fields that make the write unacceptable (none: admitted); a 422 names each of them. */
  validate(req: AdmissionRequest): Promise<FieldError[]>;
}

/** The checks of a server, by kind, run in the order given. */
export class ValidatingAdmissionChain {
  private readonly byKind = new Map<string, ValidatingAdmission[]>();
  private readonly reader: ObjectReader;

  constructor(store: Store, registry: ResourceRegistry, checks: readonly ValidatingAdmission[]) {
    const names = new Set<string>();
    for (const check of checks) {
      if (names.has(check.name)) throw new Error(`validating admission "${check.name}" is given twice`);
      names.add(check.name);
      for (const kind of check.kinds) {
        const list = this.byKind.get(kind) ?? [];
        list.push(check);
        this.byKind.set(kind, list);
      }
    }
    this.reader = storeReader(store, registry);
  }

  /** Throws 422 Invalid naming every field a check refused. */
  async admit(
    info: ResourceInfo,
    operation: AdmissionOperation,
    object: KubeObject,
    oldObject: KubeObject | undefined,
    dryRun: boolean,
    user?: UserInfo,
  ): Promise<void> {
    const checks = this.byKind.get(`${info.group}/${info.kind}`);
    if (!checks) return;
    const name = object.metadata.name ?? '';
    const req: AdmissionRequest = {
      operation,
      group: info.group,
      version: info.version,
      kind: info.kind,
      resource: info.resource,
      name,
      object,
      dryRun,
      reader: this.reader,
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
      ...(oldObject ? { oldObject } : {}),
      ...(user ? { user } : {}),
    };
    const errs: FieldError[] = [];
    for (const check of checks) errs.push(...(await check.validate(req)));
    if (errs.length > 0) throw errors.invalid(info.group, info.kind, name, errs);
  }
}

function storeReader(store: Store, registry: ResourceRegistry): ObjectReader {
  return {
    resourceFor(apiVersion, kind) {
      const { group, version } = parseApiVersion(apiVersion);
      const info = registry.byKind(group, version, kind);
      return info ? { resource: info.resource, namespaced: info.namespaced } : undefined;
    },
    async list(group, resource, namespace) {
      const out: KubeObject[] = [];
      let token: string | undefined;
      let revision: number | undefined;
      do {
        const page = await store.list(resourcePrefix(group, resource, namespace), {
          continue: token,
          revision,
          limit: 500,
        });
        revision = page.revision;
        for (const kv of page.items) out.push(kv.value as KubeObject);
        token = page.continue;
      } while (token);
      return out;
    },
    async get(group, resource, namespace, name) {
      const kv = await store.get(resourceKey({ group, resource, namespace, name }));
      return kv?.value as KubeObject | undefined;
    },
  };
}
