// Mirror Services in the style of Linkerd (pure): the name `<svc>-<cluster>` made a valid Service
// name, the mirror Service with Linkerd's labels and annotations, and its EndpointSlice, built by
// the same code as the MCS import slices so that both carry the same endpoints.

import { createHash } from 'node:crypto';
import type { KubeObject } from '../../../machinery/object.js';
import {
  ANNOTATION_REMOTE_RESOURCE_VERSION,
  ANNOTATION_REMOTE_SVC_FQ_NAME,
  LABEL_CLUSTER_NAME,
  LABEL_EXPORTED,
  LABEL_MIRRORED_SERVICE,
} from '../../apis/linkerd/index.js';
import { LABEL_MANAGED_BY as LABEL_SLICE_MANAGED_BY } from '../../apis/mcs/index.js';
import { importSlice } from '../mcs/slices.js';
import { LABEL_KUBERNETES_SERVICE_NAME, type MemberService, type MemberSlice } from '../members.js';

/** The manager of the hub's mirrors: their `app.kubernetes.io/managed-by` and their slices' managed-by. */
export const MIRROR_CONTROLLER_NAME = 'mirror-controller.concord.dev';
export const LABEL_APP_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** On the hub's mirrors: the name of the Service mirrored (its namespace is the mirror's). */
export const LABEL_SOURCE_SERVICE = 'mirror.concord.dev/service-name';
/** On the hub's mirrors: `<svc>-<cluster>` as asked for, when the name had to be shortened. */
export const ANNOTATION_FULL_NAME = 'mirror.concord.dev/full-name';

const MAX_NAME = 63;
const HASH_LENGTH = 8;

/**
 * The mirror's name: `<svc>-<cluster>`, the cluster's name lowered and anything but letters, digits
 * and '-' made '-'. A Service name is a DNS-1035 label of at most 63 characters; a longer name
 * keeps its first 54 characters (no '-' at the end) and gets '-' and 8 hex digits of the SHA-256
 * of the whole name, so that it stays the same from one run to the next and two long names that
 * share their start still differ.
 */
export function mirrorServiceName(service: string, cluster: string): string {
  const suffix = cluster.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const full = `${service}-${suffix}`.replace(/-+$/, '');
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, HASH_LENGTH);
  return `${full.slice(0, MAX_NAME - HASH_LENGTH - 1).replace(/-+$/, '')}-${hash}`;
}

/** Whether a member's Service asks to be mirrored by Linkerd's label. */
export function isLinkerdExported(svc: MemberService): boolean {
  return svc.metadata.labels?.[LABEL_EXPORTED] === 'true';
}

/** Whether an object is one of the hub's mirrors (a Service or its slice). */
export function isHubMirror(obj: { metadata: { labels?: Record<string, string> } }): boolean {
  const labels = obj.metadata.labels ?? {};
  return (
    labels[LABEL_APP_MANAGED_BY] === MIRROR_CONTROLLER_NAME ||
    labels[LABEL_SLICE_MANAGED_BY] === MIRROR_CONTROLLER_NAME
  );
}

/** "namespace/name" of the Service a hub mirror (Service or slice) mirrors; none for other objects. */
export function mirrorSourceKey(obj: KubeObject): string[] {
  const source = obj.metadata.labels?.[LABEL_SOURCE_SERVICE];
  return source && isHubMirror(obj) ? [`${obj.metadata.namespace}/${source}`] : [];
}

export function isHeadless(svc: MemberService): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** The mirror of `source` (a Service of `cluster`), as it is wanted in another member. */
export function mirrorService(source: MemberService, cluster: string): MemberService {
  const namespace = source.metadata.namespace!;
  const service = source.metadata.name!;
  const name = mirrorServiceName(service, cluster);
  const full = `${service}-${cluster}`;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace,
      labels: {
        [LABEL_MIRRORED_SERVICE]: 'true',
        [LABEL_CLUSTER_NAME]: cluster,
        [LABEL_APP_MANAGED_BY]: MIRROR_CONTROLLER_NAME,
        [LABEL_SOURCE_SERVICE]: service,
      },
      annotations: {
        [ANNOTATION_REMOTE_SVC_FQ_NAME]: `${service}.${namespace}.svc.cluster.local`,
        [ANNOTATION_REMOTE_RESOURCE_VERSION]: source.metadata.resourceVersion ?? '',
        ...(name !== full ? { [ANNOTATION_FULL_NAME]: full } : {}),
      },
    },
    spec: {
      type: 'ClusterIP',
      ...(isHeadless(source) ? { clusterIP: 'None' } : {}),
      // No selector: the hub writes the endpoints. No targetPort: the slice names the pods' port.
      ports: (source.spec?.ports ?? []).map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
      })),
    },
  };
}

/**
 * The mirror's EndpointSlice: `cluster`'s endpoints of the Service (from its own slices; none
 * while the cluster is not Ready), labelled with the mirror's name as kubernetes.io/service-name
 * so that the member's own service proxy and DNS serve the mirror.
 */
export function mirrorSlice(mirror: MemberService, cluster: string, sources: MemberSlice[]): MemberSlice {
  const namespace = mirror.metadata.namespace!;
  const slice = importSlice(namespace, mirror.metadata.labels![LABEL_SOURCE_SERVICE]!, cluster, sources);
  return {
    ...slice,
    metadata: {
      name: mirror.metadata.name!,
      namespace,
      labels: {
        [LABEL_KUBERNETES_SERVICE_NAME]: mirror.metadata.name!,
        [LABEL_SLICE_MANAGED_BY]: MIRROR_CONTROLLER_NAME,
        [LABEL_MIRRORED_SERVICE]: 'true',
        [LABEL_CLUSTER_NAME]: cluster,
        [LABEL_SOURCE_SERVICE]: mirror.metadata.labels![LABEL_SOURCE_SERVICE]!,
      },
    },
  };
}
