import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { OpenAPIDocumentSet } from './document.js';
import { servedResource } from './operations.js';
import { buildOpenAPIV2 } from './v2.js';
import { encodeOpenAPIV2 } from './v2-protobuf.js';

// A plain protobuf wire-format reader, to check the encoding against the field numbers of
// gnostic's OpenAPIv2.proto.
type Field = Uint8Array | bigint;
class Decoded {
  readonly fields = new Map<number, Field[]>();
  constructor(bytes: Uint8Array) {
    let at = 0;
    const varint = (): bigint => {
      let result = 0n;
      let shift = 0n;
      for (;;) {
        const b = bytes[at++]!;
        result |= BigInt(b & 0x7f) << shift;
        if ((b & 0x80) === 0) return result;
        shift += 7n;
      }
    };
    while (at < bytes.length) {
      const key = Number(varint());
      const field = key >> 3;
      const wire = key & 7;
      let value: Field;
      if (wire === 0) value = varint();
      else if (wire === 2) {
        const len = Number(varint());
        value = bytes.subarray(at, at + len);
        at += len;
      } else if (wire === 1) {
        value = bytes.subarray(at, at + 8);
        at += 8;
      } else throw new Error(`unexpected wire type ${wire}`);
      this.fields.set(field, [...(this.fields.get(field) ?? []), value]);
    }
  }
  all(field: number): Field[] {
    return this.fields.get(field) ?? [];
  }
  str(field: number): string | undefined {
    const v = this.all(field)[0];
    return v instanceof Uint8Array ? new TextDecoder().decode(v) : undefined;
  }
  strs(field: number): string[] {
    return this.all(field).map((v) => new TextDecoder().decode(v as Uint8Array));
  }
  msg(field: number): Decoded {
    return new Decoded(this.all(field)[0] as Uint8Array);
  }
  msgs(field: number): Decoded[] {
    return this.all(field).map((v) => new Decoded(v as Uint8Array));
  }
  int(field: number): bigint | undefined {
    return this.all(field)[0] as bigint | undefined;
  }
}

/** NamedX messages: name is field 1, value field 2. */
function named(list: Decoded[], name: string): Decoded {
  const found = list.find((n) => n.str(1) === name);
  if (!found) throw new Error(`no entry ${name}`);
  return found.msg(2);
}

/** Vendor extensions: NamedAny whose Any carries YAML in field 2. */
function extension(list: Decoded[], name: string): unknown {
  return parseYaml(named(list, name).str(2)!);
}

