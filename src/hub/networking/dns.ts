// The hub's DNS server: clusterset.local (imported services) and the zones of global names
// (Gslb hosts), over UDP and TCP on 127.0.0.1 at --dns-port (default 15353 from the command line;
// a free port when none is given), the port written to DIR/dns.port for `dig -p`. It runs on the
// leading hub only (hubs of one store share a data dir and a port). A port taken by another
// process is retried every few seconds rather than failing the controllers.

import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DnsServer } from '../../sim/dataplane/dns/server.js';

export const DEFAULT_DNS_PORT = 15353;
export const DNS_PORT_FILE = 'dns.port';
const RETRY_MS = 2000;

export class HubDns {
  readonly server: DnsServer;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private listening: Promise<void> | undefined;

  constructor(private readonly opts: { address?: string; port?: number; dataDir?: string; logger: Logger }) {
    this.server = new DnsServer({ address: opts.address ?? '127.0.0.1', port: opts.port ?? 0 });
  }

  /** Starts listening in the background (retrying while the port is taken). */
  start(): void {
    this.listening = this.attempt();
  }

  /** Resolves once the server listens (or has given up because it was stopped). */
  async ready(): Promise<void> {
    while (!this.stopped) {
      await this.listening;
      if (this.isListening) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  isListening = false;

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.server.listen();
      this.isListening = true;
      if (this.opts.dataDir) await writePortFile(this.opts.dataDir, this.server.port);
      this.opts.logger.info({ address: this.server.address, port: this.server.port }, 'DNS server listening');
    } catch (err) {
      this.opts.logger.error(
        { err, address: this.server.address, port: this.opts.port },
        'the DNS server cannot listen; retrying',
      );
      this.timer = setTimeout(() => {
        this.listening = this.attempt();
      }, RETRY_MS);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.listening;
    if (this.isListening && this.opts.dataDir)
      await rm(join(this.opts.dataDir, DNS_PORT_FILE), { force: true });
    this.isListening = false;
    await this.server.close();
  }
}

async function writePortFile(dataDir: string, port: number): Promise<void> {
  const path = join(dataDir, DNS_PORT_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${port}\n`);
  await rename(tmp, path);
}
