import { describe, expect, it } from 'vitest';
import { builtinDefinitions, type JsonSchema } from '../../apiserver/openapi/definitions.js';
import { kubernetesProtobufSchema } from './decode.js';
import { compileSchema, type MessageDescriptor, type PackageTable, type ValueDescriptor } from './schema.js';

function table(messages: PackageTable['messages'], kinds: string[] = []): PackageTable {
  return { package: 'test.v1', protoPackage: 'k8s.io.api.test.v1', apiVersion: 'test/v1', kinds, messages };
}

describe('compileSchema', () => {
  it('reads the notation: names, types, presence, lists, maps, inlining and named lists', () => {
    const schema = compileSchema([
      table(
        {
          Thing: {
            1: 'name string!',
            2: 'replicas int32?',
            3: 'paused bool',
            4: 'ports []Port',
            5: 'labels map[string]string',
            6: '...Port',
            7: 'extra map[string]Extra',
            8: 'size Quantity',
          },
          Port: { 1: 'port int32!' },
          Extra: '[]string',
        },
        ['Thing'],
      ),
    ]);
    const thing = schema.kind('test/v1', 'Thing')!;
    expect(thing.name).toBe('k8s.io.api.test.v1.Thing');
    expect(thing.fields[1]).toMatchObject({ jsonName: 'name', cardinality: 'single', presence: 'always' });
    expect(thing.fields[2]).toMatchObject({ jsonName: 'replicas', presence: 'pointer' });
    expect(thing.fields[3]).toMatchObject({ jsonName: 'paused', presence: 'omitempty' });
    expect(thing.fields[4]).toMatchObject({ cardinality: 'repeated', value: { kind: 'message' } });
    expect(thing.fields[5]).toMatchObject({
      cardinality: 'map',
      value: { kind: 'scalar', scalar: 'string' },
    });
    expect(thing.fields[6]).toMatchObject({ cardinality: 'inline', jsonName: '' });
    expect((thing.fields[7]!.value as { message: MessageDescriptor }).message.list).toMatchObject({
      kind: 'scalar',
      scalar: 'string',
    });
    expect(thing.fields[8]!.value).toEqual({ kind: 'special', special: 'Quantity' });
    expect(schema.kind('test/v2', 'Thing')).toBeUndefined();
  });

  it('refuses tables that are not in the notation or name unknown types', () => {
    expect(() => compileSchema([table({ A: { 1: 'name strung' } })])).toThrow(/unknown type strung/);
    expect(() => compileSchema([table({ A: { 1: 'bad-name string' } })])).toThrow(/not in the notation/);
    expect(() => compileSchema([table({ A: { 1: 'items []string?' } })])).toThrow(/single scalars only/);
    expect(() => compileSchema([table({ A: { 1: '...string' } })])).toThrow(/inlines a non-message/);
    expect(() => compileSchema([table({ A: { 1: 'a string' } }, ['B'])])).toThrow(/kind B/);
  });
});

// ---- the tables against the OpenAPI definitions of the same types ------------------------------
//
// Every JSON name in a table must be a property of the matching OpenAPI definition, with a
// compatible type (and message fields must reference the matching definition). The definitions
// are those of the generated models (Kubernetes 1.34), one release newer than the tables (1.33,
// what kubectl 1.33 sends), so properties the tables lack are listed and must be exactly the
// fields 1.34 added.

const REF_PREFIX = '#/components/schemas/';

function definitionName(protoName: string): string {
  return protoName.startsWith('k8s.io.') ? `io.k8s.${protoName.slice('k8s.io.'.length)}` : protoName;
}

const SPECIAL_DEFINITIONS: Record<string, string> = {
  Time: 'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
  MicroTime: 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime',
  Quantity: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
  IntOrString: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
  RawExtension: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
  FieldsV1: 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
};

function refOf(schema: JsonSchema): string | undefined {
  if (typeof schema.$ref === 'string') return schema.$ref.slice(REF_PREFIX.length);
  const allOf = schema.allOf as JsonSchema[] | undefined;
  if (Array.isArray(allOf) && allOf.length === 1 && typeof allOf[0]!.$ref === 'string') {
    return (allOf[0]!.$ref as string).slice(REF_PREFIX.length);
  }
  return undefined;
}

