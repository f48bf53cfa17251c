// The page's access to the hub: the Kubernetes API of its own origin, every call with the user's
// bearer token. Lists are kept current as Kubernetes clients keep them: list, then watch from the
// list's resourceVersion, watch again from the last version seen when a watch ends, and list anew
// when the server says that version is gone (410).

import type { KubeObject } from '../../machinery/object.js';

const TOKEN_KEY = 'concord.token';

/** The token of this tab (kept for the session only). */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * A token handed over in the URL's fragment (#token=...), as `concord dashboard` prints it: taken
 * into the session and removed from the address bar and history. Fragments never reach a server.
 */
export function takeTokenFromFragment(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
  if (!m) return null;
  const token = decodeURIComponent(m[1]!);
  const rest = window.location.hash.replace(/(^#|&)token=[^&]+/, '$1').replace(/^#&/, '#');
  window.history.replaceState(null, '', `${window.location.pathname}${rest === '#' ? '' : rest}`);
  return token;
}

export class Unauthorized extends Error {}

export class ApiClient {
  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void,
  ) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(path, {
      ...init,
      headers: { accept: 'application/json', authorization: `Bearer ${this.token}`, ...init.headers },
      cache: 'no-store',
    });
    if (res.status === 401) {
      this.onUnauthorized();
      throw new Unauthorized('the hub did not accept the token');
    }
    return res;
  }

  async getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.fetch(path, init);
    if (!res.ok) {
      const status = (await res.json().catch(() => undefined)) as { message?: string } | undefined;
      throw new Error(status?.message ?? `${path}: HTTP ${res.status}`);
    }
    return (await res.json()) as T;
  }

  /** Who the token belongs to (SelfSubjectReview), which also checks it. */
  async whoami(): Promise<string> {
    const review = await this.getJson<{ status?: { userInfo?: { username?: string } } }>(
      '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
      },
    );
    return review.status?.userInfo?.username ?? 'unknown';
  }

  /** Follows the collection at `path` until `signal` aborts; `onChange` gets every new state. */
  async follow(path: string, onChange: (state: ListState) => void, signal: AbortSignal): Promise<void> {
    const items = new Map<string, KubeObject>();
    const emit = (synced: boolean, error?: string) =>
      onChange({ items: [...items.values()], synced, ...(error ? { error } : {}) });
    let backoffMs = 250;
    while (!signal.aborted) {
      try {
        const list = await this.getJson<{ metadata: { resourceVersion: string }; items: KubeObject[] }>(
          path,
          {
            signal,
          },
        );
        items.clear();
        for (const o of list.items) items.set(keyOf(o), o);
        emit(true);
        let rv = list.metadata.resourceVersion;
        // Watch until the version we hold is gone (then list again).
        for (;;) {
          const next = await this.watch(path, rv, items, () => emit(true), signal);
          if (next === undefined) break;
          rv = next;
          backoffMs = 250;
        }
      } catch (err) {
        if (signal.aborted || err instanceof Unauthorized) return;
        emit(false, err instanceof Error ? err.message : String(err));
        await sleep(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  /** One watch; resolves with the last resourceVersion seen, or undefined when it must list again. */
  private async watch(
    path: string,
    rv: string,
    items: Map<string, KubeObject>,
    changed: () => void,
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const sep = path.includes('?') ? '&' : '?';
    const res = await this.fetch(
      `${path}${sep}watch=1&allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=${encodeURIComponent(rv)}`,
      { signal },
    );
    if (res.status === 410) return undefined;
    if (!res.ok || !res.body) throw new Error(`watch ${path}: HTTP ${res.status}`);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let last = rv;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return last;
      buffer += value;
      let nl = buffer.indexOf('\n');
      let dirty = false;
      while (nl >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        if (!line) continue;
        const event = JSON.parse(line) as { type: string; object: KubeObject & { code?: number } };
        if (event.type === 'ERROR') {
          if (event.object.code === 410) return undefined;
          throw new Error(`watch ${path}: ${(event.object as { message?: string }).message ?? 'error'}`);
        }
        const version = event.object.metadata?.resourceVersion;
        if (version) last = version;
        if (event.type === 'BOOKMARK') continue;
        if (event.type === 'DELETED') items.delete(keyOf(event.object));
        else items.set(keyOf(event.object), event.object);
        dirty = true;
      }
      if (dirty) changed();
    }
  }
}

export interface ListState<T extends KubeObject = KubeObject> {
  items: T[];
  /** Listed at least once and following. */
  synced: boolean;
  error?: string;
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
