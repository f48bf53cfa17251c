// Schema pieces that Cluster API's v1beta1 kinds share: object references, the v1beta1 and
// v1beta2 condition lists, the Machine spec that MachineSets, MachineDeployments and
// MachinePools stamp out, health check settings, taints and readiness gates.

import type { KubeObject } from '../../../machinery/object.js';
import type { Schema } from '../../../machinery/schema.js';
import {
  array,
  bool,
  CONDITION_TYPE_PATTERN,
  type CrdVersionSpec,
  crd,
  duration,
  int32,
  intOrString,
  map,
  metaConditions,
  object,
  objectReference,
  oneOf,
  type PrinterColumn,
  string,
  time,
} from '../schema.js';

/** The API version of every Cluster API group served here. */
export const V1BETA1 = 'v1beta1';

/** Label keys and values as Kubernetes spells them, for taint keys and values. */
const TAINT_KEY_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$';
const TAINT_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

/** A string with length bounds, the way Cluster API bounds nearly every string it accepts. */
export function bounded(min: number, max: number, description?: string): Schema {
  return string({ minLength: min, maxLength: max, ...(description ? { description } : {}) });
}

/** corev1.ObjectReference (replaced whole by apply). */
export function ref(description: string): Schema {
  return objectReference({ description });
}

/** Cluster API's ObjectMeta: only labels and annotations, carried to the objects made from a template. */
export function capiObjectMeta(
  description = 'Labels and annotations given to the objects created from this.',
): Schema {
  return object(
    {
      annotations: map(string(), { description: 'Annotations to set.' }),
      labels: map(string(), { description: 'Labels to set.' }),
    },
    { description },
  );
}

/** The v1beta1 condition list (clusterv1.Conditions): type, status, severity, reason, message. */
export function v1beta1Conditions(
  description = 'The observed state of this object, as v1beta1 conditions.',
): Schema {
  return array(
    object(
      {
        lastTransitionTime: time({ description: 'When the condition last changed status.' }),
        message: bounded(1, 10240, 'Details for humans.'),
        reason: bounded(1, 256, 'Why the condition is in its last status, in CamelCase.'),
        severity: string({ maxLength: 32, description: 'Error, Warning or Info, for a False condition.' }),
        status: string({ description: 'True, False or Unknown.' }),
        type: bounded(1, 256, 'The condition type, CamelCase.'),
      },
      { required: ['lastTransitionTime', 'status', 'type'] },
    ),
    { description },
  );
}

/** The v1beta2 status block that v1beta1 objects carry beside their own fields. */
export function v1beta2Status(fields: Record<string, Schema> = {}): Schema {
  return object(
    {
      conditions: metaConditions({ maxItems: 32, description: 'The observed state, as metav1.Conditions.' }),
      ...fields,
    },
    { description: 'Status in the shape of the v1beta2 API (conditions and replica counters).' },
  );
}

/** The v1beta2 replica counters of objects that own Machines. */
export function v1beta2ReplicaCounters(): Record<string, Schema> {
  return {
    availableReplicas: int32({ description: 'Machines whose Available condition is true.' }),
    readyReplicas: int32({ description: 'Machines whose Ready condition is true.' }),
    upToDateReplicas: int32({ description: 'Machines whose UpToDate condition is true.' }),
  };
}

/** status.versions: how many Machines run each Kubernetes version. */
export function statusVersions(): Schema {
  return array(
    object(
      {
        replicas: int32({ minimum: 1, description: 'Machines at this version.' }),
        version: bounded(1, 256, 'A Kubernetes version.'),
      },
      { required: ['version'] },
    ),
    {
      listType: 'map',
      mapKeys: ['version'],
      minItems: 1,
      maxItems: 100,
      description: 'The Kubernetes versions of the Machines, with their counts.',
    },
  );
}

/** Condition types that must hold for a Machine (or Cluster) to count as ready/available. */
export function conditionGates(description: string): Schema {
  return array(
    object(
      {
        conditionType: string({
          minLength: 1,
          maxLength: 316,
          pattern: CONDITION_TYPE_PATTERN,
          description: 'The condition type to look at.',
        }),
        polarity: oneOf(['Positive', 'Negative'], {
          description: 'Positive: True is healthy (the default); Negative: False is healthy.',
        }),
      },
      { required: ['conditionType'] },
    ),
    { listType: 'map', mapKeys: ['conditionType'], maxItems: 32, description },
  );
}

