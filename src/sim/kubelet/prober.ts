// Health probes of containers that really run (see runtime.ts), as the kubelet's prober: each
// readiness and liveness probe of a running container instance is a worker that checks it every
// periodSeconds after initialDelaySeconds, within timeoutSeconds, and turns successThreshold
// successes or failureThreshold failures in a row into a result. Readiness starts as failed (a
// container with a readiness probe is not ready until it passes); liveness starts as passed.
// httpGet (a status from 200 to 399) and tcpSocket (a connection) are run; exec and gRPC probes
// cannot be, and count as passing. Only addresses in 127.0.0.0/8 are dialled.

import http from 'node:http';
import net from 'node:net';
import type { KubeObject } from '../../machinery/object.js';
import { isLoopbackIPv4 } from '../dataplane/addresses.js';
import type { PodStatus } from './pod-lifecycle.js';

export interface Probe {
  httpGet?: {
    path?: string;
    port: number | string;
    host?: string;
    scheme?: string;
    httpHeaders?: { name: string; value: string }[];
  };
  tcpSocket?: { port: number | string; host?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

interface Container {
  name: string;
  ports?: ContainerPort[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

export interface ProbeOutcome {
  success: boolean;
  message: string;
}

function resolvePort(port: number | string, containers: Container[]): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  for (const c of containers) {
    const p = c.ports?.find((x) => x.name === port);
    if (p) return p.containerPort;
  }
  return undefined;
}

/** Runs one probe against a pod address. */
export function runProbe(probe: Probe, podIP: string, containers: Container[]): Promise<ProbeOutcome> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  const action = probe.httpGet ?? probe.tcpSocket;
  if (!action) return Promise.resolve({ success: true, message: 'not run (exec and gRPC probes cannot be)' });
  const host = action.host || podIP;
  const port = resolvePort(action.port, containers);
  if (port === undefined) {
    return Promise.resolve({ success: false, message: `no container port named "${action.port}"` });
  }
  if (!isLoopbackIPv4(host)) {
    return Promise.resolve({ success: false, message: `${host} is outside 127.0.0.0/8 and is not dialled` });
  }
  if (probe.tcpSocket) {
    return new Promise((resolve) => {
      const socket = net.connect({ host, port });
      const done = (outcome: ProbeOutcome) => {
        socket.destroy();
        resolve(outcome);
      };
      socket.setTimeout(timeoutMs, () =>
        done({ success: false, message: `dial tcp ${host}:${port}: i/o timeout` }),
      );
      socket.once('connect', () => done({ success: true, message: '' }));
      socket.once('error', (err) =>
        done({ success: false, message: `dial tcp ${host}:${port}: ${err.message}` }),
      );
    });
  }
  const get = probe.httpGet!;
  const path = get.path ? (get.path.startsWith('/') ? get.path : `/${get.path}`) : '/';
  const scheme = (get.scheme ?? 'HTTP').toLowerCase();
  const url = `${scheme}://${host}:${port}${path}`;
  if (scheme !== 'http')
    return Promise.resolve({ success: false, message: `Get "${url}": the responders serve HTTP only` });
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/1.33', accept: '*/*' };
    for (const h of get.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
    const req = http.get({ host, port, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(
        code >= 200 && code < 400
          ? { success: true, message: '' }
          : { success: false, message: `HTTP probe failed with statuscode: ${code}` },
      );
    });
    req.once('timeout', () => {
      req.destroy();
      resolve({ success: false, message: `Get "${url}": context deadline exceeded` });
    });
    req.once('error', (err) => resolve({ success: false, message: `Get "${url}": ${err.message}` }));
  });
}

type ProbeKind = 'readiness' | 'liveness';

/** One probe of one container instance. */
class ProbeWorker {
  result: boolean;
  private timer: NodeJS.Timeout | undefined;
  private streak = 0;
  private streakOf: boolean | undefined;
  private stopped = false;

  constructor(
    readonly kind: ProbeKind,
    readonly instance: string,
    private readonly probe: Probe,
    private readonly target: () => { ip: string; containers: Container[] },
    private readonly onResult: (worker: ProbeWorker, outcome: ProbeOutcome) => void,
  ) {
    this.result = kind === 'liveness';
    this.schedule(Math.max(0, probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(), ms);
    this.timer.unref?.();
  }

  private async run(): Promise<void> {
    const { ip, containers } = this.target();
    const outcome = await runProbe(this.probe, ip, containers);
    if (this.stopped) return;
    if (outcome.success === this.streakOf) this.streak++;
    else {
      this.streakOf = outcome.success;
      this.streak = 1;
    }
    const need = outcome.success ? (this.probe.successThreshold ?? 1) : (this.probe.failureThreshold ?? 3);
    if (this.streak >= Math.max(1, need) && this.result !== outcome.success) {
      this.result = outcome.success;
      this.onResult(this, outcome);
    }
    this.schedule(Math.max(1, this.probe.periodSeconds ?? 10) * 1000);
  }
}

export interface ProbeChange {
  key: string;
  container: string;
  kind: ProbeKind;
  success: boolean;
  message: string;
}

/** The probe workers of every pod whose containers run for real. */
export class PodProbes {
  /** pod key -> "container/kind" -> worker. */
  private readonly workers = new Map<string, Map<string, ProbeWorker>>();

  constructor(private readonly onChange: (change: ProbeChange) => void) {}

  /** Starts workers for the probes of containers running in `status`, stops the rest. */
  sync(key: string, pod: KubeObject, status: PodStatus): void {
    const containers = ((pod.spec as { containers?: Container[] } | undefined)?.containers ??
      []) as Container[];
    const ip = status.podIP;
    const current = this.workers.get(key) ?? new Map<string, ProbeWorker>();
    const wanted = new Set<string>();
    for (const c of containers) {
      const cs = status.containerStatuses?.find((s) => s.name === c.name);
      const instance = cs?.state.running && cs.containerID && ip ? cs.containerID : undefined;
      for (const kind of ['readiness', 'liveness'] as const) {
        const probe = kind === 'readiness' ? c.readinessProbe : c.livenessProbe;
        if (!probe || !instance) continue;
        const id = `${c.name}/${kind}`;
        wanted.add(id);
        if (current.get(id)?.instance === instance) continue;
        current.get(id)?.stop();
        current.set(
          id,
          new ProbeWorker(
            kind,
            instance,
            probe,
            () => ({ ip: ip!, containers }),
            (w, outcome) => {
              if (this.workers.get(key)?.get(id) !== w) return;
              this.onChange({
                key,
                container: c.name,
                kind,
                success: outcome.success,
                message: outcome.message,
              });
            },
          ),
        );
      }
    }
    for (const [id, w] of current) {
      if (!wanted.has(id)) {
        w.stop();
        current.delete(id);
      }
    }
    if (current.size > 0) this.workers.set(key, current);
    else this.workers.delete(key);
  }

  /** A container instance's readiness: undefined when it has no readiness probe. */
  ready(key: string, container: string, instance: string | undefined): boolean {
    const w = this.workers.get(key)?.get(`${container}/readiness`);
    return w !== undefined && w.instance === instance && w.result;
  }

  /** Whether the instance failed its liveness probe (the kubelet then restarts it). */
  livenessFailed(key: string, container: string, instance: string | undefined): boolean {
    const w = this.workers.get(key)?.get(`${container}/liveness`);
    return w !== undefined && w.instance === instance && !w.result;
  }

  stop(key: string): void {
    for (const w of this.workers.get(key)?.values() ?? []) w.stop();
    this.workers.delete(key);
  }

  stopAll(): void {
    for (const key of [...this.workers.keys()]) this.stop(key);
  }
}
