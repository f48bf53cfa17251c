// cluster.x-k8s.io/v1beta1: Cluster, ClusterClass, MachineDeployment, MachineSet, Machine,
// MachineHealthCheck and MachinePool, field for field as Cluster API publishes them.

import type { KubeObject } from '../../../../machinery/object.js';
import type { Schema } from '../../../../machinery/schema.js';
import {
  anyValue,
  array,
  bool,
  int32,
  int64,
  intOrString,
  labelSelector,
  map,
  object,
  oneOf,
  string,
  time,
} from '../../schema.js';
import {
  AGE_COLUMN,
  apiEndpoint,
  bounded,
  capiObjectMeta,
  column,
  conditionGates,
  crdMaker,
  failureDomains,
  failureFields,
  machineAddresses,
  machineHealthCheckClass,
  machineSpec,
  machineTaints,
  machineTemplateSpec,
  namingStrategy,
  nodeTimeouts,
  ref,
  SCALE_WITH_SELECTOR,
  statusVersions,
  unhealthyConditions,
  unhealthyMachineConditions,
  V1BETA1,
  v1beta1Conditions,
  v1beta2ReplicaCounters,
  v1beta2Status,
} from '../common.js';
import { CLUSTER_API_GROUP } from './constants.js';

const CORE_LABELS = { 'cluster.x-k8s.io/provider': 'cluster-api' };
const makeCrd = crdMaker(CLUSTER_API_GROUP, V1BETA1, CORE_LABELS);

const clusterColumn = {
  name: 'Cluster',
  type: 'string' as const,
  jsonPath: '.spec.clusterName',
  description: 'The Cluster this belongs to',
};

// Cluster.

function clusterNetwork(): Schema {
  const cidrs = (what: string) =>
    object(
      { cidrBlocks: array(bounded(1, 43), { maxItems: 100, description: `CIDR blocks of the ${what}.` }) },
      { required: ['cidrBlocks'], description: `The ${what} network.` },
    );
  return object(
    {
      apiServerPort: int32({ description: 'The port the API server binds to; default 6443.' }),
      pods: cidrs('pod'),
      serviceDomain: bounded(1, 253, 'The DNS domain of Services (e.g. cluster.local).'),
      services: cidrs('service'),
    },
    { description: 'The networks of the cluster.' },
  );
}

/** A ClusterClass variable value set in a topology. */
function clusterVariables(description: string): Schema {
  return array(
    object(
      {
        definitionFrom: string({ maxLength: 256, description: 'Deprecated: must not be set.' }),
        name: bounded(1, 256, 'The variable name.'),
        value: anyValue({ description: 'The variable value, any JSON.' }),
      },
      { required: ['name', 'value'] },
    ),
    { listType: 'map', mapKeys: ['name'], maxItems: 1000, description },
  );
}

function variableOverrides(): Schema {
  return object(
    { overrides: clusterVariables('Variable values that override the Cluster-wide ones for this part.') },
    { description: 'Variables for this part of the topology.' },
  );
}

function rolloutAfter(): Schema {
  return object(
    { after: time({ description: 'Roll out the Machines again once this time has passed.' }) },
    { minProperties: 1, description: 'Rollout settings.' },
  );
}

function mhcTopology(): Schema {
  return object(
    {
      enable: bool({
        description: 'Whether to create a MachineHealthCheck; default: when the class defines one.',
      }),
      ...machineHealthCheckClass(),
    },
    { description: 'The MachineHealthCheck for these Machines; overrides the class.' },
  );
}

function deploymentStrategy(): Schema {
  return object(
    {
      remediation: object(
        {
          maxInFlight: intOrString({
            description: 'How many Machines may be remediated at the same time (number or percentage).',
          }),
        },
        { description: 'How unhealthy Machines are replaced.' },
      ),
      rollingUpdate: object(
        {
          deletePolicy: oneOf(['Random', 'Newest', 'Oldest'], {
            description: 'Which old Machines go first when scaling down.',
          }),
          maxSurge: intOrString({
            description: 'Machines that may exist above the desired count during a rollout.',
          }),
          maxUnavailable: intOrString({ description: 'Machines that may be unavailable during a rollout.' }),
        },
        { description: 'Rolling update settings (type RollingUpdate).' },
      ),
      type: oneOf(['RollingUpdate', 'OnDelete'], {
        description: 'How old Machines are replaced; default RollingUpdate.',
      }),
    },
    { description: 'How Machines are replaced when the template changes.' },
  );
}

