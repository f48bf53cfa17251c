// The ApiError for an HTTP error response: rebuilt from the Status the server sent, or, when the
// body is something else (a proxy's HTML page, plain text), a Status made from the HTTP code the
// way client-go does, keeping the body as an UnexpectedServerResponse cause.

import type { IncomingHttpHeaders } from 'node:http';
import { groupResource } from '../machinery/gvk.js';
import { ApiError, type Status, type StatusDetails, type StatusReason } from '../machinery/status.js';

export interface ErrorContext {
  method: string;
  group?: string;
  resource?: string;
  name?: string;
}

function asStatus(body: Buffer, headers: IncomingHttpHeaders): Status | undefined {
  const type = String(headers['content-type'] ?? '');
  if (!type.includes('json') && !type.includes('yaml') && type !== '') return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Partial<Status>;
    if (parsed && typeof parsed === 'object' && parsed.kind === 'Status') return parsed as Status;
  } catch {
    // not JSON: handled as an unexpected body
  }
  return undefined;
}

function retryAfter(headers: IncomingHttpHeaders): number | undefined {
  const v = headers['retry-after'];
  const n = typeof v === 'string' ? Number(v) : Number.NaN;
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The error a caller sees for a response with status >= 400. */
export function responseError(
  status: number,
  headers: IncomingHttpHeaders,
  body: Buffer,
  ctx: ErrorContext,
): ApiError {
  const s = asStatus(body, headers);
  if (s) {
    const code = typeof s.code === 'number' && s.code > 0 ? s.code : status;
    const err = new ApiError(code, (s.reason ?? '') as StatusReason, s.message ?? '', s.details);
    if (s.status) err.status.status = s.status;
    if (s.reason === undefined) delete err.status.reason;
    return err;
  }
  return genericServerResponse(status, body.toString('utf8').trim(), ctx, retryAfter(headers));
}

function genericServerResponse(
  code: number,
  serverMessage: string,
  ctx: ErrorContext,
  retryAfterSeconds?: number,
): ApiError {
  let reason: StatusReason | '' = '';
  let message = `the server responded with the status code ${code} but did not return more information`;
  switch (code) {
    case 409:
      reason = ctx.method === 'POST' ? 'AlreadyExists' : 'Conflict';
      message = 'the server reported a conflict';
      break;
    case 404:
      reason = 'NotFound';
      message = 'the server could not find the requested resource';
      break;
    case 400:
      reason = 'BadRequest';
      message = 'the server rejected our request for an unknown reason';
      break;
    case 401:
      reason = 'Unauthorized';
      message = 'the server has asked for the client to provide credentials';
      break;
    case 403:
      reason = 'Forbidden';
      // The server's own words say who may not do what.
      message = serverMessage || 'forbidden';
      break;
    case 405:
      reason = 'MethodNotAllowed';
      message = 'the server does not allow this method on the requested resource';
      break;
    case 410:
      reason = 'Gone';
      message = 'the server reported that the resource is gone';
      break;
    case 413:
      reason = 'RequestEntityTooLarge';
      message = 'the server rejected our request because it is too large';
      break;
    case 415:
      reason = 'UnsupportedMediaType';
      message = 'the server does not support the media type of our request';
      break;
    case 422:
      reason = 'Invalid';
      message = 'the server rejected our request due to an error in our request';
      break;
    case 429:
      reason = 'TooManyRequests';
      message = 'the server has received too many requests and has asked us to try again later';
      break;
    case 504:
      reason = 'Timeout';
      message =
        'the server was unable to return a response in the time allotted, but may still be processing the request';
      break;
    default:
      if (code >= 500) {
        reason = 'InternalError';
        message = `an error on the server (${JSON.stringify(serverMessage)}) has prevented the request from succeeding`;
      }
  }
  const details: StatusDetails = {};
  if (ctx.resource) {
    const gr = groupResource(ctx.group ?? '', ctx.resource);
    message += ctx.name
      ? ` (${ctx.method.toLowerCase()} ${gr} ${ctx.name})`
      : ` (${ctx.method.toLowerCase()} ${gr})`;
    details.group = ctx.group ?? '';
    details.kind = ctx.resource;
  }
  if (ctx.name) details.name = ctx.name;
  if (serverMessage)
    details.causes = [{ reason: 'UnexpectedServerResponse', message: serverMessage.slice(0, 4096) }];
  if (retryAfterSeconds !== undefined) details.retryAfterSeconds = retryAfterSeconds;
  const err = new ApiError(code, reason as StatusReason, message, details);
  if (reason === '') err.status.reason = '';
  return err;
}
