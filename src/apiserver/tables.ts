// Server-side printing: `kubectl get` asks for a meta.k8s.io Table and prints its columns.
// Kinds with their own columns bring a TableConverter; custom resources print their
// additionalPrinterColumns; everything else gets NAME and AGE.

import { JSONPath } from 'jsonpath-plus';
import { age } from '../machinery/duration.js';
import type { KubeObject } from '../machinery/object.js';
import type { ResourceInfo } from './registry/resource-info.js';
import type { TableColumn } from './registry/strategy.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const NAME_COLUMN: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. It is required when creating resources.',
};

const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created.';

interface Converter {
  columns: ColumnDefinition[];
  cells(obj: KubeObject, now: Date): unknown[];
}

function definition(c: TableColumn): ColumnDefinition {
  return {
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority ?? 0,
  };
}

/** "{.spec.replicas}" or ".spec.replicas" -> the value(s) at that path, printed like kubectl. */
function evalJsonPath(obj: unknown, path: string): unknown {
  const expr = path.replace(/^\{/, '').replace(/\}$/, '');
  const results = JSONPath({
    path: `$${expr.startsWith('.') || expr.startsWith('[') ? '' : '.'}${expr}`,
    json: obj as object,
    wrap: true,
  }) as unknown[];
  if (results.length === 0) return null;
  if (results.length === 1) return results[0];
  return results.map((r) => (typeof r === 'object' ? JSON.stringify(r) : String(r))).join(',');
}

function converterFor(info: ResourceInfo): Converter {
  const custom = info.strategy.table;
  if (custom) {
    return { columns: custom.columns.map(definition), cells: (obj, now) => custom.cells(obj, now) };
  }
  const printer = info.printerColumns;
  if (printer && printer.length > 0) {
    const cols = [NAME_COLUMN, ...printer];
    return {
      columns: cols.map(definition),
      cells: (obj, now) => [
        obj.metadata.name,
        ...printer.map((c) => {
          const v = evalJsonPath(obj, c.jsonPath);
          // Date columns are printed as ages, as Kubernetes' custom resource printer does.
          if (c.type === 'date' && typeof v === 'string') return age(v, now);
          return typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
        }),
      ],
    };
  }
  return {
    columns: [
      definition(NAME_COLUMN),
      definition({ name: 'Age', type: 'string', description: AGE_DESCRIPTION }),
    ],
    cells: (obj, now) => [obj.metadata.name, age(obj.metadata.creationTimestamp, now)],
  };
}

function rowObject(obj: KubeObject, include: IncludeObject, metaVersion: string): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${metaVersion}`, metadata: obj.metadata };
}

export interface TableOptions {
  include: IncludeObject;
  metaVersion: 'v1' | 'v1beta1';
  now: Date;
  /** Leave out column definitions (watch events after the first). */
  noHeaders?: boolean;
}

export function toTable(
  info: ResourceInfo,
  objects: KubeObject[],
  listMeta: Record<string, unknown>,
  opts: TableOptions,
): Record<string, unknown> {
  const conv = converterFor(info);
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${opts.metaVersion}`,
    metadata: listMeta,
    columnDefinitions: opts.noHeaders ? [] : conv.columns,
    rows: objects.map((obj) => {
      const row: Record<string, unknown> = { cells: conv.cells(obj, opts.now) };
      const o = rowObject(obj, opts.include, opts.metaVersion);
      if (o !== undefined) row.object = o;
      return row;
    }),
  };
}