function topology(): Schema {
  return object(
    {
      class: bounded(1, 253, 'The ClusterClass this Cluster is built from.'),
      classNamespace: string({
        minLength: 1,
        maxLength: 63,
        pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
        description: "The namespace of the ClusterClass; default: the Cluster's.",
      }),
      controlPlane: object(
        {
          machineHealthCheck: mhcTopology(),
          metadata: capiObjectMeta('Labels and annotations of the control plane and its Machines.'),
          ...nodeTimeouts(),
          readinessGates: conditionGates(
            'Extra conditions that must be true for control plane Machines to be ready.',
          ),
          replicas: int32({ description: 'Control plane Machines to run; unset leaves it to the provider.' }),
          rollout: rolloutAfter(),
          taints: machineTaints(),
          variables: variableOverrides(),
        },
        { description: 'The control plane of the topology.' },
      ),
      rolloutAfter: time({ description: 'Deprecated: roll out every Machine again after this time.' }),
      variables: clusterVariables('Values for the variables the ClusterClass defines.'),
      version: bounded(1, 256, 'The Kubernetes version of the cluster.'),
      workers: object(
        {
          machineDeployments: array(
            object(
              {
                class: bounded(1, 256, 'The MachineDeployment class of the ClusterClass.'),
                failureDomain: bounded(1, 256, 'The failure domain of the Machines.'),
                machineHealthCheck: mhcTopology(),
                metadata: capiObjectMeta('Labels and annotations of the MachineDeployment and its Machines.'),
                minReadySeconds: int32({
                  description: 'Seconds a Node must be ready before its Machine is available.',
                }),
                name: bounded(1, 63, 'A name unique within the topology.'),
                ...nodeTimeouts(),
                readinessGates: conditionGates(
                  'Extra conditions that must be true for these Machines to be ready.',
                ),
                replicas: int32({ description: 'Machines to run; unset leaves it to an autoscaler.' }),
                rollout: rolloutAfter(),
                strategy: deploymentStrategy(),
                taints: machineTaints(),
                variables: variableOverrides(),
              },
              { required: ['class', 'name'] },
            ),
            { listType: 'map', mapKeys: ['name'], maxItems: 2000, description: 'The MachineDeployments.' },
          ),
          machinePools: array(
            object(
              {
                class: bounded(1, 256, 'The MachinePool class of the ClusterClass.'),
                failureDomains: array(bounded(1, 256), {
                  maxItems: 100,
                  description: 'Failure domains of the pool.',
                }),
                metadata: capiObjectMeta('Labels and annotations of the MachinePool.'),
                minReadySeconds: int32({
                  description: 'Seconds a Node must be ready before it is available.',
                }),
                name: bounded(1, 63, 'A name unique within the topology.'),
                ...nodeTimeouts(),
                replicas: int32({ description: 'Machines to run; unset leaves it to an autoscaler.' }),
                taints: machineTaints(),
                variables: variableOverrides(),
              },
              { required: ['class', 'name'] },
            ),
            { listType: 'map', mapKeys: ['name'], maxItems: 2000, description: 'The MachinePools.' },
          ),
        },
        { description: 'The worker Machines of the topology.' },
      ),
    },
    { required: ['class', 'version'], description: 'A Cluster built from a ClusterClass.' },
  );
}

function versionsSummary(): Schema {
  const replicas = {
    availableReplicas: int32({ description: 'Available Machines.' }),
    desiredReplicas: int32({ description: 'Desired Machines.' }),
    readyReplicas: int32({ description: 'Ready Machines.' }),
    replicas: int32({ description: 'Existing Machines.' }),
    upToDateReplicas: int32({ description: 'Up-to-date Machines.' }),
  };
  const atomicVersions = (description: string, withReplicas: boolean) =>
    array(
      object(
        {
          ...(withReplicas
            ? { replicas: int32({ minimum: 1, description: 'Machines at this version.' }) }
            : {}),
          version: bounded(1, 256, 'A Kubernetes version.'),
        },
        { required: ['version'] },
      ),
      { listType: 'atomic', minItems: 1, maxItems: 32, description },
    );
  const part = (what: string) =>
    object(
      {
        ...replicas,
        upgradePlan: atomicVersions('The versions an ongoing upgrade goes through.', false),
        versions: atomicVersions('The versions the Machines run.', true),
      },
      { description: `Counters of the ${what} Machines.` },
    );
  return v1beta2Status({ controlPlane: part('control plane'), workers: part('worker') });
}

