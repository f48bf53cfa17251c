// Splits a watch response body into events. The API server writes one JSON object per line;
// a chunk from the network may end inside a line or inside a multi-byte character, so bytes are
// kept until their newline arrives.

import type { WatchEvent, WatchEventType } from './client.js';

const NEWLINE = 0x0a;
const EVENT_TYPES = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** A watch body that is not a stream of watch events. */
export class WatchDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatchDecodeError';
  }
}

export function parseWatchEvent(line: string): WatchEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    const shown = line.length > 200 ? `${line.slice(0, 200)}...` : line;
    throw new WatchDecodeError(`watch event is not valid JSON (${(err as Error).message}): ${shown}`);
  }
  const e = value as { type?: unknown; object?: unknown };
  if (typeof e !== 'object' || e === null || !EVENT_TYPES.has(e.type as WatchEventType)) {
    throw new WatchDecodeError(`watch event has no valid type: ${line.slice(0, 200)}`);
  }
  if (typeof e.object !== 'object' || e.object === null || Array.isArray(e.object)) {
    throw new WatchDecodeError(`watch event ${String(e.type)} has no object`);
  }
  return value as WatchEvent;
}

export class WatchDecoder {
  /** Bytes of the current, unfinished line. */
  private pending: Buffer[] = [];

  /** The events completed by this chunk, in order. Throws WatchDecodeError on a bad line. */
  push(chunk: Buffer): WatchEvent[] {
    const out: WatchEvent[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      let lineBytes = chunk.subarray(start, nl);
      if (this.pending.length > 0) {
        this.pending.push(lineBytes);
        lineBytes = Buffer.concat(this.pending);
        this.pending = [];
      }
      start = nl + 1;
      const line = lineBytes.toString('utf8').trim();
      if (line !== '') out.push(parseWatchEvent(line));
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
    return out;
  }

  /** At the end of the stream: a last event without its newline, if any. */
  end(): WatchEvent[] {
    if (this.pending.length === 0) return [];
    const line = Buffer.concat(this.pending).toString('utf8').trim();
    this.pending = [];
    return line === '' ? [] : [parseWatchEvent(line)];
  }
}