/** Taints that Cluster API keeps on the Node of a Machine. */
export function machineTaints(): Schema {
  return array(
    object(
      {
        effect: oneOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], { description: 'The taint effect.' }),
        key: string({
          minLength: 1,
          maxLength: 317,
          pattern: TAINT_KEY_PATTERN,
          description: 'The taint key.',
        }),
        propagation: oneOf(['Always', 'OnInitialization'], {
          description: 'Always: kept on the Node; OnInitialization: set once when the Node joins.',
        }),
        value: string({
          minLength: 1,
          maxLength: 63,
          pattern: TAINT_VALUE_PATTERN,
          description: 'The taint value.',
        }),
      },
      { required: ['effect', 'key', 'propagation'] },
    ),
    {
      listType: 'map',
      mapKeys: ['key', 'effect'],
      minItems: 1,
      maxItems: 64,
      description: 'Taints put on the Node of the Machine.',
    },
  );
}

const NODE_TIMEOUTS: Record<string, Schema> = {
  nodeDeletionTimeout: duration({
    description: 'How long to retry deleting the Node once the Machine is going away; 0 retries forever.',
  }),
  nodeDrainTimeout: duration({
    description: 'How long draining the Node may take; unset or 0 waits forever.',
  }),
  nodeVolumeDetachTimeout: duration({
    description: 'How long to wait for volumes to detach from the Node; unset or 0 waits forever.',
  }),
};

/** nodeDeletionTimeout, nodeDrainTimeout and nodeVolumeDetachTimeout. */
export function nodeTimeouts(): Record<string, Schema> {
  return { ...NODE_TIMEOUTS };
}

/** MachineSpec: what one Machine is made of. */
export function machineSpec(): Schema {
  return object(
    {
      bootstrap: object(
        {
          configRef: ref(
            'The bootstrap provider object (e.g. a KubeadmConfig) that produces the bootstrap data.',
          ),
          dataSecretName: string({
            minLength: 0,
            maxLength: 253,
            description: 'A Secret holding the bootstrap data, for Machines bootstrapped without a provider.',
          }),
        },
        { description: 'How the Machine gets its bootstrap data.' },
      ),
      clusterName: bounded(1, 63, 'The Cluster this Machine belongs to.'),
      failureDomain: bounded(1, 256, 'The failure domain to place the Machine in.'),
      infrastructureRef: ref(
        'The infrastructure provider object (e.g. a DockerMachine) that provides the host.',
      ),
      ...nodeTimeouts(),
      providerID: bounded(1, 512, "The host's identity at the infrastructure provider, matching the Node's."),
      readinessGates: conditionGates(
        'Extra Machine conditions that must be true for the Machine to be ready.',
      ),
      taints: machineTaints(),
      version: bounded(1, 256, 'The Kubernetes version the Machine runs (e.g. v1.31.0).'),
    },
    {
      required: ['bootstrap', 'clusterName', 'infrastructureRef'],
      description: 'The desired state of the Machine.',
    },
  );
}

/** MachineTemplateSpec: the Machines a MachineSet, MachineDeployment or MachinePool creates. */
export function machineTemplateSpec(): Schema {
  return object(
    {
      metadata: capiObjectMeta('Labels and annotations of the Machines.'),
      spec: machineSpec(),
    },
    { description: 'The template the Machines are made from.' },
  );
}

/** A Machine naming template ({{ .cluster.name }}, {{ .random }} ...). */
export function namingStrategy(maxLength: number, description: string): Schema {
  return object(
    { template: bounded(1, maxLength, 'A Go template for the names; must contain {{ .random }}.') },
    { description },
  );
}

/** The Node conditions that make a Machine unhealthy after a timeout. */
export function unhealthyConditions(): Schema {
  return array(
    object(
      {
        status: string({ minLength: 1, description: 'The condition status that counts as unhealthy.' }),
        timeout: duration({ description: 'How long the condition must hold.' }),
        type: string({ minLength: 1, description: 'The Node condition type.' }),
      },
      { required: ['status', 'timeout', 'type'] },
    ),
    { maxItems: 100, description: 'Node conditions that, held for their timeout, make a Machine unhealthy.' },
  );
}

/** The Machine conditions that make a Machine unhealthy after a timeout. */
export function unhealthyMachineConditions(): Schema {
  return array(
    object(
      {
        status: oneOf(['True', 'False', 'Unknown'], {
          description: 'The condition status that counts as unhealthy.',
        }),
        timeout: duration({ description: 'How long the condition must hold.' }),
        type: string({
          minLength: 1,
          maxLength: 316,
          pattern: CONDITION_TYPE_PATTERN,
          description:
            'The Machine condition type (not Ready, Available, HealthCheckSucceeded or the remediation ones).',
        }),
      },
      { required: ['status', 'timeout', 'type'] },
    ),
    {
      listType: 'atomic',
      minItems: 1,
      maxItems: 100,
      description: 'Machine conditions that, held for their timeout, make a Machine unhealthy.',
    },
  );
}

