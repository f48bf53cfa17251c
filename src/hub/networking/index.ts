// Networking on the hub: the multi-cluster services controller (ServiceExports in, ServiceImports
// and EndpointSlices out), the mirror controller (Linkerd-style `<svc>-<cluster>` Services), the
// hub's clusterset data plane (clusterset IPs forwarded to the exporting clusters' endpoints), the Gslb controller (global names by strategy), and the DNS
// server that answers clusterset.local and the global names. All run on the leading hub.

import type { ControllerContext, RunningController } from '../../controller/context.js';
import { ClustersetRecords } from '../../sim/dataplane/dns/clusterset-records.js';
import { Zone } from '../../sim/dataplane/dns/zone.js';
import { TcpProxy } from '../../sim/dataplane/proxy/tcp-proxy.js';
import { ClustersetDataPlane } from './clusterset/dataplane.js';
import { HubDns } from './dns.js';
import { startGslbController } from './gslb/controller.js';
import { startMcsController } from './mcs/controller.js';
import { MemberViews, type MemberViewsOptions } from './members.js';
import { startMirrorController } from './mirror/controller.js';

export { DEFAULT_DNS_PORT, DNS_PORT_FILE } from './dns.js';

export interface NetworkingOptions {
  /** Port of the hub's DNS server on 127.0.0.1 (default: a free one; the CLI's default is 15353). */
  dnsPort?: number;
  /** Member access: request timeout, watch timeout. */
  members?: MemberViewsOptions;
  /** How often every exported service is looked at again (default 30 s). */
  resyncMs?: number;
}

export const NETWORKING = 'networking';

/** What a running networking capability exposes (for tests and benchmarks). */
export interface RunningNetworking extends RunningController {
  dns: HubDns;
  dataPlane: ClustersetDataPlane;
}

export function startNetworking(
  ctx: ControllerContext & { dataDir?: string },
  opts: NetworkingOptions = {},
): RunningNetworking {
  const members = new MemberViews(ctx, opts.members);
  const dns = new HubDns({
    port: opts.dnsPort ?? 0,
    logger: ctx.logger,
    ...(ctx.dataDir ? { dataDir: ctx.dataDir } : {}),
  });
  const zone = new Zone('clusterset.local');
  dns.server.addZone(zone);
  const proxy = new TcpProxy();
  let mcs: ReturnType<typeof startMcsController> | undefined;
  const dataPlane = new ClustersetDataPlane(proxy, new ClustersetRecords(zone), ctx.logger, (key) =>
    // An address another process holds: the controller gives the import another one.
    mcs?.enqueue(key),
  );
  mcs = startMcsController(ctx, {
    members,
    dataPlane,
    ...(opts.resyncMs ? { resyncMs: opts.resyncMs } : {}),
  });
  const mirror = startMirrorController(ctx, { members });
  const gslb = startGslbController(ctx, { members, dns: dns.server });
  dns.start();
  return {
    name: NETWORKING,
    dns,
    dataPlane,
    async stop() {
      await mcs?.stop();
      await mirror.stop();
      await gslb.stop();
      members.stop();
      await dataPlane.settled();
      await proxy.close();
      await dns.stop();
    },
  };
}

/** The networking capability as a factory of the hub's controller manager. */
export function networkingControllers(
  opts: NetworkingOptions = {},
): (ctx: ControllerContext & { dataDir?: string }) => RunningController[] {
  return (ctx) => [startNetworking(ctx, opts)];
}
