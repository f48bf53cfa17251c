// The labels and annotations of Linkerd's multicluster service mirror, by their published names
// (Linkerd's pkg/k8s labels): what marks a Service as exported, and what a mirror carries.

/** On a Service: mirror it into the linked clusters (Linkerd's default export selector). */
export const LABEL_EXPORTED = 'mirror.linkerd.io/exported';
/** On a mirror Service: it is the result of mirroring ("true"). */
export const LABEL_MIRRORED_SERVICE = 'mirror.linkerd.io/mirrored-service';
/** On a mirror Service: the cluster it mirrors. */
export const LABEL_CLUSTER_NAME = 'mirror.linkerd.io/cluster-name';
/** On a mirror Service: the source Service's resourceVersion in its cluster when last mirrored. */
export const ANNOTATION_REMOTE_RESOURCE_VERSION = 'mirror.linkerd.io/remote-resource-version';
/** On a mirror Service: the source Service's name in its cluster's DNS. */
export const ANNOTATION_REMOTE_SVC_FQ_NAME = 'mirror.linkerd.io/remote-svc-fq-name';
