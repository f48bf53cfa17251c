// API watches over store watches: resourceVersion semantics ("0" or unset start with synthetic
// ADDED events for what exists), selector transitions (an object that stops matching is
// DELETED, one that starts matching is ADDED), bookmarks, timeouts and 410 Expired.

import { formatApiVersion } from '../../machinery/gvk.js';
import type { KubeObject } from '../../machinery/object.js';
import { errors } from '../../machinery/status.js';
import { resourcePrefix } from '../../storage/keys.js';
import { CompactedError, type Store, type WatchEvent, type Watcher } from '../../storage/store.js';
import type { ApiWatch, ApiWatchSink, ResourceQuery } from '../request.js';
import { fromStored } from './object-meta.js';
import type { ResourceInfo } from './resource-info.js';
import { compileSelectors } from './selection.js';

export interface WatchDeps {
  store: Store;
  /** How often a watch that asked for bookmarks gets one. */
  bookmarkIntervalMs: number;
  /** Default duration of a watch without timeoutSeconds (Kubernetes picks 30-60 minutes). */
  defaultTimeoutMs(): number;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

// Every watcher of one store event receives the same API object, so that the HTTP layer can
// serialize it once for all of them. Keyed by the store's (shared) value object.
const presented = new WeakMap<object, Map<string, KubeObject>>();

function presentShared(info: ResourceInfo, value: object, revision: number): KubeObject {
  const apiVersion = formatApiVersion(info);
  let byVersion = presented.get(value);
  if (!byVersion) {
    byVersion = new Map();
    presented.set(value, byVersion);
  }
  const cacheKey = `${apiVersion}@${revision}`;
  let obj = byVersion.get(cacheKey);
  if (!obj) {
    obj = fromStored(value, revision);
    if (obj.apiVersion !== apiVersion) obj.apiVersion = apiVersion;
    byVersion.set(cacheKey, obj);
  }
  return obj;
}

export async function startWatch(
  deps: WatchDeps,
  info: ResourceInfo,
  namespace: string | undefined,
  query: ResourceQuery,
  sink: ApiWatchSink,
): Promise<ApiWatch> {
  const filter = compileSelectors(info, query);
  const prefix = resourcePrefix(info.group, info.resource, info.namespaced ? namespace : undefined);
  const rv = query.resourceVersion;
  let stopped = false;
  let watcher: Watcher | undefined;
  let lastRevision = 0;
  let timeoutTimer: NodeJS.Timeout | undefined;
  let bookmarkTimer: NodeJS.Timeout | undefined;

  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timeoutTimer);
    clearInterval(bookmarkTimer);
    watcher?.close();
    sink.end();
  };

  const emit = (type: EventType | 'BOOKMARK' | 'ERROR', obj: unknown) => {
    if (!stopped) sink.event(type, obj);
  };

  const bookmark = (annotations?: Record<string, string>) => {
    const metadata: Record<string, unknown> = { resourceVersion: String(lastRevision) };
    if (annotations) metadata.annotations = annotations;
    emit('BOOKMARK', { kind: info.kind, apiVersion: formatApiVersion(info), metadata });
  };

  let startAfter: number;
  const sendInitial = rv === undefined || rv === '' || rv === '0' || query.sendInitialEvents === true;
  if (sendInitial) {
    const initial: KubeObject[] = [];
    let token: string | undefined;
    let revision: number | undefined;
    if (rv && rv !== '0' && query.sendInitialEvents) revision = parseStartRevision(rv);
    // From "0": any state will do, a watch cache's included; from "": a consistent read.
    const minRevision = rv === '0' ? 0 : undefined;
    try {
      do {
        const page = await deps.store.list(prefix, { continue: token, revision, minRevision, limit: 1000 });
        revision = page.revision;
        for (const kv of page.items) {
          const obj = presentShared(info, kv.value, kv.modRevision);
          if (filter.matches(obj)) initial.push(obj);
        }
        token = page.continue;
      } while (token);
    } catch (err) {
      if (err instanceof CompactedError) {
        throw errors.expired(`too old resource version: ${rv} (${err.compactRevision})`);
      }
      throw err;
    }
    startAfter = revision ?? 0;
    lastRevision = startAfter;
    for (const obj of initial) emit('ADDED', obj);
    if (query.sendInitialEvents && query.allowWatchBookmarks)
      bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    startAfter = parseStartRevision(rv);
    lastRevision = startAfter;
  }

  const onEvent = (e: WatchEvent) => {
    if (stopped) return;
    lastRevision = e.revision;
    const translated = translate(info, filter.matches, filter.isEverything, e);
    if (translated) emit(translated.type, translated.object);
  };
  const onError = (err: Error) => {
    if (stopped) return;
    if (err instanceof CompactedError) {
      emit(
        'ERROR',
        errors.expired(`too old resource version: ${startAfter} (${err.compactRevision})`).status,
      );
    } else {
      emit('ERROR', errors.internal(err.message).status);
    }
    stop();
  };
  watcher = deps.store.watch(prefix, startAfter, { onEvent, onError });

  const timeoutMs =
    query.timeoutSeconds !== undefined ? query.timeoutSeconds * 1000 : deps.defaultTimeoutMs();
  timeoutTimer = setTimeout(stop, timeoutMs);
  timeoutTimer.unref();
  if (query.allowWatchBookmarks) {
    bookmarkTimer = setInterval(bookmark, deps.bookmarkIntervalMs);
    bookmarkTimer.unref();
  }
  return { stop };
}

function parseStartRevision(rv: string | undefined): number {
  if (rv === undefined || !/^\d+$/.test(rv)) {
    throw errors.badRequest(`resourceVersion: Invalid value: "${rv}": must be a non-negative integer`);
  }
  return Number(rv);
}

/** One store change as the API event this watcher should see, if any. */
function translate(
  info: ResourceInfo,
  matches: (obj: KubeObject) => boolean,
  everything: boolean,
  e: WatchEvent,
): { type: EventType; object: KubeObject } | undefined {
  const current = presentShared(info, e.value, e.revision);
  if (e.type === 'create') return matches(current) ? { type: 'ADDED', object: current } : undefined;
  if (e.type === 'delete') {
    // A delete carries the last content with the delete's revision.
    return matches(current) ? { type: 'DELETED', object: current } : undefined;
  }
  // Without a selector every update is a modification: the previous value is not even read.
  if (everything) return { type: 'MODIFIED', object: current };
  const now = matches(current);
  const before = e.prevValue
    ? matches(presentShared(info, e.prevValue, e.prevRevision ?? e.revision))
    : false;
  if (now && before) return { type: 'MODIFIED', object: current };
  if (now) return { type: 'ADDED', object: current };
  if (before && e.prevValue) {
    // Stopped matching: DELETED with the previous content at this revision, as Kubernetes does.
    return { type: 'DELETED', object: presentShared(info, e.prevValue, e.revision) };
  }
  return undefined;
}
