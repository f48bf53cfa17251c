// When each benchmark Deployment arrived on each member, as a watch on that member sees it.

import type { Logger } from 'pino';
import type { Client } from '../../src/client/client.js';
import { Informer } from '../../src/client/informer.js';
import { resources } from '../../src/client/resources.js';

/** Deployment name -> member name -> the moment (performance.now()) it was first seen there. */
export type Arrivals = Map<string, Map<string, number>>;

/** Starts a watch of the member's `bench=latency` Deployments that records their first arrival. */
export function watchArrivals(client: Client, member: string, seen: Arrivals, logger: Logger): Informer {
  const informer = new Informer(client, resources.deployments, {
    namespace: 'default',
    labelSelector: 'bench=latency',
    logger,
  });
  informer.addEventHandler({
    onAdd: (d) => {
      const at = performance.now();
      const m = seen.get(d.metadata.name!) ?? new Map<string, number>();
      seen.set(d.metadata.name!, m);
      if (!m.has(member)) m.set(member, at);
    },
  });
  informer.start();
  return informer;
}
