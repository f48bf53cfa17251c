// DefaultPreemption: when a pod fits nowhere, look for a node where removing pods of lower
// priority would let it in. Per node, all lower-priority pods are set aside; if the pod then
// fits, they are taken back one by one, most important first (those whose eviction would break
// a PodDisruptionBudget before the others), keeping each one the pod can live with; the rest
// are the victims. The node chosen has the fewest budget violations, then the lowest top victim
// priority, the lowest sum of victim priorities, the fewest victims, the latest-started top
// victims. When no node qualifies, the reasons are told as a second "0/N nodes are available".

import { fromLabelSelector } from '../../machinery/labels.js';
import type { KubeObject, LabelSelector } from '../../machinery/object.js';
import type { NodeInfo } from './cache.js';
import { Diagnosis, fitErrorMessage, type Status, status } from './fit-error.js';
import type { CycleState, Framework } from './framework.js';
import { cloneState, type LabelsOfNamespace, updateStateWithPod } from './pod-affinity.js';
import type { PodInfo } from './pod-info.js';
import { cloneSpreadState, updateSpreadWithPod } from './pod-topology-spread.js';

export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_ELIGIBLE_POLICY = 'not eligible due to preemptionPolicy=Never.';
export const NOT_ELIGIBLE_TERMINATING = 'not eligible due to a terminating pod on the nominated node.';
export const PREEMPTION_BY_SCHEDULER = 'PreemptionByScheduler';

const MAX_INT32 = 2 ** 31 - 1;

export interface Candidate {
  node: string;
  victims: PodInfo[];
  pdbViolations: number;
}

export interface PreemptionOutcome {
  /** The PostFilter message ("preemption: ..."), empty when a candidate was found. */
  message: string;
  candidate: Candidate | undefined;
}

export interface PreemptionDeps {
  framework: Framework;
  labelsOf: LabelsOfNamespace;
  /** PodDisruptionBudgets of a namespace. */
  budgets(namespace: string): readonly KubeObject[];
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Deleted by an earlier preemption and not gone yet. */
export function terminatingByPreemption(p: PodInfo): boolean {
  if (!p.pod.metadata.deletionTimestamp) return false;
  const conds = p.pod.status?.conditions;
  return (
    Array.isArray(conds) &&
    conds.some(
      (c) => asRecord(c)?.type === 'DisruptionTarget' && asRecord(c)?.reason === PREEMPTION_BY_SCHEDULER,
    )
  );
}

/** Higher priority first; among equals, the one that started earlier. */
function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.startTime - b.startTime;
}

function eligible(pod: PodInfo, diagnosis: Diagnosis, deps: PreemptionDeps): string | undefined {
  if (pod.pod.spec?.preemptionPolicy === 'Never') return NOT_ELIGIBLE_POLICY;
  const nominated = pod.pod.status?.nominatedNodeName;
  if (typeof nominated === 'string' && nominated !== '') {
    // A nominated node that can no longer take the pod at all: look again.
    if (diagnosis.get(nominated)?.code === 'UnschedulableAndUnresolvable') return undefined;
    const node = deps.framework.cache.getNode(nominated);
    if (node) {
      for (const p of node.pods.values()) {
        if (p.priority < pod.priority && terminatingByPreemption(p)) return NOT_ELIGIBLE_TERMINATING;
      }
    }
  }
  return undefined;
}

/** Splits pods into those whose eviction would break a budget and the others, spending budgets as it goes. */
function splitByBudget(pods: PodInfo[], deps: PreemptionDeps): { violating: PodInfo[]; fine: PodInfo[] } {
  const allowed = new Map<KubeObject, number>();
  const violating: PodInfo[] = [];
  const fine: PodInfo[] = [];
  for (const p of pods) {
    let violates = false;
    for (const pdb of deps.budgets(p.namespace)) {
      const selector = asRecord(pdb.spec)?.selector as LabelSelector | undefined;
      if (!selector) continue;
      let matches = false;
      try {
        const sel = fromLabelSelector(selector);
        matches = !sel.empty() && sel.matches(p.labels);
      } catch {
        matches = false;
      }
      if (!matches) continue;
      const st = asRecord(pdb.status) ?? {};
      // Already counted by the disruption controller as disrupted.
      if (asRecord(st.disruptedPods)?.[p.name] !== undefined) continue;
      const left =
        (allowed.get(pdb) ?? (typeof st.disruptionsAllowed === 'number' ? st.disruptionsAllowed : 0)) - 1;
      allowed.set(pdb, left);
      if (left < 0) violates = true;
    }
    (violates ? violating : fine).push(p);
  }
  return { violating, fine };
}

