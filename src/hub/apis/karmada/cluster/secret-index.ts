// The Clusters whose spec.secretRef names a Secret, from an informer index on "namespace/name":
// every controller that reaches members hears of a Secret's change, and walking every Cluster
// for each Secret event costs O(members) per event (O(n^2) while a thousand are provisioned).

import type { Informer } from '../../../../client/informer.js';
import type { KubeObject } from '../../../../machinery/object.js';
import type { Cluster } from './types.js';

const BY_SECRET_REF = 'karmada.secretRef';

function bySecretRef(cluster: Cluster): string[] {
  const ref = cluster.spec?.secretRef;
  return ref?.name ? [`${ref.namespace ?? ''}/${ref.name}`] : [];
}

/** The Clusters of the informer whose spec.secretRef is this Secret. */
export function clustersUsingSecret(clusters: Informer<Cluster>, secret: KubeObject): Cluster[] {
  // Shared informers: the same function added again is a no-op.
  clusters.addIndexers({ [BY_SECRET_REF]: bySecretRef });
  return clusters.byIndex(BY_SECRET_REF, `${secret.metadata.namespace ?? ''}/${secret.metadata.name ?? ''}`);
}
