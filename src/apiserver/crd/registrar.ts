// Serves custom resources as soon as their CustomResourceDefinition is stored: registers every
// served version (with the behaviour an extension gives its group and kind), keeps the CRD's
// status (NamesAccepted, Established, acceptedNames, storedVersions) current, and on deletion
// removes every instance before letting the CRD go. It also installs the CRDs a server starts with.

import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { setCondition } from '../../machinery/conditions.js';
import type { Condition, KubeObject } from '../../machinery/object.js';
import { isJsonObject } from '../../machinery/object.js';
import type { Schema } from '../../machinery/schema.js';
import { errorMessage, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import { STATUS_WRITABLE_META } from '../registry/object-meta.js';
import type { ResourceRegistry } from '../registry/registry.js';
import { type ResourceInfo, STANDARD_VERBS } from '../registry/resource-info.js';
import type { RestStorage, WriteScope } from '../registry/rest.js';
import type { Strategy, TableColumn } from '../registry/strategy.js';
import type { StoreCache } from '../store-cache.js';
import { applyStructuralDefaults, crdSchema, crdValidator } from './schema.js';

export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

interface CrdNames {
  plural: string;
  singular?: string;
  kind: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
}

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: unknown };
  subresources?: {
    status?: object;
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  };
  additionalPrinterColumns?: {
    name: string;
    type: string;
    format?: string;
    description?: string;
    priority?: number;
    jsonPath: string;
  }[];
}

interface Crd extends KubeObject {
  spec: { group: string; names: CrdNames; scope: 'Namespaced' | 'Cluster'; versions: CrdVersion[] };
  status?: { conditions?: Condition[]; acceptedNames?: CrdNames; storedVersions?: string[] };
}

const AGE_COLUMN = { name: 'Age', type: 'date' as const, jsonPath: '.metadata.creationTimestamp' };

const SYSTEM_SCOPE: WriteScope = {
  dryRun: false,
  fieldManager: 'apiextensions-apiserver',
  fieldValidation: 'Ignore',
  warnings: [],
};

export interface CrdRegistrarDeps {
  cache: StoreCache;
  registry: ResourceRegistry;
  rest: RestStorage;
  crdInfo: () => ResourceInfo;
  objectMetaSchema: () => Schema | undefined;
  now(): Date;
  logger: Logger;
  /** The behaviour an extension gives a custom resource kind, if any. */
  strategyFor?(group: string, kind: string): Strategy | undefined;
}

/** Someone waiting for a CRD to be served: checked on every change, failed when reconciling fails. */
interface EstablishedWaiter {
  check(): void;
  fail(err: unknown): void;
}

function crdKey(name: string): string {
  return `/registry/apiextensions.k8s.io/customresourcedefinitions/${name}`;
}

