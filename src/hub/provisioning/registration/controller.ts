// Registration: a provisioned Cluster becomes a member of the hub. Once a Cluster API Cluster's
// control plane is ready and its kubeconfig Secret exists, the member registry's own
// registration (given by the hub as `register`, the code `concord join` uses) writes a
// cluster.karmada.io Cluster of the same name (`<namespace>-<name>` outside `default`) with the
// credentials Secret; the Cluster's labels are carried over, its region and zones come from its
// topology.kubernetes.io labels or else its infrastructure's spec. A moved endpoint or changed
// labels are written to the member; deleting the Cluster unregisters it first (the finalizer
// member.provisioning.concord.dev holds the Cluster until the member is gone).

import type { Logger } from 'pino';
import type { Client } from '../../../client/client.js';
import { resources } from '../../../client/resources.js';
import {
  type ControllerContext,
  type RunningController,
  reconcileLoop,
} from '../../../controller/context.js';
import { canonicalJson } from '../../../machinery/hash.js';
import { parseKubeconfig, type ResolvedKubeconfig, resolveContext } from '../../../machinery/kubeconfig.js';
import type { KubeObject } from '../../../machinery/object.js';
import { isNotFound } from '../../../machinery/status.js';
import {
  Annotations,
  type Cluster as CapiCluster,
  clusterApiResources,
  Labels,
} from '../../apis/cluster-api/index.js';
import {
  karmadaResources,
  type Cluster as Member,
  NAMESPACE_KARMADA_CLUSTER,
} from '../../apis/karmada/index.js';
import { ExternalObjects, specField } from '../external.js';
import { fleetName, KUBECONFIG_SECRET_KEY } from '../names.js';
import { kubeconfigSecretName } from '../remote.js';

export const REGISTRATION_CONTROLLER = 'cluster-registration-controller';

/** Holds a provisioned Cluster until its member is unregistered. */
export const MEMBER_FINALIZER = 'member.provisioning.concord.dev';

/** The provider a member gets when its infrastructure is simulated. */
export const SIMULATED_PROVIDER = 'concord-sim';

