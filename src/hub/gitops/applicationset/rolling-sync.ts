// Progressive sync (strategy.type: RollingSync), as Argo CD's ApplicationSet controller runs it:
// each Application belongs to the first step whose matchExpressions its labels satisfy; an
// Application with changes waits (Waiting) until every earlier step is Healthy, then is synced
// (Pending -> Progressing -> Healthy), at most maxUpdate at a time within its step. With the
// promotion gates (../promotion/gates.ts) a step may also wait for approval, and an Application
// that turns Degraded soon after its step synced rolls back every Application the rollout moved
// to that revision, and holds the rollout there.

import type {
  Application,
  ApplicationSet,
  ApplicationSetApplicationStatus,
  Operation,
  RollingSyncStep,
} from '../../apis/argocd/index.js';
import {
  approvalSteps,
  approved,
  lastRevisionBefore,
  rollbackWindowMs,
  rolledBackRevision,
} from '../promotion/gates.js';

export interface RolloutAction {
  app: Application;
  operation: Operation;
  reason: 'Promoted' | 'Approved' | 'RolledBack';
  message: string;
}

export interface RolloutResult {
  statuses: ApplicationSetApplicationStatus[];
  actions: RolloutAction[];
  /** 1-based step under way, or undefined when the rollout is complete. */
  step?: number;
  /** A revision this pass rolled back (to be held). */
  rolledBack?: string;
}

function matchesStep(step: RollingSyncStep, labels: Record<string, string>): boolean {
  return (step.matchExpressions ?? []).every((e) => {
    const v = labels[e.key];
    switch (e.operator) {
      case 'In':
        return v !== undefined && (e.values ?? []).includes(v);
      case 'NotIn':
        return v === undefined || !(e.values ?? []).includes(v);
      case 'Exists':
        return v !== undefined;
      case 'DoesNotExist':
        return v === undefined;
      default:
        return false;
    }
  });
}

/** The step (0-based) of an Application, or -1 when no step selects it. */
export function stepOf(steps: readonly RollingSyncStep[], app: Application): number {
  return steps.findIndex((s) => matchesStep(s, app.metadata.labels ?? {}));
}

function maxUpdateOf(step: RollingSyncStep, size: number): number {
  const m = step.maxUpdate;
  if (m === undefined || m === null) return size;
  if (typeof m === 'number') return m;
  const pct = /^(\d+)%$/.exec(String(m));
  if (pct) return Math.max(1, Math.floor((Number(pct[1]) / 100) * size));
  const n = Number(m);
  return Number.isFinite(n) ? n : size;
}

const healthy = (a: Application) =>
  a.status?.sync?.status === 'Synced' && a.status?.health?.status === 'Healthy';

