// Paths an API server serves beside the Kubernetes API, given by whoever runs it (the hub adds its
// dashboard's static files and its metrics federation endpoint). The API server knows nothing of
// what they serve: it matches the path, authenticates and authorizes as for any non-resource path
// (unless the route is public), and hands the request over.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { UserInfo } from '../authn.js';

export type RouteRequest = IncomingMessage | Http2ServerRequest;
export type RouteResponse = ServerResponse | Http2ServerResponse;

export interface HttpRoute {
  /** The path served: exactly, or every path under it when `prefix` is set (then end it with "/"). */
  path: string;
  prefix?: boolean;
  /**
   * Served without a credential (static files that hold no data). Otherwise the request needs a
   * user allowed to GET the path, as /metrics does.
   */
  public?: boolean;
  /** Methods served (default GET and HEAD); others get 405. */
  methods?: readonly string[];
  /** Serves the request (a GET or HEAD unless `methods` says more); `user` is undefined on a public route. */
  handle(req: RouteRequest, res: RouteResponse, user: UserInfo | undefined): void | Promise<void>;
}

/** The route serving `path`, if any. Exact paths win over prefixes; longer prefixes over shorter. */
export function matchRoute(routes: readonly HttpRoute[], path: string): HttpRoute | undefined {
  let best: HttpRoute | undefined;
  for (const r of routes) {
    if (!r.prefix) {
      if (r.path === path) return r;
      continue;
    }
    if (path.startsWith(r.path) && (!best || r.path.length > best.path.length)) best = r;
  }
  return best;
}
