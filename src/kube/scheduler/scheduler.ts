// The scheduler of a cluster (kube-scheduler, default profile): it watches pods, nodes, claims,
// namespaces, disruption budgets, and the Services, ReplicaSets and StatefulSets default
// spreading groups pods by, through the shared informers; pending pods of its
// schedulerName go through the scheduling queue one at a time; a placed pod is assumed on its
// node at once and bound through pods/binding in the background (a bounded number at a time);
// a pod that fits nowhere gets PodScheduled=False (reason Unschedulable, the "0/N nodes are
// available: ..." message) through pods/status and a FailedScheduling event, and waits for a
// change in the cluster that could help; lower-priority pods are preempted when that makes room.

import type { Logger } from 'pino';
import type { Informer } from '../../client/informer.js';
import { resources } from '../../client/resources.js';
import type { ControllerContext, RunningController } from '../../controller/context.js';
import { EventRecorder } from '../../controller/events.js';
import { fromLabelSelector, type Requirement, Selector } from '../../machinery/labels.js';
import type { KubeObject, LabelSelector } from '../../machinery/object.js';
import { errorMessage, isConflict, isNotFound } from '../../machinery/status.js';
import { metaTime } from '../../machinery/time.js';
import type { Pod } from '../workloads/types.js';
import { anyChange, type Node, NodeInfo, SchedulerCache } from './cache.js';
import { fitErrorMessage, NO_NODES_AVAILABLE, truncateMessage } from './fit-error.js';
import { Framework } from './framework.js';
import { nodeChangeMayHelp } from './hints.js';
import { type AttemptResult, SchedulerMetrics } from './metrics.js';
import { Nominator } from './nominator.js';
import { isTerminal, newPodInfo, type PodInfo } from './pod-info.js';
import { type Candidate, findPreemption, PREEMPTION_BY_SCHEDULER } from './preemption.js';
import { type QueuedPodInfo, SchedulingQueue } from './queue.js';
import { seededRandom } from './random.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerOptions {
  /** The spec.schedulerName this scheduler serves (default "default-scheduler"). */
  schedulerName?: string;
  /** Seed for breaking ties between equally good nodes (default: random). */
  seed?: number;
  /** Bindings in flight at once (default 32). */
  bindConcurrency?: number;
  /** Status patches, evictions by preemption in flight at once (default 8). */
  statusConcurrency?: number;
  /** First backoff after a failed attempt (default 1 s), doubling up to podMaxBackoffMs (default 10 s). */
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  /** Longest wait of an unschedulable pod for a helpful change before a retry (default 5 min). */
  podMaxInUnschedulablePodsMs?: number;
  /** Share of nodes to find feasible before scoring, in percent (default 0: adaptive, as Kubernetes). */
  percentageOfNodesToScore?: number;
  /** Preempt lower-priority pods to make room (default true). */
  preemption?: boolean;
}

/** A running scheduler. */
export interface RunningScheduler extends RunningController {
  /** Pending pods by queue. */
  pending(): { active: number; backoff: number; unschedulable: number; gated: number };
}

/** A tiny FIFO semaphore: at most `limit` of the given tasks run at once. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private idle: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  run(task: () => Promise<void>): void {
    const start = () => {
      this.active++;
      task()
        .catch(() => {})
        .finally(() => {
          this.active--;
          const next = this.waiting.shift();
          if (next) next();
          else if (this.active === 0) {
            const idle = this.idle;
            this.idle = [];
            for (const f of idle) f();
          }
        });
    };
    if (this.active < this.limit) start();
    else this.waiting.push(start);
  }

  get pending(): number {
    return this.active + this.waiting.length;
  }

  drained(): Promise<void> {
    if (this.active === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }
}

function isAssigned(pod: Pod): boolean {
  const n = pod.spec?.nodeName;
  return typeof n === 'string' && n !== '';
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (a![k] !== b?.[k]) return false;
  return true;
}

/** What a scheduled pod's update can change in the cache: its requests (in-place resize) or labels. */
function resourcesKey(pod: Pod): string {
  const spec = pod.spec ?? {};
  const res = (list: unknown) =>
    Array.isArray(list) ? list.map((c) => [asRecord(c)?.resources, asRecord(c)?.restartPolicy]) : [];
  return JSON.stringify([res(spec.containers), res(spec.initContainers), spec.overhead]);
}

