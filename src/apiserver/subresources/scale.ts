// The scale subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets, StatefulSets and
// custom resources that declare one: `kubectl scale` and autoscalers read and write replicas
// through it without touching the rest of the object.

import { formatLabelSelector } from '../../machinery/labels.js';
import type { KubeObject, LabelSelector } from '../../machinery/object.js';
import { isJsonObject } from '../../machinery/object.js';
import { applyJsonPatch } from '../../machinery/patch/json-patch.js';
import { applyMergePatch } from '../../machinery/patch/merge-patch.js';
import { errors } from '../../machinery/status.js';
import type { HandlerResult, SubresourceHandler } from '../handler.js';
import type { ResourceInfo, ScaleSubresource } from '../registry/resource-info.js';
import type { RestStorage, WriteScope } from '../registry/rest.js';
import type { ResourceRequest } from '../request.js';

function pathSegments(jsonPath: string): string[] {
  return jsonPath.replace(/^\./, '').split('.').filter(Boolean);
}

function readPath(obj: unknown, jsonPath: string): unknown {
  let cur: unknown = obj;
  for (const seg of pathSegments(jsonPath)) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

function writePath(obj: Record<string, unknown>, jsonPath: string, value: unknown): void {
  const segs = pathSegments(jsonPath);
  let cur: Record<string, unknown> = obj;
  for (const seg of segs.slice(0, -1)) {
    if (!isJsonObject(cur[seg])) cur[seg] = {};
    cur = cur[seg] as Record<string, unknown>;
  }
  cur[segs[segs.length - 1]!] = value;
}

function selectorOf(obj: KubeObject, scale: ScaleSubresource): string {
  if (scale.labelSelectorPath) {
    const v = readPath(obj, scale.labelSelectorPath);
    return typeof v === 'string' ? v : '';
  }
  const sel = readPath(obj, '.spec.selector');
  return isJsonObject(sel) ? formatLabelSelector(sel as LabelSelector) : '';
}

export function scaleOf(obj: KubeObject, scale: ScaleSubresource): KubeObject {
  const replicas = readPath(obj, scale.specReplicasPath);
  const statusReplicas = readPath(obj, scale.statusReplicasPath);
  const meta = obj.metadata;
  const scaleMeta: KubeObject['metadata'] = {
    name: meta.name,
    uid: meta.uid,
    resourceVersion: meta.resourceVersion,
    creationTimestamp: meta.creationTimestamp,
  };
  if (meta.namespace) scaleMeta.namespace = meta.namespace;
  const status: Record<string, unknown> = {
    replicas: typeof statusReplicas === 'number' ? statusReplicas : 0,
  };
  const selector = selectorOf(obj, scale);
  if (selector) status.selector = selector;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: scaleMeta,
    spec: { replicas: typeof replicas === 'number' ? replicas : 0 },
    status,
  };
}

function desiredReplicas(scaleObj: unknown): number {
  const spec = isJsonObject(scaleObj) ? scaleObj.spec : undefined;
  const replicas = isJsonObject(spec) ? spec.replicas : undefined;
  if (replicas === undefined) return 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw errors.invalid('autoscaling', 'Scale', '', [
      {
        type: 'FieldValueInvalid',
        field: 'spec.replicas',
        badValue: replicas,
        detail: 'must be greater than or equal to 0',
      },
    ]);
  }
  return replicas;
}

export class ScaleHandler implements SubresourceHandler {
  constructor(private readonly rest: RestStorage) {}

  async serve(req: ResourceRequest, info: ResourceInfo, scope: WriteScope): Promise<HandlerResult> {
    const scale = info.scale!;
    const ns = req.namespace;
    const name = req.name!;
    const done = (code: number, body: unknown): HandlerResult => ({ code, body, warnings: scope.warnings });
    if (req.verb === 'get') return done(200, scaleOf(await this.rest.get(info, ns, name), scale));
    if (req.verb !== 'update' && req.verb !== 'patch')
      throw errors.methodNotSupported(info.group, `${info.resource}/scale`, req.verb);

    const updated = await this.rest.modify(
      info,
      ns,
      name,
      scope,
      (current) => {
        const currentScale = scaleOf(current, scale);
        let wanted: unknown;
        if (req.verb === 'update') {
          if (!isJsonObject(req.body))
            throw errors.badRequest('the body of the request must be a Scale object');
          const meta = isJsonObject(req.body.metadata) ? req.body.metadata : {};
          if (typeof meta.name === 'string' && meta.name !== name) {
            throw errors.badRequest(
              `the name of the object (${meta.name}) does not match the name on the URL (${name})`,
            );
          }
          if (
            typeof meta.resourceVersion === 'string' &&
            meta.resourceVersion !== current.metadata.resourceVersion
          ) {
            throw errors.staleResourceVersion(info.group, info.resource, name);
          }
          wanted = req.body;
        } else if (req.patchType === 'json') {
          wanted = applyJsonPatch(currentScale, req.body);
        } else if (req.patchType === 'merge' || req.patchType === 'strategic' || req.patchType === 'apply') {
          // Scale has no lists: strategic merge and apply reduce to a merge of spec.replicas.
          wanted = applyMergePatch(currentScale, req.body);
        } else {
          throw errors.unsupportedMediaType(String(req.patchType));
        }
        writePath(current, scale.specReplicasPath, desiredReplicas(wanted));
        return current;
      },
      { admit: true },
    );
    return done(200, scaleOf(updated, scale));
  }
}