/** Victims on one node, or the status saying why preempting there does not help. */
function selectVictims(
  state: CycleState,
  node: NodeInfo,
  deps: PreemptionDeps,
): { victims: PodInfo[]; pdbViolations: number } | Status {
  const pod = state.pod;
  if (!node.hasPodBelow(pod.priority))
    return status('UnschedulableAndUnresolvable', 'DefaultPreemption', NO_VICTIMS);
  const sim = node.clone();
  const interPod = state.interPod ? cloneState(state.interPod) : undefined;
  const spread = state.spread ? cloneSpreadState(state.spread) : undefined;
  const simState: CycleState = { ...state, interPod, spread };
  const lower: PodInfo[] = [];
  for (const p of node.pods.values()) {
    if (p.priority >= pod.priority) continue;
    lower.push(p);
    sim.removePod(p.uid);
    if (interPod) updateStateWithPod(interPod, pod, p, sim, deps.labelsOf, -1);
    if (spread) updateSpreadWithPod(spread, pod, p, sim, -1);
  }
  const s = deps.framework.filterWithNominated(simState, sim);
  if (s) return s;
  lower.sort(moreImportant);
  const { violating, fine } = splitByBudget(lower, deps);
  const victims: PodInfo[] = [];
  let pdbViolations = 0;
  const reprieve = (p: PodInfo, violates: boolean) => {
    sim.addPod(p);
    if (interPod) updateStateWithPod(interPod, pod, p, sim, deps.labelsOf, 1);
    if (spread) updateSpreadWithPod(spread, pod, p, sim, 1);
    if (!deps.framework.filterWithNominated(simState, sim)) return;
    sim.removePod(p.uid);
    if (interPod) updateStateWithPod(interPod, pod, p, sim, deps.labelsOf, -1);
    if (spread) updateSpreadWithPod(spread, pod, p, sim, -1);
    victims.push(p);
    if (violates) pdbViolations++;
  };
  for (const p of violating) reprieve(p, true);
  for (const p of fine) reprieve(p, false);
  if (victims.length === 0) {
    return status('Error', 'DefaultPreemption', `expected at least one victim pod on node "${node.name}"`);
  }
  return { victims, pdbViolations };
}

function earliestStartOfTopVictims(c: Candidate): number {
  const top = c.victims[0]!.priority;
  let earliest = Number.POSITIVE_INFINITY;
  for (const v of c.victims) if (v.priority === top && v.startTime < earliest) earliest = v.startTime;
  return earliest;
}

/** pickOneNodeForPreemption's criteria, in order. */
function pickCandidate(candidates: Candidate[]): Candidate {
  const keys = (c: Candidate): number[] => [
    c.pdbViolations,
    c.victims[0]!.priority,
    c.victims.reduce((sum, v) => sum + v.priority + MAX_INT32 + 1, 0),
    c.victims.length,
    -earliestStartOfTopVictims(c),
  ];
  let best = candidates[0]!;
  let bestKeys = keys(best);
  for (const c of candidates.slice(1)) {
    const k = keys(c);
    for (let i = 0; i < k.length; i++) {
      if (k[i]! < bestKeys[i]!) {
        best = c;
        bestKeys = k;
        break;
      }
      if (k[i]! > bestKeys[i]!) break;
    }
  }
  return best;
}

/** The PostFilter: a candidate node with its victims, or why there is none. */
export function findPreemption(
  pod: PodInfo,
  state: CycleState | undefined,
  diagnosis: Diagnosis,
  numAllNodes: number,
  deps: PreemptionDeps,
): PreemptionOutcome {
  const notEligible = eligible(pod, diagnosis, deps);
  if (notEligible) return { message: `preemption: ${notEligible}`, candidate: undefined };
  const statuses = new Diagnosis();
  const candidates: Candidate[] = [];
  for (const node of deps.framework.cache.nodeInfos()) {
    const s = diagnosis.get(node.name);
    if (!state || !s || s.code === 'UnschedulableAndUnresolvable') {
      statuses.set(
        node.name,
        status('UnschedulableAndUnresolvable', 'DefaultPreemption', PREEMPTION_NOT_HELPFUL),
      );
      continue;
    }
    const r = selectVictims(state, node, deps);
    if ('victims' in r) candidates.push({ node: node.name, ...r });
    else statuses.set(node.name, r);
  }
  if (candidates.length > 0) return { message: '', candidate: pickCandidate(candidates) };
  return { message: `preemption: ${fitErrorMessage(numAllNodes, statuses)}`, candidate: undefined };
}
