// The workload the propagation benchmarks apply to the hub: a one-replica nginx Deployment in
// `default`, labelled so that one of their policies claims it.

import type { KubeObject } from '../../src/machinery/object.js';

export function benchDeployment(name: string, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'nginx' }] },
      },
    },
  };
}
