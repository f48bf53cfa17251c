// Objects made from templates, as Cluster API's external.CreateFromTemplate makes them: the
// template's spec.template (labels, annotations, spec) as a new object of the kind without the
// "Template" suffix, in the template's API version, with the cloned-from annotations, the
// Cluster's name label and the given owner. References are resolved to resources through
// discovery, so any provider's kinds work.

import type { Client, ResourceRef } from '../../client/client.js';
import { RESTMapper } from '../../client/rest-mapper.js';
import { parseApiVersion } from '../../machinery/gvk.js';
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { Annotations, Labels, type ObjectReference, TEMPLATE_SUFFIX } from '../apis/cluster-api/index.js';

type DiscoveringClient = Client & ConstructorParameters<typeof RESTMapper>[0];

/** Resolves references to resources through the client's discovery. */
export class References {
  private readonly mapper: RESTMapper;

  constructor(readonly client: DiscoveringClient) {
    this.mapper = new RESTMapper(client);
  }

  resourceOf(ref: { apiVersion?: string; kind?: string }): Promise<ResourceRef> {
    return this.mapper.refFor(ref.apiVersion ?? '', ref.kind ?? '');
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectReference, namespace: string): Promise<T> {
    return this.client.get<T>(await this.resourceOf(ref), ref.name ?? '', {
      namespace: ref.namespace ?? namespace,
    });
  }
}

export interface CloneOptions {
  template: ObjectReference;
  namespace: string;
  name: string;
  clusterName: string;
  owner?: OwnerReference;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The object a template stamps out (not yet created). */
export function objectFromTemplate(template: KubeObject, opts: CloneOptions): KubeObject {
  const spec = (template as { spec?: { template?: { metadata?: KubeObject['metadata']; spec?: unknown } } })
    .spec?.template;
  const gv = parseApiVersion(template.apiVersion ?? '');
  const kind = (template.kind ?? '').endsWith(TEMPLATE_SUFFIX)
    ? (template.kind ?? '').slice(0, -TEMPLATE_SUFFIX.length)
    : (template.kind ?? '');
  return {
    apiVersion: template.apiVersion,
    kind,
    metadata: {
      name: opts.name,
      namespace: opts.namespace,
      labels: { ...spec?.metadata?.labels, ...opts.labels, [Labels.clusterName]: opts.clusterName },
      annotations: {
        ...spec?.metadata?.annotations,
        ...opts.annotations,
        [Annotations.clonedFromName]: template.metadata.name ?? '',
        [Annotations.clonedFromGroupKind]: `${template.kind}.${gv.group}`,
      },
      ...(opts.owner ? { ownerReferences: [opts.owner] } : {}),
    },
    spec: structuredClone(spec?.spec ?? {}),
  } as KubeObject;
}

/** Reads the template and creates the object it stamps out; returns a reference to it. */
export async function createFromTemplate(refs: References, opts: CloneOptions): Promise<ObjectReference> {
  const template = await refs.get(opts.template, opts.namespace);
  const obj = objectFromTemplate(template, opts);
  const resource = await refs.resourceOf(obj);
  await refs.client.create(resource, obj, { namespace: opts.namespace });
  return { apiVersion: obj.apiVersion, kind: obj.kind, name: opts.name, namespace: opts.namespace };
}

/** Kubernetes' generateName suffix: five characters of [bcdfghjklmnpqrstvwxz2456789]. */
export function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 5; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}
