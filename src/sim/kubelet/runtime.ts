// What the simulated kubelet hands a pod's containers to when they are to run for real (the data
// plane's echo responders). Without one, containers are only reported, never run. The kubelet
// calls the runtime before it reports a status, so what the status says runs is running (and
// what it says stopped has stopped) by the time anyone reads it.

import type { KubeObject } from '../../machinery/object.js';
import type { PodStatus } from './pod-lifecycle.js';

export interface RuntimeNode {
  name: string;
  zone: string;
}

export interface ContainerRuntime {
  /** Whether the runtime runs containers of this pod (they then get real health probes). */
  runs(pod: KubeObject): boolean;
  /** Starts the containers `status` reports running (a new containerID is a new instance), stops the others. */
  sync(key: string, pod: KubeObject, status: PodStatus, node: RuntimeNode): Promise<void>;
  /** Stops every container of the pod (it is gone, or its node is down). */
  stop(key: string): Promise<void>;
  /** Stops everything (the kubelet stops). */
  stopAll(): Promise<void>;
}
