// Pod subresources that schedulers and drains use: binding (assign a pod to a node) and
// eviction (delete a pod unless a PodDisruptionBudget forbids it, as `kubectl drain` expects).

import { selectorFromLabelSelector } from '../../machinery/labels.js';
import type { Condition, KubeObject, LabelSelector } from '../../machinery/object.js';
import { isJsonObject } from '../../machinery/object.js';
import { ApiError, errors, successStatus } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import type { HandlerResult, SubresourceHandler } from '../handler.js';
import { deleteRequest } from '../handler.js';
import type { ResourceRegistry } from '../registry/registry.js';
import type { ResourceInfo } from '../registry/resource-info.js';
import type { RestStorage, WriteScope } from '../registry/rest.js';
import type { ResourceRequest } from '../request.js';

/** POST pods/<name>/binding or POST bindings: sets spec.nodeName once. */
export class BindingHandler implements SubresourceHandler {
  constructor(
    private readonly rest: RestStorage,
    private readonly registry: ResourceRegistry,
  ) {}

  async serve(req: ResourceRequest, _info: ResourceInfo, scope: WriteScope): Promise<HandlerResult> {
    if (req.verb !== 'create') throw errors.methodNotSupported('', 'pods/binding', req.verb);
    const body = req.body;
    if (!isJsonObject(body)) throw errors.badRequest('the body of the request must be a Binding object');
    const meta = isJsonObject(body.metadata) ? body.metadata : {};
    const name = req.name ?? (typeof meta.name === 'string' ? meta.name : undefined);
    if (!name)
      throw errors.invalid('', 'Binding', '', [{ type: 'FieldValueRequired', field: 'metadata.name' }]);
    const target = isJsonObject(body.target) ? body.target : {};
    const node = typeof target.name === 'string' ? target.name : '';
    if (!node)
      throw errors.invalid('', 'Binding', name, [{ type: 'FieldValueRequired', field: 'target.name' }]);
    if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') {
      throw errors.invalid('', 'Binding', name, [
        {
          type: 'FieldValueNotSupported',
          field: 'target.kind',
          badValue: target.kind,
          detail: 'supported values: "Node"',
        },
      ]);
    }
    const pods = this.registry.get('', 'v1', 'pods')!;
    const uid = typeof meta.uid === 'string' && meta.uid !== '' ? meta.uid : undefined;
    const now = new Date();
    // Like Kubernetes' binding: written straight through, with no field-ownership entry, and the
    // pod marked PodScheduled=True in the same write.
    await this.rest.modify(
      pods,
      req.namespace,
      name,
      { ...scope, subresource: 'binding' },
      (pod) => {
        if (uid && uid !== pod.metadata.uid) {
          throw errors.conflict(
            '',
            'pods/binding',
            name,
            `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${pod.metadata.uid}`,
          );
        }
        if (pod.metadata.deletionTimestamp) {
          throw errors.conflict(
            '',
            'pods/binding',
            name,
            `pod ${name} is being deleted, cannot be assigned to a host`,
          );
        }
        const spec = (pod.spec ?? {}) as Record<string, unknown>;
        if (typeof spec.nodeName === 'string' && spec.nodeName !== '') {
          throw errors.conflict(
            '',
            'pods/binding',
            name,
            `pod ${name} is already assigned to node "${spec.nodeName}"`,
          );
        }
        // Only spec.nodeName and one condition change: a new object around the rest of the pod.
        return scheduled({ ...pod, metadata: { ...pod.metadata }, spec: { ...spec, nodeName: node } }, now);
      },
      { admit: false, trackFields: false, pure: true },
    );
    return { code: 201, body: successStatus(), warnings: scope.warnings };
  }
}

/** The pod with its PodScheduled condition True, as the binding sets it in Kubernetes. */
function scheduled(pod: KubeObject, now: Date): KubeObject {
  const status = (pod.status ?? {}) as { conditions?: Condition[] };
  const conditions = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  conditions.push({
    type: 'PodScheduled',
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: metaTime(now),
  });
  return { ...pod, status: { ...status, conditions } };
}

interface Pdb extends KubeObject {
  spec?: { selector?: LabelSelector };
  status?: {
    disruptionsAllowed?: number;
    observedGeneration?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
  };
}

