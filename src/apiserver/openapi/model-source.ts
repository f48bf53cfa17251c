// Builds the OpenAPI v3 definitions of the built-in kinds from installed packages, at build time:
//   - kubernetes-models: definition names, fields, required fields (no `?`), descriptions, enums
//     and the group/version/kind of top-level kinds, from its declaration files;
//   - @kubernetes/client-node: the numeric and string formats (int32, int64, double, byte) that
//     the declaration files lose, from the attributeTypeMap of its generated models.
// The definitions come out in the shape Kubernetes publishes in /openapi/v3 documents
// (`allOf: [{$ref}]` beside a field's own description); patch and list annotations are added
// later from list-types.ts.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type DtsDeclaration, type DtsMember, type DtsType, parseDtsFile } from './dts.js';
import { type JsonSchema, SCHEMA_REF_PREFIX, supplementDefinitions } from './supplement.js';

export type { JsonSchema } from './supplement.js';

/** One property of a client-node generated model. */
export interface ClientNodeAttribute {
  baseName: string;
  type: string;
  format: string;
}

/** Client-node model class name -> its attributes. */
export type ClientNodeModels = Map<string, ClientNodeAttribute[]>;

export interface ModelSources {
  /** Folders holding kubernetes-models' declaration files (kubernetes-models, @kubernetes-models/apimachinery). */
  modelDirs: string[];
  clientNodeModels: ClientNodeModels;
}

export interface GeneratedDefinitions {
  definitions: Record<string, JsonSchema>;
  /** Things that could not be derived exactly; printed by the generator. */
  warnings: string[];
}

/** Definitions of Go types that marshal to scalars or arbitrary JSON, which a declaration file cannot say. */
const SCALAR_DEFINITIONS: Record<string, (description: string | undefined) => JsonSchema> = {
  'io.k8s.apimachinery.pkg.api.resource.Quantity': (d) => ({
    description:
      d ??
      'Quantity is a fixed-point number in its canonical string form, e.g. "500m", "2Gi", "1.5" or "1e3". ' +
        'Suffixes are binary (Ki, Mi, Gi, Ti, Pi, Ei), decimal SI (n, u, m, k, M, G, T, P, E) or a decimal exponent. ' +
        'A JSON number is accepted on input and written back as a string.',
    oneOf: [{ type: 'string' }, { type: 'number' }],
    'x-kubernetes-int-or-string': true,
  }),
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': (d) => ({
    ...(d ? { description: d } : {}),
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  }),
  'io.k8s.apimachinery.pkg.apis.meta.v1.Time': (d) => ({
    ...(d ? { description: d } : {}),
    type: 'string',
    format: 'date-time',
  }),
  'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime': (d) => ({
    ...(d ? { description: d } : {}),
    type: 'string',
    format: 'date-time',
  }),
  // Arbitrary embedded JSON: kept as-is by pruning and merged atomically by apply.
  'io.k8s.apimachinery.pkg.runtime.RawExtension': (d) => ({
    ...(d ? { description: d } : {}),
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  }),
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1': (d) => ({
    ...(d ? { description: d } : {}),
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
  }),
  'io.k8s.apimachinery.pkg.apis.meta.v1.Patch': (d) => ({
    ...(d ? { description: d } : {}),
    type: 'object',
  }),
  ...Object.fromEntries(
    ['v1', 'v1beta1'].flatMap((v) =>
      ['JSON', 'JSONSchemaPropsOrArray', 'JSONSchemaPropsOrBool', 'JSONSchemaPropsOrStringArray'].map(
        (kind) => [
          `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${v}.${kind}`,
          (d: string | undefined): JsonSchema => ({
            ...(d ? { description: d } : {}),
            'x-kubernetes-preserve-unknown-fields': true,
          }),
        ],
      ),
    ),
  ),
};

/** meta/v1 kinds that Kubernetes publishes with a group/version/kind although they carry no literal apiVersion. */
const META_KINDS = [
  'APIGroup',
  'APIGroupList',
  'APIResourceList',
  'APIVersions',
  'DeleteOptions',
  'Status',
  'WatchEvent',
];