const set = new OpenAPIDocumentSet([
  servedResource({
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    kind: 'Deployment',
    namespaced: true,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
]);
const json = buildOpenAPIV2(set, 'v1.33.0');
const doc = new Decoded(encodeOpenAPIV2(json));

describe('encodeOpenAPIV2', () => {
  it('writes the document header', () => {
    expect(doc.str(1)).toBe('2.0');
    expect(doc.msg(2).str(1)).toBe('Kubernetes');
    expect(doc.msg(2).str(2)).toBe('v1.33.0');
  });

  it('writes definitions with types, references, required fields and extensions', () => {
    const defs = doc.msg(9).msgs(1);
    expect(defs.length).toBe(Object.keys(json.definitions as object).length);
    const deployment = named(defs, 'io.k8s.api.apps.v1.Deployment');
    expect(deployment.msg(22).strs(1)).toEqual(['object']);
    expect(extension(deployment.msgs(31), 'x-kubernetes-group-version-kind')).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    const spec = named(deployment.msg(25).msgs(1), 'spec');
    expect(spec.str(1)).toBe('#/definitions/io.k8s.api.apps.v1.DeploymentSpec');
    expect(spec.str(4)).toBe('Specification of the desired behavior of the Deployment.');

    const deploymentSpec = named(defs, 'io.k8s.api.apps.v1.DeploymentSpec');
    expect(deploymentSpec.strs(19)).toEqual(['selector', 'template']);
    const replicas = named(deploymentSpec.msg(25).msgs(1), 'replicas');
    expect(replicas.msg(22).strs(1)).toEqual(['integer']);
    expect(replicas.str(2)).toBe('int32');

    const containers = named(named(defs, 'io.k8s.api.core.v1.PodSpec').msg(25).msgs(1), 'containers');
    expect(containers.msg(23).msgs(1)[0]!.str(1)).toBe('#/definitions/io.k8s.api.core.v1.Container');
    expect(extension(containers.msgs(31), 'x-kubernetes-patch-merge-key')).toBe('name');
    expect(extension(containers.msgs(31), 'x-kubernetes-list-map-keys')).toEqual(['name']);

    const labels = named(
      named(defs, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta').msg(25).msgs(1),
      'labels',
    );
    expect(labels.msg(21).msg(1).msg(22).strs(1)).toEqual(['string']);

    const protocol = named(named(defs, 'io.k8s.api.core.v1.ContainerPort').msg(25).msgs(1), 'protocol');
    expect(protocol.msgs(20).map((a) => parseYaml(a.str(2)!))).toEqual(['SCTP', 'TCP', 'UDP']);
  });

  it('writes paths with operations, parameters, responses and the kind', () => {
    const paths = doc.msg(8).msgs(2);
    const item = named(paths, '/apis/apps/v1/namespaces/{namespace}/deployments/{name}');
    const patch = item.msg(8);
    expect(patch.strs(7)).toContain('application/strategic-merge-patch+json');
    expect(patch.str(5)).toBe('patchAppsV1NamespacedDeployment');
    expect(extension(patch.msgs(13), 'x-kubernetes-action')).toBe('patch');
    expect(extension(patch.msgs(13), 'x-kubernetes-group-version-kind')).toEqual({
      group: 'apps',
      kind: 'Deployment',
      version: 'v1',
    });
    const params = patch.msgs(8).map((p) => p.msg(1));
    const body = params[0]!.msg(1);
    expect(body.str(2)).toBe('body');
    expect(body.str(3)).toBe('body');
    expect(body.int(4)).toBe(1n);
    expect(body.msg(5).str(1)).toBe('#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch');
    const queryNames = params.slice(1).map((p) => p.msg(2).msg(3).str(4));
    expect(queryNames).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    const pathParams = item.msgs(9).map((p) => p.msg(1).msg(2));
    const name = pathParams[0]!.msg(4);
    expect(name.str(4)).toBe('name');
    expect(name.str(2)).toBe('path');
    expect(name.int(1)).toBe(1n);
    const ok = named(item.msg(2).msg(9).msgs(1), '200').msg(1);
    expect(ok.str(1)).toBe('OK');
    expect(ok.msg(2).msg(1).str(1)).toBe('#/definitions/io.k8s.api.apps.v1.Deployment');
  });

  it('writes security definitions and requirements', () => {
    const key = named(doc.msg(13).msgs(1), 'BearerToken').msg(2);
    expect(key.str(1)).toBe('apiKey');
    expect(key.str(2)).toBe('authorization');
    expect(key.str(3)).toBe('header');
    expect(doc.msgs(12)[0]!.msgs(1)[0]!.str(1)).toBe('BearerToken');
  });

  it('writes numbers, booleans in oneofs and defaults', () => {
    const small = new Decoded(
      encodeOpenAPIV2({
        swagger: '2.0',
        definitions: {
          X: {
            type: 'object',
            additionalProperties: false,
            properties: { n: { type: 'number', minimum: 1.5, maxLength: 300, default: 2 } },
          },
        },
      }),
    );
    const x = named(small.msg(9).msgs(1), 'X');
    const ap = x.msg(21);
    expect(ap.int(2)).toBe(0n);
    const n = named(x.msg(25).msgs(1), 'n');
    expect(new DataView((n.all(9)[0] as Uint8Array).slice().buffer).getFloat64(0, true)).toBe(1.5);
    expect(n.int(11)).toBe(300n);
    expect(parseYaml(n.msg(5).str(2)!)).toBe(2);
  });
});
