// Failures to reach a server at all: refused connections, timeouts, resets, TLS and name
// resolution. Distinct from ApiError (the server answered with a Status) so that a controller can
// tell "the cluster is unreachable" from "the request was wrong".

export type NetworkErrorReason =
  /** Nothing listens at the address (the server is down or restarting). */
  | 'ConnectionRefused'
  /** No answer in time: the request timeout, or a connect/read timeout. */
  | 'Timeout'
  /** The connection broke while the request was in flight. */
  | 'ConnectionReset'
  | 'Unreachable'
  | 'DNS'
  /** The TLS handshake failed: untrusted or mismatched certificate, or a rejected client certificate. */
  | 'TLS'
  /** The server sent something that is not HTTP or not the API's framing. */
  | 'Protocol'
  /** The proxy between client and server refused the tunnel (kubeconfig proxy-url, spec.proxyURL). */
  | 'Proxy'
  /** The client was closed. */
  | 'Closed';

export class NetworkError extends Error {
  constructor(
    readonly reason: NetworkErrorReason,
    /** "GET https://host:6443/api/v1/pods" */
    readonly request: string,
    message: string,
    /** The system error code, when there is one: ECONNREFUSED, ETIMEDOUT ... */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(`${request}: ${message}`, options);
    this.name = 'NetworkError';
  }

  /** Worth retrying after a pause: everything but a TLS setup that will fail the same way again. */
  get retryable(): boolean {
    return this.reason !== 'TLS' && this.reason !== 'Closed';
  }
}

export function isNetworkError(err: unknown): err is NetworkError {
  return err instanceof NetworkError;
}

const byCode: Record<string, NetworkErrorReason> = {
  ECONNREFUSED: 'ConnectionRefused',
  ETIMEDOUT: 'Timeout',
  ESOCKETTIMEDOUT: 'Timeout',
  ECONNRESET: 'ConnectionReset',
  ECONNABORTED: 'ConnectionReset',
  EPIPE: 'ConnectionReset',
  ERR_STREAM_PREMATURE_CLOSE: 'ConnectionReset',
  ERR_HTTP2_STREAM_ERROR: 'ConnectionReset',
  ERR_HTTP2_STREAM_CANCEL: 'ConnectionReset',
  ERR_HTTP2_GOAWAY_SESSION: 'ConnectionReset',
  ERR_HTTP2_SESSION_ERROR: 'ConnectionReset',
  ERR_HTTP2_INVALID_SESSION: 'ConnectionReset',
  ERR_HTTP2_ERROR: 'Protocol',
  HPE_INVALID_CONSTANT: 'Protocol',
  EHOSTUNREACH: 'Unreachable',
  ENETUNREACH: 'Unreachable',
  EHOSTDOWN: 'Unreachable',
  EADDRNOTAVAIL: 'Unreachable',
  ENOTFOUND: 'DNS',
  EAI_AGAIN: 'DNS',
};

/** The NetworkError for a low-level failure of `request` ("GET https://..."). */
export function toNetworkError(err: unknown, request: string): NetworkError {
  if (err instanceof NetworkError) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = e instanceof Error ? e.message : String(err);
  let reason: NetworkErrorReason | undefined = code ? byCode[code] : undefined;
  if (!reason) {
    if (
      (code && (/^ERR_TLS_|^ERR_SSL_|CERT|^DEPTH_ZERO|^UNABLE_TO_/.test(code) || code.startsWith('SSL'))) ||
      /certificate|tls|ssl/i.test(message)
    ) {
      reason = 'TLS';
    } else if (/socket hang up|closed|reset/i.test(message)) {
      reason = 'ConnectionReset';
    } else {
      reason = 'Protocol';
    }
  }
  return new NetworkError(reason, request, message, code, { cause: err });
}
