// What the local provider and the worker thread running its simulated clusters say to each other
// (sims.ts and sim-worker.ts): structured-clone data only.

import type { KubeObject } from '../../../machinery/object.js';
import type { DataPlaneOptions } from '../../../sim/dataplane/cluster-data-plane.js';
import type { AddNodeOptions } from '../../../sim/kubelet/kubelet.js';

/** What every simulated cluster of the provider gets besides its name, region and zones. */
export interface LocalSimDefaults {
  /** The address the clusters listen on (default 127.0.0.1). */
  host?: string;
  /** A data plane that carries real traffic (`concord up --demo`). */
  dataPlane?: boolean | DataPlaneOptions;
  /** CustomResourceDefinitions every cluster serves (the MCS API for `concord up`'s fleet). */
  crds?: KubeObject[];
}

export interface SimWorkerData {
  dataDir: string;
  store: 'memory' | 'sqlite';
  logLevel: string;
  defaults: LocalSimDefaults;
}

export interface WorkerNodeState {
  zone: string;
  internalIP: string;
}

export type SimWorkerCall =
  | { op: 'ensure'; cluster: { name: string; region: string; zones: string[] } }
  | { op: 'nodes'; cluster: string }
  | { op: 'addNode'; cluster: string; node: AddNodeOptions }
  | { op: 'removeNode'; cluster: string; node: string }
  | { op: 'stopCluster'; cluster: string }
  | { op: 'stop' };

export type SimWorkerMessage =
  | { id: number; value: unknown; error?: undefined }
  | { id: number; error: string; value?: undefined }
  | { log: string };