export const clusterCrd: KubeObject = makeCrd({
  kind: 'Cluster',
  plural: 'clusters',
  shortNames: ['cl'],
  status: true,
  printerColumns: [
    column('ClusterClass', 'string', '.spec.topology.class', 'The ClusterClass of the Cluster, if any'),
    column('Phase', 'string', '.status.phase', 'Pending, Provisioning, Provisioned ...'),
    AGE_COLUMN,
    column('Version', 'string', '.spec.topology.version', 'The Kubernetes version of the Cluster'),
  ],
  schema: object(
    {
      spec: object(
        {
          availabilityGates: conditionGates(
            'Extra Cluster conditions that must be true for the Cluster to be available.',
          ),
          clusterNetwork: clusterNetwork(),
          controlPlaneEndpoint: apiEndpoint('Where the control plane answers; set by the providers.'),
          controlPlaneRef: ref('The control plane provider object (e.g. a KubeadmControlPlane).'),
          infrastructureRef: ref('The infrastructure provider object (e.g. a DockerCluster).'),
          paused: bool({ description: 'Stops controllers from acting on the Cluster and its objects.' }),
          topology: topology(),
        },
        { description: 'The desired state of the Cluster.' },
      ),
      status: object(
        {
          conditions: v1beta1Conditions(),
          controlPlaneReady: bool({ description: 'Whether the control plane is ready.' }),
          failureDomains: failureDomains('The failure domains the infrastructure offers.'),
          ...failureFields(),
          infrastructureReady: bool({ description: 'Whether the infrastructure is ready.' }),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          phase: oneOf(['Pending', 'Provisioning', 'Provisioned', 'Deleting', 'Failed', 'Unknown'], {
            description: 'Where the Cluster is in its lifecycle.',
          }),
          v1beta2: versionsSummary(),
        },
        { description: 'The observed state of the Cluster.' },
      ),
    },
    { description: 'A Kubernetes cluster provisioned through Cluster API.' },
  ),
});

// ClusterClass.

/** A template reference (LocalObjectTemplate). */
function templateRef(description: string): Schema {
  return object({ ref: ref('The template object.') }, { required: ['ref'], description });
}

/** JSONSchemaProps as ClusterClass variables allow them. */
function variableSchema(): Schema {
  const metadata = object(
    {
      annotations: map(string(), { description: 'Annotations for the variable.' }),
      labels: map(string(), { description: 'Labels for the variable.' }),
    },
    { description: 'Metadata for the variable, not part of the schema.' },
  );
  return object(
    {
      openAPIV3Schema: object(
        {
          additionalProperties: anyValue({ description: 'The schema of map values.' }),
          allOf: anyValue({ description: 'Schemas that must all match.' }),
          anyOf: anyValue({ description: 'Schemas of which at least one must match.' }),
          default: anyValue({ description: 'The default value.' }),
          description: bounded(1, 4096, 'What the variable is.'),
          enum: array(anyValue(), { maxItems: 100, description: 'The allowed values.' }),
          example: anyValue({ description: 'An example value.' }),
          exclusiveMaximum: bool({ description: 'Whether maximum is exclusive.' }),
          exclusiveMinimum: bool({ description: 'Whether minimum is exclusive.' }),
          format: bounded(1, 32, 'The format of strings (uri, date-time ...).'),
          items: anyValue({ description: 'The schema of array items.' }),
          maxItems: int64({ description: 'At most this many items.' }),
          maxLength: int64({ description: 'At most this many characters.' }),
          maxProperties: int64({ description: 'At most this many properties.' }),
          maximum: int64({ description: 'The largest number.' }),
          minItems: int64({ description: 'At least this many items.' }),
          minLength: int64({ description: 'At least this many characters.' }),
          minProperties: int64({ description: 'At least this many properties.' }),
          minimum: int64({ description: 'The smallest number.' }),
          not: anyValue({ description: 'A schema that must not match.' }),
          oneOf: anyValue({ description: 'Schemas of which exactly one must match.' }),
          pattern: bounded(1, 512, 'A regular expression strings must match.'),
          properties: anyValue({ description: 'The schemas of object properties.' }),
          required: array(bounded(1, 256), { maxItems: 1000, description: 'Required properties.' }),
          type: oneOf(['object', 'array', 'string', 'integer', 'number', 'boolean'], {
            description: 'The type of the value.',
          }),
          uniqueItems: bool({ description: 'Whether items must be unique.' }),
          'x-kubernetes-int-or-string': bool({ description: 'An integer or a string.' }),
          'x-kubernetes-preserve-unknown-fields': bool({
            description: 'Keep fields the schema does not name.',
          }),
          'x-kubernetes-validations': array(
            object(
              {
                fieldPath: bounded(1, 512, 'The field the error points at.'),
                message: bounded(1, 512, 'The error message.'),
                messageExpression: bounded(1, 1024, 'A CEL expression giving the error message.'),
                reason: oneOf(
                  ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'],
                  {
                    default: 'FieldValueInvalid',
                    description: 'The reason of the error.',
                  },
                ),
                rule: bounded(1, 4096, 'A CEL rule.'),
              },
              { required: ['rule'] },
            ),
            { listType: 'map', mapKeys: ['rule'], maxItems: 100, description: 'CEL validation rules.' },
          ),
          'x-metadata': metadata,
        },
        { description: 'An OpenAPI v3 schema (a subset of what CRDs allow).' },
      ),
    },
    { required: ['openAPIV3Schema'], description: 'The schema of the variable.' },
  );
}

