// The tables that say how a Kubernetes protobuf message becomes the JSON object it stands for.
// Kubernetes publishes no machine-readable mapping besides its Go code, so each message is written
// down here (messages/*.ts) as field number -> one line of notation:
//
//   'replicas int32?'        JSON name, then type; `?` marks a Go pointer: a zero value is kept
//   'name string!'           `!` marks a Go field without omitempty: a zero value is kept
//   'paused bool'            neither: a zero value means unset and is left out, as JSON's
//                            omitempty leaves it out (Go's encoder writes such fields always)
//   'ports []ContainerPort'  repeated
//   'labels map[string]string'
//   'metadata meta.v1.ObjectMeta'  a message of another package (`<package>.<Name>`)
//   '...VolumeSource'        a message whose fields are inlined into the parent in JSON
//
// Scalars: string, bool, int32, int64, double, bytes (base64 in JSON). Special types, encoded as
// Kubernetes encodes them: Time, MicroTime, Duration, Quantity, IntOrString, RawExtension,
// FieldsV1 (see special.ts). A message written as `'[]string'` instead of a field table is a named
// list type (ExtraValue): one repeated field 1 on the wire, a plain array in JSON.

export type ScalarType = 'string' | 'bool' | 'int32' | 'int64' | 'double' | 'bytes';
export type SpecialType =
  | 'Time'
  | 'MicroTime'
  | 'Duration'
  | 'Quantity'
  | 'IntOrString'
  | 'RawExtension'
  | 'FieldsV1';

/** Field number -> notation (see above). */
export type MessageTable = Readonly<Record<number, string>>;

/** The messages of one protobuf package, e.g. k8s.io.api.apps.v1. */
export interface PackageTable {
  /** Short name used in references from other tables: `apps.v1`. */
  package: string;
  /** The protobuf package, used in messages to users: `k8s.io.api.apps.v1`. */
  protoPackage: string;
  /**
   * The API version of `kinds`. Absent for meta.v1, whose option kinds (DeleteOptions, ...) are
   * registered in every group version and arrive under the version of the client that sent them.
   */
  apiVersion?: string;
  /** The messages that arrive as top-level objects, by kind. */
  kinds: readonly string[];
  messages: Readonly<Record<string, MessageTable | string>>;
}

export type Presence = 'omitempty' | 'pointer' | 'always';

export type ValueDescriptor =
  | { readonly kind: 'scalar'; readonly scalar: ScalarType; readonly wireType: number }
  | { readonly kind: 'special'; readonly special: SpecialType }
  | { readonly kind: 'message'; readonly message: MessageDescriptor };

export interface FieldDescriptor {
  readonly number: number;
  /** The JSON property; empty for an inlined message. */
  readonly jsonName: string;
  readonly cardinality: 'single' | 'repeated' | 'map' | 'inline';
  readonly value: ValueDescriptor;
  readonly presence: Presence;
}

export interface MessageDescriptor {
  /** Full protobuf name: k8s.io.api.core.v1.Container. */
  readonly name: string;
  /** Name in the tables: core.v1.Container. */
  readonly shortName: string;
  /** By field number (sparse). */
  readonly fields: readonly (FieldDescriptor | undefined)[];
  /** Set for named list types: their JSON form is the array of field 1's values. */
  readonly list?: ValueDescriptor;
}

export interface KindRef {
  apiVersion: string;
  kind: string;
}

export interface ProtobufSchema {
  /** A message by its table name (`apps.v1.Deployment`). */
  message(shortName: string): MessageDescriptor | undefined;
  /** The message of a top-level object, or undefined when the kind is not covered. */
  kind(apiVersion: string, kind: string): MessageDescriptor | undefined;
  /** Every covered kind (option kinds under `*`). */
  kinds(): KindRef[];
  messages(): MessageDescriptor[];
}

const SCALAR_WIRE_TYPES: Record<ScalarType, number> = {
  string: 2,
  bytes: 2,
  bool: 0,
  int32: 0,
  int64: 0,
  double: 1,
};

const SPECIAL_TYPES = new Set<string>([
  'Time',
  'MicroTime',
  'Duration',
  'Quantity',
  'IntOrString',
  'RawExtension',
  'FieldsV1',
]);

interface MutableMessage {
  name: string;
  shortName: string;
  fields: (FieldDescriptor | undefined)[];
  list?: ValueDescriptor;
}

