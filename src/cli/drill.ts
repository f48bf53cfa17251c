// `concord drill APP [--scenario cluster-down|region-down|partition] [--duration D]` and
// `concord drill --all`: runs disaster-recovery drills on the live fleet (src/hub/recovery/drill)
// and prints what they measured; every drill is kept on the hub as a DrillRun.

import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import type { Client } from '../client/client.js';
import { HttpsClient } from '../client/https.js';
import { loadKubeconfig } from '../client/kubeconfig-file.js';
import { type Cluster, karmadaResources } from '../hub/apis/karmada/index.js';
import {
  type DisasterRecoveryStrategy,
  DRILL_SCENARIOS,
  type DrillRun,
  type DrillScenario,
  recoveryResources,
} from '../hub/apis/recovery/index.js';
import { drillTargets, runDrill } from '../hub/recovery/drill/drill.js';
import { parseDuration } from '../machinery/duration.js';
import { reportFailures } from './process.js';

interface DrillCliOptions {
  scenario: string;
  duration?: string;
  all?: boolean;
  namespace: string;
  kubeconfig?: string;
  dataDir: string;
  output: string;
  timeout: string;
}

function pad(text: string, width: number): string {
  return text.length >= width ? `${text} ` : text + ' '.repeat(width - text.length);
}

const secs = (v: number | undefined) => (v === undefined ? '-' : `${v}s`);

/** The report of one drill, as printed for `concord drill APP`. */
export function formatDrillReport(drs: DisasterRecoveryStrategy, run: DrillRun): string {
  const s = run.status ?? {};
  const o = s.objects;
  const lines = [
    `drill ${run.metadata.namespace}/${drs.metadata.name} (${drs.spec.strategy}, ${run.spec.scenario}): ${s.phase}`,
    `  fault:      ${(s.targetClusters ?? []).join(', ')} (${s.method === 'taint' ? 'cordon and NoExecute taint' : 'fault injection'})`,
    `  primary:    ${s.primaryBefore ?? '-'} -> ${s.primaryAfter ?? '-'}`,
    `  RTO:        first success ${secs(s.rtoFirstSuccessSeconds)}, full capacity ${secs(s.rtoFullCapacitySeconds)} (objective ${s.recoveryTimeObjective}: ${s.objectiveMet ? 'met' : 'missed'})`,
    `  requests:   ${s.requests?.total ?? 0}, ${s.requests?.failed ?? 0} failed`,
    `  objects:    ${o?.found ?? 0}/${o?.expected ?? 0} in place, lost: ${o?.lost.length ? o.lost.join(', ') : 'none'}, running twice: ${o?.duplicated.length ? o.duplicated.join(', ') : 'none'}`,
    `  healed:     ${s.healed ? 'yes' : 'no'}`,
    `  record:     drillrun ${run.metadata.namespace}/${run.metadata.name}`,
  ];
  if (s.phase !== 'Succeeded' && s.message) lines.push(`  problems:   ${s.message}`);
  return `${lines.join('\n')}\n`;
}

const COLUMNS = [
  'NAMESPACE',
  'STRATEGY',
  'TYPE',
  'SCENARIO',
  'PHASE',
  'FIRST-SUCCESS',
  'FULL-CAPACITY',
  'OBJECTIVE',
  'MET',
  'FAILED',
  'REQUESTS',
];

