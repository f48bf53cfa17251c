// An index of pods by the node they are bound to, on the shared pod informer: shared with any
// controller that made the same one under the same name.

import { nodeNameIndex } from '../../client/cache.js';
import type { Informer } from '../../client/informer.js';
import type { KubeObject } from '../../machinery/object.js';

export const NODE_NAME_INDEX = 'nodeName';

/** An informer index of pods by node: shared when another controller made the same one. */
export function podsByNode<T extends KubeObject>(pods: Informer<T>): (node: string) => T[] {
  try {
    pods.addIndexers({ [NODE_NAME_INDEX]: nodeNameIndex });
    return (node) => pods.byIndex(NODE_NAME_INDEX, node);
  } catch {
    // The name is taken by another index function: keep one of our own.
    const name = 'node-lifecycle.nodeName';
    pods.addIndexers({ [name]: nodeNameIndex });
    return (node) => pods.byIndex(name, node);
  }
}
