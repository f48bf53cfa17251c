// The fleet page: a summary line, the map of regions, and a card per member with its health,
// capacity, taints and the replicas placed on it; the latest warnings below.

import type { Cluster } from '../../hub/apis/karmada/cluster/types.js';
import {
  type Binding,
  bindingPlacements,
  bindingUnplaced,
  clusterAlerts,
  clusterCapacity,
  clusterHealth,
  clusterZones,
  condition,
} from '../../hub/apis/karmada/fleet.js';
import type { KubeObject } from '../../machinery/object.js';
import type { ListState } from '../api/client.js';
import { age, bytes, cores, percent } from '../format.js';
import { EventRows } from './events.js';
import { RegionMap } from './region-map.js';

export function FleetView({
  clusters,
  bindings,
  events,
}: {
  clusters: ListState<Cluster>;
  bindings: Binding[];
  events: KubeObject[];
}) {
  const sorted = [...clusters.items].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
  const ready = sorted.filter((c) => clusterHealth(c) === 'Ready').length;
  const nodes = sorted.reduce((n, c) => n + (c.status?.nodeSummary?.totalNum ?? 0), 0);
  const unplaced = bindings.filter((b) => bindingUnplaced(b)).length;
  const perCluster = new Map<string, { workloads: number; replicas: number }>();
  for (const b of bindings) {
    for (const p of bindingPlacements(b)) {
      const entry = perCluster.get(p.cluster) ?? { workloads: 0, replicas: 0 };
      entry.workloads++;
      entry.replicas += p.replicas;
      perCluster.set(p.cluster, entry);
    }
  }
  const warnings = events.filter((e) => e.type === 'Warning');
  return (
    <>
      <section className="summary" data-testid="summary">
        <Stat label="clusters" value={sorted.length} />
        <Stat label="ready" value={ready} tone={ready < sorted.length ? 'bad' : 'good'} />
        <Stat label="nodes" value={nodes} />
        <Stat label="workloads" value={bindings.length} />
        <Stat label="not placed" value={unplaced} tone={unplaced > 0 ? 'bad' : undefined} />
      </section>
      <RegionMap clusters={sorted} />
      {clusters.synced && sorted.length === 0 && (
        <p className="empty">No member clusters yet: `concord join` or `concord up` adds them.</p>
      )}
      <section className="cards">
        {sorted.map((c) => (
          <ClusterCard key={c.metadata.name} cluster={c} placed={perCluster.get(c.metadata.name!)} />
        ))}
      </section>
      {warnings.length > 0 && (
        <section>
          <h2>Recent warnings</h2>
          <table className="events">
            <tbody>
              <EventRows events={warnings} limit={8} />
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}

function Stat({ label, value, tone }: { label: string; value: number; tone?: 'good' | 'bad' | undefined }) {
  return (
    <div className={`stat ${tone ?? ''}`} data-testid={`stat-${label.replace(' ', '-')}`}>
      <span className="value">{value}</span>
      <span className="label">{label}</span>
    </div>
  );
}

function Bar({
  label,
  used,
  total,
  show,
}: {
  label: string;
  used: number;
  total: number;
  show: (n: number) => string;
}) {
  const p = percent(used, total);
  return (
    <div className="bar">
      <div className="bar-label">
        <span>{label}</span>
        <span>
          {show(used)} / {show(total)}
        </span>
      </div>
      <div className="bar-track">
        <div className={`bar-fill ${p > 85 ? 'hot' : ''}`} style={{ width: `${p}%` }} />
      </div>
    </div>
  );
}

function ClusterCard({
  cluster,
  placed,
}: {
  cluster: Cluster;
  placed: { workloads: number; replicas: number } | undefined;
}) {
  const name = cluster.metadata.name!;
  const health = clusterHealth(cluster);
  const ready = condition(cluster.status?.conditions, 'Ready');
  const cap = clusterCapacity(cluster);
  const nodes = cluster.status?.nodeSummary;
  const zones = clusterZones(cluster);
  const alerts = clusterAlerts(cluster);
  return (
    <article className={`card ${health}`} data-testid={`cluster-${name}`} data-health={health}>
      <div className="card-head">
        <h3>{name}</h3>
        <span className={`badge ${health}`} title={ready?.message ?? ''}>
          {health === 'NotReady' ? 'Not ready' : health}
        </span>
      </div>
      <div className="meta">
        {[cluster.spec?.region, zones.join(', '), cluster.spec?.provider, cluster.spec?.syncMode]
          .filter(Boolean)
          .join(' · ')}
      </div>
      {ready && health !== 'Ready' && (
        <div className="why">
          {ready.reason}: {ready.message} ({age(ready.lastTransitionTime)} ago)
        </div>
      )}
      <div className="facts">
        <span>
          nodes <b>{nodes?.readyNum ?? 0}</b>/{nodes?.totalNum ?? 0}
        </span>
        <span>
          workloads <b data-testid={`workloads-${name}`}>{placed?.workloads ?? 0}</b>
        </span>
        <span>
          replicas <b data-testid={`replicas-${name}`}>{placed?.replicas ?? 0}</b>
        </span>
        {cluster.status?.kubernetesVersion && <span>{cluster.status.kubernetesVersion}</span>}
      </div>
      <Bar label="CPU" used={cap.cpu.allocated} total={cap.cpu.allocatable} show={cores} />
      <Bar label="Memory" used={cap.memory.allocated} total={cap.memory.allocatable} show={bytes} />
      <Bar label="Pods" used={cap.pods.allocated} total={cap.pods.allocatable} show={String} />
      {(cluster.spec?.taints?.length ?? 0) > 0 && (
        <div className="taints">
          {cluster.spec!.taints!.map((t) => (
            <span key={`${t.key}:${t.effect}`} className="chip taint" data-testid={`taint-${name}`}>
              {t.key}
              {t.value ? `=${t.value}` : ''}:{t.effect}
            </span>
          ))}
        </div>
      )}
      {alerts.length > 0 && (
        <ul className="alerts">
          {alerts.map((a) => (
            <li key={a}>{a}</li>
          ))}
        </ul>
      )}
    </article>
  );
}