export function progressRollout(set: ApplicationSet, apps: readonly Application[], now: Date): RolloutResult {
  const steps = set.spec.strategy?.rollingSync?.steps ?? [];
  const previous = new Map((set.status?.applicationStatus ?? []).map((s) => [s.application, s]));
  const stamp = now.toISOString();
  const held = rolledBackRevision(set);
  const needApproval = approvalSteps(set);
  const window = rollbackWindowMs(set);
  const statuses = new Map<string, ApplicationSetApplicationStatus>();
  const stepIndex = new Map<string, number>();
  const actions: RolloutAction[] = [];
  const set_ = (app: Application, status: string, message: string, step: number) => {
    const prev = statuses.get(app.metadata.name ?? '') ?? previous.get(app.metadata.name ?? '');
    const target = app.status?.sync?.revision;
    statuses.set(app.metadata.name ?? '', {
      application: app.metadata.name ?? '',
      status,
      message,
      step: String(step + 1),
      lastTransitionTime: prev?.status === status ? (prev.lastTransitionTime ?? stamp) : stamp,
      ...(target ? { targetRevisions: [target] } : {}),
    });
  };

  // 1. Each Application's own progress since the last pass.
  for (const app of apps) {
    const name = app.metadata.name ?? '';
    const step = stepOf(steps, app);
    if (step < 0) continue;
    stepIndex.set(name, step);
    const prev = previous.get(name);
    const target = app.status?.sync?.revision ?? '';
    const outOfSync = app.status?.sync?.status === 'OutOfSync';
    const op = app.status?.operationState;
    if (!prev) {
      if (healthy(app)) set_(app, 'Healthy', 'Application is Healthy', step);
      else set_(app, 'Waiting', 'Application has pending changes, setting status to Waiting', step);
      continue;
    }
    switch (prev.status) {
      case 'Healthy':
        if (outOfSync)
          set_(app, 'Waiting', 'Application has pending changes, setting status to Waiting', step);
        else statuses.set(name, prev);
        break;
      case 'Pending': {
        const started = op && Date.parse(op.startedAt) >= Date.parse(prev.lastTransitionTime ?? stamp) - 1000;
        if (app.operation || (started && op?.phase === 'Running')) {
          set_(
            app,
            'Progressing',
            'Application resource became Progressing, updating status from Pending to Progressing',
            step,
          );
        } else if (started && op?.phase === 'Succeeded') {
          set_(
            app,
            'Progressing',
            'Application resource became Progressing, updating status from Pending to Progressing',
            step,
          );
        } else {
          statuses.set(name, prev);
        }
        break;
      }
      case 'Progressing':
        if (!app.operation && op?.phase === 'Succeeded' && healthy(app)) {
          set_(
            app,
            'Healthy',
            'Application resource became Healthy, updating status from Progressing to Healthy',
            step,
          );
        } else if (!app.operation && (op?.phase === 'Failed' || op?.phase === 'Error')) {
          set_(app, 'Progressing', `Application sync failed: ${op.message ?? ''}`, step);
        } else {
          statuses.set(name, prev);
        }
        break;
      default:
        if (healthy(app) && !outOfSync) set_(app, 'Healthy', 'Application is Healthy', step);
        else statuses.set(name, prev);
    }
    void target;
  }

  // 2. A Degraded Application soon after its sync rolls the rollout back.
  let rolledBack: string | undefined;
  if (window > 0) {
    for (const app of apps) {
      const name = app.metadata.name ?? '';
      const s = statuses.get(name);
      if (!s || (s.status !== 'Progressing' && s.status !== 'Healthy')) continue;
      if (app.status?.health?.status !== 'Degraded') continue;
      const deployed = app.status?.history?.at(-1);
      if (!deployed?.revision || deployed.revision === held) continue;
      if (now.getTime() - Date.parse(deployed.deployedAt) > window) continue;
      rolledBack = deployed.revision;
      const reason = `${name} turned Degraded at ${deployed.revision.slice(0, 7)}`;
      for (const other of apps) {
        const otherStep = stepIndex.get(other.metadata.name ?? '');
        if (otherStep === undefined || otherStep > (stepIndex.get(name) ?? 0)) continue;
        if (other.status?.history?.at(-1)?.revision !== rolledBack) continue;
        const back = lastRevisionBefore(other, rolledBack);
        if (!back?.revision) continue;
        actions.push({
          app: other,
          reason: 'RolledBack',
          message: `Rolled back from ${rolledBack.slice(0, 7)} to ${back.revision.slice(0, 7)}: ${reason}`,
          operation: {
            sync: { revision: back.revision, ...(back.source ? { source: back.source } : {}) },
            initiatedBy: { username: 'promotion/rollback' },
          },
        });
        set_(
          other,
          'Waiting',
          `Rolled back from ${rolledBack.slice(0, 7)} to ${back.revision.slice(0, 7)}: ${reason}`,
          otherStep,
        );
      }
      break;
    }
  }
  const holding = rolledBack ?? held;

  // 3. The first step not Healthy moves forward.
  let current: number | undefined;
  for (let i = 0; i < steps.length; i++) {
    const members = apps.filter((a) => stepIndex.get(a.metadata.name ?? '') === i);
    if (members.some((a) => statuses.get(a.metadata.name ?? '')?.status !== 'Healthy')) {
      current = i;
      break;
    }
  }
  if (current !== undefined && !rolledBack) {
    const members = apps.filter((a) => stepIndex.get(a.metadata.name ?? '') === current);
    let busy = members.filter((a) =>
      ['Pending', 'Progressing'].includes(statuses.get(a.metadata.name ?? '')?.status ?? ''),
    ).length;
    const max = maxUpdateOf(steps[current]!, members.length);
    for (const app of members) {
      const s = statuses.get(app.metadata.name ?? '');
      if (s?.status !== 'Waiting') continue;
      const target = app.status?.sync?.revision ?? '';
      if (!target) continue;
      if (holding && target === holding) {
        if (!s.message.startsWith('Rolled back'))
          set_(
            app,
            'Waiting',
            `Revision ${target.slice(0, 7)} was rolled back; waiting for a newer revision`,
            current,
          );
        continue;
      }
      const gated = needApproval.has(current + 1);
      if (gated && !approved(app, target)) {
        set_(
          app,
          'Waiting',
          `Waiting for approval of ${target.slice(0, 7)}: concord app approve ${app.metadata.name}`,
          current,
        );
        continue;
      }
      if (busy >= max) continue;
      busy++;
      set_(
        app,
        'Pending',
        'Application moved to Pending status, watching for the Application resource to start Progressing',
        current,
      );
      actions.push({
        app,
        reason: gated ? 'Approved' : 'Promoted',
        message: `${gated ? 'Approved and promoted' : 'Promoted'} to ${target.slice(0, 7)} in step ${current + 1}`,
        operation: {
          sync: { revision: target },
          initiatedBy: { username: `promotion/step-${current + 1}${gated ? '/approved' : ''}` },
        },
      });
    }
  }
  return {
    statuses: [...statuses.values()].sort((a, b) => a.application.localeCompare(b.application)),
    actions,
    ...(current !== undefined ? { step: current + 1 } : {}),
    ...(rolledBack ? { rolledBack } : {}),
  };
}