export class CrdRegistrar {
  private readonly cleaning = new Set<string>();
  private readonly waiters = new Map<string, Set<EstablishedWaiter>>();
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly deps: CrdRegistrarDeps) {}

  start(): void {
    this.unsubscribe = this.deps.cache.onEvent((e) => {
      const crd = e.object as Crd;
      const name = crd.metadata.name!;
      if (e.type === 'delete') {
        this.deps.registry.replaceCrd(name, []);
        return;
      }
      this.register(crd);
      for (const w of this.waiters.get(name) ?? []) w.check();
      void this.reconcile(name).catch((err) => {
        this.deps.logger.warn({ err, crd: name }, 'CRD reconcile failed');
        for (const w of this.waiters.get(name) ?? []) w.fail(err);
      });
    });
    for (const crd of this.deps.cache.values()) this.register(crd as Crd);
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    for (const set of this.waiters.values()) for (const w of set) w.fail(new Error('the API server stopped'));
  }

  /**
   * Creates a CRD, or brings the stored one to this definition (server-side apply, forced, so a
   * newer server's schema replaces an older one and an unchanged one writes nothing), then waits
   * until its kinds are served.
   */
  async install(crd: KubeObject, fieldManager: string): Promise<void> {
    const name = crd.metadata.name!;
    const { labels, annotations } = crd.metadata;
    const applied = {
      apiVersion: crd.apiVersion,
      kind: crd.kind,
      metadata: { name, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
      spec: crd.spec,
    };
    let written: KubeObject;
    try {
      ({ object: written } = await this.deps.rest.patch(
        this.deps.crdInfo(),
        undefined,
        name,
        applied,
        'apply',
        {
          ...SYSTEM_SCOPE,
          fieldManager,
          // A definition the server does not fully understand is a mistake to report, not to drop.
          fieldValidation: 'Strict',
          force: true,
        },
      ));
    } catch (err) {
      throw new Error(`installing CustomResourceDefinition ${name}: ${errorMessage(err)}`);
    }
    await this.established(name, Number(written.metadata.resourceVersion));
  }

  /**
   * Resolves once the CRD, as of `revision` or later, is served and Established; rejects when its
   * names clash with another's, when it is being deleted, or when reconciling it fails.
   */
  established(name: string, revision: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = this.waiters.get(name) ?? new Set<EstablishedWaiter>();
      this.waiters.set(name, waiters);
      const settle = (err?: unknown) => {
        waiters.delete(waiter);
        if (waiters.size === 0) this.waiters.delete(name);
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve();
      };
      const waiter: EstablishedWaiter = {
        check: () => {
          const crd = this.deps.cache.get(crdKey(name)) as Crd | undefined;
          if (!crd || Number(crd.metadata.resourceVersion) < revision) return;
          const conflict = this.conflict(crd);
          if (conflict)
            return settle(new Error(`CustomResourceDefinition ${name} is not served: ${conflict}`));
          if (crd.metadata.deletionTimestamp)
            return settle(new Error(`CustomResourceDefinition ${name} is being deleted`));
          const established = crd.status?.conditions?.find((c) => c.type === 'Established');
          const served = this.deps.registry.all().some((info) => info.crdName === name);
          if (established?.status === 'True' && served) settle();
        },
        fail: (err) =>
          settle(new Error(`CustomResourceDefinition ${name} is not served: ${errorMessage(err)}`)),
      };
      waiters.add(waiter);
      if (this.stopped) waiter.fail(new Error('the API server stopped'));
      else waiter.check();
    });
  }

  /** Serves a CRD's versions right away (a CRD whose names clash with another's is not served). */
  private register(crd: Crd): void {
    if (this.conflict(crd)) return;
    const { group, names } = crd.spec;
    const strategy = this.deps.strategyFor?.(group, names.kind);
    this.deps.registry.replaceCrd(
      crd.metadata.name!,
      resourceInfosFor(crd, this.deps.objectMetaSchema(), strategy),
    );
  }

  private conflict(crd: Crd): string | undefined {
    const { group, names } = crd.spec;
    for (const info of this.deps.registry.all()) {
      if (info.group !== group || info.crdName === crd.metadata.name) continue;
      if (info.resource === names.plural) return `"${names.plural}" is already in use`;
      if (info.kind === names.kind) return `"${names.kind}" is already in use`;
    }
    return undefined;
  }

  private async reconcile(name: string): Promise<void> {
    if (this.stopped) return;
    const crd = this.deps.cache.get(crdKey(name)) as Crd | undefined;
    if (!crd) return;
    const info = this.deps.crdInfo();
    if (!crd.metadata.deletionTimestamp && !(crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) {
      await this.deps.rest.modify(
        info,
        undefined,
        name,
        SYSTEM_SCOPE,
        (c) => {
          c.metadata.finalizers = [...(c.metadata.finalizers ?? []), CRD_CLEANUP_FINALIZER];
          return c;
        },
        { admit: false },
      );
      return;
    }
    await this.updateStatus(crd);
    if (crd.metadata.deletionTimestamp && (crd.metadata.finalizers ?? []).includes(CRD_CLEANUP_FINALIZER)) {
      await this.cleanup(crd);
    }
  }

  private async updateStatus(crd: Crd): Promise<void> {
    const now = metaTime(this.deps.now());
    const conflict = this.conflict(crd);
    const storage = crd.spec.versions.find((v) => v.storage)?.name;
    const status = structuredClone(crd.status ?? {});
    const set = (type: string, value: 'True' | 'False', reason: string, message: string) => {
      const conditions = status.conditions ?? [];
      const existing = conditions.find((c) => c.type === type);
      if (existing && existing.status === value && existing.reason === reason && existing.message === message)
        return;
      status.conditions = setCondition(conditions, { type, status: value, reason, message }, now);
    };
    if (conflict) {
      set('NamesAccepted', 'False', 'NameConflict', conflict);
      set('Established', 'False', 'NotAccepted', 'not all names are accepted');
    } else {
      set('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found');
      set('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted');
      status.acceptedNames = {
        ...crd.spec.names,
        singular: crd.spec.names.singular ?? crd.spec.names.plural,
        listKind: crd.spec.names.listKind ?? `${crd.spec.names.kind}List`,
      };
      if (storage && !(status.storedVersions ?? []).includes(storage))
        status.storedVersions = [...(status.storedVersions ?? []), storage];
    }
    if (crd.metadata.deletionTimestamp)
      set('Terminating', 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress');
    if (isDeepStrictEqual(status, crd.status ?? {})) return;
    await this.deps.rest.modify(
      this.deps.crdInfo(),
      undefined,
      crd.metadata.name!,
      { ...SYSTEM_SCOPE, subresource: 'status' },
      (c) => {
        c.status = status;
        return c;
      },
      { admit: false },
    );
  }

  /** Deletes every custom resource of a terminating CRD, then releases the CRD. */
  private async cleanup(crd: Crd): Promise<void> {
    const name = crd.metadata.name!;
    if (this.cleaning.has(name)) return;
    this.cleaning.add(name);
    try {
      for (;;) {
        if (this.stopped) return;
        const storage = crd.spec.versions.find((v) => v.storage)?.name ?? crd.spec.versions[0]?.name;
        const info = storage
          ? this.deps.registry.get(crd.spec.group, storage, crd.spec.names.plural)
          : undefined;
        let remaining = 0;
        if (info) {
          const list = await this.deps.rest.list(info, undefined, {});
          remaining = list.items.length;
          for (const item of list.items) {
            if (item.metadata.deletionTimestamp) continue;
            try {
              await this.deps.rest.delete(info, item.metadata.namespace, item.metadata.name!, {
                dryRun: false,
              });
            } catch (err) {
              if (!isNotFound(err)) throw err;
            }
          }
          if (remaining > 0) {
            remaining = (await this.deps.rest.list(info, undefined, {})).items.length;
          }
        }
        if (remaining === 0) {
          await this.deps.rest.modify(
            this.deps.crdInfo(),
            undefined,
            name,
            SYSTEM_SCOPE,
            (c) => {
              c.metadata.finalizers = (c.metadata.finalizers ?? []).filter(
                (f) => f !== CRD_CLEANUP_FINALIZER,
              );
              return c;
            },
            { admit: false },
          );
          return;
        }
        // Instances with finalizers of their own: wait for them.
        await new Promise((r) => setTimeout(r, 500).unref());
      }
    } finally {
      this.cleaning.delete(name);
    }
  }
}

/**
 * The ResourceInfos that serve a CRD's served versions, each with the kind's extension strategy
 * (if any) over the generic behaviour of custom resources.
 */
export function resourceInfosFor(
  crd: Crd,
  objectMeta: Schema | undefined,
  extension?: Strategy,
): ResourceInfo[] {
  const { group, names, scope, versions } = crd.spec;
  const storage = versions.find((v) => v.storage)?.name ?? versions[0]?.name ?? 'v1';
  return versions
    .filter((v) => v.served)
    .map((v) => {
      const raw = v.schema?.openAPIV3Schema;
      const schema = crdSchema(raw, objectMeta);
      const validate = crdValidator(raw);
      const columns = (v.additionalPrinterColumns ?? []).map((c) => ({
        name: c.name,
        type: (['string', 'integer', 'number', 'boolean', 'date'].includes(c.type)
          ? c.type
          : 'string') as TableColumn['type'],
        format: c.format,
        description: c.description,
        priority: c.priority,
        jsonPath: c.jsonPath,
      }));
      const scale = v.subresources?.scale;
      const info: ResourceInfo = {
        group,
        version: v.name,
        resource: names.plural,
        singular: names.singular ?? names.plural,
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        namespaced: scope !== 'Cluster',
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        verbs: STANDARD_VERBS,
        storageVersion: storage,
        status: isJsonObject(v.subresources?.status),
        scale: scale
          ? {
              specReplicasPath: scale.specReplicasPath,
              statusReplicasPath: scale.statusReplicasPath,
              ...(scale.labelSelectorPath ? { labelSelectorPath: scale.labelSelectorPath } : {}),
            }
          : undefined,
        extraSubresources: [],
        tracksGeneration: true,
        allowCreateOnUpdate: false,
        strategy: {
          ...extension,
          // Through the status subresource custom resources change their status only, unless
          // the kind says otherwise.
          statusResets: extension?.statusResets ?? STATUS_WRITABLE_META,
        },
        schema: () => schema,
        structuralSchema: true,
        validateSchema: validate,
        applySchemaDefaults: (obj) => applyStructuralDefaults(obj, schema),
        // Without additionalPrinterColumns, custom resources print NAME and AGE.
        printerColumns: columns.length > 0 ? columns : [AGE_COLUMN],
        crdName: crd.metadata.name,
        crdOpenAPISchema: isJsonObject(raw) ? (raw as Record<string, unknown>) : null,
      };
      return info;
    });
}