/** Package prefixes whose Go import path has a dash that the mangled name lost. */
const DASHED_PACKAGES: [string, string][] = [
  ['io.k8s.apiextensions.apiserver.', 'io.k8s.apiextensions-apiserver.'],
  ['io.k8s.kube.aggregator.', 'io.k8s.kube-aggregator.'],
];

/**
 * "IoK8sApiAppsV1" + "DeploymentSpec" -> "io.k8s.api.apps.v1.DeploymentSpec": the mangled prefix
 * is the dotted package with each segment capitalised; the kind is the declaration file's name.
 */
export function definitionNameFromMangled(mangled: string, kind: string): string | undefined {
  if (!mangled.endsWith(kind)) return undefined;
  const prefix = mangled.slice(0, mangled.length - kind.length);
  const segments = prefix.split(/(?=[A-Z])/).filter((s) => s !== '');
  if (segments.length === 0) return undefined;
  let pkg = `${segments.map((s) => s.toLowerCase()).join('.')}.`;
  for (const [from, to] of DASHED_PACKAGES) if (pkg.startsWith(from)) pkg = to + pkg.slice(from.length);
  return pkg + kind;
}

/** Client-node class names a definition may have: `CoreV1Event` when the kind clashes across groups, else `V1Event`. */
export function clientNodeClassNames(definitionName: string): string[] {
  const parts = definitionName.split('.');
  const kind = parts[parts.length - 1]!;
  const version = parts[parts.length - 2]!;
  const pkg = parts[parts.length - 3]!;
  if (!/^v\d+((alpha|beta)\d+)?$/.test(version)) return [];
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  return [`${cap(pkg)}${cap(version)}${kind}`, `${cap(version)}${kind}`];
}

interface FoundDeclaration {
  name: string;
  decl: DtsDeclaration;
  /** Local interface names of the same file (IJSONSchemaProps refers to itself). */
  locals: Map<string, string>;
}

function listDeclarationFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === '_schemas') continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...listDeclarationFiles(p));
    else if (entry.endsWith('.d.ts') && entry !== 'index.d.ts') out.push(p);
  }
  return out.sort();
}

/** Reads every definition declared by kubernetes-models. */
export function readDeclarations(modelDirs: string[], warnings: string[]): Map<string, FoundDeclaration> {
  const found = new Map<string, FoundDeclaration>();
  for (const dir of modelDirs) {
    for (const file of listDeclarationFiles(dir)) {
      const kind = basename(file, '.d.ts');
      const parsed = parseDtsFile(readFileSync(file, 'utf8'), file);
      const locals = new Map<string, string>();
      const mine: FoundDeclaration[] = [];
      for (const decl of parsed.declarations) {
        if (!decl.exportedName?.startsWith('IIoK8s')) continue;
        const name = definitionNameFromMangled(decl.exportedName.slice(1), kind);
        if (!name) {
          warnings.push(`${file}: cannot derive a definition name from ${decl.exportedName}`);
          continue;
        }
        locals.set(decl.localName, name);
        mine.push({ name, decl, locals });
      }
      for (const f of mine) found.set(f.name, f);
    }
  }
  return found;
}

const STANDARD_FIELD_TEXT: Record<string, RegExp> = {
  apiVersion: /^APIVersion defines the versioned schema/,
  kind: /^Kind is a string value representing the REST resource/,
};