function variableMetadata(): Schema {
  return object(
    {
      annotations: map(string(), { description: 'Annotations for the variable.' }),
      labels: map(string(), { description: 'Labels for the variable.' }),
    },
    { description: 'Deprecated: use schema.openAPIV3Schema.x-metadata.' },
  );
}

function patches(): Schema {
  const names = (what: string) =>
    object(
      { names: array(bounded(1, 256), { maxItems: 100, description: `${what} class names.` }) },
      { description: `Selects templates of these ${what} classes.` },
    );
  return array(
    object(
      {
        definitions: array(
          object(
            {
              jsonPatches: array(
                object(
                  {
                    op: oneOf(['add', 'replace', 'remove'], { description: 'The JSON patch operation.' }),
                    path: bounded(1, 512, 'The JSON pointer to patch (within /spec).'),
                    value: anyValue({ description: 'The value to set.' }),
                    valueFrom: object(
                      {
                        template: bounded(1, 10240, 'A Go template rendering the value.'),
                        variable: bounded(1, 256, 'The variable whose value to set.'),
                      },
                      { description: 'Where the value comes from.' },
                    ),
                  },
                  { required: ['op', 'path'] },
                ),
                { maxItems: 100, description: 'The JSON patches to apply.' },
              ),
              selector: object(
                {
                  apiVersion: bounded(1, 512, 'The apiVersion of the templates to patch.'),
                  kind: bounded(1, 256, 'The kind of the templates to patch.'),
                  matchResources: object(
                    {
                      controlPlane: bool({ description: 'Select the control plane template.' }),
                      infrastructureCluster: bool({
                        description: 'Select the infrastructure cluster template.',
                      }),
                      machineDeploymentClass: names('MachineDeployment'),
                      machinePoolClass: names('MachinePool'),
                    },
                    { description: 'Which templates of that kind.' },
                  ),
                },
                {
                  required: ['apiVersion', 'kind', 'matchResources'],
                  description: 'The templates to patch.',
                },
              ),
            },
            { required: ['jsonPatches', 'selector'] },
          ),
          { maxItems: 100, description: 'Inline patches.' },
        ),
        description: bounded(1, 1024, 'What the patch does.'),
        enabledIf: bounded(1, 256, 'A Go template; the patch applies when it renders "true".'),
        external: object(
          {
            discoverVariablesExtension: bounded(1, 512, 'The extension that reports variables.'),
            generateExtension: bounded(1, 512, 'The extension that generates patches.'),
            settings: map(string(), { description: 'Settings passed to the extension.' }),
            validateExtension: bounded(1, 512, 'The extension that validates the topology.'),
          },
          { description: 'Patches computed by a runtime extension.' },
        ),
        name: bounded(1, 256, 'The patch name.'),
      },
      { required: ['name'] },
    ),
    { maxItems: 1000, description: 'Patches applied to the templates for each Cluster.' },
  );
}

function classMhc(): Schema {
  return object(machineHealthCheckClass(), {
    description: 'A MachineHealthCheck for Machines of this class.',
  });
}

