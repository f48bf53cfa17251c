// Strategic-merge-patch and server-side-apply annotations of the built-in kinds, which the model
// packages do not carry. Taken from the `patchStrategy`/`patchMergeKey` struct tags and the
// `+listType`, `+listMapKey`, `+mapType` and `+structType` markers of the Kubernetes 1.33 API
// types (k8s.io/api, k8s.io/apimachinery meta/v1, apiextensions-apiserver v1) for the groups
// this server serves. Applied to the generated definitions when they are loaded.

import type { Schema } from '../../machinery/schema.js';
import type { JsonSchema } from './supplement.js';

export type ListAnnotations = Pick<
  Schema,
  | 'default'
  | 'x-kubernetes-list-type'
  | 'x-kubernetes-list-map-keys'
  | 'x-kubernetes-map-type'
  | 'x-kubernetes-patch-strategy'
  | 'x-kubernetes-patch-merge-key'
>;

/** The key that annotates a definition itself rather than one of its fields. */
export const SELF = '.';

/** Replaced whole by apply; strategic merge patch replaces it too. */
const atomic: ListAnnotations = { 'x-kubernetes-list-type': 'atomic' };
/** Scalars merged by value. */
const set: ListAnnotations = { 'x-kubernetes-list-type': 'set' };
/** A map or struct that apply replaces whole. */
const atomicMap: ListAnnotations = { 'x-kubernetes-map-type': 'atomic' };

/** Items merged by key: apply uses every key, strategic merge patch the first. */
function mapList(...keys: string[]): ListAnnotations {
  return {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': keys,
    'x-kubernetes-patch-strategy': 'merge',
    'x-kubernetes-patch-merge-key': keys[0]!,
  };
}

/** As mapList, and a patch that sets one member of a union clears the others (volumes, claims). */
function mapListRetainKeys(...keys: string[]): ListAnnotations {
  return { ...mapList(...keys), 'x-kubernetes-patch-strategy': 'merge,retainKeys' };
}

/**
 * A key field's default, which Kubernetes publishes (`+default` markers): apply matches an item
 * that leaves the key out to the stored one that has the default (a port without a protocol).
 */
const TCP: ListAnnotations = { default: 'TCP' };

/** Items keyed for apply only; strategic merge patch replaces the list. */
function keyedList(...keys: string[]): ListAnnotations {
  return { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys };
}

