// Cluster API finds an infrastructure provider's CRDs (and the API version to use for a
// contract) by a label on each CRD: cluster.x-k8s.io/<contract>: <versions, "_"-separated>.

/** The label that says which versions of a provider's kinds implement Cluster API's v1beta1 contract. */
export function contractLabels(provider: string, versions: string[]): Record<string, string> {
  return { 'cluster.x-k8s.io/provider': provider, 'cluster.x-k8s.io/v1beta1': versions.join('_') };
}
