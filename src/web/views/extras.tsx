// Kinds the hub serves once their features land: Argo CD's Applications (sync and health) and
// Concord's recovery kinds (DR strategies, drills), found by discovery and listed live.

import type { KubeObject } from '../../machinery/object.js';
import { type DiscoveredResource, listPath, useList } from '../api/hooks.js';
import { age } from '../format.js';

/** Concord's own groups other than its simulated infrastructure: recovery and what follows. */
export const isRecoveryGroup = (g: string) =>
  g.endsWith('.concord.dev') && g !== 'infrastructure.concord.dev';

type Status = {
  sync?: { status?: string; revision?: string };
  health?: { status?: string };
  phase?: string;
  conditions?: { type: string; status: string; reason?: string }[];
};

function summary(o: KubeObject): { first: string; second: string } {
  const s = (o.status ?? {}) as Status;
  if (s.sync || s.health) return { first: s.sync?.status ?? '', second: s.health?.status ?? '' };
  const ready = s.conditions?.find((c) => c.type === 'Ready');
  return {
    first: s.phase ?? '',
    second: ready ? `${ready.status}${ready.reason ? ` (${ready.reason})` : ''}` : '',
  };
}

function ResourceTable({ resource }: { resource: DiscoveredResource }) {
  const list = useList(listPath(resource));
  const argo = resource.group === 'argoproj.io';
  return (
    <section data-testid={`kind-${resource.kind}`}>
      <h2>{resource.kind}s</h2>
      {list.error && <p className="error">{list.error}</p>}
      {list.items.length === 0 ? (
        <p className="empty">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>name</th>
              <th>{argo ? 'sync' : 'phase'}</th>
              <th>{argo ? 'health' : 'ready'}</th>
              <th>age</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((o) => {
              const s = summary(o);
              return (
                <tr key={`${o.metadata.namespace}/${o.metadata.name}`}>
                  <td>
                    {o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name}
                  </td>
                  <td>{s.first}</td>
                  <td>{s.second}</td>
                  <td className="age">{age(o.metadata.creationTimestamp)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ExtrasView({ resources, title }: { resources: DiscoveredResource[]; title: string }) {
  return (
    <>
      <h1 className="page-title">{title}</h1>
      {resources.map((r) => (
        <ResourceTable key={`${r.group}/${r.resource}`} resource={r} />
      ))}
    </>
  );
}