/** Definition name -> field (or SELF) -> annotations. */
export const LIST_TYPES: Record<string, Record<string, ListAnnotations>> = {
  'io.k8s.api.apps.v1.DaemonSetStatus': {
    conditions: mapList('type'),
  },
  'io.k8s.api.apps.v1.DeploymentSpec': {
    strategy: { 'x-kubernetes-patch-strategy': 'retainKeys' },
  },
  'io.k8s.api.apps.v1.DeploymentStatus': {
    conditions: mapList('type'),
  },
  'io.k8s.api.apps.v1.ReplicaSetStatus': {
    conditions: mapList('type'),
  },
  'io.k8s.api.apps.v1.StatefulSetSpec': {
    volumeClaimTemplates: atomic,
  },
  'io.k8s.api.apps.v1.StatefulSetStatus': {
    conditions: mapList('type'),
  },
  'io.k8s.api.authentication.v1.TokenRequestSpec': {
    audiences: atomic,
  },
  'io.k8s.api.authentication.v1.TokenReviewSpec': {
    audiences: atomic,
  },
  'io.k8s.api.authentication.v1.TokenReviewStatus': {
    audiences: atomic,
  },
  'io.k8s.api.authentication.v1.UserInfo': {
    groups: atomic,
  },
  'io.k8s.api.authorization.v1.FieldSelectorAttributes': {
    requirements: atomic,
  },
  'io.k8s.api.authorization.v1.LabelSelectorAttributes': {
    requirements: atomic,
  },
  'io.k8s.api.authorization.v1.NonResourceRule': {
    nonResourceURLs: atomic,
    verbs: atomic,
  },
  'io.k8s.api.authorization.v1.ResourceRule': {
    apiGroups: atomic,
    resourceNames: atomic,
    resources: atomic,
    verbs: atomic,
  },
  'io.k8s.api.authorization.v1.SubjectAccessReviewSpec': {
    groups: atomic,
  },
  'io.k8s.api.authorization.v1.SubjectRulesReviewStatus': {
    nonResourceRules: atomic,
    resourceRules: atomic,
  },
  'io.k8s.api.autoscaling.v1.CrossVersionObjectReference': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.batch.v1.CronJobStatus': {
    active: atomic,
  },
  'io.k8s.api.batch.v1.JobStatus': {
    conditions: {
      'x-kubernetes-list-type': 'atomic',
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'type',
    },
  },
  'io.k8s.api.batch.v1.PodFailurePolicy': {
    rules: atomic,
  },
  'io.k8s.api.batch.v1.PodFailurePolicyOnExitCodesRequirement': {
    values: set,
  },
  'io.k8s.api.batch.v1.PodFailurePolicyRule': {
    onPodConditions: atomic,
  },
  'io.k8s.api.batch.v1.SuccessPolicy': {
    rules: atomic,
  },
  'io.k8s.api.batch.v1.UncountedTerminatedPods': {
    failed: set,
    succeeded: set,
  },
  'io.k8s.api.core.v1.Capabilities': {
    add: atomic,
    drop: atomic,
  },
  'io.k8s.api.core.v1.CephFSPersistentVolumeSource': {
    monitors: atomic,
  },
  'io.k8s.api.core.v1.CephFSVolumeSource': {
    monitors: atomic,
  },
  'io.k8s.api.core.v1.ComponentStatus': {
    conditions: mapList('type'),
  },
  'io.k8s.api.core.v1.ConfigMapKeySelector': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.core.v1.ConfigMapProjection': {
    items: atomic,
  },
  'io.k8s.api.core.v1.ConfigMapVolumeSource': {
    items: atomic,
  },
  'io.k8s.api.core.v1.Container': {
    args: atomic,
    command: atomic,
    env: mapList('name'),
    envFrom: atomic,
    ports: mapList('containerPort', 'protocol'),
    resizePolicy: atomic,
    volumeDevices: mapList('devicePath'),
    volumeMounts: mapList('mountPath'),
  },
  'io.k8s.api.core.v1.ContainerPort': {
    protocol: TCP,
  },
  'io.k8s.api.core.v1.ContainerImage': {
    names: atomic,
  },
  'io.k8s.api.core.v1.ContainerStatus': {
    allocatedResourcesStatus: mapList('name'),
    volumeMounts: mapList('mountPath'),
  },
  'io.k8s.api.core.v1.DownwardAPIProjection': {
    items: atomic,
  },
  'io.k8s.api.core.v1.DownwardAPIVolumeSource': {
    items: atomic,
  },
  'io.k8s.api.core.v1.EndpointAddress': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.core.v1.EndpointPort': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.core.v1.EndpointSubset': {
    addresses: atomic,
    notReadyAddresses: atomic,
    ports: atomic,
  },
  'io.k8s.api.core.v1.Endpoints': {
    subsets: atomic,
  },
  'io.k8s.api.core.v1.EphemeralContainer': {
    args: atomic,
    command: atomic,
    env: mapList('name'),
    envFrom: atomic,
    ports: mapList('containerPort', 'protocol'),
    resizePolicy: atomic,
    volumeDevices: mapList('devicePath'),
    volumeMounts: mapList('mountPath'),
  },
  'io.k8s.api.core.v1.ExecAction': {
    command: atomic,
  },
  'io.k8s.api.core.v1.FCVolumeSource': {
    targetWWNs: atomic,
    wwids: atomic,
  },
  'io.k8s.api.core.v1.HTTPGetAction': {
    httpHeaders: atomic,
  },
  'io.k8s.api.core.v1.HostAlias': {
    hostnames: atomic,
  },
  'io.k8s.api.core.v1.ISCSIPersistentVolumeSource': {
    portals: atomic,
  },
  'io.k8s.api.core.v1.ISCSIVolumeSource': {
    portals: atomic,
  },
  'io.k8s.api.core.v1.LimitRangeSpec': {
    limits: atomic,
  },
  'io.k8s.api.core.v1.LinuxContainerUser': {
    supplementalGroups: atomic,
  },
  'io.k8s.api.core.v1.LoadBalancerIngress': {
    ports: atomic,
  },
  'io.k8s.api.core.v1.LoadBalancerStatus': {
    ingress: atomic,
  },
  'io.k8s.api.core.v1.LocalObjectReference': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.core.v1.NamespaceSpec': {
    finalizers: atomic,
  },
  'io.k8s.api.core.v1.NamespaceStatus': {
    conditions: mapList('type'),
  },
  'io.k8s.api.core.v1.NodeAffinity': {
    preferredDuringSchedulingIgnoredDuringExecution: atomic,
  },
  'io.k8s.api.core.v1.NodeSelector': {
    [SELF]: atomicMap,
    nodeSelectorTerms: atomic,
  },
  'io.k8s.api.core.v1.NodeSelectorRequirement': {
    values: atomic,
  },
  'io.k8s.api.core.v1.NodeSelectorTerm': {
    [SELF]: atomicMap,
    matchExpressions: atomic,
    matchFields: atomic,
  },
  'io.k8s.api.core.v1.NodeSpec': {
    podCIDRs: { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
    taints: atomic,
  },
  'io.k8s.api.core.v1.NodeStatus': {
    addresses: mapList('type'),
    conditions: mapList('type'),
    images: atomic,
    runtimeHandlers: atomic,
    volumesAttached: atomic,
    volumesInUse: atomic,
  },
  'io.k8s.api.core.v1.ObjectFieldSelector': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.core.v1.ObjectReference': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': {
    accessModes: atomic,
  },
  'io.k8s.api.core.v1.PersistentVolumeClaimStatus': {
    accessModes: atomic,
    allocatedResourceStatuses: { 'x-kubernetes-map-type': 'granular' },
    conditions: mapList('type'),
  },
  'io.k8s.api.core.v1.PersistentVolumeSpec': {
    accessModes: atomic,
    claimRef: { 'x-kubernetes-map-type': 'granular' },
    mountOptions: atomic,
  },
  'io.k8s.api.core.v1.PodAffinity': {
    preferredDuringSchedulingIgnoredDuringExecution: atomic,
    requiredDuringSchedulingIgnoredDuringExecution: atomic,
  },
  'io.k8s.api.core.v1.PodAffinityTerm': {
    matchLabelKeys: atomic,
    mismatchLabelKeys: atomic,
    namespaces: atomic,
  },
  'io.k8s.api.core.v1.PodAntiAffinity': {
    preferredDuringSchedulingIgnoredDuringExecution: atomic,
    requiredDuringSchedulingIgnoredDuringExecution: atomic,
  },
  'io.k8s.api.core.v1.PodDNSConfig': {
    nameservers: atomic,
    options: atomic,
    searches: atomic,
  },
  'io.k8s.api.core.v1.PodSecurityContext': {
    supplementalGroups: atomic,
    sysctls: atomic,
  },
  'io.k8s.api.core.v1.PodSpec': {
    containers: mapList('name'),
    ephemeralContainers: mapList('name'),
    hostAliases: mapList('ip'),
    imagePullSecrets: mapList('name'),
    initContainers: mapList('name'),
    nodeSelector: atomicMap,
    readinessGates: atomic,
    resourceClaims: mapListRetainKeys('name'),
    schedulingGates: mapList('name'),
    tolerations: atomic,
    topologySpreadConstraints: mapList('topologyKey', 'whenUnsatisfiable'),
    volumes: mapListRetainKeys('name'),
  },
  'io.k8s.api.core.v1.PodStatus': {
    conditions: mapList('type'),
    containerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
    hostIPs: {
      'x-kubernetes-list-type': 'atomic',
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'ip',
    },
    initContainerStatuses: atomic,
    podIPs: mapList('ip'),
    resourceClaimStatuses: mapListRetainKeys('name'),
  },
  'io.k8s.api.core.v1.ProjectedVolumeSource': {
    sources: atomic,
  },
  'io.k8s.api.core.v1.RBDPersistentVolumeSource': {
    monitors: atomic,
  },
  'io.k8s.api.core.v1.RBDVolumeSource': {
    monitors: atomic,
  },
  'io.k8s.api.core.v1.ReplicationControllerSpec': {
    selector: atomicMap,
  },
  'io.k8s.api.core.v1.ReplicationControllerStatus': {
    conditions: mapList('type'),
  },
  'io.k8s.api.core.v1.ResourceFieldSelector': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.core.v1.ResourceQuotaSpec': {
    scopes: atomic,
  },
  'io.k8s.api.core.v1.ResourceRequirements': {
    claims: keyedList('name'),
  },
  'io.k8s.api.core.v1.ResourceStatus': {
    resources: keyedList('resourceID'),
  },
  'io.k8s.api.core.v1.ScopeSelector': {
    [SELF]: atomicMap,
    matchExpressions: atomic,
  },
  'io.k8s.api.core.v1.ScopedResourceSelectorRequirement': {
    values: atomic,
  },
  'io.k8s.api.core.v1.SecretKeySelector': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.core.v1.SecretProjection': {
    items: atomic,
  },
  'io.k8s.api.core.v1.SecretReference': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.core.v1.SecretVolumeSource': {
    items: atomic,
  },
  'io.k8s.api.core.v1.ServiceAccount': {
    imagePullSecrets: atomic,
    secrets: mapList('name'),
  },
  'io.k8s.api.core.v1.ServicePort': {
    protocol: TCP,
  },
  'io.k8s.api.core.v1.ServiceSpec': {
    clusterIPs: atomic,
    externalIPs: atomic,
    ipFamilies: atomic,
    loadBalancerSourceRanges: atomic,
    ports: mapList('port', 'protocol'),
    selector: atomicMap,
  },
  'io.k8s.api.core.v1.ServiceStatus': {
    conditions: mapList('type'),
  },
  'io.k8s.api.core.v1.TopologySelectorLabelRequirement': {
    values: atomic,
  },
  'io.k8s.api.core.v1.TopologySelectorTerm': {
    [SELF]: atomicMap,
    matchLabelExpressions: atomic,
  },
  'io.k8s.api.core.v1.TopologySpreadConstraint': {
    matchLabelKeys: atomic,
  },
  'io.k8s.api.core.v1.TypedLocalObjectReference': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.discovery.v1.Endpoint': {
    addresses: set,
  },
  'io.k8s.api.discovery.v1.EndpointHints': {
    forNodes: atomic,
    forZones: atomic,
  },
  'io.k8s.api.discovery.v1.EndpointPort': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.discovery.v1.EndpointSlice': {
    endpoints: atomic,
    ports: atomic,
  },
  'io.k8s.api.networking.v1.HTTPIngressRuleValue': {
    paths: atomic,
  },
  'io.k8s.api.networking.v1.IPBlock': {
    except: atomic,
  },
  'io.k8s.api.networking.v1.IngressLoadBalancerIngress': {
    ports: atomic,
  },
  'io.k8s.api.networking.v1.IngressLoadBalancerStatus': {
    ingress: atomic,
  },
  'io.k8s.api.networking.v1.IngressSpec': {
    rules: atomic,
    tls: atomic,
  },
  'io.k8s.api.networking.v1.IngressTLS': {
    hosts: atomic,
  },
  'io.k8s.api.networking.v1.NetworkPolicyEgressRule': {
    ports: atomic,
    to: atomic,
  },
  'io.k8s.api.networking.v1.NetworkPolicyIngressRule': {
    from: atomic,
    ports: atomic,
  },
  'io.k8s.api.networking.v1.NetworkPolicySpec': {
    egress: atomic,
    ingress: atomic,
    policyTypes: atomic,
  },
  'io.k8s.api.networking.v1.ServiceBackendPort': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.networking.v1.ServiceCIDRSpec': {
    cidrs: atomic,
  },
  'io.k8s.api.networking.v1.ServiceCIDRStatus': {
    conditions: mapList('type'),
  },
  'io.k8s.api.policy.v1.PodDisruptionBudgetSpec': {
    selector: { 'x-kubernetes-patch-strategy': 'replace' },
  },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': {
    conditions: mapList('type'),
  },
  'io.k8s.api.rbac.v1.AggregationRule': {
    clusterRoleSelectors: atomic,
  },
  'io.k8s.api.rbac.v1.ClusterRole': {
    rules: atomic,
  },
  'io.k8s.api.rbac.v1.ClusterRoleBinding': {
    subjects: atomic,
  },
  'io.k8s.api.rbac.v1.PolicyRule': {
    apiGroups: atomic,
    nonResourceURLs: atomic,
    resourceNames: atomic,
    resources: atomic,
    verbs: atomic,
  },
  'io.k8s.api.rbac.v1.Role': {
    rules: atomic,
  },
  'io.k8s.api.rbac.v1.RoleBinding': {
    subjects: atomic,
  },
  'io.k8s.api.rbac.v1.RoleRef': {
    [SELF]: atomicMap,
  },
  'io.k8s.api.rbac.v1.Subject': {
    [SELF]: atomicMap,
  },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionNames': {
    categories: atomic,
    shortNames: atomic,
  },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec': {
    versions: atomic,
  },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionStatus': {
    conditions: keyedList('type'),
    storedVersions: atomic,
  },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionVersion': {
    additionalPrinterColumns: atomic,
    selectableFields: atomic,
  },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps': {
    allOf: atomic,
    anyOf: atomic,
    enum: atomic,
    oneOf: atomic,
    required: atomic,
    'x-kubernetes-list-map-keys': atomic,
    'x-kubernetes-validations': mapList('rule'),
  },
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.WebhookConversion': {
    conversionReviewVersions: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroup': {
    serverAddressByClientCIDRs: atomic,
    versions: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIGroupList': {
    groups: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIResource': {
    categories: atomic,
    shortNames: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList': {
    resources: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.APIVersions': {
    serverAddressByClientCIDRs: atomic,
    versions: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions': {
    dryRun: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldSelectorRequirement': {
    values: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector': {
    [SELF]: atomicMap,
    matchExpressions: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement': {
    values: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': {
    finalizers: { 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
    managedFields: atomic,
    ownerReferences: mapList('uid'),
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference': {
    [SELF]: atomicMap,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Status': {
    details: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.StatusDetails': {
    causes: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.Table': {
    columnDefinitions: atomic,
    rows: atomic,
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.TableRow': {
    cells: atomic,
    conditions: atomic,
  },
};

/**
 * Writes the annotations into definitions shaped as in an OpenAPI v3 document. A field that
 * references another definition keeps the reference in `allOf` with the annotations beside it,
 * as Kubernetes publishes it. Returns the entries that name a definition or field that does not
 * exist (empty when the table and the packages agree).
 */
export function applyListTypes(definitions: Record<string, JsonSchema>): string[] {
  const problems: string[] = [];
  for (const [name, fields] of Object.entries(LIST_TYPES)) {
    const definition = definitions[name];
    if (!definition) {
      problems.push(`${name}: no such definition`);
      continue;
    }
    const properties = definition.properties as Record<string, JsonSchema> | undefined;
    for (const [field, annotations] of Object.entries(fields)) {
      if (field === SELF) {
        Object.assign(definition, annotations);
        continue;
      }
      const property = properties?.[field];
      if (!property) {
        problems.push(`${name}.${field}: no such field`);
        continue;
      }
      if (typeof property.$ref === 'string') {
        properties[field] = { allOf: [{ $ref: property.$ref }], ...annotations };
      } else {
        Object.assign(property, annotations);
      }
    }
  }
  return problems;
}
