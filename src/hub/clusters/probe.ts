// One health probe of a member, as Karmada's registry probes: GET /readyz (or /healthz on an API
// server without /readyz). A network failure is ClusterNotReachable, an answer other than ok is
// ClusterNotReady (a refused credential counts as not reachable: the hub cannot use the member),
// each with a message naming the cause and the server.

import type { HttpsClient } from '../../client/https.js';
import { isNetworkError, type NetworkError } from '../../client/network-error.js';
import { ApiError } from '../../machinery/status.js';
import {
  CLUSTER_REASON_NOT_REACHABLE,
  CLUSTER_REASON_NOT_READY,
  CLUSTER_REASON_READY,
} from '../apis/karmada/index.js';
import type { ProbeResult } from './health.js';

export const HEALTHY_MESSAGE = 'the cluster is healthy and ready to accept workloads';

/** What went wrong, in a few words: "connection refused", "no answer within 1500 ms" ... */
export function networkCause(err: NetworkError, timeoutMs?: number): string {
  const detail = err.message.slice(err.request.length + 2);
  switch (err.reason) {
    case 'ConnectionRefused':
      return 'connection refused';
    case 'Timeout':
      return timeoutMs ? `no answer within ${timeoutMs} ms` : 'timed out';
    case 'ConnectionReset':
      return `the connection was cut (${detail})`;
    case 'TLS':
      return `TLS handshake failed: ${detail}`;
    case 'DNS':
      return `the host name does not resolve (${detail})`;
    case 'Unreachable':
      return `no route to the host (${detail})`;
    default:
      return detail;
  }
}

/** The message for a failed request to a member: network, credential or server trouble. */
export function failureMessage(err: unknown, server: string, timeoutMs?: number): string {
  if (isNetworkError(err)) return `cannot reach the API server at ${server}: ${networkCause(err, timeoutMs)}`;
  if (err instanceof ApiError && (err.code === 401 || err.code === 403)) {
    const what = err.code === 401 ? '401 Unauthorized' : `403 Forbidden: ${err.message}`;
    return `the API server at ${server} refused the hub's credential (${what})`;
  }
  return `the request to ${server} failed: ${err instanceof Error ? err.message : String(err)}`;
}

function firstLines(text: string): string {
  const t = text.trim().split('\n').filter(Boolean);
  const failed = t.filter((l) => l.startsWith('[-]'));
  return (failed.length > 0 ? failed : t).slice(0, 3).join('; ').slice(0, 300);
}

async function check(client: HttpsClient, path: string, timeoutMs: number): Promise<void> {
  await client.getDocument(path, { accept: 'text/plain, */*', timeoutMs });
}

export async function probeHealth(client: HttpsClient, timeoutMs: number): Promise<ProbeResult> {
  const server = client.server;
  try {
    try {
      await check(client, '/readyz', timeoutMs);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
      await check(client, '/healthz', timeoutMs);
    }
    return { ok: true, reason: CLUSTER_REASON_READY, message: HEALTHY_MESSAGE };
  } catch (err) {
    if (err instanceof ApiError && err.code !== 401 && err.code !== 403) {
      const body = err.status.details?.causes?.[0]?.message ?? err.message;
      return {
        ok: false,
        reason: CLUSTER_REASON_NOT_READY,
        message: `the API server at ${server} is reachable but not healthy: /readyz answered ${err.code}: ${firstLines(body)}`,
      };
    }
    return {
      ok: false,
      reason: CLUSTER_REASON_NOT_REACHABLE,
      message: failureMessage(err, server, timeoutMs),
    };
  }
}
