// The ResidencyRules' status: after any change of rules, members, bindings, Works or namespaces,
// the audit (report.ts) is run again and each rule gets the members it allows now, how many
// propagated resources it covers, its violations (the first few listed), and two conditions:
// Ready (Enforced, or NoAllowedClusters when no member satisfies it: covered resources then run
// nowhere) and Compliant (NoViolations or ViolationsFound).

import type { Informer } from '../../../client/informer.js';
import { resources } from '../../../client/resources.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { updateStatus } from '../../../controller/status.js';
import { setCondition } from '../../../machinery/conditions.js';
import { deepEqual } from '../../../machinery/json.js';
import type { Condition, KubeObject } from '../../../machinery/object.js';
import { isNotFound } from '../../../machinery/status.js';
import { metaTime } from '../../../machinery/time.js';
import {
  REASON_ENFORCED,
  REASON_NO_ALLOWED_CLUSTERS,
  REASON_NO_VIOLATIONS,
  REASON_VIOLATIONS_FOUND,
  RESIDENCY_RULE_COMPLIANT,
  RESIDENCY_RULE_READY,
  type ResidencyRule,
  type ResidencyRuleStatus,
  residencyRules,
} from '../../apis/governance/index.js';
import {
  type Cluster,
  type ClusterResourceBinding,
  karmadaResources,
  type ResourceBinding,
  type Work,
} from '../../apis/karmada/index.js';
import type { Labels } from '../residency/match.js';
import { TemplateLabels } from '../residency/templates.js';
import { auditResidency, type RuleSummary, resourceKey, violationDetails } from './report.js';

const KEY = 'residency';

function conditionsFor(s: RuleSummary, generation: number | undefined): Condition[] {
  const ready: Condition =
    s.allowedClusters.length > 0
      ? {
          type: RESIDENCY_RULE_READY,
          status: 'True',
          reason: REASON_ENFORCED,
          message: `Covered resources may run on ${s.allowedClusters.join(', ')}.`,
        }
      : {
          type: RESIDENCY_RULE_READY,
          status: 'False',
          reason: REASON_NO_ALLOWED_CLUSTERS,
          message: 'No member satisfies the rule: the resources it covers run nowhere.',
        };
  const n = s.violations.length;
  const compliant: Condition =
    n === 0
      ? {
          type: RESIDENCY_RULE_COMPLIANT,
          status: 'True',
          reason: REASON_NO_VIOLATIONS,
          message: 'No covered resource runs outside.',
        }
      : {
          type: RESIDENCY_RULE_COMPLIANT,
          status: 'False',
          reason: REASON_VIOLATIONS_FOUND,
          message: `${n} covered resource placement(s) outside the allowed members: ${s.violations
            .slice(0, 3)
            .map((v) => `${v.kind} ${v.namespace ? `${v.namespace}/` : ''}${v.name} on ${v.cluster}`)
            .join(', ')}${n > 3 ? ', ...' : ''}.`,
        };
  return [ready, compliant].map((c) =>
    generation === undefined ? c : { ...c, observedGeneration: generation },
  );
}

/** Status equal but for the conditions' transition times. */
function sameStatus(a: ResidencyRuleStatus | undefined, b: ResidencyRuleStatus): boolean {
  const strip = (s: ResidencyRuleStatus | undefined) => ({
    ...s,
    conditions: (s?.conditions ?? []).map(({ lastTransitionTime: _t, ...c }) => c),
  });
  return deepEqual(strip(a), strip(b));
}

export function startResidencyStatusController(ctx: ControllerContext): RunningController {
  const rules: Informer<ResidencyRule> = ctx.informers.informerFor(residencyRules);
  const clusters: Informer<Cluster> = ctx.informers.informerFor(karmadaResources.clusters);
  const bindings: Informer<ResourceBinding> = ctx.informers.informerFor(karmadaResources.resourcebindings);
  const clusterBindings: Informer<ClusterResourceBinding> = ctx.informers.informerFor(
    karmadaResources.clusterresourcebindings,
  );
  const works: Informer<Work> = ctx.informers.informerFor(karmadaResources.works);
  const namespaces: Informer<KubeObject> = ctx.informers.informerFor(resources.namespaces);
  const templates = new TemplateLabels(ctx.client);

  const controller = reconcileLoop(ctx, {
    name: 'residency-status',
    reconcile: async () => {
      const ruleList = rules.list();
      if (ruleList.length === 0) return undefined;
      const allBindings = [...bindings.list(), ...clusterBindings.list()];
      // Bindings carry no labels: read their templates' when a rule selects by label.
      const templateLabels = new Map<string, Labels>();
      if (ruleList.some((r) => r.spec.resourceSelector?.labelSelector)) {
        for (const b of allBindings) {
          if (b.spec?.resource)
            templateLabels.set(resourceKey(b.spec.resource), await templates.of(b.spec.resource));
        }
      }
      const report = auditResidency({
        rules: ruleList,
        clusters: clusters.list(),
        bindings: allBindings,
        works: works.list(),
        namespaces: namespaces.list(),
        templateLabels,
      });
      const now = metaTime(ctx.now());
      for (const summary of report.rules) {
        const rule = rules.get(summary.name);
        if (!rule) continue;
        let conditions = rule.status?.conditions;
        for (const c of conditionsFor(summary, rule.metadata.generation))
          conditions = setCondition(conditions, c, now);
        const status: ResidencyRuleStatus = {
          observedGeneration: rule.metadata.generation,
          conditions,
          allowedClusters: summary.allowedClusters,
          coveredResources: summary.coveredResources,
          violations: summary.violations.length,
          violationDetails: violationDetails(summary),
        };
        if (sameStatus(rule.status, status)) continue;
        try {
          await updateStatus(ctx.client, residencyRules, rule, status);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return undefined;
    },
  });

  const wake = () => controller.enqueue(KEY);
  const offs = [rules, clusters, bindings, clusterBindings, works, namespaces].map((inf) =>
    (inf as Informer<KubeObject>).addEventHandler({
      onAdd: wake,
      onUpdate: (old: KubeObject, cur: KubeObject) => {
        // Status writes of the rules themselves change nothing the audit reads.
        if (old.metadata.resourceVersion !== cur.metadata.resourceVersion) wake();
      },
      onDelete: wake,
    }),
  );
  let stopped = false;
  void Promise.all(
    [rules, clusters, bindings, clusterBindings, works, namespaces].map((i) => i.waitForSync()),
  ).then((synced) => {
    if (stopped || !synced.every(Boolean)) return;
    controller.start();
    wake();
  });
  return {
    name: 'residency-status',
    async stop() {
      stopped = true;
      for (const off of offs) off();
      await controller.stop();
    },
  };
}
