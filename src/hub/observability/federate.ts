// The hub's federation endpoint, /metrics/federate: one scrape of the hub returns each member's
// key series with a `cluster` label, as Prometheus' own /federate re-exports a server's series.
// Every request scrapes every member's /metrics at once, through the member's Cluster and Secret
// (the same credentials the hub's controllers use), each under a timeout, so that a dead or
// partitioned member costs one timeout and never stalls the answer. A member that failed is still
// named: concord_federation_member_up{cluster} is 0 for it.

import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { HttpRoute, RouteRequest, RouteResponse } from '../../apiserver/http/routes.js';
import type { Client } from '../../client/client.js';
import { HttpsClient } from '../../client/https.js';
import { resources } from '../../client/resources.js';
import type { ResolvedKubeconfig } from '../../machinery/kubeconfig.js';
import type { KubeObject } from '../../machinery/object.js';
import { type Cluster, SECRET_CA_BUNDLE_KEY, SECRET_TOKEN_KEY } from '../apis/karmada/cluster/types.js';
import { exposition, type MemberScrape, parseExposition } from './exposition.js';
import { fleetResources } from './resources.js';

export const FEDERATE_PATH = '/metrics/federate';

/** The series re-exported when a request names none (match[]): what tells a member's load and health. */
export const DEFAULT_FEDERATED_SERIES: readonly string[] = [
  'apiserver_request_total',
  'apiserver_request_duration_seconds',
  'workqueue_depth',
  'controller_runtime_reconcile_total',
  'controller_runtime_reconcile_errors_total',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
];

export interface FederationOptions {
  logger: Logger;
  /** Limit for one member's scrape (default 3 s); Prometheus' own scrape timeout lowers it. */
  timeoutMs?: number;
}

interface MemberClient {
  fingerprint: string;
  client: HttpsClient;
}

export class MetricsFederation {
  private hub: Client | undefined;
  private readonly members = new Map<string, MemberClient>();
  private readonly timeoutMs: number;

  constructor(private readonly opts: FederationOptions) {
    this.timeoutMs = opts.timeoutMs ?? 3_000;
  }

  /** The hub's own API, once it serves (until then the endpoint answers 503). */
  setHubClient(client: Client): void {
    this.hub = client;
  }

  route(): HttpRoute {
    return { path: FEDERATE_PATH, handle: (req, res) => this.serve(req, res) };
  }

  close(): void {
    for (const m of this.members.values()) m.client.close();
    this.members.clear();
  }

  private async serve(req: RouteRequest, res: RouteResponse): Promise<void> {
    if (!this.hub) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('the hub is starting');
      return;
    }
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const names = query.getAll('match[]');
    for (const n of names) {
      if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(n)) {
        const message = `match[]: Invalid value: ${JSON.stringify(n)}: only metric names are supported, not selectors`;
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message,
            reason: 'BadRequest',
            code: 400,
          }),
        );
        return;
      }
    }
    const series = new Set(names.length > 0 ? names : DEFAULT_FEDERATED_SERIES);
    const scrapes = await this.scrapeAll(this.hub, scrapeTimeoutMs(req, this.timeoutMs));
    const body = exposition(scrapes, series);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(body);
  }

  /** Scrapes every member at once; each answer or failure, in the members' name order. */
  async scrapeAll(hub: Client, timeoutMs: number): Promise<MemberScrape[]> {
    const clusters = (await hub.list<Cluster>(fleetResources.clusters)).items;
    const names = new Set(clusters.map((c) => c.metadata.name!));
    for (const [name, m] of this.members) {
      if (!names.has(name)) {
        m.client.close();
        this.members.delete(name);
      }
    }
    const scrapes = await Promise.all(clusters.map((c) => this.scrape(hub, c, timeoutMs)));
    return scrapes.sort((a, b) => a.cluster.localeCompare(b.cluster));
  }

  private async scrape(hub: Client, cluster: Cluster, timeoutMs: number): Promise<MemberScrape> {
    const name = cluster.metadata.name!;
    const started = performance.now();
    const done = (result: Omit<MemberScrape, 'cluster' | 'seconds'>): MemberScrape => ({
      cluster: name,
      seconds: (performance.now() - started) / 1000,
      ...result,
    });
    try {
      const client = await this.memberClient(hub, cluster, timeoutMs);
      const text = await client.getRaw('/metrics', 'text/plain');
      if (typeof text !== 'string') throw new Error('/metrics did not answer in the text format');
      return done({ samples: parseExposition(text) });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.opts.logger.debug({ cluster: name, err: error }, 'federation: scraping a member failed');
      return done({ error });
    }
  }

  private async memberClient(hub: Client, cluster: Cluster, timeoutMs: number): Promise<HttpsClient> {
    const name = cluster.metadata.name!;
    const ref = cluster.spec?.secretRef;
    if (!ref?.name) throw new Error(`cluster ${name} has no spec.secretRef`);
    const secret = await hub.get(resources.secrets, ref.name, { namespace: ref.namespace });
    const config = memberConnection(cluster, secret);
    const fingerprint = createHash('sha256')
      .update([config.server, config.token, config.caPem, config.insecure, timeoutMs].join('\u0000'))
      .digest('hex');
    const known = this.members.get(name);
    if (known?.fingerprint === fingerprint) return known.client;
    known?.client.close();
    const client = new HttpsClient(config, { timeoutMs, userAgent: 'concord-hub-federation/v0.1.0' });
    this.members.set(name, { fingerprint, client });
    return client;
  }
}

/** Prometheus says how long it waits for the whole scrape; members get a little less. */
function scrapeTimeoutMs(req: RouteRequest, limit: number): number {
  const header = Number(req.headers['x-prometheus-scrape-timeout-seconds']);
  if (!Number.isFinite(header) || header <= 0) return limit;
  return Math.max(100, Math.min(limit, header * 1000 - 250));
}

function secretText(secret: KubeObject, key: string): string | undefined {
  const v = (secret.data as Record<string, string> | undefined)?.[key];
  return v ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

/** Where and as whom to reach a member: its apiEndpoint, with the token and CA of its Secret. */
function memberConnection(cluster: Cluster, secret: KubeObject): ResolvedKubeconfig {
  const name = cluster.metadata.name!;
  const endpoint = cluster.spec?.apiEndpoint;
  if (!endpoint) throw new Error(`cluster ${name} has no spec.apiEndpoint`);
  const token = secretText(secret, SECRET_TOKEN_KEY)?.trim();
  if (!token) throw new Error(`the secret of cluster ${name} has no ${SECRET_TOKEN_KEY}`);
  const caPem = secretText(secret, SECRET_CA_BUNDLE_KEY);
  const insecure = cluster.spec?.insecureSkipTLSVerification === true;
  if (!caPem && !insecure) throw new Error(`the secret of cluster ${name} has no ${SECRET_CA_BUNDLE_KEY}`);
  return {
    contextName: name,
    clusterName: name,
    userName: name,
    server: /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`,
    token,
    ...(caPem ? { caPem } : {}),
    ...(insecure ? { insecure } : {}),
  };
}
