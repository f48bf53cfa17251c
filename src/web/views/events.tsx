// Recent Events of the hub, newest first.

import type { KubeObject } from '../../machinery/object.js';
import { age } from '../format.js';

type Event = KubeObject & {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  firstTimestamp?: string;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  source?: { component?: string };
  reportingComponent?: string;
};

function when(e: Event): string {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '';
}

export function EventRows({ events, limit }: { events: KubeObject[]; limit: number }) {
  const sorted = (events as Event[]).slice().sort((a, b) => when(b).localeCompare(when(a)));
  return (
    <>
      {sorted.slice(0, limit).map((e) => (
        <tr
          key={e.metadata.uid ?? `${e.metadata.namespace}/${e.metadata.name}`}
          className={e.type === 'Warning' ? 'warning' : ''}
        >
          <td className="age">{age(when(e))}</td>
          <td>{e.type}</td>
          <td>{e.reason}</td>
          <td>
            {e.involvedObject?.kind}/{e.involvedObject?.namespace ? `${e.involvedObject.namespace}/` : ''}
            {e.involvedObject?.name}
          </td>
          <td className="message">{e.message}</td>
          <td className="source">{e.reportingComponent || e.source?.component}</td>
        </tr>
      ))}
    </>
  );
}

export function EventsView({ events }: { events: KubeObject[] }) {
  return (
    <section>
      <h2>Events</h2>
      {events.length === 0 ? (
        <p className="empty">No Events.</p>
      ) : (
        <table className="events" data-testid="events">
          <thead>
            <tr>
              <th>age</th>
              <th>type</th>
              <th>reason</th>
              <th>object</th>
              <th>message</th>
              <th>from</th>
            </tr>
          </thead>
          <tbody>
            <EventRows events={events} limit={200} />
          </tbody>
        </table>
      )}
    </section>
  );
}