export class Scheduler implements RunningScheduler {
  readonly name = 'scheduler';
  private readonly schedulerName: string;
  private readonly logger: Logger;
  private readonly cache = new SchedulerCache();
  private readonly queue: SchedulingQueue;
  private readonly nominator = new Nominator();
  private readonly framework: Framework;
  private readonly recorder: EventRecorder;
  private readonly metrics: SchedulerMetrics | undefined;
  private readonly binds: Limiter;
  private readonly writes: Limiter;
  private readonly preemptionEnabled: boolean;
  private readonly pods: Informer<Pod>;
  private readonly nodes: Informer<Node>;
  private readonly claims: Informer<KubeObject>;
  private readonly namespaces: Informer<KubeObject>;
  private readonly budgets: Informer<KubeObject>;
  private readonly services: Informer<KubeObject>;
  private readonly replicaSets: Informer<KubeObject>;
  private readonly statefulSets: Informer<KubeObject>;
  private readonly unsubscribe: (() => void)[] = [];
  private stopped = false;
  private wakeStopped: () => void = () => {};
  private readonly stoppedSignal = new Promise<void>((resolve) => {
    this.wakeStopped = resolve;
  });
  private readonly loop: Promise<void>;

  constructor(
    private readonly ctx: ControllerContext,
    opts: SchedulerOptions = {},
  ) {
    this.schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.logger = ctx.logger.child({ controller: 'scheduler', cluster: ctx.cluster });
    this.preemptionEnabled = opts.preemption ?? true;
    this.queue = new SchedulingQueue({
      initialBackoffMs: opts.podInitialBackoffMs,
      maxBackoffMs: opts.podMaxBackoffMs,
      maxUnschedulableMs: opts.podMaxInUnschedulablePodsMs,
      now: () => ctx.now().getTime(),
    });
    this.binds = new Limiter(Math.max(1, opts.bindConcurrency ?? 32));
    this.writes = new Limiter(Math.max(1, opts.statusConcurrency ?? 8));
    this.recorder = new EventRecorder({
      client: ctx.client,
      component: this.schedulerName,
      now: ctx.now,
      logger: this.logger,
    });
    this.metrics = ctx.metrics
      ? new SchedulerMetrics(ctx.metrics, ctx.cluster, this.schedulerName, () => this.queue.counts)
      : undefined;
    const informers = ctx.informers;
    this.pods = informers.informerFor<Pod>(resources.pods);
    this.nodes = informers.informerFor<Node>(resources.nodes);
    this.claims = informers.informerFor(resources.persistentvolumeclaims);
    this.namespaces = informers.informerFor(resources.namespaces);
    this.budgets = informers.informerFor(resources.poddisruptionbudgets);
    this.services = informers.informerFor(resources.services);
    this.replicaSets = informers.informerFor(resources.replicasets);
    this.statefulSets = informers.informerFor(resources.statefulsets);
    const labelsOf = (ns: string) => this.namespaces.get(ns)?.metadata.labels;
    this.framework = new Framework({
      cache: this.cache,
      labelsOf,
      claim: (ns, name) => this.claims.get(name, ns),
      nominatedPods: (node) => this.nominator.pods(node),
      random: opts.seed !== undefined ? seededRandom(opts.seed) : Math.random,
      percentageOfNodesToScore: opts.percentageOfNodesToScore ?? 0,
      defaultSpreadSelector: (pod) => this.defaultSpreadSelector(pod),
    });

    this.unsubscribe.push(
      this.nodes.addEventHandler({
        onAdd: (n) => this.onNodeAdd(n),
        onUpdate: (o, n) => this.onNodeUpdate(o, n),
        onDelete: (n) => this.cache.removeNode(n.metadata.name ?? ''),
      }),
      this.pods.addEventHandler({
        onAdd: (p) => this.onPodAdd(p),
        onUpdate: (o, n) => this.onPodUpdate(o, n),
        onDelete: (p) => this.onPodDelete(p),
      }),
      this.claims.addEventHandler({
        onAdd: () => this.queue.moveAllToActiveOrBackoff('PersistentVolumeClaimChange'),
        onUpdate: () => this.queue.moveAllToActiveOrBackoff('PersistentVolumeClaimChange'),
      }),
      this.namespaces.addEventHandler({
        onAdd: () => this.queue.moveAllToActiveOrBackoff('NamespaceChange'),
        onUpdate: (o, n) => {
          if (!sameLabels(o.metadata.labels, n.metadata.labels))
            this.queue.moveAllToActiveOrBackoff('NamespaceChange');
        },
      }),
    );
    this.loop = this.run();
  }