const REGION_LABEL = 'topology.kubernetes.io/region';
const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** What registering a member takes (the member registry's registerCluster). */
export interface MemberRegistration {
  name: string;
  connection: ResolvedKubeconfig;
  region?: string;
  zones?: string[];
  provider?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export type RegisterMember = (hub: Client, opts: MemberRegistration) => Promise<unknown>;

export function startRegistrationController(
  ctx: ControllerContext,
  register: RegisterMember,
): RunningController {
  const logger: Logger = ctx.logger.child({ controller: REGISTRATION_CONTROLLER });
  const clusters = ctx.informers.informerFor<CapiCluster>(clusterApiResources.clusters);
  const members = ctx.informers.informerFor<Member>(karmadaResources.clusters);
  const secrets = ctx.informers.informerFor<KubeObject>(resources.secrets, {
    labelSelector: Labels.clusterName,
  });
  const loop = reconcileLoop(ctx, {
    name: REGISTRATION_CONTROLLER,
    workers: 8,
    reconcile: (key) => reconcile(key),
  });
  const external = new ExternalObjects(ctx, 'Cluster', (key) => loop.enqueue(key));
  // The kubeconfig of each Cluster as last parsed, by its Secret's resourceVersion: a Cluster and
  // its member change a dozen times while they come up, the Secret once.
  const parsed = new Map<string, { version: string | undefined; connection: ResolvedKubeconfig }>();

  function connectionOf(key: string, secret: KubeObject, value: string): ResolvedKubeconfig {
    const version = secret.metadata.resourceVersion;
    const known = parsed.get(key);
    if (known && known.version === version) return known.connection;
    const connection = resolveContext(parseKubeconfig(Buffer.from(value, 'base64').toString('utf8')));
    parsed.set(key, { version, connection });
    return connection;
  }

  async function reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    if (!clusters.hasSynced() || !members.hasSynced() || !secrets.hasSynced()) return { requeueAfter: 100 };
    const [namespace = '', name = ''] = key.split('/');
    const cluster = clusters.get(name, namespace);
    if (!cluster) {
      parsed.delete(key);
      return undefined;
    }
    const memberName = fleetName(namespace, name);
    const member = members.get(memberName);
    const ours = member !== undefined && isOurs(member, cluster);
    if (cluster.metadata.deletionTimestamp) {
      if (!cluster.metadata.finalizers?.includes(MEMBER_FINALIZER)) return undefined;
      if (ours) {
        if (!member.metadata.deletionTimestamp)
          await ctx.client.delete(karmadaResources.clusters, memberName).catch(ignoreNotFound);
        return { requeueAfter: 250 }; // until the registry has let the member go
      }
      await deleteMemberSecret(memberName);
      await setFinalizer(cluster, false);
      return undefined;
    }
    if (!cluster.status?.controlPlaneReady) return undefined;
    const secret = secrets.get(kubeconfigSecretName(name), namespace);
    const value = (secret?.data as Record<string, string> | undefined)?.[KUBECONFIG_SECRET_KEY];
    if (!secret || !value) return undefined;
    if (member && !ours) {
      logger.warn(
        { cluster: key, member: memberName },
        'a member of that name exists and was not registered for this Cluster',
      );
      return undefined;
    }
    if (!cluster.metadata.finalizers?.includes(MEMBER_FINALIZER)) {
      await setFinalizer(cluster, true);
      return undefined;
    }
    let connection: ResolvedKubeconfig;
    try {
      connection = connectionOf(key, secret, value);
    } catch (err) {
      logger.warn({ err, cluster: key }, 'the kubeconfig Secret cannot be used');
      return undefined;
    }
    const placement = await where(cluster);
    const labels = memberLabels(cluster);
    if (!member) {
      // Registered with the annotations that say whose it is: a member written without them
      // would look like someone else's to the next reconcile until a second write.
      await register(ctx.client, {
        name: memberName,
        connection,
        provider: SIMULATED_PROVIDER,
        labels,
        annotations: { [Annotations.clusterName]: name, [Annotations.clusterNamespace]: namespace },
        ...placement,
      });
      logger.info({ cluster: key, member: memberName }, 'cluster registered as a member');
      return undefined;
    }
    // Keep the member in step: a moved endpoint (a restarted simulated cluster) and the labels.
    const patch: Record<string, unknown> = {};
    if (member.spec.apiEndpoint !== connection.server) patch.spec = { apiEndpoint: connection.server };
    const current = Object.fromEntries(Object.entries(member.metadata.labels ?? {}));
    if (canonicalJson(current) !== canonicalJson(labels))
      patch.metadata = { labels: nullMissing(current, labels) };
    if (Object.keys(patch).length > 0)
      await ctx.client.patch(karmadaResources.clusters, memberName, patch, 'merge');
    return undefined;
  }

  function isOurs(member: Member, cluster: CapiCluster): boolean {
    const a = member.metadata.annotations ?? {};
    return (
      a[Annotations.clusterName] === cluster.metadata.name &&
      a[Annotations.clusterNamespace] === cluster.metadata.namespace
    );
  }

  async function where(cluster: CapiCluster): Promise<{ region?: string; zones?: string[] }> {
    const labels = cluster.metadata.labels ?? {};
    let region: string | undefined = labels[REGION_LABEL];
    let zones: string[] | undefined = labels[ZONE_LABEL] ? [labels[ZONE_LABEL]] : undefined;
    const ref = cluster.spec.infrastructureRef;
    if ((!region || !zones) && ref) {
      const found = await external.get(ref, cluster.metadata.namespace ?? '');
      if (found.state === 'found') {
        region ??= specField<string>(found.obj, 'region');
        zones ??= specField<string[]>(found.obj, 'zones');
      }
    }
    return { ...(region ? { region } : {}), ...(zones && zones.length > 0 ? { zones } : {}) };
  }

  async function setFinalizer(cluster: CapiCluster, on: boolean): Promise<void> {
    const finalizers = (cluster.metadata.finalizers ?? []).filter((f) => f !== MEMBER_FINALIZER);
    if (on) finalizers.push(MEMBER_FINALIZER);
    await ctx.client.patch(
      clusterApiResources.clusters,
      cluster.metadata.name ?? '',
      { metadata: { resourceVersion: cluster.metadata.resourceVersion, finalizers } },
      'merge',
      { namespace: cluster.metadata.namespace },
    );
  }

  /** The credentials Secret registration wrote, once its member is gone. */
  async function deleteMemberSecret(memberName: string): Promise<void> {
    let secret: KubeObject;
    try {
      secret = await ctx.client.get(resources.secrets, memberName, { namespace: NAMESPACE_KARMADA_CLUSTER });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    // Only a Secret that belonged to a member (registration makes the member its owner).
    if (
      !secret.metadata.ownerReferences?.some(
        (r) => r.kind === 'Cluster' && r.apiVersion.startsWith('cluster.karmada.io/'),
      )
    )
      return;
    await ctx.client
      .delete(resources.secrets, memberName, {
        namespace: NAMESPACE_KARMADA_CLUSTER,
        preconditions: { uid: secret.metadata.uid },
      })
      .catch(ignoreNotFound);
  }

  const enqueueByMember = (m: Member) => {
    const a = m.metadata.annotations ?? {};
    const name = a[Annotations.clusterName];
    if (name) loop.enqueue(`${a[Annotations.clusterNamespace] ?? 'default'}/${name}`);
  };
  clusters.addEventHandler(loop.objectHandler());
  members.addEventHandler({
    onAdd: enqueueByMember,
    onUpdate: (_o, m) => enqueueByMember(m),
    onDelete: enqueueByMember,
  });
  secrets.addEventHandler({
    onAdd: (s) => {
      const c = s.metadata.labels?.[Labels.clusterName];
      if (c) loop.enqueue(`${s.metadata.namespace}/${c}`);
    },
    onUpdate: (_o, s) => {
      const c = s.metadata.labels?.[Labels.clusterName];
      if (c) loop.enqueue(`${s.metadata.namespace}/${c}`);
    },
  });
  loop.start();
  return { name: REGISTRATION_CONTROLLER, stop: () => loop.stop() };
}

/** The member's labels: the Cluster's. */
function memberLabels(cluster: CapiCluster): Record<string, string> {
  return { ...(cluster.metadata.labels ?? {}) };
}

/** A merge patch of labels that removes the ones no longer wanted. */
function nullMissing(
  current: Record<string, string>,
  wanted: Record<string, string>,
): Record<string, string | null> {
  const out: Record<string, string | null> = { ...wanted };
  for (const k of Object.keys(current)) if (!(k in wanted)) out[k] = null;
  return out;
}

function ignoreNotFound(err: unknown): void {
  if (!isNotFound(err)) throw err;
}
