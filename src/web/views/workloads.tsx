// Every propagated workload: where its replicas were placed and what each member reports, the
// template's own status on the hub, and first the bindings that could not be placed, with why.

import type { Cluster } from '../../hub/apis/karmada/cluster/types.js';
import {
  type Binding,
  bindingFullyApplied,
  bindingPlacements,
  bindingReplicas,
  bindingUnplaced,
  clusterHealth,
  condition,
} from '../../hub/apis/karmada/fleet.js';
import type { KubeObject } from '../../machinery/object.js';

function bindingId(b: Binding): string {
  return b.metadata.namespace ? `${b.metadata.namespace}/${b.metadata.name}` : b.metadata.name!;
}

function resourceName(b: Binding): string {
  const r = b.spec?.resource;
  if (!r) return b.metadata.name!;
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

export function WorkloadsView({
  bindings,
  deployments,
  clusters,
}: {
  bindings: Binding[];
  deployments: KubeObject[];
  clusters: Cluster[];
}) {
  const sorted = bindings.slice().sort((a, b) => bindingId(a).localeCompare(bindingId(b)));
  const unplaced = sorted.filter((b) => bindingUnplaced(b));
  const health = new Map(clusters.map((c) => [c.metadata.name!, clusterHealth(c)]));
  const templates = new Map(deployments.map((d) => [`${d.metadata.namespace}/${d.metadata.name}`, d]));
  return (
    <>
      {unplaced.length > 0 && (
        <section className="unplaced" data-testid="unplaced">
          <h2>Could not be placed</h2>
          <table>
            <thead>
              <tr>
                <th>workload</th>
                <th>reason</th>
                <th>message</th>
              </tr>
            </thead>
            <tbody>
              {unplaced.map((b) => {
                const why = bindingUnplaced(b)!;
                return (
                  <tr key={bindingId(b)} data-testid={`unplaced-${bindingId(b)}`}>
                    <td>{resourceName(b)}</td>
                    <td>{why.reason}</td>
                    <td className="message">{why.message}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}
      <section>
        <h2>Workloads</h2>
        {sorted.length === 0 ? (
          <p className="empty">
            Nothing is propagated yet: a PropagationPolicy that selects a resource places it.
          </p>
        ) : (
          <table className="workloads">
            <thead>
              <tr>
                <th>workload</th>
                <th>replicas ready / placed / desired</th>
                <th>placement</th>
                <th>scheduled</th>
                <th>applied</th>
                <th>template</th>
              </tr>
            </thead>
            <tbody>
              {sorted.map((b) => {
                const id = bindingId(b);
                const replicas = bindingReplicas(b);
                const scheduled = condition(b.status?.conditions, 'Scheduled');
                const applied = bindingFullyApplied(b);
                const r = b.spec?.resource;
                const template =
                  r?.kind === 'Deployment' ? templates.get(`${r.namespace}/${r.name}`) : undefined;
                const ts = template?.status as { readyReplicas?: number; replicas?: number } | undefined;
                return (
                  <tr key={id} data-testid={`binding-${id}`}>
                    <td>{resourceName(b)}</td>
                    <td className="num">
                      {replicas.ready} / {replicas.placed} / {replicas.desired}
                    </td>
                    <td>
                      {bindingPlacements(b).map((p) => (
                        <span
                          key={p.cluster}
                          className={`chip placement ${health.get(p.cluster) ?? 'Unknown'} ${p.health ?? ''}`}
                          data-testid={`placement-${id}-${p.cluster}`}
                          data-replicas={p.replicas}
                          title={p.message ?? ''}
                        >
                          {p.cluster} ×{p.replicas}
                          {p.ready !== undefined ? ` (${p.ready} ready)` : ''}
                        </span>
                      ))}
                    </td>
                    <td title={scheduled?.message ?? ''}>{scheduled ? scheduled.status : '—'}</td>
                    <td>{applied === undefined ? '—' : applied ? 'yes' : 'no'}</td>
                    <td className="num">{ts ? `${ts.readyReplicas ?? 0}/${ts.replicas ?? 0}` : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