  pending(): { active: number; backoff: number; unschedulable: number; gated: number } {
    return this.queue.counts;
  }

  async stop(): Promise<void> {
    if (this.stopped) return this.loop;
    this.stopped = true;
    this.wakeStopped();
    for (const u of this.unsubscribe) u();
    this.queue.close();
    await this.loop;
    await Promise.all([this.binds.drained(), this.writes.drained()]);
    await this.recorder.stop();
    this.metrics?.close();
  }

  // ---- informer events -------------------------------------------------------------------------

  private responsibleFor(pod: Pod): boolean {
    const name = pod.spec?.schedulerName;
    return (typeof name === 'string' && name !== '' ? name : DEFAULT_SCHEDULER_NAME) === this.schedulerName;
  }

  private onNodeAdd(node: Node): void {
    const info = this.cache.addNode(node);
    this.queue.moveAllToActiveOrBackoff('NodeAdd', (q) =>
      nodeChangeMayHelp(q.podInfo, q.unschedulablePlugins, undefined, info),
    );
  }

  private onNodeUpdate(oldNode: Node, newNode: Node): void {
    const change = this.cache.updateNode(oldNode, newNode);
    if (!anyChange(change)) return;
    const info = this.cache.getNode(newNode.metadata.name ?? '');
    if (!info) return;
    const before = new NodeInfo(info.name);
    before.setNode(oldNode);
    this.queue.moveAllToActiveOrBackoff('NodeUpdate', (q) =>
      nodeChangeMayHelp(q.podInfo, q.unschedulablePlugins, before, info),
    );
  }

  private onPodAdd(pod: Pod): void {
    if (isTerminal(pod)) return;
    if (isAssigned(pod)) {
      this.addAssigned(pod);
      return;
    }
    if (!this.responsibleFor(pod)) return;
    const info = newPodInfo(pod);
    this.trackNomination(info);
    this.queue.add(info);
  }

  private onPodUpdate(oldPod: Pod, pod: Pod): void {
    // A periodic resync hands over the same object: nothing changed.
    if (oldPod === pod) return;
    const uid = pod.metadata.uid ?? '';
    if (isTerminal(pod)) {
      // Finished pods free their node (kube-scheduler never sees them: its informer leaves them out).
      this.nominator.remove(uid);
      this.queue.delete(uid);
      if (this.cache.removePod(uid)) this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
      return;
    }
    if (isAssigned(pod)) {
      const cached = this.cache.getPod(uid);
      if (
        !isAssigned(oldPod) ||
        !cached ||
        this.cache.isAssumed(uid) ||
        cached.nodeName !== pod.spec?.nodeName
      ) {
        this.addAssigned(pod);
        return;
      }
      const labelsChanged = !sameLabels(oldPod.metadata.labels, pod.metadata.labels);
      // A pod being deleted stops counting for topology spreading.
      const terminating = !oldPod.metadata.deletionTimestamp && !!pod.metadata.deletionTimestamp;
      if (labelsChanged || terminating || resourcesKey(oldPod) !== resourcesKey(pod)) {
        this.cache.updatePod(newPodInfo(pod));
        if (labelsChanged) this.queue.moveAllToActiveOrBackoff('AssignedPodUpdate');
        // Smaller requests may make room.
        this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
      } else {
        // Nothing the scheduler counts changed; keep the newest object (deletion, conditions).
        cached.pod = pod;
      }
      return;
    }
    if (!this.responsibleFor(pod)) return;
    const queued = this.queue.get(uid);
    const info = newPodInfo(pod);
    this.trackNomination(info);
    this.queue.update(queued?.podInfo, info);
  }

  private onPodDelete(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    this.nominator.remove(uid);
    this.queue.delete(uid);
    if (this.cache.removePod(uid)) this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
  }