/** MachineHealthCheckClass: the health check settings a ClusterClass or topology gives. */
export function machineHealthCheckClass(): Record<string, Schema> {
  return {
    maxUnhealthy: intOrString({
      description:
        'Remediation stops when more than this many (or this percentage) of the Machines are unhealthy.',
    }),
    nodeStartupTimeout: duration({
      description:
        'How long a Machine may take to get a Node before it counts as unhealthy; 0 disables the check.',
    }),
    remediationTemplate: ref(
      'A template for an external remediation object, used instead of deleting the Machine.',
    ),
    unhealthyConditions: unhealthyConditions(),
    unhealthyMachineConditions: unhealthyMachineConditions(),
    unhealthyRange: string({
      minLength: 1,
      maxLength: 32,
      pattern: '^\\[[0-9]+-[0-9]+\\]$',
      description: 'Remediation runs only while the count of unhealthy Machines is within "[min-max]".',
    }),
  };
}

/** APIEndpoint: host and port of the Kubernetes API server. */
export function apiEndpoint(description = 'Where the Kubernetes API server answers.'): Schema {
  return object(
    {
      host: string({ maxLength: 512, description: 'The hostname or address.' }),
      port: int32({ description: 'The port.' }),
    },
    { description },
  );
}

/** FailureDomains: failure domain name to its attributes. */
export function failureDomains(description: string): Schema {
  return map(
    object({
      attributes: map(string(), { description: 'Free-form attributes of the failure domain.' }),
      controlPlane: bool({ description: 'Whether control plane Machines may go here.' }),
    }),
    { description },
  );
}

/** MachineAddresses: the addresses of a host. */
export function machineAddresses(description = 'The addresses of the host.'): Schema {
  return array(
    object(
      {
        address: bounded(1, 256, 'The address.'),
        type: oneOf(['Hostname', 'ExternalIP', 'InternalIP', 'ExternalDNS', 'InternalDNS'], {
          description: 'The kind of address.',
        }),
      },
      { required: ['address', 'type'] },
    ),
    { description },
  );
}

/** failureReason / failureMessage, the v1beta1 terminal-failure fields. */
export function failureFields(reasonMax?: number): Record<string, Schema> {
  return {
    failureMessage: bounded(1, 10240, 'A terminal problem, for humans (deprecated with v1beta2).'),
    failureReason: reasonMax
      ? bounded(1, reasonMax, 'A terminal problem, for machines (deprecated with v1beta2).')
      : string({ description: 'A terminal problem, for machines (deprecated with v1beta2).' }),
  };
}

/** A <Kind>Template's schema: spec.template with the metadata and spec of what it stamps out. */
export function templateSchema(spec: Schema, what: string): Schema {
  return object(
    {
      spec: object(
        {
          template: object(
            { metadata: capiObjectMeta(`Labels and annotations of the ${what}s made from this.`), spec },
            { required: ['spec'], description: `The ${what} each user gets.` },
          ),
        },
        { required: ['template'], description: 'The desired state.' },
      ),
    },
    { description: `A template for ${what}s.` },
  );
}

/** The AGE column every Cluster API kind prints. */
export const AGE_COLUMN = {
  name: 'Age',
  type: 'date' as const,
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation',
};

/** The CLUSTER column of kinds that know their Cluster only by label. */
export const CLUSTER_LABEL_COLUMN = {
  name: 'Cluster',
  type: 'string' as const,
  jsonPath: ".metadata.labels['cluster\\.x-k8s\\.io/cluster-name']",
  description: 'The Cluster this belongs to',
};

/** The MACHINE column of infrastructure machines: the Machine that owns them. */
export const OWNER_MACHINE_COLUMN = {
  name: 'Machine',
  type: 'string' as const,
  jsonPath: '.metadata.ownerReferences[?(@.kind=="Machine")].name',
  description: 'The Machine that owns this',
};

/** One kind of a provider: what differs between its CRDs. */
export interface KindSpec {
  kind: string;
  plural: string;
  shortNames?: string[];
  status?: boolean;
  scale?: CrdVersionSpec['scale'];
  printerColumns: PrinterColumn[];
  schema: Schema;
}

/**
 * The CRD maker of one provider's group: namespaced kinds in Cluster API's category, one served
 * and stored version, the provider's labels on every CRD.
 */
export function crdMaker(
  group: string,
  version: string,
  labels: Record<string, string>,
  categories: string[] = ['cluster-api'],
): (kind: KindSpec) => KubeObject {
  return ({ kind, plural, shortNames, status, scale, printerColumns, schema }) =>
    crd({
      group,
      kind,
      plural,
      shortNames,
      categories,
      scope: 'Namespaced',
      labels,
      versions: [{ name: version, storage: true, status, scale, printerColumns, schema }],
    });
}

/** The scale subresource of kinds whose status publishes its selector as a string. */
export const SCALE_WITH_SELECTOR = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.status.selector',
};

/** A printer column. */
export function column(
  name: string,
  type: PrinterColumn['type'],
  jsonPath: string,
  description: string,
  priority?: number,
): PrinterColumn {
  return { name, type, jsonPath, description, ...(priority ? { priority } : {}) };
}
