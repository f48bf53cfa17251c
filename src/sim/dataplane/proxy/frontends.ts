// Frontends of a TcpProxy grouped by what owns them (a Service, an import): set(key, wanted)
// makes the owner's frontends exactly `wanted`, closing the ones it no longer has; changes apply
// one after the other, so a frontend removed is closed before it is bound again.

import type { Backend, TcpProxy } from './tcp-proxy.js';

export interface Frontend {
  host: string;
  port: number;
  backends: Backend[];
}

export class FrontendSet {
  private readonly owned = new Map<string, { host: string; port: number }[]>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly proxy: TcpProxy,
    /** A frontend that cannot listen (its address taken ...). */
    private readonly onError: (key: string, frontend: Frontend, err: NodeJS.ErrnoException) => void,
  ) {}

  set(key: string, wanted: Frontend[]): void {
    const before = this.owned.get(key) ?? [];
    const gone = before.filter((f) => !wanted.some((w) => w.host === f.host && w.port === f.port));
    if (wanted.length > 0)
      this.owned.set(
        key,
        wanted.map(({ host, port }) => ({ host, port })),
      );
    else this.owned.delete(key);
    this.chain = this.chain.then(async () => {
      for (const f of gone) await this.proxy.remove(f.host, f.port);
      for (const f of wanted) {
        await this.proxy
          .set(f.host, f.port, f.backends)
          .catch((err: NodeJS.ErrnoException) => this.onError(key, f, err));
      }
    });
  }

  /** Resolves once every change so far is in effect. */
  settled(): Promise<void> {
    return this.chain;
  }
}