export const clusterClassCrd: KubeObject = makeCrd({
  kind: 'ClusterClass',
  plural: 'clusterclasses',
  shortNames: ['cc'],
  status: true,
  printerColumns: [AGE_COLUMN],
  schema: object(
    {
      spec: object(
        {
          availabilityGates: conditionGates(
            'Extra Cluster conditions that must be true for Clusters to be available.',
          ),
          controlPlane: object(
            {
              machineHealthCheck: classMhc(),
              machineInfrastructure: templateRef(
                "The template of the control plane Machines' infrastructure.",
              ),
              metadata: capiObjectMeta('Labels and annotations of the control plane.'),
              namingStrategy: namingStrategy(1024, 'How the control plane object is named.'),
              ...nodeTimeouts(),
              readinessGates: conditionGates(
                'Extra conditions that must be true for control plane Machines to be ready.',
              ),
              ref: ref('The control plane template (e.g. a KubeadmControlPlaneTemplate).'),
              taints: machineTaints(),
            },
            { required: ['ref'], description: 'The control plane of Clusters of this class.' },
          ),
          infrastructure: templateRef('The infrastructure cluster template (e.g. a DockerClusterTemplate).'),
          infrastructureNamingStrategy: namingStrategy(
            1024,
            'How the infrastructure cluster object is named.',
          ),
          kubernetesVersions: array(bounded(1, 256), {
            listType: 'atomic',
            minItems: 1,
            maxItems: 100,
            description: 'The Kubernetes versions Clusters of this class may run, in order.',
          }),
          patches: patches(),
          upgrade: object(
            {
              external: object(
                { generateUpgradePlanExtension: bounded(1, 512, 'The extension that plans upgrades.') },
                { minProperties: 1, description: 'Upgrade planning by a runtime extension.' },
              ),
            },
            { minProperties: 1, description: 'How upgrades are planned.' },
          ),
          variables: array(
            object(
              {
                metadata: variableMetadata(),
                name: bounded(1, 256, 'The variable name.'),
                required: bool({ description: 'Whether Clusters must set the variable.' }),
                schema: variableSchema(),
              },
              { required: ['name', 'required', 'schema'] },
            ),
            { maxItems: 1000, description: 'Variables Clusters of this class may set.' },
          ),
          workers: object(
            {
              machineDeployments: array(
                object(
                  {
                    class: bounded(1, 256, 'The class name, unique within the ClusterClass.'),
                    failureDomain: bounded(1, 256, 'The failure domain of the Machines.'),
                    machineHealthCheck: classMhc(),
                    minReadySeconds: int32({
                      description: 'Seconds a Node must be ready before it is available.',
                    }),
                    namingStrategy: namingStrategy(1024, 'How the MachineDeployments are named.'),
                    ...nodeTimeouts(),
                    readinessGates: conditionGates(
                      'Extra conditions that must be true for Machines to be ready.',
                    ),
                    strategy: deploymentStrategy(),
                    taints: machineTaints(),
                    template: object(
                      {
                        bootstrap: templateRef('The bootstrap config template.'),
                        infrastructure: templateRef('The infrastructure machine template.'),
                        metadata: capiObjectMeta('Labels and annotations of the MachineDeployment.'),
                      },
                      {
                        required: ['bootstrap', 'infrastructure'],
                        description: 'What the Machines are made of.',
                      },
                    ),
                  },
                  { required: ['class', 'template'] },
                ),
                {
                  listType: 'map',
                  mapKeys: ['class'],
                  maxItems: 100,
                  description: 'MachineDeployment classes.',
                },
              ),
              machinePools: array(
                object(
                  {
                    class: bounded(1, 256, 'The class name, unique within the ClusterClass.'),
                    failureDomains: array(bounded(1, 256), {
                      maxItems: 100,
                      description: 'Failure domains of the pool.',
                    }),
                    minReadySeconds: int32({
                      description: 'Seconds a Node must be ready before it is available.',
                    }),
                    namingStrategy: namingStrategy(1024, 'How the MachinePools are named.'),
                    ...nodeTimeouts(),
                    taints: machineTaints(),
                    template: object(
                      {
                        bootstrap: templateRef('The bootstrap config template.'),
                        infrastructure: templateRef('The infrastructure machine pool template.'),
                        metadata: capiObjectMeta('Labels and annotations of the MachinePool.'),
                      },
                      {
                        required: ['bootstrap', 'infrastructure'],
                        description: 'What the pool is made of.',
                      },
                    ),
                  },
                  { required: ['class', 'template'] },
                ),
                {
                  listType: 'map',
                  mapKeys: ['class'],
                  maxItems: 100,
                  description: 'MachinePool classes.',
                },
              ),
            },
            { description: 'The worker classes.' },
          ),
        },
        { description: 'What Clusters of this class are made of.' },
      ),
      status: object(
        {
          conditions: v1beta1Conditions(),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          v1beta2: v1beta2Status(),
          variables: array(
            object(
              {
                definitions: array(
                  object(
                    {
                      from: bounded(1, 256, 'Where the definition comes from: inline or a patch name.'),
                      metadata: variableMetadata(),
                      required: bool({ description: 'Whether Clusters must set the variable.' }),
                      schema: variableSchema(),
                    },
                    { required: ['from', 'required', 'schema'] },
                  ),
                  { maxItems: 100, description: 'The definitions of the variable.' },
                ),
                definitionsConflict: bool({ description: 'Whether the definitions disagree.' }),
                name: bounded(1, 256, 'The variable name.'),
              },
              { required: ['definitions', 'name'] },
            ),
            { maxItems: 1000, description: 'The variables of the class, from every source.' },
          ),
        },
        { description: 'The observed state of the ClusterClass.' },
      ),
    },
    { description: 'A blueprint for Clusters: templates, variables and patches.' },
  ),
});

