// Definitions the model packages do not carry but the API server serves: the meta.k8s.io
// Table that `kubectl get` asks for, and PartialObjectMetadata for metadata-only clients.

/** An OpenAPI schema as JSON, before `$ref`s are resolved. */
export type JsonSchema = Record<string, unknown>;

/** Where definitions live in an OpenAPI v3 document. */
export const SCHEMA_REF_PREFIX = '#/components/schemas/';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';

const ref = (name: string, description?: string): JsonSchema =>
  description
    ? { allOf: [{ $ref: SCHEMA_REF_PREFIX + META + name }], description }
    : { $ref: SCHEMA_REF_PREFIX + META + name };

const metaKinds = (kind: string) => [
  { group: 'meta.k8s.io', version: 'v1', kind },
  { group: 'meta.k8s.io', version: 'v1beta1', kind },
];

/** `standardText` holds the usual descriptions of apiVersion and kind. */
export function supplementDefinitions(standardText: Record<string, string>): Record<string, JsonSchema> {
  const typeMeta = {
    apiVersion: { description: standardText.apiVersion, type: 'string' },
    kind: { description: standardText.kind, type: 'string' },
  };
  return {
    [`${META}Table`]: {
      description:
        'Table is a tabular representation of a set of API resources. The server transforms the object into ' +
        'a set of preferred columns for quickly reviewing the objects.',
      type: 'object',
      properties: {
        ...typeMeta,
        columnDefinitions: {
          description: 'columnDefinitions describes each column in the returned items array.',
          type: 'array',
          items: ref('TableColumnDefinition'),
          'x-kubernetes-list-type': 'atomic',
        },
        metadata: ref('ListMeta', 'Standard list metadata.'),
        rows: {
          description: 'rows is the list of items in the table.',
          type: 'array',
          items: ref('TableRow'),
          'x-kubernetes-list-type': 'atomic',
        },
      },
      required: ['columnDefinitions', 'rows'],
      'x-kubernetes-group-version-kind': metaKinds('Table'),
    },
    [`${META}TableColumnDefinition`]: {
      description: 'TableColumnDefinition contains information about a column returned in the Table.',
      type: 'object',
      properties: {
        description: {
          description: 'description is a human readable description of this column.',
          type: 'string',
        },
        format: {
          description:
            'format is an optional OpenAPI type modifier for this column, such as "name" for the column ' +
            'holding the object name.',
          type: 'string',
        },
        name: { description: 'name is a human readable name for the column.', type: 'string' },
        priority: {
          description:
            'priority is an integer defining the relative importance of this column: 0 is always shown, ' +
            'higher numbers only in wider output (kubectl get -o wide).',
          type: 'integer',
          format: 'int32',
        },
        type: {
          description:
            'type is an OpenAPI type definition for this column: string, integer, number, boolean or date.',
          type: 'string',
        },
      },
      required: ['name', 'type', 'format', 'description', 'priority'],
    },
    [`${META}TableRow`]: {
      description: 'TableRow is an individual row in a table.',
      type: 'object',
      properties: {
        cells: {
          description:
            'cells hold one value per column, in the order of columnDefinitions: a string, number, ' +
            'boolean, object, array or null.',
          type: 'array',
          items: { 'x-kubernetes-preserve-unknown-fields': true },
          'x-kubernetes-list-type': 'atomic',
        },
        conditions: {
          description: 'conditions describe additional status of a row that are relevant for a human user.',
          type: 'array',
          items: ref('TableRowCondition'),
          'x-kubernetes-list-type': 'atomic',
        },
        object: {
          allOf: [{ $ref: `${SCHEMA_REF_PREFIX}io.k8s.apimachinery.pkg.runtime.RawExtension` }],
          description:
            'object is the full object, or its PartialObjectMetadata, as requested by includeObject.',
        },
      },
      required: ['cells'],
    },
    [`${META}TableRowCondition`]: {
      description: 'TableRowCondition allows a row to be marked with additional information.',
      type: 'object',
      properties: {
        message: {
          description: 'Human readable message indicating details about last transition.',
          type: 'string',
        },
        reason: {
          description: "(brief) machine readable reason for the condition's last transition.",
          type: 'string',
        },
        status: { description: 'Status of the condition, one of True, False, Unknown.', type: 'string' },
        type: { description: 'Type of row condition. The only defined value is Completed.', type: 'string' },
      },
      required: ['type', 'status'],
    },
    [`${META}PartialObjectMetadata`]: {
      description: 'PartialObjectMetadata is the generic representation of any object with ObjectMeta.',
      type: 'object',
      properties: {
        ...typeMeta,
        metadata: ref('ObjectMeta', "Standard object's metadata."),
      },
      'x-kubernetes-group-version-kind': metaKinds('PartialObjectMetadata'),
    },
    [`${META}PartialObjectMetadataList`]: {
      description: 'PartialObjectMetadataList contains a list of objects containing only their metadata.',
      type: 'object',
      properties: {
        ...typeMeta,
        items: {
          description: 'items contains each of the included items.',
          type: 'array',
          items: ref('PartialObjectMetadata'),
        },
        metadata: ref('ListMeta', 'Standard list metadata.'),
      },
      required: ['items'],
      'x-kubernetes-group-version-kind': metaKinds('PartialObjectMetadataList'),
    },
  };
}
