// The container runtime of a simulated cluster with a data plane: containers of the echo image
// (concord.dev/echo, any tag) run as echo responders (echo.ts) on their pod's IP, one listener per
// declared TCP containerPort (8080 when none is declared). A new container instance (a restart) is
// a new responder; a container that stops, a pod that goes, a node that fails stop theirs. The
// whole cluster's responders can be made unreachable at once (a cluster fault).

import type { KubeObject } from '../../machinery/object.js';
import type { Ipv4Cidr } from '../kubelet/addresses.js';
import { normalizeImage } from '../kubelet/images.js';
import type { PodStatus } from '../kubelet/pod-lifecycle.js';
import type { ContainerRuntime, RuntimeNode } from '../kubelet/runtime.js';
import { cidrContains } from './addresses.js';
import { EchoResponder } from './echo.js';
import type { Reachability } from './listener.js';

/** The image whose containers answer for real. */
export const ECHO_IMAGE = 'concord.dev/echo';
/** Where an echo container listens when it declares no port. */
export const ECHO_DEFAULT_PORT = 8080;

interface Container {
  name: string;
  image?: string;
  ports?: { containerPort: number; protocol?: string }[];
}

export function isEchoImage(image: string | undefined): boolean {
  if (!image) return false;
  const ref = normalizeImage(image);
  return ref.startsWith(`${ECHO_IMAGE}:`) || ref.startsWith(`${ECHO_IMAGE}@`);
}

function echoContainers(pod: KubeObject): Container[] {
  const containers = (pod.spec as { containers?: Container[] } | undefined)?.containers ?? [];
  return containers.filter((c) => isEchoImage(c.image));
}

export interface EchoRuntimeOptions {
  cluster: string;
  region: string;
  /** Pod addresses the runtime may bind (the cluster's pod and node ranges). */
  ranges: Ipv4Cidr[];
}

export class EchoRuntime implements ContainerRuntime {
  /** pod key -> container name -> its responder, by instance (containerID). */
  private readonly running = new Map<string, Map<string, { instance: string; responder: EchoResponder }>>();
  private state: Reachability = 'up';

  constructor(private readonly opts: EchoRuntimeOptions) {}

  runs(pod: KubeObject): boolean {
    return echoContainers(pod).length > 0;
  }

  /** Responders running now. */
  responders(): EchoResponder[] {
    return [...this.running.values()].flatMap((m) => [...m.values()].map((r) => r.responder));
  }

  async sync(key: string, pod: KubeObject, status: PodStatus, node: RuntimeNode): Promise<void> {
    const current = this.running.get(key) ?? new Map();
    this.running.set(key, current);
    const ip = status.podIP;
    const wanted = new Map<string, { container: Container; instance: string }>();
    for (const c of echoContainers(pod)) {
      const cs = status.containerStatuses?.find((s) => s.name === c.name);
      if (cs?.state.running && cs.containerID && ip)
        wanted.set(c.name, { container: c, instance: cs.containerID });
    }
    for (const [name, r] of current) {
      if (wanted.get(name)?.instance !== r.instance) {
        current.delete(name);
        await r.responder.close();
      }
    }
    if (wanted.size > 0 && !this.opts.ranges.some((r) => cidrContains(r, ip!))) {
      throw new Error(`pod address ${ip} is outside the cluster's data-plane ranges: not served`);
    }
    for (const [name, { container, instance }] of wanted) {
      if (current.has(name)) continue;
      const ports = (container.ports ?? [])
        .filter((p) => (p.protocol ?? 'TCP') === 'TCP')
        .map((p) => p.containerPort);
      const responder = new EchoResponder({
        address: ip!,
        ports: ports.length > 0 ? ports : [ECHO_DEFAULT_PORT],
        identity: {
          pod: pod.metadata.name!,
          namespace: pod.metadata.namespace!,
          node: node.name,
          cluster: this.opts.cluster,
          region: this.opts.region,
          zone: node.zone,
          container: name,
        },
      });
      if (this.state !== 'up') await responder.setReachability(this.state);
      await responder.listen();
      if (this.running.get(key) !== current) {
        // Stopped meanwhile (the pod went, or its node failed).
        await responder.close();
        return;
      }
      current.set(name, { instance, responder });
    }
    if (current.size === 0 && this.running.get(key) === current) this.running.delete(key);
  }

  async stop(key: string): Promise<void> {
    const current = this.running.get(key);
    if (!current) return;
    this.running.delete(key);
    await Promise.all([...current.values()].map((r) => r.responder.close()));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((k) => this.stop(k)));
  }

  /** Every responder of the cluster (and those started later) becomes up, down or silent. */
  async setReachability(mode: Reachability): Promise<void> {
    this.state = mode;
    await Promise.all(this.responders().map((r) => r.setReachability(mode)));
  }
}
