// The web dashboard's files, served by the hub at /dashboard/ (its build, src/web, is written to
// dist/web by `npm run build`). The files are public and hold no data: the page asks the user for
// a token and calls the hub's Kubernetes API with it, so the API's own authentication and RBAC
// decide what it shows.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';
import type { HttpRoute, RouteRequest, RouteResponse } from '../../apiserver/http/routes.js';

export const DASHBOARD_PATH = '/dashboard/';

/** dist/web of the repository this module runs from (src/hub/dashboard or dist/src/hub/dashboard). */
export function defaultDashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) return join(process.cwd(), 'dist', 'web');
    dir = dirname(dir);
  }
  return join(dir, 'dist', 'web');
}

// The page talks to its own origin only; nothing may frame it (a token is typed into it).
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** /dashboard redirects to /dashboard/; under it, the built files (unknown paths get index.html). */
export function dashboardRoutes(dir = defaultDashboardDir()): HttpRoute[] {
  let serve: ((req: RouteRequest, res: RouteResponse) => void) | undefined;
  const files = () => {
    if (!serve && existsSync(join(dir, 'index.html'))) {
      const handler = sirv(dir, {
        single: true,
        etag: true,
        setHeaders: (res) => {
          for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
        },
      });
      // sirv reads the path from req.url: it gets the part under /dashboard.
      serve = (req, res) =>
        handler(
          { url: (req.url ?? '/').slice(DASHBOARD_PATH.length - 1), headers: req.headers } as never,
          res as never,
        );
    }
    return serve;
  };
  return [
    {
      path: DASHBOARD_PATH.slice(0, -1),
      public: true,
      handle(_req, res) {
        res.writeHead(301, { location: DASHBOARD_PATH });
        res.end();
      },
    },
    {
      path: DASHBOARD_PATH,
      prefix: true,
      public: true,
      handle(req, res) {
        const handler = files();
        if (!handler) {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(`the dashboard is not built (no ${join(dir, 'index.html')}): run npm run build\n`);
          return;
        }
        handler(req, res);
      },
    },
  ];
}
