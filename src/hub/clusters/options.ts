// The knobs of member health, with defaults that find a dead member within 10 seconds: probes
// every 2 s, three failures in a row (a probe fails on a refused connection, a TLS error, an
// unhealthy answer, or no answer in 1.5 s) make Ready False and taint the member NoSchedule, and
// 3 s later NoExecute. A failed probe is retried after 250 ms, and a member whose watch breaks is
// probed at once, so a member that dies is usually marked within a second or two. See
// docs/clusters.md for the arithmetic.

export interface ClusterHealthOptions {
  /** Time between probes of a healthy member (default 2000). */
  probeIntervalMs?: number;
  /** A probe that has no answer within this fails (default 1500). */
  probeTimeoutMs?: number;
  /** Time before probing again after a failed probe, and while a member recovers (default 250). */
  failureRetryMs?: number;
  /** Failed probes in a row that make a Ready member not Ready (default 3: one lost request is no outage). */
  failureThreshold?: number;
  /** Successful probes in a row that make a not-Ready member Ready again (default 2). */
  successThreshold?: number;
  /** Time Ready must have been False or Unknown before the NoExecute taint (default 3000; < 0: never). */
  noExecuteGracePeriodMs?: number;
  /** How often the member's version and APIs are read again (default 30000; Karmada: 10 s). */
  statusUpdateIntervalMs?: number;
  /** Pause after a member's nodes or pods change before its summary is recomputed (default 500). */
  summaryDelayMs?: number;
  /**
   * Least time between two summary writes of one member caused by its nodes or pods changing
   * (default 2000; Karmada: 10 s): a member whose pods keep changing costs the hub one Cluster
   * update, and a wake-up of every controller watching members, per interval, not per change.
   */
  summaryIntervalMs?: number;
  /** Limit for the member's other requests: discovery, version, lists (default 10000). */
  requestTimeoutMs?: number;
  /** A Pull member that never reported gets Ready Unknown after this long (default 60000). */
  startupGracePeriodMs?: number;
  /** How long an unused member client stays open (default 30000). */
  clientIdleCloseMs?: number;
  /** Informer settings of the member's nodes and pods (tests use short watches). */
  memberInformers?: { watchTimeoutSeconds?: number; backoff?: { initialMs?: number; maxMs?: number } };
}

export type ResolvedHealthOptions = Required<Omit<ClusterHealthOptions, 'memberInformers'>> &
  Pick<ClusterHealthOptions, 'memberInformers'>;

export const DEFAULT_HEALTH_OPTIONS: Readonly<Required<Omit<ClusterHealthOptions, 'memberInformers'>>> =
  Object.freeze({
    probeIntervalMs: 2000,
    probeTimeoutMs: 1500,
    failureRetryMs: 250,
    failureThreshold: 3,
    successThreshold: 2,
    noExecuteGracePeriodMs: 3000,
    statusUpdateIntervalMs: 30_000,
    summaryDelayMs: 500,
    summaryIntervalMs: 2000,
    requestTimeoutMs: 10_000,
    startupGracePeriodMs: 60_000,
    clientIdleCloseMs: 30_000,
  });

/** The options with defaults filled in; throws naming a knob that is out of range. */
export function resolveHealthOptions(opts: ClusterHealthOptions = {}): ResolvedHealthOptions {
  const out = { ...DEFAULT_HEALTH_OPTIONS, ...definedOnly(opts) } as ResolvedHealthOptions;
  const positive: (keyof typeof DEFAULT_HEALTH_OPTIONS)[] = [
    'probeIntervalMs',
    'probeTimeoutMs',
    'failureRetryMs',
    'statusUpdateIntervalMs',
    'requestTimeoutMs',
  ];
  for (const key of positive) {
    if (!(Number.isFinite(out[key]) && out[key] > 0)) {
      throw new RangeError(`cluster health: ${key} must be a positive number of ms, got ${out[key]}`);
    }
  }
  for (const key of ['failureThreshold', 'successThreshold'] as const) {
    if (!(Number.isInteger(out[key]) && out[key] >= 1)) {
      throw new RangeError(`cluster health: ${key} must be a whole number >= 1, got ${out[key]}`);
    }
  }
  for (const key of [
    'summaryDelayMs',
    'summaryIntervalMs',
    'startupGracePeriodMs',
    'clientIdleCloseMs',
  ] as const) {
    if (!(Number.isFinite(out[key]) && out[key] >= 0)) {
      throw new RangeError(`cluster health: ${key} must be >= 0 ms, got ${out[key]}`);
    }
  }
  if (!Number.isFinite(out.noExecuteGracePeriodMs)) {
    throw new RangeError(
      `cluster health: noExecuteGracePeriodMs must be a number of ms, got ${out.noExecuteGracePeriodMs}`,
    );
  }
  return out;
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