/** POST pods/<name>/eviction: a delete that respects PodDisruptionBudgets. */
export class EvictionHandler implements SubresourceHandler {
  constructor(
    private readonly rest: RestStorage,
    private readonly registry: ResourceRegistry,
  ) {}

  async serve(req: ResourceRequest, info: ResourceInfo, scope: WriteScope): Promise<HandlerResult> {
    if (req.verb !== 'create') throw errors.methodNotSupported('', 'pods/eviction', req.verb);
    const body = isJsonObject(req.body) ? req.body : {};
    const meta = isJsonObject(body.metadata) ? body.metadata : {};
    if (typeof meta.name === 'string' && meta.name !== req.name) {
      throw errors.badRequest(`name in URL does not match name in Eviction object`);
    }
    const name = req.name!;
    const pod = await this.rest.get(info, req.namespace, name);
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    const terminal = phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending';
    if (!terminal && !pod.metadata.deletionTimestamp) await this.takeDisruption(pod);
    const options = isJsonObject(body.deleteOptions) ? body.deleteOptions : {};
    await this.rest.delete(info, req.namespace, name, deleteRequest({ ...req, body: options }));
    return { code: 201, body: successStatus(), warnings: scope.warnings };
  }

  /** Refuses (429) when a budget has no disruption left, else spends one. */
  private async takeDisruption(pod: KubeObject): Promise<void> {
    const pdbInfo = this.registry.get('policy', 'v1', 'poddisruptionbudgets');
    if (!pdbInfo) return;
    const list = await this.rest.list(pdbInfo, pod.metadata.namespace, {});
    const labels = pod.metadata.labels ?? {};
    const matching = (list.items as Pdb[]).filter((pdb) => {
      const sel = pdb.spec?.selector;
      if (!sel) return false;
      return selectorFromLabelSelector(sel).matches(labels);
    });
    if (matching.length === 0) return;
    if (matching.length > 1) {
      throw errors.internal(
        'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      );
    }
    const pdb = matching[0]!;
    const refused = (message: string) =>
      new ApiError(
        429,
        'TooManyRequests',
        "Cannot evict pod as it would violate the pod's disruption budget.",
        {
          causes: [{ reason: 'DisruptionBudget', message }],
        },
      );
    const status = pdb.status ?? {};
    if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) {
      throw refused(`The disruption budget ${pdb.metadata.name} is still being processed by the server.`);
    }
    if ((status.disruptionsAllowed ?? 0) <= 0) {
      throw refused(
        `The disruption budget ${pdb.metadata.name} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`,
      );
    }
    await this.rest.modify(
      pdbInfo,
      pdb.metadata.namespace,
      pdb.metadata.name!,
      {
        dryRun: false,
        fieldManager: 'eviction',
        subresource: 'status',
        fieldValidation: 'Ignore',
        warnings: [],
      },
      (current) => {
        const st = ((current.status ?? {}) as Pdb['status'])!;
        if ((st.disruptionsAllowed ?? 0) <= 0)
          throw refused(`The disruption budget ${pdb.metadata.name} has no disruption left`);
        st.disruptionsAllowed = (st.disruptionsAllowed ?? 0) - 1;
        current.status = st;
        return current;
      },
      { precondition: pdb.metadata.resourceVersion, admit: false },
    );
  }
}

/** PUT namespaces/<name>/finalize: only spec.finalizers may change; the last one lets it go. */
export class NamespaceFinalizeHandler implements SubresourceHandler {
  constructor(private readonly rest: RestStorage) {}

  async serve(req: ResourceRequest, info: ResourceInfo, scope: WriteScope): Promise<HandlerResult> {
    if (req.verb !== 'update') throw errors.methodNotSupported('', 'namespaces/finalize', req.verb);
    const body = isJsonObject(req.body) ? req.body : {};
    const spec = isJsonObject(body.spec) ? body.spec : {};
    const finalizers = Array.isArray(spec.finalizers)
      ? spec.finalizers.filter((f): f is string => typeof f === 'string')
      : [];
    const updated = await this.rest.modify(
      info,
      undefined,
      req.name!,
      scope,
      (ns) => {
        ns.spec = { ...((ns.spec as Record<string, unknown>) ?? {}), finalizers };
        if (finalizers.length === 0) delete (ns.spec as Record<string, unknown>).finalizers;
        return ns;
      },
      { admit: false },
    );
    return { code: 200, body: updated, warnings: scope.warnings };
  }
}
