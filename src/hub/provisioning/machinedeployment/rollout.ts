// How a MachineDeployment rolls its MachineSets, as Cluster API (and Kubernetes' Deployment)
// does: RollingUpdate grows the new MachineSet while the total stays within replicas + maxSurge
// and shrinks the old ones while the available Machines stay at or above replicas -
// maxUnavailable (unavailable old Machines first); OnDelete leaves old Machines until someone
// deletes them and fills the gap with new ones. Pure functions from the current MachineSets to
// the replicas each should have.

import type { IntOrString, MachineDeployment, MachineSet } from '../../apis/cluster-api/index.js';

/** intstr.GetScaledValueFromIntOrPercent. */
export function scaled(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) return Number.parseInt(value, 10) || 0;
  const v = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(v) : Math.floor(v);
}

/** maxSurge and maxUnavailable in Machines; both 0 makes maxUnavailable 1, as Kubernetes does. */
export function fenceposts(md: MachineDeployment): { surge: number; unavailable: number } {
  const replicas = md.spec.replicas ?? 1;
  const ru = md.spec.strategy?.rollingUpdate;
  const surge = scaled(ru?.maxSurge ?? 1, replicas, true);
  let unavailable = scaled(ru?.maxUnavailable ?? 0, replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

const specReplicas = (ms: MachineSet) => ms.spec.replicas ?? 0;
const available = (ms: MachineSet) => ms.status?.availableReplicas ?? 0;

function byCreation(a: MachineSet, b: MachineSet): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

/** The replicas each MachineSet should have now, by name. */
export function plan(
  md: MachineDeployment,
  newMS: MachineSet,
  oldMSs: readonly MachineSet[],
): Map<string, number> {
  const out = new Map<string, number>();
  const replicas = md.spec.replicas ?? 1;
  const name = (ms: MachineSet) => ms.metadata.name ?? '';
  for (const ms of [newMS, ...oldMSs]) out.set(name(ms), specReplicas(ms));
  const get = (ms: MachineSet) => out.get(name(ms)) ?? 0;

  if (md.spec.strategy?.type === 'OnDelete') {
    // Old MachineSets keep the Machines they have left; the new one makes up the difference.
    let oldTotal = 0;
    for (const ms of oldMSs) {
      const left = Math.min(specReplicas(ms), ms.status?.replicas ?? specReplicas(ms));
      out.set(name(ms), left);
      oldTotal += left;
    }
    out.set(name(newMS), Math.max(0, replicas - oldTotal));
    return out;
  }

  const { surge, unavailable } = fenceposts(md);
  // Scale the new MachineSet up (or down) within the surge.
  const total = () => [newMS, ...oldMSs].reduce((n, ms) => n + get(ms), 0);
  if (get(newMS) > replicas) out.set(name(newMS), replicas);
  else if (get(newMS) < replicas) {
    const room = replicas + surge - total();
    if (room > 0) {
      out.set(name(newMS), get(newMS) + Math.min(room, replicas - get(newMS)));
      // As Kubernetes: a pass that scaled the new set up leaves the old ones for the next pass.
      return out;
    }
  }
  // Scale old MachineSets down while enough Machines stay available.
  const olds = [...oldMSs].filter((ms) => get(ms) > 0).sort(byCreation);
  if (olds.length === 0) return out;
  const minAvailable = replicas - unavailable;
  const newUnavailable = Math.max(0, specReplicas(newMS) - available(newMS));
  let maxScaledDown = total() - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return out;
  // Unavailable old Machines go first: removing them costs no availability.
  for (const ms of olds) {
    if (maxScaledDown <= 0) break;
    const unhealthy = get(ms) - Math.min(available(ms), get(ms));
    if (unhealthy <= 0) continue;
    const down = Math.min(maxScaledDown, unhealthy);
    out.set(name(ms), get(ms) - down);
    maxScaledDown -= down;
  }
  const availableTotal = [newMS, ...oldMSs].reduce((n, ms) => n + Math.min(available(ms), get(ms)), 0);
  let canScaleDown = availableTotal - minAvailable;
  for (const ms of olds) {
    if (canScaleDown <= 0) break;
    const down = Math.min(get(ms), canScaleDown);
    out.set(name(ms), get(ms) - down);
    canScaleDown -= down;
  }
  return out;
}