const FIELD_RE = /^([A-Za-z_$][\w$]*) (\S+?)([?!]?)$/;

/**
 * Compiles package tables into descriptors. A table that names an unknown type or is not in the
 * notation is a programming error and throws at once.
 */
export function compileSchema(packages: readonly PackageTable[]): ProtobufSchema {
  const byShortName = new Map<string, MutableMessage>();
  for (const pkg of packages) {
    for (const name of Object.keys(pkg.messages)) {
      const shortName = `${pkg.package}.${name}`;
      if (byShortName.has(shortName)) throw new Error(`protobuf tables: ${shortName} is defined twice`);
      byShortName.set(shortName, { name: `${pkg.protoPackage}.${name}`, shortName, fields: [] });
    }
  }

  const resolve = (type: string, pkg: PackageTable, where: string): ValueDescriptor => {
    if (type in SCALAR_WIRE_TYPES) {
      const scalar = type as ScalarType;
      return { kind: 'scalar', scalar, wireType: SCALAR_WIRE_TYPES[scalar] };
    }
    const local = byShortName.get(`${pkg.package}.${type}`);
    if (local) return { kind: 'message', message: local };
    if (SPECIAL_TYPES.has(type)) return { kind: 'special', special: type as SpecialType };
    const other = byShortName.get(type);
    if (other) return { kind: 'message', message: other };
    throw new Error(`protobuf tables: ${where} refers to unknown type ${type}`);
  };

  for (const pkg of packages) {
    for (const [name, table] of Object.entries(pkg.messages)) {
      const msg = byShortName.get(`${pkg.package}.${name}`)!;
      const where = msg.shortName;
      if (typeof table === 'string') {
        if (!table.startsWith('[]'))
          throw new Error(`protobuf tables: ${where} must be a field table or '[]<type>'`);
        msg.list = resolve(table.slice(2), pkg, where);
        continue;
      }
      for (const [numberText, spec] of Object.entries(table)) {
        const number = Number(numberText);
        const at = `${where} field ${number}`;
        if (spec.startsWith('...')) {
          const value = resolve(spec.slice(3), pkg, at);
          if (value.kind !== 'message') throw new Error(`protobuf tables: ${at} inlines a non-message`);
          msg.fields[number] = { number, jsonName: '', cardinality: 'inline', value, presence: 'always' };
          continue;
        }
        const m = FIELD_RE.exec(spec);
        if (!m) throw new Error(`protobuf tables: ${at} is not in the notation: ${spec}`);
        const [, jsonName, typeText, flag] = m as unknown as [string, string, string, string];
        let cardinality: FieldDescriptor['cardinality'] = 'single';
        let type = typeText;
        if (type.startsWith('[]')) {
          cardinality = 'repeated';
          type = type.slice(2);
        } else if (type.startsWith('map[string]')) {
          cardinality = 'map';
          type = type.slice('map[string]'.length);
        }
        const value = resolve(type, pkg, at);
        if (flag && (cardinality !== 'single' || value.kind !== 'scalar')) {
          throw new Error(`protobuf tables: ${at}: '${flag}' applies to single scalars only`);
        }
        const presence: Presence = flag === '?' ? 'pointer' : flag === '!' ? 'always' : 'omitempty';
        msg.fields[number] = { number, jsonName, cardinality, value, presence };
      }
    }
  }

  const kinds = new Map<string, MutableMessage>();
  const optionKinds = new Map<string, MutableMessage>();
  for (const pkg of packages) {
    for (const kind of pkg.kinds) {
      const msg = byShortName.get(`${pkg.package}.${kind}`);
      if (!msg) throw new Error(`protobuf tables: kind ${kind} of ${pkg.package} has no message`);
      if (pkg.apiVersion === undefined) optionKinds.set(kind, msg);
      else kinds.set(`${pkg.apiVersion}/${kind}`, msg);
    }
  }

  return {
    message: (shortName) => byShortName.get(shortName),
    kind: (apiVersion, kind) => kinds.get(`${apiVersion}/${kind}`) ?? optionKinds.get(kind),
    kinds: () => [
      ...[...kinds.keys()].map((key) => {
        const slash = key.lastIndexOf('/');
        return { apiVersion: key.slice(0, slash), kind: key.slice(slash + 1) };
      }),
      ...[...optionKinds.keys()].map((kind) => ({ apiVersion: '*', kind })),
    ],
    messages: () => [...byShortName.values()],
  };
}