  private addAssigned(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    const assumed = this.cache.isAssumed(uid) ? this.cache.getPod(uid) : undefined;
    // Our own binding showing up: the pod is the one we placed, read already; only the object is new.
    const info =
      assumed && assumed.nodeName === pod.spec?.nodeName && sameLabels(assumed.labels, pod.metadata.labels)
        ? { ...assumed, pod }
        : newPodInfo(pod);
    this.nominator.remove(info.uid);
    const queued = this.queue.get(info.uid);
    // Bound elsewhere (or by us: the binding showed up) while still queued: it leaves the queue.
    if (queued && queued.location !== 'inflight') this.queue.delete(info.uid);
    this.cache.addPod(info);
    this.queue.moveAllToActiveOrBackoff('AssignedPodAdd');
  }

  private trackNomination(info: PodInfo): void {
    const nominated = info.pod.status?.nominatedNodeName;
    if (typeof nominated === 'string' && nominated !== '') this.nominator.set(info, nominated);
    else if (this.nominator.nodeFor(info.uid) !== undefined) this.nominator.remove(info.uid);
  }

  /**
   * The pods default spreading counts with this one (helper.DefaultSelector): the selectors of
   * the Services selecting it, and of the ReplicaSet or StatefulSet controlling it.
   */
  private defaultSpreadSelector(pod: PodInfo): Selector | undefined {
    const merged: Record<string, string> = {};
    for (const svc of this.services.list({ namespace: pod.namespace })) {
      const selector = asRecord(svc.spec)?.selector as Record<string, string> | undefined | null;
      // A Service without a selector selects no pods.
      if (!selector) continue;
      let matches = true;
      for (const [k, v] of Object.entries(selector)) if (pod.labels[k] !== v) matches = false;
      if (matches) Object.assign(merged, selector);
    }
    const reqs: Requirement[] = Object.entries(merged).map(([key, value]) => ({
      key,
      operator: '=',
      values: [value],
    }));
    const owner = pod.pod.metadata.ownerReferences?.find((r) => r.controller === true);
    if (owner?.apiVersion === 'apps/v1' && (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet')) {
      const informer = owner.kind === 'ReplicaSet' ? this.replicaSets : this.statefulSets;
      const controller = informer.get(owner.name, pod.namespace);
      const ls = asRecord(controller?.spec)?.selector as LabelSelector | undefined;
      if (ls) {
        try {
          const sel = fromLabelSelector(ls);
          if (!sel.matchesNothing) reqs.push(...sel.requirements);
        } catch {
          // An unreadable selector adds nothing.
        }
      }
    }
    return reqs.length > 0 ? new Selector(reqs) : undefined;
  }

  // ---- the scheduling loop ---------------------------------------------------------------------

  private async run(): Promise<void> {
    const synced = await Promise.race([
      Promise.all(
        [
          this.pods,
          this.nodes,
          this.claims,
          this.namespaces,
          this.budgets,
          this.services,
          this.replicaSets,
          this.statefulSets,
        ].map((i) => i.waitForSync()),
      ).then((all) => all.every(Boolean)),
      this.stoppedSignal.then(() => false),
    ]);
    if (this.stopped || !synced) return;
    this.logger.debug({ nodes: this.cache.nodeInfos().length }, 'scheduler started');
    let sliceStart = performance.now();
    while (!this.stopped) {
      // With a lane (a simulated cluster's), each decision waits for its turn: requests first.
      if (this.ctx.lane) {
        await this.queue.wait();
        await this.ctx.lane.turn();
        if (this.stopped) return;
        sliceStart = performance.now();
      }
      const q = this.queue.pop();
      if (!q) {
        await this.queue.wait();
        sliceStart = performance.now();
        continue;
      }
      try {
        this.scheduleOne(q);
      } catch (err) {
        this.logger.error({ err, pod: q.podInfo.key }, 'scheduling a pod failed');
        this.queue.requeueFailed(q.podInfo, new Set(), true);
      }
      // Decisions are synchronous; let informer events and binding replies in now and then.
      if (performance.now() - sliceStart > 10) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  }

  private scheduleOne(q: QueuedPodInfo): void {
    const started = performance.now();
    const info = q.podInfo;
    const current = this.pods.getByKey(info.key);
    if (
      !current ||
      current.metadata.uid !== info.uid ||
      isAssigned(current) ||
      this.cache.isAssumed(info.uid)
    ) {
      this.queue.done(info.uid);
      return;
    }
    if (current.metadata.deletionTimestamp) {
      this.recorder.event(current, 'Warning', 'FailedScheduling', `skip schedule deleting pod: ${info.key}`);
      this.queue.done(info.uid);
      return;
    }
    const podInfo = current === info.pod ? info : newPodInfo(current);
    const outcome = this.framework.schedule(podInfo);
    switch (outcome.kind) {
      case 'scheduled': {
        const assumed: PodInfo = { ...podInfo, nodeName: outcome.node };
        this.cache.assumePod(assumed);
        this.nominator.remove(podInfo.uid);
        this.bind(assumed, started);
        return;
      }
      case 'no-nodes':
        this.observe('unschedulable', started);
        // Only a new node can help: wait for one rather than retrying on every backoff.
        this.failed(podInfo, 'Unschedulable', NO_NODES_AVAILABLE, new Set(['NodeAdd']), false, '');
        return;
      case 'unschedulable': {
        const { diagnosis, numAllNodes } = outcome;
        let nominate: string | undefined;
        if (this.preemptionEnabled) {
          const p = findPreemption(podInfo, outcome.state, diagnosis, numAllNodes, {
            framework: this.framework,
            labelsOf: (ns) => this.namespaces.get(ns)?.metadata.labels,
            budgets: (ns) => this.budgets.list({ namespace: ns }),
          });
          diagnosis.postFilterMsg = p.message;
          if (p.candidate) {
            nominate = p.candidate.node;
            this.preempt(podInfo, p.candidate);
          }
          this.metrics?.preemption(p.candidate?.victims.length ?? 0);
        }
        this.observe('unschedulable', started);
        const message = fitErrorMessage(numAllNodes, diagnosis);
        this.logger.debug({ pod: podInfo.key, message }, 'unable to schedule pod');
        this.failed(podInfo, 'Unschedulable', message, diagnosis.unschedulablePlugins, false, nominate);
        return;
      }
    }
  }

  private observe(result: AttemptResult, started: number): void {
    this.metrics?.attempt(result, (performance.now() - started) / 1000);
  }

  private bind(assumed: PodInfo, started: number): void {
    this.binds.run(async () => {
      if (this.stopped) {
        this.cache.forgetPod(assumed.uid);
        return;
      }
      try {
        await this.ctx.client.create(
          resources.pods,
          {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name: assumed.name, namespace: assumed.namespace, uid: assumed.uid },
            target: { apiVersion: 'v1', kind: 'Node', name: assumed.nodeName },
          },
          { namespace: assumed.namespace, subresource: 'binding' },
        );
      } catch (err) {
        this.bindFailed(assumed, err, started);
        return;
      }
      this.cache.finishBinding(assumed.uid);
      this.queue.done(assumed.uid);
      this.observe('scheduled', started);
      this.recorder.event(
        assumed.pod,
        'Normal',
        'Scheduled',
        `Successfully assigned ${assumed.namespace}/${assumed.name} to ${assumed.nodeName}`,
      );
    });
  }

  private bindFailed(assumed: PodInfo, err: unknown, started: number): void {
    if (this.cache.forgetPod(assumed.uid)) this.queue.moveAllToActiveOrBackoff('AssignedPodDelete');
    this.observe('error', started);
    if (this.stopped) return;
    const message = errorMessage(err);
    const routine = isNotFound(err) || isConflict(err);
    this.logger[routine ? 'debug' : 'warn'](
      { err, pod: assumed.key, node: assumed.nodeName },
      'binding failed',
    );
    this.failed({ ...assumed, nodeName: '' }, 'SchedulerError', message, new Set(), true, '');
  }

  /**
   * handleSchedulingFailure: back to the queue (unless the pod went or was bound meanwhile), a
   * FailedScheduling event, and PodScheduled=False with the reason through pods/status.
   * `nominate`: the node preemption made room on; "" clears a nomination; undefined keeps it.
   */
  private failed(
    info: PodInfo,
    reason: 'Unschedulable' | 'SchedulerError',
    message: string,
    plugins: Set<string>,
    error: boolean,
    nominate: string | undefined,
  ): void {
    const current = this.pods.getByKey(info.key);
    if (!current || current.metadata.uid !== info.uid || isAssigned(current)) {
      this.queue.done(info.uid);
      return;
    }
    const podInfo = current === info.pod ? info : newPodInfo(current);
    this.queue.requeueFailed(podInfo, plugins, error);
    if (nominate !== undefined) this.nominator.set(podInfo, nominate);
    this.recorder.event(current, 'Warning', 'FailedScheduling', truncateMessage(message));
    this.updatePodStatus(current, reason, message, nominate);
  }

  private updatePodStatus(pod: Pod, reason: string, message: string, nominate: string | undefined): void {
    const conditions = Array.isArray(pod.status?.conditions) ? pod.status.conditions : [];
    const old = conditions.find((c) => c?.type === 'PodScheduled');
    const conditionChanged = old?.status !== 'False' || old.reason !== reason || old.message !== message;
    const currentNomination =
      typeof pod.status?.nominatedNodeName === 'string' ? pod.status.nominatedNodeName : '';
    const nominationChanged = nominate !== undefined && nominate !== currentNomination;
    if (!conditionChanged && !nominationChanged) return;
    const status: Record<string, unknown> = {};
    if (conditionChanged) {
      status.conditions = [
        {
          type: 'PodScheduled',
          status: 'False',
          reason,
          message,
          lastProbeTime: null,
          lastTransitionTime:
            old?.status === 'False' && typeof old.lastTransitionTime === 'string'
              ? old.lastTransitionTime
              : metaTime(this.ctx.now()),
        },
      ];
    }
    if (nominationChanged) status.nominatedNodeName = nominate === '' ? null : nominate;
    this.patchStatus(pod, { status });
  }

  private patchStatus(pod: Pod, patch: Record<string, unknown>): void {
    const { name = '', namespace } = pod.metadata;
    this.writes.run(async () => {
      if (this.stopped) return;
      try {
        await this.ctx.client.patch(resources.pods, name, patch, 'strategic', {
          namespace,
          subresource: 'status',
        });
      } catch (err) {
        // A pod deleted meanwhile needs no status.
        if (!isNotFound(err))
          this.logger.warn({ err, pod: `${namespace}/${name}` }, 'updating the pod status failed');
      }
    });
  }

  /** PrepareCandidate: victims get DisruptionTarget and are deleted; lower nominations on the node are cleared. */
  private preempt(preemptor: PodInfo, c: Candidate): void {
    this.logger.debug(
      { pod: preemptor.key, node: c.node, victims: c.victims.map((v) => v.key) },
      'preempting pods',
    );
    for (const victim of c.victims) {
      const pod = victim.pod;
      const { name = '', namespace } = pod.metadata;
      this.writes.run(async () => {
        if (this.stopped) return;
        try {
          await this.ctx.client.patch(
            resources.pods,
            name,
            {
              status: {
                conditions: [
                  {
                    type: 'DisruptionTarget',
                    status: 'True',
                    reason: PREEMPTION_BY_SCHEDULER,
                    message: `${this.schedulerName}: preempting to accommodate a higher priority pod`,
                    lastTransitionTime: metaTime(this.ctx.now()),
                  },
                ],
              },
            },
            'strategic',
            { namespace, subresource: 'status' },
          );
          await this.ctx.client.delete(resources.pods, name, {
            namespace,
            preconditions: { uid: victim.uid },
          });
          this.recorder.event(
            pod,
            'Normal',
            'Preempted',
            `Preempted by pod ${preemptor.uid} on node ${c.node}`,
          );
        } catch (err) {
          if (!(isNotFound(err) || isConflict(err)))
            this.logger.warn({ err, pod: victim.key }, 'preempting a pod failed');
        }
      });
    }
    for (const p of this.nominator.pods(c.node)) {
      if (p.uid === preemptor.uid || p.priority >= preemptor.priority) continue;
      this.nominator.remove(p.uid);
      this.patchStatus(p.pod, { status: { nominatedNodeName: null } });
    }
  }
}

/** Starts the scheduler of a cluster; it schedules once the informers have synced. */
export function startScheduler(ctx: ControllerContext, options: SchedulerOptions = {}): RunningScheduler {
  return new Scheduler(ctx, options);
}