/** Why a value of the table does not fit the property schema, or undefined when it does. */
function mismatch(value: ValueDescriptor, schema: JsonSchema): string | undefined {
  const ref = refOf(schema);
  if (value.kind === 'message') {
    if (value.message.list) {
      if (schema.type !== 'array') return `a named list, but the property is ${schema.type ?? ref}`;
      return mismatch(value.message.list, schema.items as JsonSchema);
    }
    const want = definitionName(value.message.name);
    return ref === want ? undefined : `message ${want}, but the property is ${ref ?? schema.type}`;
  }
  if (value.kind === 'special') {
    if (value.special === 'Duration') return schema.type === 'string' ? undefined : 'Duration, not a string';
    const want = SPECIAL_DEFINITIONS[value.special];
    return ref === want ? undefined : `${value.special}, but the property is ${ref ?? schema.type}`;
  }
  const expected: Record<string, [string, string?]> = {
    string: ['string'],
    bytes: ['string', 'byte'],
    bool: ['boolean'],
    int32: ['integer', 'int32'],
    int64: ['integer', 'int64'],
    double: ['number', 'double'],
  };
  const [type, format] = expected[value.scalar]!;
  if (schema.type !== type) return `${value.scalar}, but the property is ${schema.type ?? ref}`;
  // Bytes are base64 strings (format byte); other formats must agree where the property has one.
  const formatFits =
    value.scalar === 'bytes'
      ? schema.format === 'byte'
      : schema.format === undefined || schema.format === format || (!format && schema.format !== 'byte');
  return formatFits ? undefined : `${value.scalar}, but the property has format ${schema.format ?? 'none'}`;
}

function compare(
  msg: MessageDescriptor,
  definitions: Readonly<Record<string, JsonSchema>>,
  problems: string[],
  lacking: string[],
): boolean {
  const defName = definitionName(msg.name);
  const def = definitions[defName];
  if (!def) return false;
  const properties = (def.properties ?? {}) as Record<string, JsonSchema>;
  const covered = new Set<string>();
  const visit = (m: MessageDescriptor) => {
    for (const field of m.fields) {
      if (!field) continue;
      if (field.cardinality === 'inline') {
        if (field.value.kind === 'message') visit(field.value.message);
        continue;
      }
      covered.add(field.jsonName);
      const prop = properties[field.jsonName];
      const where = `${defName}.${field.jsonName}`;
      if (!prop) {
        problems.push(`${where}: no such property`);
        continue;
      }
      let schema = prop;
      if (field.cardinality === 'repeated') {
        if (prop.type !== 'array') {
          problems.push(`${where}: repeated, but the property is ${prop.type ?? refOf(prop)}`);
          continue;
        }
        schema = prop.items as JsonSchema;
      } else if (field.cardinality === 'map') {
        if (prop.type !== 'object' || typeof prop.additionalProperties !== 'object') {
          problems.push(`${where}: a map, but the property is ${prop.type ?? refOf(prop)}`);
          continue;
        }
        schema = prop.additionalProperties as JsonSchema;
      }
      const why = mismatch(field.value, schema);
      if (why) problems.push(`${where}: ${why}`);
    }
  };
  visit(msg);
  for (const name of Object.keys(properties)) {
    if (!covered.has(name) && name !== 'apiVersion' && name !== 'kind') lacking.push(`${defName}.${name}`);
  }
  return true;
}

describe('the OpenAPI comparison', () => {
  it('finds wrong names, wrong types and missing properties', () => {
    const fake = compileSchema([
      {
        package: 'meta.v1',
        protoPackage: 'k8s.io.apimachinery.pkg.apis.meta.v1',
        kinds: [],
        messages: { ObjectMeta: { 1: 'name string' } },
      },
      {
        package: 'core.v1',
        protoPackage: 'k8s.io.api.core.v1',
        apiVersion: 'v1',
        kinds: ['ConfigMap'],
        messages: {
          ConfigMap: {
            1: 'metadata meta.v1.ObjectMeta',
            2: 'data map[string]bytes',
            4: 'immutable string',
            9: 'colour string',
          },
        },
      },
    ]);
    const problems: string[] = [];
    const lacking: string[] = [];
    compare(fake.kind('v1', 'ConfigMap')!, builtinDefinitions().json, problems, lacking);
    expect(problems).toEqual([
      'io.k8s.api.core.v1.ConfigMap.data: bytes, but the property has format none',
      'io.k8s.api.core.v1.ConfigMap.immutable: string, but the property is boolean',
      'io.k8s.api.core.v1.ConfigMap.colour: no such property',
    ]);
    expect(lacking).toEqual(['io.k8s.api.core.v1.ConfigMap.binaryData']);
  });
});