export function formatDrillTable(
  rows: { drs: DisasterRecoveryStrategy; run?: DrillRun; skipped?: string }[],
): string {
  const cells = rows.map(({ drs, run, skipped }) => {
    const s = run?.status ?? {};
    return [
      drs.metadata.namespace ?? '',
      drs.metadata.name ?? '',
      drs.spec.strategy,
      run?.spec.scenario ?? '-',
      skipped ? `Skipped (${skipped})` : (s.phase ?? '-'),
      secs(s.rtoFirstSuccessSeconds),
      secs(s.rtoFullCapacitySeconds),
      s.recoveryTimeObjective ?? '-',
      run ? (s.objectiveMet ? 'yes' : 'no') : '-',
      String(s.requests?.failed ?? '-'),
      String(s.requests?.total ?? '-'),
    ];
  });
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)) + 2);
  const lines = [COLUMNS, ...cells].map((r) =>
    r
      .map((c, i) => pad(c, widths[i]!))
      .join('')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

async function drillGroups(
  hub: Client,
  strategies: DisasterRecoveryStrategy[],
  scenario: DrillScenario,
): Promise<{
  groups: DisasterRecoveryStrategy[][];
  skipped: { drs: DisasterRecoveryStrategy; skipped: string }[];
}> {
  const clusters = (await hub.list<Cluster>(karmadaResources.clusters)).items;
  const byTargets = new Map<string, DisasterRecoveryStrategy[]>();
  const skipped: { drs: DisasterRecoveryStrategy; skipped: string }[] = [];
  for (const drs of strategies) {
    const state = drs.status?.state;
    const primary = clusters.find((c) => c.metadata.name === drs.status?.currentPrimary);
    if (!primary || (state !== 'Protected' && state !== 'FailedOver')) {
      skipped.push({ drs, skipped: state ?? 'not reconciled' });
      continue;
    }
    // Strategies whose fault is the same share it: one outage, every application measured.
    const key = `${primary.metadata.name}|${drillTargets(scenario, primary, clusters).join(',')}`;
    byTargets.set(key, [...(byTargets.get(key) ?? []), drs]);
  }
  return { groups: [...byTargets.values()], skipped };
}

export function registerDrill(program: Command): void {
  program
    .command('drill')
    .description(
      'run a disaster-recovery drill: take the primary down, drive requests, measure the recovery, heal',
    )
    .argument('[app]', 'the DisasterRecoveryStrategy to drill')
    .option('--scenario <scenario>', `what fails: ${DRILL_SCENARIOS.join(', ')}`, 'cluster-down')
    .option('--duration <duration>', 'keep the fault at least this long (e.g. 30s)')
    .option('--all', 'drill every strategy that is Protected, and print a table')
    .option('-n, --namespace <namespace>', "the strategy's namespace", 'default')
    .option('--timeout <duration>', 'give up waiting for recovery after this long', '120s')
    .option('-o, --output <format>', 'table or json', 'table')
    .option('--kubeconfig <file>', 'the hub kubeconfig (default DIR/hub.kubeconfig)')
    .option('--data-dir <dir>', 'the data dir of the hub and its simulated clusters', '.concord')
    .action((app: string | undefined, opts: DrillCliOptions, cmd: Command) =>
      reportFailures(cmd, async () => {
        if (!(DRILL_SCENARIOS as readonly string[]).includes(opts.scenario)) {
          throw new InvalidArgumentError(
            `--scenario: expected one of ${DRILL_SCENARIOS.join(', ')}, got ${opts.scenario}`,
          );
        }
        if (opts.output !== 'table' && opts.output !== 'json') {
          throw new InvalidArgumentError(`--output: expected table or json, got ${opts.output}`);
        }
        if (!app && !opts.all) throw new InvalidArgumentError('name the strategy to drill, or pass --all');
        if (app && opts.all) throw new InvalidArgumentError('name a strategy or pass --all, not both');
        const durationOf = (flag: string, v: string) => {
          try {
            return parseDuration(v);
          } catch (err) {
            throw new InvalidArgumentError(`${flag}: ${(err as Error).message}`);
          }
        };
        const durationMs = opts.duration ? durationOf('--duration', opts.duration) : undefined;
        const recoveryTimeoutMs = durationOf('--timeout', opts.timeout);
        const scenario = opts.scenario as DrillScenario;
        const hub = new HttpsClient(
          await loadKubeconfig(opts.kubeconfig ?? join(opts.dataDir, 'hub.kubeconfig')),
          {
            timeoutMs: 10_000,
          },
        );
        try {
          const common = {
            hub,
            scenario,
            dataDir: opts.dataDir,
            recoveryTimeoutMs,
            ...(durationMs !== undefined ? { durationMs } : {}),
          };
          if (app) {
            const drs = await hub.get<DisasterRecoveryStrategy>(recoveryResources.strategies, app, {
              namespace: opts.namespace,
            });
            const [result] = await runDrill({
              ...common,
              strategies: [drs],
              progress: (line) => process.stderr.write(`${line}\n`),
            });
            const run = result!.run;
            process.stdout.write(
              opts.output === 'json' ? `${JSON.stringify(run, null, 2)}\n` : formatDrillReport(drs, run),
            );
            if (run.status?.phase !== 'Succeeded') process.exitCode = 1;
            return;
          }
          const all = (await hub.list<DisasterRecoveryStrategy>(recoveryResources.strategies)).items;
          const { groups, skipped } = await drillGroups(hub, all, scenario);
          const rows: { drs: DisasterRecoveryStrategy; run?: DrillRun; skipped?: string }[] = [...skipped];
          const started = Date.now();
          for (const group of groups) {
            process.stderr.write(
              `drilling ${group.length} application(s) on ${group[0]!.status?.currentPrimary}\n`,
            );
            const results = await runDrill({
              ...common,
              strategies: group,
              progress: (line) => process.stderr.write(`  ${line}\n`),
            });
            for (const [i, r] of results.entries()) rows.push({ drs: group[i]!, run: r.run });
          }
          rows.sort((a, b) =>
            `${a.drs.metadata.namespace}/${a.drs.metadata.name}`.localeCompare(
              `${b.drs.metadata.namespace}/${b.drs.metadata.name}`,
            ),
          );
          if (opts.output === 'json') {
            process.stdout.write(
              `${JSON.stringify({ elapsedSeconds: (Date.now() - started) / 1000, drills: rows.map((r) => r.run ?? { strategy: r.drs.metadata.name, skipped: r.skipped }) }, null, 2)}\n`,
            );
          } else {
            process.stdout.write(formatDrillTable(rows));
            process.stdout.write(
              `${rows.filter((r) => r.run).length} drill(s) in ${Math.round((Date.now() - started) / 100) / 10}s\n`,
            );
          }
          if (rows.some((r) => r.run && r.run.status?.phase !== 'Succeeded')) process.exitCode = 1;
        } finally {
          hub.close();
        }
      }),
    );
}
