// Multi-cluster services end to end, with real traffic on loopback: a Service (the MCS demo's,
// applied unchanged) exported from two members and imported by a third; the spec's conditions and
// conflict rules; the hub's DNS asked with the real dig; curl through the clusterset IP answered
// by both clusters; a member taken down is withdrawn from the endpoints and the answers; a
// global name (k8gb's Gslb, applied unchanged) failing over from the primary region and back; and
// Linkerd-style mirror Services (`<svc>-<cluster>`) that reach one exporting cluster alone; and a
// member that leaves the fleet keeps nothing the hub wrote into it.

import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceRef } from '../../src/client/client.js';
import { resources } from '../../src/client/resources.js';
import { k8gbResources } from '../../src/hub/apis/k8gb/index.js';
import { karmadaResources } from '../../src/hub/apis/karmada/index.js';
import { mcsResources } from '../../src/hub/apis/mcs/index.js';
import { unjoinCluster } from '../../src/hub/clusters/join.js';
import {
  curl,
  dig,
  digAt,
  digStatus,
  echoDeployment,
  get,
  type Json,
  type NetworkingFleet,
  requireTool,
  startNetworkingFleet,
  waitFor,
} from './fleet.js';

const FIXTURES = '/work/shared/fixtures';
const MCS_DEMO = `${FIXTURES}/mcs-api/kubernetes-sigs_mcs-api/demo/yaml`;
const K8GB = `${FIXTURES}/k8gb`;

let fleet: NetworkingFleet;

const exportOf = (name: string, ns = 'demo') => `apiVersion: multicluster.x-k8s.io/v1beta1
kind: ServiceExport
metadata: {name: ${name}, namespace: ${ns}}
`;

function condition(obj: Json, type: string): Json | undefined {
  return (obj.status?.conditions ?? []).find((c: Json) => c.type === type);
}

const REFS: Record<string, ResourceRef> = {
  serviceimports: mcsResources.serviceimports,
  serviceexports: mcsResources.serviceexports,
  clusterproperties: mcsResources.clusterproperties,
  'gslbs.k8gb.io': k8gbResources.gslbs,
  service: resources.services,
  endpointslices: resources.endpointslices,
  events: resources.events,
  clusters: karmadaResources.clusters,
};

/**
 * `kubectl get KIND [-n NS] [NAME | -l SELECTOR]` read through the in-process client (polls would
 * start a kubectl process each time): the object, the list, or undefined when it is not found.
 */
async function getJson(target: string, args: string[]): Promise<Json | undefined> {
  const [, kind, ...rest] = args;
  let namespace: string | undefined;
  let labelSelector: string | undefined;
  let name: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '-n') namespace = rest[++i];
    else if (rest[i] === '-l') labelSelector = rest[++i];
    else name = rest[i];
  }
  const ref = REFS[kind!]!;
  const client = fleet.client(target);
  if (name === undefined) {
    return (await client.list(ref, {
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
    })) as Json;
  }
  return (await client.get(ref, name, namespace ? { namespace } : {}).catch(() => undefined)) as
    | Json
    | undefined;
}

/** The clusters answering `n` requests to host:port. */
async function answers(host: string, port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await get(host, port);
    out.push(r.cluster ?? `error:${r.error}`);
  }
  return out;
}

beforeAll(async () => {
  requireTool('dig', ['-v'], 'run scripts/install-test-deps.sh (installs Debian bind9-dnsutils)');
  requireTool('curl', ['--version'], 'install curl');
  fleet = await startNetworkingFleet([
    { name: 'east', region: 'eu' },
    { name: 'west', region: 'us' },
    { name: 'south', region: 'asia' },
  ]);
  await waitFor(
    'every member Ready',
    async () => {
      const list = (await getJson('hub', ['get', 'clusters']))!;
      return (
        list.items.length === 3 && list.items.every((c: Json) => condition(c, 'Ready')?.status === 'True')
      );
    },
    60_000,
  );
  for (const m of ['east', 'west', 'south']) await fleet.ok(m, ['create', 'namespace', 'demo']);
  for (const m of ['east', 'west']) {
    await fleet.ok(m, ['apply', '-f', `${MCS_DEMO}/svc.yaml`]);
    await fleet.ok(m, ['apply', '-f', '-'], echoDeployment('serve', 'demo'));
    await fleet.ok(m, ['apply', '-f', '-'], exportOf('serve'));
  }
}, 120_000);