// MachineDeployment.

export const machineDeploymentCrd: KubeObject = makeCrd({
  kind: 'MachineDeployment',
  plural: 'machinedeployments',
  shortNames: ['md'],
  status: true,
  scale: SCALE_WITH_SELECTOR,
  printerColumns: [
    clusterColumn,
    column('Desired', 'integer', '.spec.replicas', 'Machines wanted', 10),
    column('Replicas', 'integer', '.status.replicas', 'Machines that exist'),
    column('Ready', 'integer', '.status.readyReplicas', 'Ready Machines'),
    column('Updated', 'integer', '.status.updatedReplicas', 'Machines with the current template'),
    column('Unavailable', 'integer', '.status.unavailableReplicas', 'Machines not yet available'),
    column('Phase', 'string', '.status.phase', 'ScalingUp, ScalingDown, Running ...'),
    AGE_COLUMN,
    column('Version', 'string', '.spec.template.spec.version', 'The Kubernetes version of the Machines'),
  ],
  schema: object(
    {
      spec: object(
        {
          clusterName: bounded(1, 63, 'The Cluster the Machines belong to.'),
          machineNamingStrategy: namingStrategy(256, 'How the Machines are named.'),
          minReadySeconds: int32({
            description: 'Seconds a Node must be ready before its Machine is available.',
          }),
          paused: bool({ description: 'Stops rollouts while true.' }),
          progressDeadlineSeconds: int32({
            description: 'Seconds a rollout may take before it counts as stuck.',
          }),
          replicas: int32({ description: 'Machines to run; default 1 (or the autoscaler minimum).' }),
          revisionHistoryLimit: int32({ description: 'Old MachineSets to keep; default 1.' }),
          rolloutAfter: time({ description: 'Roll out every Machine again once this time has passed.' }),
          selector: labelSelector({
            description: 'Selects the Machines; must match the template labels.',
          }),
          strategy: deploymentStrategy(),
          template: machineTemplateSpec(),
        },
        { required: ['clusterName', 'selector', 'template'], description: 'The desired state.' },
      ),
      status: object(
        {
          availableReplicas: int32({ description: 'Machines available for at least minReadySeconds.' }),
          conditions: v1beta1Conditions(),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          phase: oneOf(['ScalingUp', 'ScalingDown', 'Running', 'Failed', 'Unknown'], {
            description: 'Where the MachineDeployment is in its lifecycle.',
          }),
          readyReplicas: int32({ description: 'Ready Machines.' }),
          replicas: int32({ description: 'Machines that exist (not being deleted).' }),
          selector: bounded(1, 4096, 'The selector in string form, for the scale subresource.'),
          unavailableReplicas: int32({ description: 'Machines still missing for full availability.' }),
          updatedReplicas: int32({ description: 'Machines with the current template.' }),
          v1beta2: v1beta2Status(v1beta2ReplicaCounters()),
          versions: statusVersions(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: 'Declarative updates for Machines through MachineSets.' },
  ),
});

// MachineSet.

export const machineSetCrd: KubeObject = makeCrd({
  kind: 'MachineSet',
  plural: 'machinesets',
  shortNames: ['ms'],
  status: true,
  scale: SCALE_WITH_SELECTOR,
  printerColumns: [
    clusterColumn,
    column('Desired', 'integer', '.spec.replicas', 'Machines wanted', 10),
    column('Replicas', 'integer', '.status.replicas', 'Machines that exist'),
    column('Ready', 'integer', '.status.readyReplicas', 'Ready Machines'),
    column(
      'Available',
      'integer',
      '.status.availableReplicas',
      'Machines ready for at least minReadySeconds',
    ),
    AGE_COLUMN,
    column('Version', 'string', '.spec.template.spec.version', 'The Kubernetes version of the Machines'),
  ],
  schema: object(
    {
      spec: object(
        {
          clusterName: bounded(1, 63, 'The Cluster the Machines belong to.'),
          deletePolicy: oneOf(['Random', 'Newest', 'Oldest'], {
            description: 'Which Machines go first when scaling down; default Random.',
          }),
          machineNamingStrategy: namingStrategy(256, 'How the Machines are named.'),
          minReadySeconds: int32({
            description: 'Seconds a Node must be ready before its Machine is available.',
          }),
          replicas: int32({ description: 'Machines to run; default 1 (or the autoscaler minimum).' }),
          selector: labelSelector({
            description: 'Selects the Machines; must match the template labels.',
          }),
          template: machineTemplateSpec(),
        },
        { required: ['clusterName', 'selector'], description: 'The desired state.' },
      ),
      status: object(
        {
          availableReplicas: int32({ description: 'Machines available for at least minReadySeconds.' }),
          conditions: v1beta1Conditions(),
          ...failureFields(),
          fullyLabeledReplicas: int32({ description: 'Machines whose labels match the template.' }),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          readyReplicas: int32({ description: 'Ready Machines.' }),
          replicas: int32({ description: 'Machines that exist.' }),
          selector: bounded(1, 4096, 'The selector in string form, for the scale subresource.'),
          v1beta2: v1beta2Status(v1beta2ReplicaCounters()),
          versions: statusVersions(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: 'Keeps a number of identical Machines running.' },
  ),
});

// Machine.

export const machineCrd: KubeObject = makeCrd({
  kind: 'Machine',
  plural: 'machines',
  shortNames: ['ma'],
  status: true,
  printerColumns: [
    clusterColumn,
    column('NodeName', 'string', '.status.nodeRef.name', 'The Node of the Machine'),
    column('ProviderID', 'string', '.spec.providerID', 'The provider ID'),
    column('Phase', 'string', '.status.phase', 'Pending, Running, Deleting ...'),
    AGE_COLUMN,
    column('Version', 'string', '.spec.version', 'The Kubernetes version'),
  ],
  schema: object(
    {
      spec: machineSpec(),
      status: object(
        {
          addresses: machineAddresses(),
          bootstrapReady: bool({ description: 'Whether the bootstrap data is ready.' }),
          certificatesExpiryDate: time({
            description: "When the Machine's certificates expire (control plane).",
          }),
          conditions: v1beta1Conditions(),
          deletion: object(
            {
              nodeDrainStartTime: time({ description: 'When draining the Node began.' }),
              waitForNodeVolumeDetachStartTime: time({
                description: 'When waiting for volumes to detach began.',
              }),
              waitForPreDrainHookStartTime: time({
                description: 'When waiting for pre-drain hooks began.',
              }),
              waitForPreTerminateHookStartTime: time({
                description: 'When waiting for pre-terminate hooks began.',
              }),
            },
            { description: 'Progress of the deletion.' },
          ),
          ...failureFields(),
          infrastructureReady: bool({ description: 'Whether the infrastructure is ready.' }),
          lastUpdated: time({ description: 'When the phase last changed.' }),
          nodeInfo: object(
            {
              architecture: string({ description: 'The CPU architecture.' }),
              bootID: string({ description: 'The boot ID.' }),
              containerRuntimeVersion: string({ description: 'The container runtime and its version.' }),
              kernelVersion: string({ description: 'The kernel version.' }),
              kubeProxyVersion: string({ description: 'Deprecated: the kube-proxy version.' }),
              kubeletVersion: string({ description: 'The kubelet version.' }),
              machineID: string({ description: 'The machine ID.' }),
              operatingSystem: string({ description: 'The operating system.' }),
              osImage: string({ description: 'The OS image.' }),
              swap: object(
                { capacity: int64({ description: 'Swap bytes.' }) },
                { description: 'Swap memory.' },
              ),
              systemUUID: string({ description: 'The system UUID.' }),
            },
            {
              required: [
                'architecture',
                'bootID',
                'containerRuntimeVersion',
                'kernelVersion',
                'kubeProxyVersion',
                'kubeletVersion',
                'machineID',
                'operatingSystem',
                'osImage',
                'systemUUID',
              ],
              description: "The Node's system info.",
            },
          ),
          nodeRef: ref('The Node of this Machine.'),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          phase: oneOf(
            ['Pending', 'Provisioning', 'Provisioned', 'Running', 'Deleting', 'Deleted', 'Failed', 'Unknown'],
            { description: 'Where the Machine is in its lifecycle.' },
          ),
          v1beta2: v1beta2Status(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: 'One host that runs a Kubernetes Node.' },
  ),
});

// MachineHealthCheck.

export const machineHealthCheckCrd: KubeObject = makeCrd({
  kind: 'MachineHealthCheck',
  plural: 'machinehealthchecks',
  shortNames: ['mhc', 'mhcs'],
  status: true,
  printerColumns: [
    clusterColumn,
    column('ExpectedMachines', 'integer', '.status.expectedMachines', 'Machines being checked'),
    column(
      'MaxUnhealthy',
      'string',
      '.spec.maxUnhealthy',
      'Unhealthy Machines allowed before remediation stops',
    ),
    column('CurrentHealthy', 'integer', '.status.currentHealthy', 'Healthy Machines'),
    AGE_COLUMN,
  ],
  schema: object(
    {
      spec: object(
        {
          clusterName: bounded(1, 63, 'The Cluster whose Machines are checked.'),
          ...machineHealthCheckClass(),
          selector: labelSelector({ description: 'Selects the Machines to check; must not be empty.' }),
          unhealthyConditions: unhealthyConditions(),
          unhealthyMachineConditions: unhealthyMachineConditions(),
        },
        { required: ['clusterName', 'selector'], description: 'The desired state.' },
      ),
      status: object(
        {
          conditions: v1beta1Conditions(),
          currentHealthy: int32({ minimum: 0, description: 'Healthy Machines.' }),
          expectedMachines: int32({ minimum: 0, description: 'Machines being checked.' }),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          remediationsAllowed: int32({
            minimum: 0,
            description: 'Remediations still allowed by maxUnhealthy.',
          }),
          targets: array(bounded(1, 253), {
            maxItems: 10000,
            description: 'The Machines being checked.',
          }),
          v1beta2: v1beta2Status(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: 'Checks Machines against Node conditions and remediates unhealthy ones.' },
  ),
});

// MachinePool.

export const machinePoolCrd: KubeObject = makeCrd({
  kind: 'MachinePool',
  plural: 'machinepools',
  shortNames: ['mp'],
  status: true,
  scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
  printerColumns: [
    clusterColumn,
    column('Desired', 'integer', '.spec.replicas', 'Machines wanted', 10),
    column('Replicas', 'string', '.status.replicas', 'Machines that exist'),
    column('Phase', 'string', '.status.phase', 'Pending, Running, Scaling ...'),
    AGE_COLUMN,
    column('Version', 'string', '.spec.template.spec.version', 'The Kubernetes version of the pool'),
  ],
  schema: object(
    {
      spec: object(
        {
          clusterName: bounded(1, 63, 'The Cluster the pool belongs to.'),
          failureDomains: array(bounded(1, 256), {
            maxItems: 100,
            description: 'Failure domains of the pool.',
          }),
          minReadySeconds: int32({ description: 'Seconds a Node must be ready before it is available.' }),
          providerIDList: array(bounded(1, 512), {
            maxItems: 10000,
            description: 'The provider IDs of the instances, set by the infrastructure provider.',
          }),
          replicas: int32({ description: 'Instances to run; default 1 (or the autoscaler minimum).' }),
          template: machineTemplateSpec(),
        },
        { required: ['clusterName', 'template'], description: 'The desired state.' },
      ),
      status: object(
        {
          availableReplicas: int32({ description: 'Available instances.' }),
          bootstrapReady: bool({ description: 'Whether the bootstrap data is ready.' }),
          conditions: v1beta1Conditions(),
          ...failureFields(),
          infrastructureReady: bool({ description: 'Whether the infrastructure is ready.' }),
          nodeRefs: array(ref('A Node of the pool.'), {
            maxItems: 10000,
            description: 'The Nodes of the pool.',
          }),
          observedGeneration: int64({ description: 'The generation the controller last acted on.' }),
          phase: oneOf(
            [
              'Pending',
              'Provisioning',
              'Provisioned',
              'Running',
              'ScalingUp',
              'ScalingDown',
              'Scaling',
              'Deleting',
              'Failed',
              'Unknown',
            ],
            { description: 'Where the pool is in its lifecycle.' },
          ),
          readyReplicas: int32({ description: 'Ready instances.' }),
          replicas: int32({ description: 'Instances that exist.' }),
          unavailableReplicas: int32({ description: 'Instances still missing for full availability.' }),
          v1beta2: v1beta2Status(v1beta2ReplicaCounters()),
          versions: statusVersions(),
        },
        { description: 'The observed state.' },
      ),
    },
    { description: 'A group of Machines managed as one by the infrastructure provider.' },
  ),
});

/** Every cluster.x-k8s.io CRD. */
export const coreCrds: KubeObject[] = [
  clusterCrd,
  clusterClassCrd,
  machineDeploymentCrd,
  machineSetCrd,
  machineCrd,
  machineHealthCheckCrd,
  machinePoolCrd,
];
