// `concord audit [--format table|json]`: where every propagated resource runs, which residency
// rules cover it and where it breaks them, each rule with the members it allows, and the recent
// Events about residency (refused placements, bindings left unplaced), and the fleet security
// baselines with the drift put right on each member. Read from the hub's API objects through the
// hub kubeconfig; exits 1 when any residency violation exists.

import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { Client } from '../client/client.js';
import { HttpsClient } from '../client/https.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { resources } from '../client/resources.js';
import { type ResidencyRule, residencyRules } from '../hub/apis/governance/index.js';
import {
  type Cluster,
  type ClusterPropagationPolicy,
  type ClusterResourceBinding,
  karmadaResources,
  type ResourceBinding,
  type Work,
} from '../hub/apis/karmada/index.js';
import { auditBaselines, type BaselineEntry } from '../hub/governance/audit/baselines.js';
import { type AuditReport, auditResidency, resourceKey } from '../hub/governance/audit/report.js';
import type { Labels } from '../hub/governance/residency/match.js';
import { TemplateLabels } from '../hub/governance/residency/templates.js';
import type { KubeObject } from '../machinery/object.js';
import { reportFailures } from './process.js';
import { table } from './status.js';

export interface AuditEvent {
  time: string;
  object: string;
  reason: string;
  message: string;
}

export interface AuditOutput extends AuditReport {
  /** Events about residency, newest last (at most 50). */
  events: AuditEvent[];
  /** Resources of baseline ClusterPropagationPolicies, with their drift put right. */
  baselines: BaselineEntry[];
}

const MAX_EVENTS = 50;

/** Reads what `concord audit` shows from a hub. */
export async function readAudit(hub: Client): Promise<AuditOutput> {
  const [rules, clusters, bindings, clusterBindings, works, namespaces, events, policies] = await Promise.all(
    [
      hub.list<ResidencyRule>(residencyRules),
      hub.list<Cluster>(karmadaResources.clusters),
      hub.list<ResourceBinding>(karmadaResources.resourcebindings),
      hub.list<ClusterResourceBinding>(karmadaResources.clusterresourcebindings),
      hub.list<Work>(karmadaResources.works),
      hub.list(resources.namespaces),
      hub.list(resources.events),
      hub.list<ClusterPropagationPolicy>(karmadaResources.clusterpropagationpolicies),
    ],
  );
  const allBindings = [...bindings.items, ...clusterBindings.items];
  const templateLabels = new Map<string, Labels>();
  if (rules.items.some((r) => r.spec.resourceSelector?.labelSelector)) {
    const templates = new TemplateLabels(hub);
    for (const b of allBindings) {
      if (b.spec?.resource)
        templateLabels.set(resourceKey(b.spec.resource), await templates.of(b.spec.resource));
    }
  }
  const report = auditResidency({
    rules: rules.items,
    clusters: clusters.items,
    bindings: allBindings,
    works: works.items,
    namespaces: namespaces.items,
    templateLabels,
  });
  return {
    ...report,
    events: residencyEvents(events.items),
    baselines: auditBaselines({
      policies: policies.items,
      bindings: allBindings,
      works: works.items,
      events: events.items,
    }),
  };
}

function residencyEvents(events: KubeObject[]): AuditEvent[] {
  return events
    .filter((e) => String(e.message ?? '').includes('residency rule'))
    .map((e) => {
      const o = (e.involvedObject ?? {}) as { kind?: string; namespace?: string; name?: string };
      const time = String(
        e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '',
      );
      return {
        time,
        object: `${o.kind ?? ''} ${o.namespace ? `${o.namespace}/` : ''}${o.name ?? ''}`.trim(),
        reason: String(e.reason ?? ''),
        message: String(e.message ?? ''),
      };
    })
    .sort((a, b) => a.time.localeCompare(b.time))
    .slice(-MAX_EVENTS);
}

export function formatAudit(a: AuditOutput): string {
  const lines: string[] = [];
  if (a.rules.length === 0) lines.push('No residency rules.');
  else {
    lines.push(
      table([
        ['RULE', 'ALLOWED CLUSTERS', 'COVERED', 'VIOLATIONS'],
        ...a.rules.map((r) => [
          r.name,
          r.allowedClusters.join(',') || '(none)',
          String(r.coveredResources),
          String(r.violations.length),
        ]),
      ]),
    );
  }
  lines.push('');
  if (a.resources.length === 0) lines.push('No propagated resources.');
  else {
    lines.push(
      table([
        ['RESOURCE', 'CLUSTERS', 'RULES', 'VIOLATIONS'],
        ...a.resources.map((r) => [
          `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`,
          r.clusters.join(',') || '-',
          r.rules.join(',') || '-',
          r.violations.map((v) => `${v.cluster} (${v.type}: ${v.rules.join(',')})`).join(', ') || '-',
        ]),
      ]),
    );
  }
  if (a.baselines.length > 0) {
    lines.push(
      '',
      table([
        ['BASELINE', 'POLICY', 'CLUSTERS', 'APPLIED', 'DRIFT CORRECTED'],
        ...a.baselines.map((b) => [
          `${b.kind} ${b.namespace ? `${b.namespace}/` : ''}${b.name}`,
          b.policy,
          b.clusters.join(',') || '-',
          `${b.applied.length}/${b.clusters.length}`,
          b.driftCorrections.map((d) => `${d.cluster} (${d.change} x${d.count}, ${d.lastTime})`).join(', ') ||
            '-',
        ]),
      ]),
    );
  }
  if (a.events.length > 0) {
    lines.push('', 'recent residency events:');
    for (const e of a.events) lines.push(`  ${e.time}  ${e.object}  ${e.reason}: ${e.message}`);
  }
  lines.push('', a.violations === 0 ? 'no violations' : `${a.violations} violation(s)`);
  return `${lines.join('\n')}\n`;
}

function parseFormat(value: string): 'table' | 'json' {
  if (value !== 'table' && value !== 'json') {
    throw new InvalidArgumentError(`--format: expected table or json, got ${value}`);
  }
  return value;
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description(
      'where every propagated resource runs, the residency rules covering it, violations (exit 1 on any), fleet baselines and their drift',
    )
    .option('--format <format>', 'table or json', parseFormat, 'table')
    .option('--kubeconfig <file>', 'the hub kubeconfig (default DIR/hub.kubeconfig)')
    .option('--data-dir <dir>', 'the data dir of the hub', '.concord')
    .action((opts: { format: 'table' | 'json'; kubeconfig?: string; dataDir: string }, cmd: Command) =>
      reportFailures(cmd, async () => {
        const path = opts.kubeconfig ?? join(opts.dataDir, 'hub.kubeconfig');
        const client = new HttpsClient(await loadKubeconfig(path), { timeoutMs: 10_000 });
        try {
          const audit = await readAudit(client);
          process.stdout.write(
            opts.format === 'json' ? `${JSON.stringify(audit, null, 2)}\n` : formatAudit(audit),
          );
          if (audit.violations > 0) process.exitCode = 1;
        } finally {
          client.close();
        }
      }),
    );
}