afterAll(async () => {
  await fleet?.stop();
});

describe('multi-cluster services', () => {
  it('imports a Service exported from two members into every member, with the spec conditions', async () => {
    const imported = await waitFor('the ServiceImport in south', async () => {
      const i = await getJson('south', ['get', 'serviceimports', '-n', 'demo', 'serve']);
      return i && (i.status?.clusters ?? []).length === 2 ? i : undefined;
    });
    expect(imported.spec.type).toBe('ClusterSetIP');
    expect(imported.spec.ports).toEqual([{ port: 80, protocol: 'TCP' }]);
    expect(imported.spec.ips).toHaveLength(1);
    expect(imported.spec.ips[0]).toMatch(/^127\.([1-9]|1[0-5])\.\d+\.\d+$/);
    expect(imported.status.clusters.map((c: Json) => c.cluster).sort()).toEqual(['east', 'west']);
    // The same import in the exporting members, with the same clusterset IP.
    for (const m of ['east', 'west']) {
      const i = await waitFor(`the ServiceImport in ${m}`, () =>
        fleet
          .kubectl(m, [
            'get',
            'serviceimports.v1alpha1.multicluster.x-k8s.io',
            '-n',
            'demo',
            'serve',
            '-o',
            'json',
          ])
          .then((r) => (r.code === 0 ? (JSON.parse(r.stdout) as Json) : undefined)),
      );
      expect(i.apiVersion).toBe('multicluster.x-k8s.io/v1alpha1');
      expect(i.spec.ips).toEqual(imported.spec.ips);
    }
    // kubectl prints the API's columns.
    const table = await fleet.ok('south', ['get', 'svcim', '-n', 'demo']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+IP\s+AGE/);
    expect(table).toContain(imported.spec.ips[0]);

    const exported = await waitFor('the export conditions', async () => {
      const e = await getJson('east', ['get', 'serviceexports', '-n', 'demo', 'serve']);
      return e && condition(e, 'Ready')?.status === 'True' ? e : undefined;
    });
    expect(condition(exported, 'Valid')).toMatchObject({ status: 'True', reason: 'Valid' });
    expect(condition(exported, 'Ready')).toMatchObject({ status: 'True', reason: 'Exported' });
    expect(condition(exported, 'Conflict')).toMatchObject({ status: 'False', reason: 'NoConflicts' });

    // EndpointSlices of both clusters in the importing member, labelled as the API says.
    const slices = await waitFor('the MCS EndpointSlices in south', async () => {
      const list = (await getJson('south', [
        'get',
        'endpointslices',
        '-n',
        'demo',
        '-l',
        'multicluster.kubernetes.io/service-name=serve',
      ]))!;
      const ready = list.items.filter((s: Json) => (s.endpoints ?? []).length === 2);
      return ready.length === 2 ? list.items : undefined;
    });
    expect(
      slices.map((s: Json) => s.metadata.labels['multicluster.kubernetes.io/source-cluster']).sort(),
    ).toEqual(['east', 'west']);
    for (const s of slices) {
      expect(s.metadata.labels['endpointslice.kubernetes.io/managed-by']).not.toBe(
        'endpointslice-controller.k8s.io',
      );
      expect(s.metadata.labels['kubernetes.io/service-name']).toBeUndefined();
    }
    const id = await waitFor('the cluster id property', () =>
      getJson('south', ['get', 'clusterproperties', 'cluster.clusterset.k8s.io']),
    );
    expect(id.spec.value).toBe('south');
  });

  it('answers clusterset names from the hub DNS server, asked with dig', async () => {
    const imported = await fleet.json('south', ['get', 'serviceimports', '-n', 'demo', 'serve']);
    const a = await waitFor('the A record', async () => {
      const out = await dig(fleet.dnsPort, 'serve.demo.svc.clusterset.local', '+short');
      return out.trim() || undefined;
    });
    expect(a).toBe(imported.spec.ips[0]);
    expect((await dig(fleet.dnsPort, 'dns-version.clusterset.local', 'TXT', '+short')).trim()).toBe(
      '"1.0.0"',
    );
    expect(digStatus(await dig(fleet.dnsPort, 'nothing.demo.svc.clusterset.local'))).toBe('NXDOMAIN');
    expect(digStatus(await dig(fleet.dnsPort, 'serve.demo.svc.cluster.local'))).toBe('REFUSED');
    // Over TCP too.
    expect((await dig(fleet.dnsPort, '+tcp', 'serve.demo.svc.clusterset.local', '+short')).trim()).toBe(a);
  });

  it('forwards the clusterset IP to pods of both exporting clusters (curl)', async () => {
    const ip = (await dig(fleet.dnsPort, 'serve.demo.svc.clusterset.local', '+short')).trim();
    const first = await curl(ip, 80);
    expect(first.namespace).toBe('demo');
    const seen = await waitFor('answers from both clusters', async () => {
      const clusters = new Set(await answers(ip, 80, 12));
      return clusters.has('east') && clusters.has('west') ? clusters : undefined;
    });
    expect([...seen].filter((c) => !c.startsWith('error')).sort()).toEqual(['east', 'west']);
  });

  it("inside a member, resolves the clusterset name with the member's DNS: local endpoints first", async () => {
    const memberDig = (m: string, ...args: string[]) => {
      const dns = fleet.members.get(m)!.dataPlane!.info().dns;
      return digAt(dns.address, dns.port, ...args);
    };
    // south exports nothing: its address for the import reaches both clusters.
    const southIP = await waitFor(
      'the name in south',
      async () => (await memberDig('south', 'serve.demo.svc.clusterset.local', '+short')).trim() || undefined,
    );
    expect(southIP).toMatch(/^127\.\d+\.(22[4-9]|2[3-5]\d)\.\d+$/);
    expect(new Set((await answers(southIP, 80, 12)).filter((c) => !c.startsWith('error')))).toEqual(
      new Set(['east', 'west']),
    );
    // east exports it too: its own pods answer.
    const eastIP = await waitFor(
      'the name in east',
      async () => (await memberDig('east', 'serve.demo.svc.clusterset.local', '+short')).trim() || undefined,
    );
    expect(new Set(await answers(eastIP, 80, 8))).toEqual(new Set(['east']));
    // The cluster-local name still means the local Service.
    const local = (await fleet.json('east', ['get', 'service', '-n', 'demo', 'serve'])).spec.clusterIP;
    expect((await memberDig('east', 'serve.demo.svc.cluster.local', '+short')).trim()).toBe(local);
  });

  it('applies the conflict rules: ports merged, the oldest export wins; invalid exports say why', async () => {
    const svc = (port: number, extra = '') => `apiVersion: v1
kind: Service
metadata: {name: api, namespace: demo}
spec:
  selector: {app: serve}
  ports: [{name: tcp, port: ${port}, targetPort: 8080}${extra}]
`;
    await fleet.ok('east', ['apply', '-f', '-'], svc(42));
    await fleet.ok('west', ['apply', '-f', '-'], svc(43, ', {name: extra, port: 142, targetPort: 8080}'));
    await fleet.ok('east', ['apply', '-f', '-'], exportOf('api'));
    await waitFor('the api import', () => getJson('south', ['get', 'serviceimports', '-n', 'demo', 'api']));
    // A second later: the creation timestamps differ, east's export is the oldest.
    await new Promise((r) => setTimeout(r, 1100));
    await fleet.ok('west', ['apply', '-f', '-'], exportOf('api'));
    for (const m of ['east', 'west']) {
      const e = await waitFor(`the conflict on ${m}`, async () => {
        const x = await getJson(m, ['get', 'serviceexports', '-n', 'demo', 'api']);
        return x && condition(x, 'Conflict')?.status === 'True' ? x : undefined;
      });
      expect(condition(e, 'Conflict')?.reason).toBe('PortConflict');
    }
    const i = await waitFor('the merged ports', async () => {
      const x = await getJson('south', ['get', 'serviceimports', '-n', 'demo', 'api']);
      return x && x.spec.ports.length === 2 ? x : undefined;
    });
    const ports = [...i.spec.ports].sort((a: Json, b: Json) => a.port - b.port);
    expect(ports).toEqual([
      { name: 'tcp', protocol: 'TCP', port: 42 },
      { name: 'extra', protocol: 'TCP', port: 142 },
    ]);
    // SRV records of the named ports.
    const srv = await dig(fleet.dnsPort, '_tcp._tcp.api.demo.svc.clusterset.local', 'SRV', '+short');
    expect(srv.trim()).toBe('0 50 42 api.demo.svc.clusterset.local.');

    // An export without a Service, and one of an ExternalName Service.
    await fleet.ok('east', ['apply', '-f', '-'], exportOf('ghost'));
    const ghost = await waitFor('Valid=False on the ghost export', async () => {
      const x = await getJson('east', ['get', 'serviceexports', '-n', 'demo', 'ghost']);
      return x && condition(x, 'Valid') ? x : undefined;
    });
    expect(condition(ghost, 'Valid')).toMatchObject({ status: 'False', reason: 'NoService' });
    await fleet.ok('east', [
      'create',
      'service',
      'externalname',
      'outside',
      '-n',
      'demo',
      '--external-name',
      'example.com',
    ]);
    await fleet.ok('east', ['apply', '-f', '-'], exportOf('outside'));
    const outside = await waitFor('Valid=False on the ExternalName export', async () => {
      const x = await getJson('east', ['get', 'serviceexports', '-n', 'demo', 'outside']);
      return x && condition(x, 'Valid') ? x : undefined;
    });
    expect(condition(outside, 'Valid')).toMatchObject({ status: 'False', reason: 'InvalidServiceType' });
    expect((await fleet.kubectl('south', ['get', 'serviceimports', '-n', 'demo', 'ghost'])).code).not.toBe(0);
    expect((await fleet.kubectl('south', ['get', 'serviceimports', '-n', 'demo', 'outside'])).code).not.toBe(
      0,
    );
  });

  it('withdraws a member that goes down: its endpoints leave, the clusterset IP answers from the rest', async () => {
    const ip = (await dig(fleet.dnsPort, 'serve.demo.svc.clusterset.local', '+short')).trim();
    await fleet.host.applyFault('west', { action: 'down' });
    try {
      await waitFor(
        "west's slices withdrawn from south",
        async () => {
          const list = (await getJson('south', [
            'get',
            'endpointslices',
            '-n',
            'demo',
            '-l',
            'multicluster.kubernetes.io/source-cluster=west',
          ]))!;
          return list.items.length === 0;
        },
        30_000,
      );
      // Once withdrawn, no request fails.
      const after = await answers(ip, 80, 20);
      expect(new Set(after)).toEqual(new Set(['east']));
    } finally {
      await fleet.host.applyFault('west', { action: 'heal' });
    }
    await waitFor(
      'west back in the answers',
      async () => new Set(await answers(ip, 80, 12)).has('west'),
      30_000,
    );
  });

  it('rejects a Gslb whose strategy k8gb would refuse, naming the field', async () => {
    const r = await fleet.kubectl(
      'hub',
      ['apply', '-f', '-'],
      `apiVersion: k8gb.io/v1beta1
kind: Gslb
metadata: {name: bad, namespace: default}
spec:
  ingress: {rules: [{host: bad.cloud.example.com}]}
  strategy: {type: fastest}
`,
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.strategy.type');
  });

  it('answers a global name by failover from the primary region, and fails back (k8gb manifests)', async () => {
    const host = 'terratest-failover.cloud.example.com';
    const service = `apiVersion: v1
kind: Service
metadata: {name: frontend-podinfo, namespace: demo}
spec:
  selector: {app.kubernetes.io/name: frontend-podinfo}
  ports: [{name: http, port: 9898, targetPort: http}]
`;
    for (const m of ['east', 'west']) {
      await fleet.ok(m, ['apply', '-f', '-'], service);
      await fleet.ok(m, ['apply', '-f', '-'], echoDeployment('frontend-podinfo', 'demo', 1, 9898));
    }
    await fleet.ok('hub', ['create', 'namespace', 'demo']).catch(() => '');
    await fleet.ok('hub', ['apply', '-n', 'demo', '-f', `${K8GB}/terratest/examples/failover.yaml`]);
    const ipOf = async (m: string) =>
      (await fleet.json(m, ['get', 'service', '-n', 'demo', 'frontend-podinfo'])).spec.clusterIP as string;
    const eastIP = await ipOf('east');
    const westIP = await ipOf('west');

    const gslb = await waitFor('a healthy Gslb', async () => {
      const g = await getJson('hub', ['get', 'gslbs.k8gb.io', '-n', 'demo', 'test-gslb']);
      return g?.status?.serviceHealth?.[host] === 'Healthy' ? g : undefined;
    });
    expect(gslb.spec.strategy.dnsTtlSeconds).toBe(5);
    const primary = await waitFor('the primary answer', async () => {
      const out = (await dig(fleet.dnsPort, host, '+short')).trim();
      return out === eastIP ? out : undefined;
    });
    expect(primary).toBe(eastIP);
    expect(await dig(fleet.dnsPort, host, '+noall', '+answer')).toMatch(
      new RegExp(`${host}\\.\\s+5\\s+IN\\s+A\\s+${eastIP}`),
    );
    expect((await curl(primary, 9898)).cluster).toBe('east');
    const status = (await fleet.json('hub', ['get', 'gslbs.k8gb.io', '-n', 'demo', 'test-gslb'])).status;
    expect(status.healthyRecords).toEqual({ [host]: [eastIP] });
    expect(status.geoTag).toBe('eu');

    await fleet.host.applyFault('east', { action: 'down' });
    try {
      const failed = await waitFor(
        'the answer from us',
        async () => {
          const out = (await dig(fleet.dnsPort, host, '+short')).trim();
          return out === westIP ? out : undefined;
        },
        30_000,
      );
      expect((await curl(failed, 9898)).cluster).toBe('west');
    } finally {
      await fleet.host.applyFault('east', { action: 'heal' });
    }
    await waitFor(
      'the failback to eu',
      async () => (await dig(fleet.dnsPort, host, '+short')).trim() === eastIP,
      30_000,
    );
  });

  it('answers a weighted roundRobin Gslb by its weights, and reports NotFound and Unhealthy hosts', async () => {
    // Behind unhealthy-app: a Service with no ready pod.
    await fleet.ok('east', [
      'create',
      'service',
      'clusterip',
      'unhealthy-app',
      '-n',
      'demo',
      '--tcp',
      '80:8080',
    ]);
    const manifest = readFileSync(`${K8GB}/terratest/examples/roundrobin-weight1.yaml`, 'utf8');
    await fleet.ok('hub', ['apply', '-n', 'demo', '-f', '-'], manifest);
    const g = await waitFor('the roundRobin Gslb status', async () => {
      const x = await getJson('hub', ['get', 'gslbs.k8gb.io', '-n', 'demo', 'test-gslb']);
      return x?.status?.serviceHealth?.['terratest-roundrobin.cloud.example.com'] === 'Healthy' &&
        (x.status.healthyRecords['terratest-roundrobin.cloud.example.com'] ?? []).length === 2
        ? x
        : undefined;
    });
    expect(g.status.serviceHealth).toEqual({
      'terratest-notfound.cloud.example.com': 'NotFound',
      'terratest-unhealthy.cloud.example.com': 'Unhealthy',
      'terratest-roundrobin.cloud.example.com': 'Healthy',
    });
    const eastIP = (await fleet.json('east', ['get', 'service', '-n', 'demo', 'frontend-podinfo'])).spec
      .clusterIP;
    // 10,000 queries over UDP, 100 at a time: the first answer follows the weights (eu 5, us 5).
    const socket = dgram.createSocket('udp4');
    let first = 0;
    const total = 10_000;
    const pending = new Map<number, () => void>();
    socket.on('message', (m) => {
      const reply = dnsPacket.decode(m);
      if ((reply.answers?.[0] as { data?: string } | undefined)?.data === eastIP) first++;
      pending.get(reply.id ?? -1)?.();
    });
    try {
      for (let batch = 0; batch < total / 100; batch++) {
        await Promise.all(
          Array.from(
            { length: 100 },
            (_, i) =>
              new Promise<void>((resolve) => {
                const id = batch * 100 + i;
                pending.set(id, () => {
                  pending.delete(id);
                  resolve();
                });
                socket.send(
                  dnsPacket.encode({
                    type: 'query',
                    id,
                    questions: [{ type: 'A', name: 'terratest-roundrobin.cloud.example.com' }],
                  }),
                  fleet.dnsPort,
                  '127.0.0.1',
                );
              }),
          ),
        );
      }
    } finally {
      socket.close();
    }
    expect(Math.abs(first / total - 0.5)).toBeLessThanOrEqual(0.02);
  });

  it('mirrors each exporting cluster into the others as <svc>-<cluster>, answered by that cluster alone', async () => {
    const memberDig = (m: string, ...args: string[]) => {
      const dns = fleet.members.get(m)!.dataPlane!.info().dns;
      return digAt(dns.address, dns.port, ...args);
    };
    const readySlice = (m: string, name: string) =>
      waitFor(
        `the endpoints of ${name} in ${m}`,
        async () => {
          const s = await getJson(m, ['get', 'endpointslices', '-n', 'demo', name]);
          return s && (s.endpoints ?? []).filter((e: Json) => e.conditions?.ready).length === 2
            ? s
            : undefined;
        },
        30_000,
      );
    // serve is exported from east and west: south gets a mirror of each, each exporter the other's.
    const mirror = await waitFor('the mirror serve-east in south', () =>
      getJson('south', ['get', 'service', '-n', 'demo', 'serve-east']),
    );
    expect(mirror.metadata.labels).toMatchObject({
      'mirror.linkerd.io/mirrored-service': 'true',
      'mirror.linkerd.io/cluster-name': 'east',
      'app.kubernetes.io/managed-by': 'mirror-controller.concord.dev',
    });
    expect(mirror.metadata.annotations['mirror.linkerd.io/remote-svc-fq-name']).toBe(
      'serve.demo.svc.cluster.local',
    );
    expect(mirror.spec.type).toBe('ClusterIP');
    expect(mirror.spec.selector).toBeUndefined();
    expect(mirror.spec.ports.map((p: Json) => p.port)).toEqual([80]);
    await waitFor(
      'serve-west in south and east, serve-east in west',
      async () =>
        (await getJson('south', ['get', 'service', '-n', 'demo', 'serve-west'])) &&
        (await getJson('east', ['get', 'service', '-n', 'demo', 'serve-west'])) &&
        (await getJson('west', ['get', 'service', '-n', 'demo', 'serve-east'])),
    );
    expect(await getJson('east', ['get', 'service', '-n', 'demo', 'serve-east'])).toBeUndefined();
    const slice = await readySlice('south', 'serve-east');
    expect(slice.metadata.labels['kubernetes.io/service-name']).toBe('serve-east');

    // south's own DNS answers the mirror's ClusterIP; its proxy sends every request to east.
    const ip = (await memberDig('south', 'serve-east.demo.svc.cluster.local', '+short')).trim();
    expect(ip).toBe(mirror.spec.clusterIP);
    expect(new Set(await answers(ip, 80, 30))).toEqual(new Set(['east']));
    expect((await curl(ip, 80)).cluster).toBe('east');
    const westIP = (await memberDig('south', 'serve-west.demo.svc.cluster.local', '+short')).trim();
    await readySlice('south', 'serve-west');
    expect(new Set(await answers(westIP, 80, 10))).toEqual(new Set(['west']));

    // east goes down: its mirror keeps its name and address, with no endpoints; then they return.
    await fleet.host.applyFault('east', { action: 'down' });
    try {
      await waitFor(
        "east's mirror endpoints withdrawn in south",
        async () => {
          const s = await getJson('south', ['get', 'endpointslices', '-n', 'demo', 'serve-east']);
          return s !== undefined && (s.endpoints ?? []).length === 0;
        },
        30_000,
      );
      expect((await memberDig('south', 'serve-east.demo.svc.cluster.local', '+short')).trim()).toBe(ip);
      expect((await get(ip, 80)).error).toBeDefined();
    } finally {
      await fleet.host.applyFault('east', { action: 'heal' });
    }
    await readySlice('south', 'serve-east');
    await waitFor(
      'east answering its mirror again',
      async () => (await get(ip, 80)).cluster === 'east',
      30_000,
    );

    // Linkerd's export label works too; a Service of the mirror's name that is not the hub's stays.
    const labelExported = (label: string) =>
      fleet.ok('west', ['label', 'service', '-n', 'demo', 'frontend-podinfo', label]);
    await fleet.ok('south', [
      'create',
      'service',
      'clusterip',
      'frontend-podinfo-west',
      '-n',
      'demo',
      '--tcp',
      '81:81',
    ]);
    await labelExported('mirror.linkerd.io/exported=true');
    const linked = await waitFor('the mirror frontend-podinfo-west in east', () =>
      getJson('east', ['get', 'service', '-n', 'demo', 'frontend-podinfo-west']),
    );
    expect(linked.metadata.labels['mirror.linkerd.io/cluster-name']).toBe('west');
    const warning = await waitFor('the warning on the Service in the way', async () => {
      const list = (await getJson('south', ['get', 'events', '-n', 'demo']))!;
      return list.items.find(
        (e: Json) => e.reason === 'MirrorNameTaken' && e.involvedObject.name === 'frontend-podinfo-west',
      );
    });
    expect(warning.type).toBe('Warning');
    const own = await fleet.json('south', ['get', 'service', '-n', 'demo', 'frontend-podinfo-west']);
    expect(own.metadata.labels?.['mirror.linkerd.io/mirrored-service']).toBeUndefined();
    expect(own.spec.ports.map((p: Json) => p.port)).toEqual([81]);

    // Once the Service in the way is gone, the mirror takes the name; a mirror deleted by hand returns.
    await fleet.ok('south', ['delete', 'service', '-n', 'demo', 'frontend-podinfo-west']);
    await waitFor('the mirror frontend-podinfo-west in south', async () => {
      const m = await getJson('south', ['get', 'service', '-n', 'demo', 'frontend-podinfo-west']);
      return m?.metadata.labels?.['mirror.linkerd.io/mirrored-service'] === 'true';
    });
    const before = await fleet.json('south', ['get', 'service', '-n', 'demo', 'serve-west']);
    await fleet.ok('south', ['delete', 'service', '-n', 'demo', 'serve-west']);
    await waitFor('serve-west written back in south', async () => {
      const m = await getJson('south', ['get', 'service', '-n', 'demo', 'serve-west']);
      return m && m.metadata.uid !== before.metadata.uid;
    });

    // Unexported: the mirrors go from every member.
    await fleet.ok('east', ['delete', 'serviceexport', '-n', 'demo', 'serve']);
    await labelExported('mirror.linkerd.io/exported-');
    await waitFor(
      'the mirrors of east and of the label gone',
      async () =>
        !(await getJson('south', ['get', 'service', '-n', 'demo', 'serve-east'])) &&
        !(await getJson('west', ['get', 'service', '-n', 'demo', 'serve-east'])) &&
        !(await getJson('south', ['get', 'endpointslices', '-n', 'demo', 'serve-east'])) &&
        !(await getJson('east', ['get', 'service', '-n', 'demo', 'frontend-podinfo-west'])) &&
        !(await getJson('south', ['get', 'service', '-n', 'demo', 'frontend-podinfo-west'])),
    );
    expect(await getJson('south', ['get', 'service', '-n', 'demo', 'serve-west'])).toBeDefined();
  });

  // Last: south leaves the fleet for good.
  it('takes back what it wrote into a member that leaves: imports, their slices, mirrors, the clusterset property', async () => {
    const inSouth = async () => ({
      imports: (await getJson('south', ['get', 'serviceimports', '-n', 'demo']))!.items.length,
      slices: (await getJson('south', [
        'get',
        'endpointslices',
        '-n',
        'demo',
        '-l',
        'multicluster.kubernetes.io/service-name=serve',
      ]))!.items.length,
      mirrors: (await getJson('south', [
        'get',
        'service',
        '-n',
        'demo',
        '-l',
        'mirror.linkerd.io/mirrored-service=true',
      ]))!.items.length,
      clusterset: (await getJson('south', ['get', 'clusterproperties', 'clusterset.k8s.io'])) !== undefined,
    });
    await waitFor('the import of serve, its slice from west and the mirror serve-west in south', async () => {
      const s = await inSouth();
      return s.imports > 0 && s.slices > 0 && s.mirrors > 0 && s.clusterset;
    });
    await fleet.ok('south', ['create', 'service', 'clusterip', 'own', '-n', 'demo', '--tcp', '80:80']);

    await unjoinCluster(fleet.client('hub'), 'south');
    await waitFor("south without the hub's objects", async () => {
      const s = await inSouth();
      return s.imports === 0 && s.slices === 0 && s.mirrors === 0 && !s.clusterset;
    });
    // What is south's own stays, and so does its cluster id (KEP-2149: it names the cluster for life).
    expect(await getJson('south', ['get', 'service', '-n', 'demo', 'own'])).toBeDefined();
    expect(
      (await getJson('south', ['get', 'clusterproperties', 'cluster.clusterset.k8s.io']))?.spec.value,
    ).toBe('south');
    // The members that stay keep their import of serve, now without a mirror of south anywhere.
    expect(await getJson('east', ['get', 'serviceimports', '-n', 'demo', 'serve'])).toBeDefined();
    expect(await getJson('west', ['get', 'serviceimports', '-n', 'demo', 'serve'])).toBeDefined();
  });
});
