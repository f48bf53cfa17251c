// The control API of a sim host: a small HTTP endpoint on loopback, outside every cluster's own
// Kubernetes API, through which faults are injected and healed (`concord fault ...`). Each
// cluster the host runs has a control file, DIR/clusters/NAME.control (mode 0600), saying where
// the endpoint is and holding the bearer token it requires.
//
//   GET  /v1/clusters                 every cluster of the host, with its faults
//   GET  /v1/clusters/NAME            one cluster
//   POST /v1/clusters/NAME/faults     {"action": "down" | "partition" | "slow" | "heal" |
//                                      "node-down" | "node-up", "latencyMs"?: n, "node"?: name}

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { errorMessage } from '../machinery/status.js';
import type { SimClusterInfo } from './cluster.js';
import type { FaultState } from './faults.js';

export const FAULT_ACTIONS = ['down', 'partition', 'slow', 'heal', 'node-down', 'node-up'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];

export interface FaultRequest {
  action: FaultAction;
  latencyMs?: number;
  node?: string;
}

/** What the host does for the control API. */
export interface ControlTarget {
  list(): SimClusterInfo[];
  info(cluster: string): SimClusterInfo | undefined;
  apply(cluster: string, request: FaultRequest): Promise<FaultState>;
}

/** A control file's content. */
export interface ControlFile {
  url: string;
  token: string;
  cluster: string;
  pid: number;
}

/** Thrown for requests the control API refuses; carries the HTTP status. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The control file path of a cluster in a data dir. */
export function controlFilePath(dataDir: string, cluster: string): string {
  return join(resolve(dataDir), 'clusters', `${cluster}.control`);
}

/** Checks a fault request's shape; throws ControlError(400) naming what is wrong. */
export function parseFaultRequest(body: unknown): FaultRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ControlError(400, 'the request body must be a JSON object like {"action": "down"}');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.action !== 'string' || !(FAULT_ACTIONS as readonly string[]).includes(b.action)) {
    throw new ControlError(
      400,
      `action: must be one of ${FAULT_ACTIONS.join(', ')}, got ${JSON.stringify(b.action)}`,
    );
  }
  const req: FaultRequest = { action: b.action as FaultAction };
  if (req.action === 'slow') {
    if (typeof b.latencyMs !== 'number' || !Number.isFinite(b.latencyMs) || b.latencyMs < 0) {
      throw new ControlError(
        400,
        `latencyMs: a slow fault needs a non-negative number of ms, got ${JSON.stringify(b.latencyMs)}`,
      );
    }
    req.latencyMs = b.latencyMs;
  }
  if (req.action === 'node-down' || req.action === 'node-up') {
    if (typeof b.node !== 'string' || b.node === '') {
      throw new ControlError(400, `node: ${req.action} needs the name of a node`);
    }
    req.node = b.node;
  }
  return req;
}

function readJson(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) {
        reject(new ControlError(413, 'the request body is too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolveBody({});
      try {
        resolveBody(JSON.parse(text));
      } catch {
        reject(new ControlError(400, 'the request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

export class ControlServer {
  private server: http.Server | undefined;
  private readonly token: string;
  private address = '';

  constructor(private readonly target: ControlTarget) {
    this.token = randomBytes(32).toString('base64url');
  }

  get url(): string {
    return this.address;
  }

  async listen(port = 0): Promise<string> {
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const status = err instanceof ControlError ? err.status : 500;
        const message = errorMessage(err);
        if (!res.headersSent) {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(`${JSON.stringify({ error: message })}\n`);
        } else res.end();
      });
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', fail);
        ok();
      });
    });
    this.server = server;
    this.address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.address;
  }

  /** Writes (or replaces) a cluster's control file. */
  async writeControlFile(dataDir: string, cluster: string): Promise<string> {
    const path = controlFilePath(dataDir, cluster);
    const content: ControlFile = { url: this.address, token: this.token, cluster, pid: process.pid };
    const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
    return path;
  }

  async removeControlFile(dataDir: string, cluster: string): Promise<void> {
    const path = controlFilePath(dataDir, cluster);
    // Only our own: another host may have taken the name since.
    try {
      const current = JSON.parse(await readFile(path, 'utf8')) as Partial<ControlFile>;
      if (current.token !== this.token) return;
    } catch {
      return;
    }
    await rm(path, { force: true });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }

  private authorized(req: http.IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m) return false;
    const given = Buffer.from(m[1]!.trim());
    const want = Buffer.from(this.token);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!this.authorized(req))
      throw new ControlError(401, 'a valid bearer token is required (see the control file)');
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    const parts = path.split('/').filter(Boolean);
    if (parts[0] !== 'v1' || parts[1] !== 'clusters')
      throw new ControlError(404, `no such endpoint: ${path}`);
    if (parts.length === 2) {
      if (req.method !== 'GET') throw new ControlError(405, `${req.method} is not allowed on ${path}`);
      return send({ clusters: this.target.list() });
    }
    const name = decodeURIComponent(parts[2]!);
    const info = this.target.info(name);
    if (!info) throw new ControlError(404, `this host runs no cluster "${name}"`);
    if (parts.length === 3) {
      if (req.method !== 'GET') throw new ControlError(405, `${req.method} is not allowed on ${path}`);
      return send(info);
    }
    if (parts.length === 4 && parts[3] === 'faults') {
      if (req.method !== 'POST') throw new ControlError(405, `${req.method} is not allowed on ${path}`);
      const request = parseFaultRequest(await readJson(req));
      return send({ cluster: name, faults: await this.target.apply(name, request) });
    }
    throw new ControlError(404, `no such endpoint: ${path}`);
  }
}

/** Reads a cluster's control file; a clear error when the cluster is not running. */
export async function readControlFile(dataDir: string, cluster: string): Promise<ControlFile> {
  const path = controlFilePath(dataDir, cluster);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`cluster "${cluster}" is not running in ${resolve(dataDir)} (no ${path})`);
    }
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as ControlFile;
    if (typeof parsed.url !== 'string' || typeof parsed.token !== 'string')
      throw new Error('missing url or token');
    return parsed;
  } catch (err) {
    throw new Error(`${path} is not a control file: ${(err as Error).message}`);
  }
}

/** Sends a fault request to the host running `cluster`; resolves to the cluster's faults after it. */
export async function requestFault(
  dataDir: string,
  cluster: string,
  request: FaultRequest,
): Promise<{ cluster: string; faults: FaultState }> {
  const control = await readControlFile(dataDir, cluster);
  const url = `${control.url}/v1/clusters/${encodeURIComponent(cluster)}/faults`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${control.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    if (cause?.code === 'ECONNREFUSED') {
      throw new Error(
        `the process that ran cluster "${cluster}" (pid ${control.pid}) is gone: nothing answers at ${control.url}`,
      );
    }
    throw new Error(
      `cannot reach the control API of cluster "${cluster}" at ${control.url}: ${(err as Error).message}`,
    );
  }
  const body = (await res.json().catch(() => ({}))) as {
    error?: string;
    cluster: string;
    faults: FaultState;
  };
  if (!res.ok) throw new Error(body.error ?? `the control API answered ${res.status}`);
  return body;
}