/** Builds all definitions. */
export function buildDefinitions(sources: ModelSources): GeneratedDefinitions {
  const warnings: string[] = [];
  const declarations = readDeclarations(sources.modelDirs, warnings);

  // Mangled interface name (IIoK8sApiAppsV1DeploymentStrategy) -> definition name.
  const byMangled = new Map<string, string>();
  for (const [name, f] of declarations) byMangled.set(f.decl.exportedName!, name);

  // The standard texts of apiVersion and kind, as the package itself words them.
  const standardText: Record<string, string> = {};
  for (const f of declarations.values()) {
    for (const m of f.decl.members ?? []) {
      const re = STANDARD_FIELD_TEXT[m.name];
      if (re && m.description && re.test(m.description)) standardText[m.name] ??= m.description;
    }
  }
  for (const field of Object.keys(STANDARD_FIELD_TEXT)) {
    if (!standardText[field]) warnings.push(`no standard description found for ${field}`);
  }

  const definitions: Record<string, JsonSchema> = {};
  const unformatted: string[] = [];
  const refTo = (name: string): JsonSchema => ({ $ref: SCHEMA_REF_PREFIX + name });

  const resolveRef = (f: FoundDeclaration, ident: string): string | undefined =>
    f.locals.get(ident) ?? byMangled.get(ident);

  // Inline object types stand for a whole kind (StatefulSetSpec.volumeClaimTemplates is written out
  // as a PersistentVolumeClaim): find the one definition with the same fields and field types.
  const signature = (members: DtsMember[], f: FoundDeclaration): string =>
    members
      .map((m) => {
        // apiVersion and kind are literals in a kind's own declaration but strings where it is inlined.
        if (m.name === 'apiVersion' || m.name === 'kind') return m.name;
        return `${m.name}:${m.type.kind === 'ref' ? (resolveRef(f, m.type.name) ?? m.type.name) : m.type.kind}`;
      })
      .sort()
      .join(',');
  const bySignature = new Map<string, string[]>();
  for (const [name, f] of declarations) {
    if (!f.decl.members || f.decl.members.length === 0) continue;
    const sig = signature(f.decl.members, f);
    bySignature.set(sig, [...(bySignature.get(sig) ?? []), name]);
  }

  // Client-node only has the versions Kubernetes 1.34 serves; an older version of the same kind
  // (flowcontrol v1beta3, apiextensions v1beta1) takes the formats of its newer sibling.
  const classesByKind = new Map<string, string[]>();
  for (const cls of sources.clientNodeModels.keys()) {
    const m =
      /^[A-Z][a-z]*V\d+(?:alpha\d+|beta\d+)?([A-Z].*)$/.exec(cls) ??
      /^V\d+(?:alpha\d+|beta\d+)?([A-Z].*)$/.exec(cls);
    if (m) classesByKind.set(m[1]!, [...(classesByKind.get(m[1]!) ?? []), cls]);
  }
  const formatOf = (definition: string, field: string): string => {
    const exact = clientNodeClassNames(definition);
    const kind = definition.slice(definition.lastIndexOf('.') + 1);
    for (const cls of [...exact, ...(classesByKind.get(kind) ?? [])]) {
      const attr = sources.clientNodeModels.get(cls)?.find((a) => a.baseName === field);
      if (attr) return attr.format;
    }
    return '';
  };

  for (const [name, f] of declarations) {
    const { decl } = f;
    const special = SCALAR_DEFINITIONS[name];
    if (special) {
      definitions[name] = special(decl.description);
      continue;
    }
    if (!decl.members) {
      warnings.push(`${name}: a type alias with no known JSON form; published as an arbitrary value`);
      definitions[name] = { ...(decl.description ? { description: decl.description } : {}) };
      continue;
    }

    const where = (field: string) => `${name}.${field}`;
    const toSchema = (t: DtsType, field: string, format: string): JsonSchema => {
      switch (t.kind) {
        case 'string':
          return format && format !== 'int-or-string' && format !== 'date-time-micro'
            ? { type: 'string', format }
            : { type: 'string' };
        case 'boolean':
          return { type: 'boolean' };
        case 'number':
          if (format === 'int32' || format === 'int64') return { type: 'integer', format };
          if (format === 'double' || format === 'float') return { type: 'number', format };
          // Only fields of API versions that Kubernetes has since removed land here.
          unformatted.push(where(field));
          return { type: 'integer', format: 'int64' };
        case 'literal':
          return { type: 'string', enum: [...t.values].sort() };
        case 'ref': {
          const target = resolveRef(f, t.name);
          if (!target) {
            warnings.push(`${where(field)}: unknown type ${t.name}; published as an arbitrary value`);
            return {};
          }
          return refTo(target);
        }
        case 'array':
          return { type: 'array', items: toSchema(t.items, field, format) };
        case 'map':
          return { type: 'object', additionalProperties: toSchema(t.values, field, format) };
        case 'object': {
          const matches = bySignature.get(signature(t.members, f)) ?? [];
          if (matches.length === 1) return refTo(matches[0]!);
          warnings.push(
            `${where(field)}: inline object matches ${matches.length} definitions; written inline`,
          );
          return objectSchema(t.members, undefined);
        }
        default:
          return {};
      }
    };

    const objectSchema = (members: DtsMember[], description: string | undefined): JsonSchema => {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      for (const m of members) {
        const typeMetaField = decl.extendsTypeMeta && (m.name === 'apiVersion' || m.name === 'kind');
        let schema: JsonSchema;
        if (typeMetaField) {
          // Literal apiVersion/kind of a kind: published as a plain described string, never required.
          schema = { type: 'string' };
          const text = m.description ?? standardText[m.name];
          if (text) schema.description = text;
          properties[m.name] = schema;
          continue;
        }
        schema = toSchema(m.type, m.name, formatOf(name, m.name));
        if (m.description) {
          if (typeof schema.$ref === 'string') {
            schema = { allOf: [schema], description: m.description };
          } else {
            schema = { description: m.description, ...schema };
          }
        }
        properties[m.name] = schema;
        if (!m.optional) required.push(m.name);
      }
      const out: JsonSchema = {};
      if (description) out.description = description;
      out.type = 'object';
      out.properties = properties;
      if (required.length > 0) out.required = required;
      return out;
    };

    const schema =
      decl.members.length === 0
        ? { ...(decl.description ? { description: decl.description } : {}), type: 'object' }
        : objectSchema(decl.members, decl.description);

    const gvk = kindOf(decl, name);
    if (gvk) schema['x-kubernetes-group-version-kind'] = [gvk];
    definitions[name] = schema;
  }

  if (unformatted.length > 0) {
    warnings.push(
      `${unformatted.length} number fields have no format in client-node and are published as int64: ` +
        `${unformatted.slice(0, 3).join(', ')}${unformatted.length > 3 ? ', ...' : ''}`,
    );
  }

  for (const [name, schema] of Object.entries(supplementDefinitions(standardText))) {
    if (!definitions[name]) definitions[name] = schema;
  }

  // Every reference must land on a definition.
  const dangling = new Set<string>();
  const visit = (s: unknown): void => {
    if (Array.isArray(s)) s.forEach(visit);
    else if (s && typeof s === 'object') {
      for (const [k, v] of Object.entries(s)) {
        if (k === '$ref' && typeof v === 'string') {
          const target = v.slice(SCHEMA_REF_PREFIX.length);
          if (!definitions[target]) dangling.add(target);
        } else visit(v);
      }
    }
  };
  visit(definitions);
  for (const d of dangling) warnings.push(`reference to a missing definition ${d}`);

  const sorted: Record<string, JsonSchema> = {};
  for (const k of Object.keys(definitions).sort()) sorted[k] = definitions[k]!;
  return { definitions: sorted, warnings };
}

function kindOf(
  decl: DtsDeclaration,
  name: string,
): { group: string; version: string; kind: string } | undefined {
  const members = decl.members ?? [];
  const literal = (field: string) => {
    const t = members.find((m) => m.name === field)?.type;
    return t?.kind === 'literal' && t.values.length === 1 ? t.values[0] : undefined;
  };
  const apiVersion = literal('apiVersion');
  const kind = literal('kind');
  if (apiVersion && kind) {
    const slash = apiVersion.indexOf('/');
    return slash < 0
      ? { group: '', version: apiVersion, kind }
      : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), kind };
  }
  const metaPrefix = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
  if (name.startsWith(metaPrefix) && META_KINDS.includes(name.slice(metaPrefix.length))) {
    return { group: '', version: 'v1', kind: name.slice(metaPrefix.length) };
  }
  return undefined;
}
