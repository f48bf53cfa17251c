// The resource detector: for every resource template that a PropagationPolicy or
// ClusterPropagationPolicy selects it keeps a ResourceBinding (ClusterResourceBinding for
// cluster-scoped templates) named <name>-<kind>, owned by the template, carrying the policy's
// placement and the template's replicas and per-replica requirements. The claiming policy is
// written on the template and the binding (permanent id label, name annotations), as Karmada does.
//
// Templates of any kind are watched once a policy names their kind. Deleting a template deletes
// its binding (the hub may run no garbage collector). A policy gets Karmada's finalizer; deleting
// it releases what it claimed (the bindings stay, so nothing is removed from members, and another
// policy may claim the templates). Each policy reports in status.conditions (type Applied)
// whether it claims anything, and why not. A policy with `activationPreference: Lazy` claims at
// once but reaches a template's binding only once the template changes (activation.ts).

import type { Informer } from '../../../client/informer.js';
import { NoKindMatchError } from '../../../client/rest-mapper.js';
import {
  type ControllerContext,
  eventRecorder,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import type { EventRecorder } from '../../../controller/events.js';
import { setCondition } from '../../../machinery/conditions.js';
import type { Condition, KubeObject } from '../../../machinery/object.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../../machinery/status.js';
import { metaTime } from '../../../machinery/time.js';
import {
  bindingName,
  CLUSTER_PROPAGATION_POLICY_FINALIZER,
  CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL,
  type ClusterPropagationPolicy,
  karmadaResources,
  type OverridePolicy,
  PROPAGATION_POLICY_FINALIZER,
  PROPAGATION_POLICY_PERMANENT_ID_LABEL,
  type PropagationPolicy,
} from '../../apis/karmada/index.js';
import { resourceMatches } from '../match/resource-selector.js';
import {
  restMapperFor,
  specificationChanged,
  type TemplateInformers,
  TemplateInformers as Templates,
} from '../templates.js';
import { type AnyBinding, sameConditions } from '../util.js';
import { isLazy, TEMPLATE_HASH_ANNOTATION, templateContentHash } from './activation.js';
import {
  type AnyPolicy,
  claimMetadata,
  claimOf,
  desiredBinding,
  hasClaimMetadata,
  highestPriorityPolicy,
  mergeBinding,
  type PolicyKind,
  permanentId,
  preempts,
  withClaimMetadata,
} from './policies.js';

export interface DetectorOptions {
  recorder?: EventRecorder;
  /** Shared template informers (default: the detector's own over ctx.informers). */
  templates?: TemplateInformers;
}

/** The condition a propagation policy reports about what it selects. */
export const POLICY_APPLIED = 'Applied';

/** Namespaces the hub keeps for itself: nothing in them is propagated. */
export function isReservedNamespace(ns: string | undefined): boolean {
  return (
    !!ns &&
    (ns.startsWith('karmada-') || ns === 'kube-system' || ns === 'kube-public' || ns === 'kube-node-lease')
  );
}

/** How long claims are gathered before a policy's status counts them again. */
const POLICY_STATUS_BATCH_MS = 1000;
const SEP = '\u0000';
const templateKey = (t: { apiVersion: string; kind: string; namespace?: string; name: string }) =>
  ['T', t.apiVersion, t.kind, t.namespace ?? '', t.name].join(SEP);
const policyKey = (kind: PolicyKind, namespace: string | undefined, name: string) =>
  ['P', kind, namespace ?? '', name].join(SEP);

export function startDetector(ctx: ControllerContext, opts: DetectorOptions = {}): RunningController {
  const recorder = eventRecorder(ctx, 'resource-detector', opts.recorder);
  const templates = opts.templates ?? new Templates(ctx.informers, restMapperFor(ctx.client));
  const pps: Informer<PropagationPolicy> = ctx.informers.informerFor(karmadaResources.propagationpolicies);
  const cpps: Informer<ClusterPropagationPolicy> = ctx.informers.informerFor(
    karmadaResources.clusterpropagationpolicies,
  );
  const ops: Informer<OverridePolicy> = ctx.informers.informerFor(karmadaResources.overridepolicies);
  const cops: Informer = ctx.informers.informerFor(karmadaResources.clusteroverridepolicies);
  const rbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.resourcebindings);
  const crbs: Informer<AnyBinding> = ctx.informers.informerFor(karmadaResources.clusterresourcebindings);
  /** Policy generation whose templates were last enqueued, by uid. */
  const synced = new Map<string, number>();
  /**
   * Templates whose owner changed them (or that appeared) since their last reconcile: what a lazy
   * policy waits for when the template has no binding yet to compare with.
   */
  const touched = new Set<string>();

  const policiesFor = (t: KubeObject) => ({
    pps: (t.metadata.namespace ? pps.list({ namespace: t.metadata.namespace }) : []).map(
      (policy): AnyPolicy => ({ kind: 'PropagationPolicy', policy }),
    ),
    cpps: cpps.list().map((policy): AnyPolicy => ({ kind: 'ClusterPropagationPolicy', policy })),
  });
  const policyOf = (claim: { kind: PolicyKind; namespace?: string; name: string }): AnyPolicy | undefined => {
    const policy =
      claim.kind === 'PropagationPolicy' ? pps.get(claim.name, claim.namespace) : cpps.get(claim.name);
    return policy ? { kind: claim.kind, policy } : undefined;
  };
  /**
   * A claim changed: the policy's status (how many resources it claims) is counted again, once for
   * the claims of a second, not once per template (each count reads every template of its kinds).
   */
  const enqueuePolicy = (p: AnyPolicy) =>
    policyLoop.enqueueAfter(
      policyKey(p.kind, p.policy.metadata.namespace, p.policy.metadata.name ?? ''),
      POLICY_STATUS_BATCH_MS,
    );

  /** The policy that should claim the template now (see policies.ts), or undefined. */
  function claimerFor(t: KubeObject): AnyPolicy | undefined {
    const { pps: nsPolicies, cpps: clusterPolicies } = policiesFor(t);
    const best = highestPriorityPolicy(t, nsPolicies) ?? highestPriorityPolicy(t, clusterPolicies);
    const claim = claimOf(t);
    if (!claim) return best;
    const current = policyOf(claim);
    const valid =
      current &&
      !current.policy.metadata.deletionTimestamp &&
      permanentId(current) === claim.id &&
      resourceMatches(t, current.policy.spec.resourceSelectors);
    if (!valid) return best;
    const preemptors = [...nsPolicies, ...clusterPolicies].filter(
      (p) => resourceMatches(t, p.policy.spec.resourceSelectors) && preempts(p, current),
    );
    const byKind = (kind: PolicyKind) =>
      highestPriorityPolicy(
        t,
        preemptors.filter((p) => p.kind === kind),
      );
    return byKind('PropagationPolicy') ?? byKind('ClusterPropagationPolicy') ?? current;
  }

  function dependentOverridesPresent(p: AnyPolicy): boolean {
    for (const name of p.policy.spec.dependentOverrides ?? []) {
      const found =
        p.kind === 'PropagationPolicy' ? ops.get(name, p.policy.metadata.namespace) : cops.get(name);
      if (!found) return false;
    }
    return true;
  }

  async function patchClaim(t: KubeObject, p: AnyPolicy | undefined): Promise<KubeObject> {
    const ref = await templates.refFor(t.apiVersion, t.kind);
    return ctx.client.patch(ref, t.metadata.name!, { metadata: claimMetadata(p) }, 'merge', {
      namespace: t.metadata.namespace,
      fieldManager: 'resource-detector',
    });
  }

  const bindingInformer = (namespaced: boolean) => (namespaced ? rbs : crbs);
  const bindingResource = (namespaced: boolean) =>
    namespaced ? karmadaResources.resourcebindings : karmadaResources.clusterresourcebindings;

  async function deleteBinding(namespace: string | undefined, name: string): Promise<void> {
    try {
      await ctx.client.delete(bindingResource(!!namespace), name, { namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function reconcileTemplate(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
    ownerChanged: boolean,
  ) {
    const informer = await templates.informerFor(apiVersion, kind);
    const t = informer.get(name, namespace);
    const bName = bindingName(kind, name);
    const existing = bindingInformer(!!namespace).get(bName, namespace);
    const ownedByTemplate = (b: AnyBinding | undefined) =>
      !!b &&
      b.spec.resource.apiVersion === apiVersion &&
      b.spec.resource.kind === kind &&
      b.spec.resource.name === name;
    if (!t) {
      // The template is gone: its binding (and through it, its Works) go too.
      if (ownedByTemplate(existing)) await deleteBinding(namespace, bName);
      return undefined;
    }
    if (t.metadata.deletionTimestamp || isReservedNamespace(namespace)) return undefined;
    const claim = claimOf(t);
    const target = claimerFor(t);
    const previous = claim ? policyOf(claim) : undefined;
    if (!target) {
      if (claim) {
        await patchClaim(t, undefined);
        if (existing && claimOf(existing)) await writeBinding(existing, withoutClaim(existing));
        if (previous) enqueuePolicy(previous);
      }
      return undefined;
    }
    if (!dependentOverridesPresent(target)) {
      // Karmada waits for the override policies a policy depends on.
      return { requeueAfter: 2000 };
    }
    const hash = templateContentHash(t);
    const sameTemplate =
      existing && ownedByTemplate(existing) && existing.metadata.ownerReferences?.[0]?.uid === t.metadata.uid
        ? existing
        : undefined;
    if (isLazy(target) && !templateChangedSince(sameTemplate, hash, ownerChanged)) {
      // Lazy: the claim moves now, the binding's placement waits for the template to change.
      const claimedLazily = hasClaimMetadata(t, target) ? t : await patchClaim(t, target);
      if (sameTemplate) {
        const next = withClaimMetadata(
          {
            ...sameTemplate,
            metadata: {
              ...sameTemplate.metadata,
              annotations: { ...(sameTemplate.metadata.annotations ?? {}), [TEMPLATE_HASH_ANNOTATION]: hash },
            },
          },
          target,
        );
        if (JSON.stringify(next.metadata) !== JSON.stringify(sameTemplate.metadata)) {
          await writeBinding(sameTemplate, next);
        }
      }
      if (claimedLazily !== t || !claim || claim.id !== permanentId(target)) {
        enqueuePolicy(target);
        if (previous) enqueuePolicy(previous);
      }
      return undefined;
    }
    const claimed = hasClaimMetadata(t, target) ? t : await patchClaim(t, target);
    const desired = desiredBinding(claimed, target);
    desired.metadata.annotations = {
      ...(desired.metadata.annotations ?? {}),
      [TEMPLATE_HASH_ANNOTATION]: hash,
    };
    if (
      existing &&
      existing.metadata.ownerReferences?.[0]?.uid !== t.metadata.uid &&
      existing.metadata.ownerReferences?.length
    ) {
      // A binding of an earlier template of the same name: it goes first.
      await deleteBinding(namespace, bName);
      return { requeueAfter: 500 };
    }
    let changed = false;
    if (!existing) {
      try {
        await ctx.client.create(bindingResource(!!namespace), desired, { namespace });
        changed = true;
      } catch (err) {
        if (isAlreadyExists(err)) return { requeue: true };
        throw err;
      }
    } else {
      const merged = mergeBinding(existing, desired);
      if (merged) {
        await writeBinding(existing, merged);
        changed = true;
      }
    }
    if (changed) {
      const what = target.kind === 'PropagationPolicy' ? 'policy' : 'cluster policy';
      const pname = target.policy.metadata.namespace
        ? `${target.policy.metadata.namespace}/${target.policy.metadata.name}`
        : target.policy.metadata.name;
      recorder.event(claimed, 'Normal', 'ApplyPolicySucceed', `Apply ${what}(${pname}) succeed`);
    }
    if (!claim || claim.id !== permanentId(target)) {
      enqueuePolicy(target);
      if (previous) enqueuePolicy(previous);
    }
    return undefined;
  }

  /**
   * Whether the template's owner changed it since its binding was last written from it; with no
   * binding, whether the reconcile comes from such a change (not from a policy's). A binding from
   * before the hash was kept counts as up to date.
   */
  function templateChangedSince(
    binding: AnyBinding | undefined,
    hash: string,
    ownerChanged: boolean,
  ): boolean {
    if (!binding) return ownerChanged;
    const stamped = binding.metadata.annotations?.[TEMPLATE_HASH_ANNOTATION];
    return stamped !== undefined && stamped !== hash;
  }

  function withoutClaim(b: AnyBinding): AnyBinding {
    const meta = claimMetadata(undefined);
    const labels = { ...(b.metadata.labels ?? {}) };
    const annotations = { ...(b.metadata.annotations ?? {}) };
    for (const k of Object.keys(meta.labels)) delete labels[k];
    for (const k of Object.keys(meta.annotations)) delete annotations[k];
    return { ...b, metadata: { ...b.metadata, labels, annotations } };
  }

  async function writeBinding(_existing: AnyBinding, next: AnyBinding): Promise<void> {
    const ns = next.metadata.namespace;
    await ctx.client.update(bindingResource(!!ns), next, { namespace: ns });
  }

  const templateLoop = reconcileLoop(ctx, {
    name: 'resource-detector',
    // Templates are independent: more of them in flight share the store's commits.
    workers: 4,
    reconcile: async (key) => {
      const [, apiVersion, kind, namespace, name] = key.split(SEP) as [
        string,
        string,
        string,
        string,
        string,
      ];
      // The owner's change is consumed by a reconcile that finishes; one that fails keeps it.
      const ownerChanged = touched.delete(key);
      const keep = () => {
        if (ownerChanged) touched.add(key);
      };
      try {
        const result = await reconcileTemplate(apiVersion, kind, namespace || undefined, name, ownerChanged);
        if (result) keep();
        return result;
      } catch (err) {
        keep();
        if (isConflict(err)) return { requeue: true };
        if (err instanceof NoKindMatchError) return { requeueAfter: 5000 };
        throw err;
      }
    },
  });

  /** Templates the policy may concern: those its selectors match now and those it claims. */
  async function templatesOf(p: AnyPolicy): Promise<{ matched: KubeObject[]; missingKinds: string[] }> {
    const matched: KubeObject[] = [];
    const missingKinds: string[] = [];
    const seen = new Set<string>();
    for (const rs of p.policy.spec.resourceSelectors ?? []) {
      const kindKey = `${rs.apiVersion}/${rs.kind}`;
      if (seen.has(kindKey)) continue;
      seen.add(kindKey);
      try {
        const informer = await templates.informerFor(rs.apiVersion, rs.kind);
        const ns = p.kind === 'PropagationPolicy' ? p.policy.metadata.namespace : undefined;
        for (const t of informer.list(ns ? { namespace: ns } : {})) {
          if (resourceMatches(t, p.policy.spec.resourceSelectors)) matched.push(t);
        }
      } catch (err) {
        if (err instanceof NoKindMatchError) missingKinds.push(`${rs.kind} (${rs.apiVersion})`);
        else throw err;
      }
    }
    return { matched, missingKinds };
  }

  function claimedBindings(p: AnyPolicy): AnyBinding[] {
    const label =
      p.kind === 'PropagationPolicy'
        ? PROPAGATION_POLICY_PERMANENT_ID_LABEL
        : CLUSTER_PROPAGATION_POLICY_PERMANENT_ID_LABEL;
    const selector = `${label}=${permanentId(p)}`;
    return [...rbs.list({ labelSelector: selector }), ...crbs.list({ labelSelector: selector })];
  }

  async function reconcilePolicy(kind: PolicyKind, namespace: string | undefined, name: string) {
    const informer = kind === 'PropagationPolicy' ? pps : cpps;
    const policy = informer.get(name, namespace);
    if (!policy) return undefined;
    const p: AnyPolicy = { kind, policy };
    const ref =
      kind === 'PropagationPolicy'
        ? karmadaResources.propagationpolicies
        : karmadaResources.clusterpropagationpolicies;
    const finalizer =
      kind === 'PropagationPolicy' ? PROPAGATION_POLICY_FINALIZER : CLUSTER_PROPAGATION_POLICY_FINALIZER;
    const finalizers = policy.metadata.finalizers ?? [];
    if (policy.metadata.deletionTimestamp) {
      if (!finalizers.includes(finalizer)) return undefined;
      // Release everything it claimed; the bindings stay and another policy may claim the templates.
      for (const b of claimedBindings(p)) {
        const r = b.spec.resource;
        try {
          const t = await templates.get(r);
          if (t && claimOf(t)?.id === permanentId(p)) await patchClaim(t, undefined);
        } catch (err) {
          if (!(err instanceof NoKindMatchError) && !isNotFound(err)) throw err;
        }
        await writeBinding(b, withoutClaim(b));
        templateLoop.enqueue(templateKey(r));
      }
      await ctx.client.update(
        ref,
        {
          ...policy,
          metadata: { ...policy.metadata, finalizers: finalizers.filter((f) => f !== finalizer) },
        },
        { namespace },
      );
      synced.delete(policy.metadata.uid ?? '');
      return undefined;
    }
    if (!finalizers.includes(finalizer)) {
      // The API server leaves Karmada's policy finalizers to the controllers.
      await ctx.client.update(
        ref,
        { ...policy, metadata: { ...policy.metadata, finalizers: [...finalizers, finalizer] } },
        {
          namespace,
        },
      );
      return undefined;
    }
    const { matched, missingKinds } = await templatesOf(p);
    const uid = policy.metadata.uid ?? '';
    if (synced.get(uid) !== policy.metadata.generation) {
      for (const t of matched) enqueueTemplate(t);
      for (const b of claimedBindings(p)) templateLoop.enqueue(templateKey(b.spec.resource));
      synced.set(uid, policy.metadata.generation ?? 0);
    }
    await writePolicyStatus(p, ref, appliedCondition(p, matched, missingKinds));
    return missingKinds.length > 0 ? { requeueAfter: 5000 } : undefined;
  }

  function appliedCondition(p: AnyPolicy, matched: KubeObject[], missingKinds: string[]): Condition {
    const id = permanentId(p);
    const claimed = matched.filter((t) => claimOf(t)?.id === id);
    if (claimed.length > 0) {
      const others = matched.length - claimed.length;
      return {
        type: POLICY_APPLIED,
        status: 'True',
        reason: 'PolicyApplied',
        message:
          `the policy claims ${claimed.length} resource${claimed.length === 1 ? '' : 's'}` +
          (others > 0 ? `; ${others} more match but are claimed by other policies` : ''),
      };
    }
    if (missingKinds.length > 0) {
      return {
        type: POLICY_APPLIED,
        status: 'False',
        reason: 'APINotFound',
        message: `no API serves ${missingKinds.join(', ')}`,
      };
    }
    if (matched.length > 0) {
      return {
        type: POLICY_APPLIED,
        status: 'False',
        reason: 'ClaimedByOtherPolicies',
        message: `${matched.length} resource${matched.length === 1 ? '' : 's'} match but are claimed by other policies (a policy with a higher priority, or one that claimed them first)`,
      };
    }
    return {
      type: POLICY_APPLIED,
      status: 'False',
      reason: 'NoMatchingResources',
      message: 'no resource matches the resource selectors',
    };
  }

  async function writePolicyStatus(
    p: AnyPolicy,
    ref: typeof karmadaResources.propagationpolicies,
    condition: Condition,
  ) {
    const status = (p.policy.status ?? {}) as { conditions?: Condition[] };
    const conditions = setCondition(status.conditions, condition, metaTime(ctx.now()));
    if (sameConditions(status.conditions, conditions)) return;
    await ctx.client.update(
      ref,
      { ...p.policy, status: { ...status, conditions } },
      { subresource: 'status', namespace: p.policy.metadata.namespace },
    );
  }

  const policyLoop = reconcileLoop(ctx, {
    name: 'resource-detector-policies',
    workers: 1,
    reconcile: async (key) => {
      const [, kind, namespace, name] = key.split(SEP) as [string, PolicyKind, string, string];
      try {
        return await reconcilePolicy(kind, namespace || undefined, name);
      } catch (err) {
        if (isConflict(err)) return { requeue: true };
        throw err;
      }
    },
  });

  // Events -------------------------------------------------------------------------------------
  const keyOfTemplate = (t: KubeObject) =>
    templateKey({
      apiVersion: t.apiVersion,
      kind: t.kind,
      namespace: t.metadata.namespace,
      name: t.metadata.name!,
    });
  const enqueueTemplate = (t: KubeObject) => templateLoop.enqueue(keyOfTemplate(t));
  const offTemplates = templates.addEventHandler({
    onAdd: (t) => {
      touched.add(keyOfTemplate(t));
      enqueueTemplate(t);
    },
    onUpdate: (old, cur) => {
      if (!specificationChanged(old, cur)) return;
      if (templateContentHash(old) !== templateContentHash(cur)) touched.add(keyOfTemplate(cur));
      enqueueTemplate(cur);
    },
    onDelete: (t) => {
      touched.delete(keyOfTemplate(t));
      enqueueTemplate(t);
    },
  });
  const policyHandler = (kind: PolicyKind) => ({
    onAdd: (p: KubeObject) => policyLoop.enqueue(policyKey(kind, p.metadata.namespace, p.metadata.name!)),
    onUpdate: (old: KubeObject, cur: KubeObject) => {
      if (
        old.metadata.generation !== cur.metadata.generation ||
        !!old.metadata.deletionTimestamp !== !!cur.metadata.deletionTimestamp ||
        JSON.stringify(old.metadata.finalizers) !== JSON.stringify(cur.metadata.finalizers)
      ) {
        policyLoop.enqueue(policyKey(kind, cur.metadata.namespace, cur.metadata.name!));
      }
    },
    onDelete: (p: KubeObject) => synced.delete(p.metadata.uid ?? ''),
  });
  const offPps = pps.addEventHandler(policyHandler('PropagationPolicy'));
  const offCpps = cpps.addEventHandler(policyHandler('ClusterPropagationPolicy'));
  // A binding deleted while its template is still selected comes back.
  const bindingHandler = {
    onDelete: (b: AnyBinding) => {
      if (b.spec?.resource) templateLoop.enqueue(templateKey(b.spec.resource));
    },
  };
  const offRbs = rbs.addEventHandler(bindingHandler);
  const offCrbs = crbs.addEventHandler(bindingHandler);
  // An override policy a policy waits for appears.
  const wakePolicies = () => {
    for (const p of pps.list())
      if (p.spec.dependentOverrides?.length)
        policyLoop.enqueue(policyKey('PropagationPolicy', p.metadata.namespace, p.metadata.name!));
    for (const p of cpps.list())
      if (p.spec.dependentOverrides?.length)
        policyLoop.enqueue(policyKey('ClusterPropagationPolicy', undefined, p.metadata.name!));
  };
  const offOps = ops.addEventHandler({ onAdd: wakePolicies });
  const offCops = cops.addEventHandler({ onAdd: wakePolicies });

  let stopped = false;
  void Promise.all([pps, cpps, ops, cops, rbs, crbs].map((i) => i.waitForSync())).then((ok) => {
    if (stopped || !ok.every(Boolean)) return;
    policyLoop.start();
    templateLoop.start();
    // Templates whose bindings exist are watched from the start, so deletions are seen.
    for (const b of [...rbs.list(), ...crbs.list()]) templateLoop.enqueue(templateKey(b.spec.resource));
  });
  return {
    name: 'resource-detector',
    async stop() {
      stopped = true;
      for (const off of [offTemplates, offPps, offCpps, offRbs, offCrbs, offOps, offCops]) off();
      await Promise.all([templateLoop.stop(), policyLoop.stop()]);
      if (!opts.recorder) await recorder.stop();
    },
  };
}
