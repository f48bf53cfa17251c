// Raw HTTPS requests, as curl sends them: only the headers given (no credential unless one is
// passed), the body as it is, and an answer within a bounded time or a failure saying so.

import type { IncomingHttpHeaders } from 'node:http';
import { type Agent, request } from 'node:https';

export interface RawReply {
  code: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequestOptions {
  /** The CA that signs the server's certificate. */
  ca: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  agent?: Agent;
  /** The whole exchange must be over within this time (default 30 s). */
  timeoutMs?: number;
}

export function rawRequest(url: string, opts: RawRequestOptions): Promise<RawReply> {
  const method = opts.method ?? 'GET';
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca: opts.ca, headers: opts.headers ?? {}, agent: opts.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          resolve({
            code: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(
      () => req.destroy(new Error(`${method} ${url}: no complete answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(opts.body);
  });
}
