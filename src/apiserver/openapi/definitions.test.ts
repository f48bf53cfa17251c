import { describe, expect, it } from 'vitest';
import type { Schema } from '../../machinery/schema.js';
import {
  builtinDefinitions,
  builtinKinds,
  definitionNameFor,
  definitionSchema,
  resolveDefinitions,
  schemaFor,
} from './definitions.js';

const deployment = () => schemaFor({ group: 'apps', version: 'v1', kind: 'Deployment' })!;
const podSpec = () => definitionSchema('io.k8s.api.core.v1.PodSpec')!;
const container = () => definitionSchema('io.k8s.api.core.v1.Container')!;

/** Follows a dotted field path through properties and array items. */
function at(schema: Schema, path: string): Schema {
  let s = schema;
  for (const field of path.split('.')) {
    const next = s.properties?.[field] ?? s.items?.properties?.[field];
    if (!next) throw new Error(`no field ${field} in ${path}`);
    s = next;
  }
  return s;
}

describe('built-in definitions', () => {
  it('are loaded once per process and shared', () => {
    expect(builtinDefinitions()).toBe(builtinDefinitions());
    expect(deployment()).toBe(deployment());
    expect(Object.isFrozen(deployment())).toBe(true);
  });

  it('agree with every entry of the list-type table', () => {
    expect(builtinDefinitions().listTypeProblems).toEqual([]);
  });

  it("default the protocol of ports, so that apply keys a port that leaves it out as Kubernetes' own does", () => {
    expect(definitionSchema('io.k8s.api.core.v1.ServicePort')!.properties!.protocol!.default).toBe('TCP');
    expect(definitionSchema('io.k8s.api.core.v1.ContainerPort')!.properties!.protocol!.default).toBe('TCP');
  });

  it('name the definitions as Kubernetes does', () => {
    expect(definitionNameFor({ group: 'apps', version: 'v1', kind: 'Deployment' })).toBe(
      'io.k8s.api.apps.v1.Deployment',
    );
    expect(definitionNameFor({ group: '', version: 'v1', kind: 'Event' })).toBe('io.k8s.api.core.v1.Event');
    expect(definitionNameFor({ group: 'events.k8s.io', version: 'v1', kind: 'Event' })).toBe(
      'io.k8s.api.events.v1.Event',
    );
    expect(
      definitionNameFor({ group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition' }),
    ).toBe('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition');
    expect(definitionNameFor({ group: 'meta.k8s.io', version: 'v1', kind: 'Table' })).toBe(
      'io.k8s.apimachinery.pkg.apis.meta.v1.Table',
    );
    expect(definitionNameFor({ group: 'example.com', version: 'v1', kind: 'Widget' })).toBeUndefined();
    expect(schemaFor({ group: 'example.com', version: 'v1', kind: 'Widget' })).toBeUndefined();
  });

  it('know every kind the server serves', () => {
    const kinds = new Set(builtinKinds().map((k) => `${k.group}/${k.version}/${k.kind}`));
    const served = [
      ...[
        'Namespace',
        'Pod',
        'Service',
        'Endpoints',
        'ConfigMap',
        'Secret',
        'ServiceAccount',
        'Node',
        'Event',
      ].map((k) => `/v1/${k}`),
      '/v1/PersistentVolumeClaim',
      '/v1/Binding',
      ...['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'ControllerRevision'].map(
        (k) => `apps/v1/${k}`,
      ),
      'batch/v1/Job',
      'batch/v1/CronJob',
      'coordination.k8s.io/v1/Lease',
      'discovery.k8s.io/v1/EndpointSlice',
      ...['NetworkPolicy', 'Ingress', 'IngressClass'].map((k) => `networking.k8s.io/v1/${k}`),
      ...['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].map(
        (k) => `rbac.authorization.k8s.io/v1/${k}`,
      ),
      'apiextensions.k8s.io/v1/CustomResourceDefinition',
      ...['SelfSubjectAccessReview', 'SubjectAccessReview', 'SelfSubjectRulesReview'].map(
        (k) => `authorization.k8s.io/v1/${k}`,
      ),
      'authentication.k8s.io/v1/TokenReview',
      'authentication.k8s.io/v1/SelfSubjectReview',
      'policy/v1/Eviction',
      'policy/v1/PodDisruptionBudget',
      'autoscaling/v1/Scale',
      'events.k8s.io/v1/Event',
      '/v1/Status',
      '/v1/DeleteOptions',
      '/v1/WatchEvent',
      '/v1/APIResourceList',
      'apps/v1/DeploymentList',
    ];
    expect(served.filter((k) => !kinds.has(k))).toEqual([]);
  });

  it('make pod containers a list merged by name, for patch and apply', () => {
    const containers = at(deployment(), 'spec.template.spec.containers');
    expect(containers.type).toBe('array');
    expect(containers['x-kubernetes-list-type']).toBe('map');
    expect(containers['x-kubernetes-list-map-keys']).toEqual(['name']);
    expect(containers['x-kubernetes-patch-strategy']).toBe('merge');
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(containers.items).toBe(container());
  });

  it('carry the merge keys of container ports, env and volume mounts', () => {
    const ports = container().properties!.ports!;
    expect(ports['x-kubernetes-list-map-keys']).toEqual(['containerPort', 'protocol']);
    expect(ports['x-kubernetes-patch-merge-key']).toBe('containerPort');
    expect(container().properties!.env!['x-kubernetes-patch-merge-key']).toBe('name');
    expect(container().properties!.volumeMounts!['x-kubernetes-list-map-keys']).toEqual(['mountPath']);
    expect(container().properties!.args!['x-kubernetes-list-type']).toBe('atomic');
  });

  it('carry the annotations of metadata, services, tolerations, conditions and volumes', () => {
    const meta = at(deployment(), 'metadata');
    expect(meta.properties!.finalizers!['x-kubernetes-list-type']).toBe('set');
    expect(meta.properties!.finalizers!['x-kubernetes-patch-strategy']).toBe('merge');
    expect(meta.properties!.ownerReferences!['x-kubernetes-list-map-keys']).toEqual(['uid']);
    expect(meta.properties!.managedFields!['x-kubernetes-list-type']).toBe('atomic');
    const servicePorts = definitionSchema('io.k8s.api.core.v1.ServiceSpec')!.properties!.ports!;
    expect(servicePorts['x-kubernetes-list-map-keys']).toEqual(['port', 'protocol']);
    expect(servicePorts['x-kubernetes-patch-merge-key']).toBe('port');
    expect(podSpec().properties!.tolerations!['x-kubernetes-list-type']).toBe('atomic');
    expect(podSpec().properties!.volumes!['x-kubernetes-patch-strategy']).toBe('merge,retainKeys');
    expect(podSpec().properties!.nodeSelector!['x-kubernetes-map-type']).toBe('atomic');
    const conditions = at(deployment(), 'status.conditions');
    expect(conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
    expect(conditions['x-kubernetes-patch-merge-key']).toBe('type');
  });

  it('mark atomic structs on the definition itself', () => {
    expect(at(deployment(), 'spec.selector')['x-kubernetes-map-type']).toBe('atomic');
    expect(definitionSchema('io.k8s.api.core.v1.ObjectReference')!['x-kubernetes-map-type']).toBe('atomic');
  });

  it('keep a reference with annotations of its own as a copy that shares the fields', () => {
    const strategy = at(deployment(), 'spec.strategy');
    const shared = definitionSchema('io.k8s.api.apps.v1.DeploymentStrategy')!;
    expect(strategy['x-kubernetes-patch-strategy']).toBe('retainKeys');
    expect(shared['x-kubernetes-patch-strategy']).toBeUndefined();
    expect(strategy.properties).toBe(shared.properties);
    expect(strategy.description).toBe(
      'The deployment strategy to use to replace existing pods with new ones.',
    );
  });

  it('have the required fields Kubernetes declares', () => {
    expect(at(deployment(), 'spec').required).toEqual(['selector', 'template']);
    expect(podSpec().required).toEqual(['containers']);
    expect(container().required).toEqual(['name']);
    expect(deployment().required).toBeUndefined();
  });

  it('have the types and formats of the wire', () => {
    expect(at(deployment(), 'spec.replicas')).toMatchObject({ type: 'integer', format: 'int32' });
    expect(at(deployment(), 'metadata.generation')).toMatchObject({ type: 'integer', format: 'int64' });
    expect(at(deployment(), 'metadata.creationTimestamp')).toMatchObject({
      type: 'string',
      format: 'date-time',
    });
    expect(at(deployment(), 'metadata.labels')).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    const secretData = schemaFor({ group: '', version: 'v1', kind: 'Secret' })!.properties!.data!;
    expect(secretData.additionalProperties).toEqual({ type: 'string', format: 'byte' });
    expect(at(deployment(), 'spec.paused').type).toBe('boolean');
    expect(container().properties!.imagePullPolicy!.enum).toEqual(['Always', 'IfNotPresent', 'Never']);
  });

  it('treat quantities and int-or-string values as scalars of either type', () => {
    const limits = container().properties!.resources!.properties!.limits!;
    const quantity = limits.additionalProperties as Schema;
    expect(quantity['x-kubernetes-int-or-string']).toBe(true);
    expect(quantity.oneOf).toEqual([{ type: 'string' }, { type: 'number' }]);
    expect(quantity.type).toBeUndefined();
    const maxSurge = at(deployment(), 'spec.strategy.rollingUpdate.maxSurge');
    expect(maxSurge['x-kubernetes-int-or-string']).toBe(true);
    expect(maxSurge.format).toBe('int-or-string');
  });

  it('describe kinds and fields', () => {
    expect(deployment().description).toBe('Deployment enables declarative updates for Pods and ReplicaSets.');
    expect(deployment().properties!.apiVersion!.description).toMatch(
      /^APIVersion defines the versioned schema/,
    );
    expect(container().properties!.image!.description).toMatch(/^Container image name/);
    expect(deployment()['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
  });

  it('keep arbitrary JSON open', () => {
    const data = schemaFor({ group: 'apps', version: 'v1', kind: 'ControllerRevision' })!.properties!.data!;
    expect(data['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('resolve recursive types into a cyclic graph', () => {
    const props = definitionSchema(
      'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps',
    )!;
    expect(props.properties!.properties!.additionalProperties).toBe(props);
    expect(props.properties!.allOf!.items).toBe(props);
  });
});

describe('resolveDefinitions', () => {
  it('refuses a reference to a definition that does not exist', () => {
    expect(() =>
      resolveDefinitions({ A: { type: 'object', properties: { b: { $ref: '#/components/schemas/B' } } } }),
    ).toThrow(/missing definition #\/components\/schemas\/B/);
  });
});