describe('the Kubernetes tables', () => {
  const schema = kubernetesProtobufSchema();

  it('compile, and every kind named in the brief resolves', () => {
    const expected = [
      'v1/Namespace',
      'v1/ConfigMap',
      'v1/Secret',
      'v1/Service',
      'v1/ServiceAccount',
      'v1/Pod',
      'v1/PodTemplate',
      'v1/Node',
      'v1/Endpoints',
      'v1/Event',
      'v1/PersistentVolumeClaim',
      'v1/ResourceQuota',
      'v1/Binding',
      'apps/v1/Deployment',
      'apps/v1/ReplicaSet',
      'apps/v1/StatefulSet',
      'apps/v1/DaemonSet',
      'apps/v1/ControllerRevision',
      'batch/v1/Job',
      'batch/v1/CronJob',
      'policy/v1/Eviction',
      'policy/v1/PodDisruptionBudget',
      'autoscaling/v1/Scale',
      'autoscaling/v1/HorizontalPodAutoscaler',
      'autoscaling/v2/HorizontalPodAutoscaler',
      'networking.k8s.io/v1/Ingress',
      'networking.k8s.io/v1/IngressClass',
      'networking.k8s.io/v1/NetworkPolicy',
      'rbac.authorization.k8s.io/v1/Role',
      'rbac.authorization.k8s.io/v1/RoleBinding',
      'rbac.authorization.k8s.io/v1/ClusterRole',
      'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
      'coordination.k8s.io/v1/Lease',
      'discovery.k8s.io/v1/EndpointSlice',
      'scheduling.k8s.io/v1/PriorityClass',
      'authorization.k8s.io/v1/SelfSubjectAccessReview',
      'authorization.k8s.io/v1/SubjectAccessReview',
      'authorization.k8s.io/v1/LocalSubjectAccessReview',
      'authorization.k8s.io/v1/SelfSubjectRulesReview',
      'authentication.k8s.io/v1/SelfSubjectReview',
      'authentication.k8s.io/v1/TokenReview',
      'authentication.k8s.io/v1/TokenRequest',
    ];
    for (const key of expected) {
      const slash = key.lastIndexOf('/');
      expect(schema.kind(key.slice(0, slash), key.slice(slash + 1)), key).toBeDefined();
    }
    // Options kinds arrive under the version of whichever client sent them.
    for (const apiVersion of ['v1', 'apps/v1', 'meta.k8s.io/v1']) {
      expect(schema.kind(apiVersion, 'DeleteOptions')?.name).toBe(
        'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions',
      );
    }
  });

  it('agree with the OpenAPI definitions of the same types', () => {
    const { json } = builtinDefinitions();
    const problems: string[] = [];
    const lacking: string[] = [];
    const withoutDefinition: string[] = [];
    for (const msg of schema.messages()) {
      if (!compare(msg, json, problems, lacking)) withoutDefinition.push(msg.name);
    }
    expect(problems).toEqual([]);
    // Messages that only travel inside other messages' JSON (inlined) or are not in the models.
    expect(withoutDefinition.sort()).toEqual([
      'k8s.io.api.authentication.v1.ExtraValue',
      'k8s.io.api.authorization.v1.ExtraValue',
      'k8s.io.api.certificates.v1.ExtraValue',
      'k8s.io.api.core.v1.EphemeralContainerCommon',
      'k8s.io.api.core.v1.PersistentVolumeSource',
      'k8s.io.api.core.v1.ProbeHandler',
      'k8s.io.api.core.v1.VolumeSource',
      'k8s.io.api.networking.v1.IngressRuleValue',
      'k8s.io.apimachinery.pkg.apis.meta.v1.CreateOptions',
      'k8s.io.apimachinery.pkg.apis.meta.v1.PatchOptions',
      'k8s.io.apimachinery.pkg.apis.meta.v1.UpdateOptions',
    ]);
    // The models the definitions come from hold the same field set as Kubernetes 1.33: nothing is
    // missing from the tables.
    expect(lacking.sort()).toEqual([]);
  });
});
