// Column definitions and cell helpers shared by the kinds' `kubectl get` tables, with the names,
// types and descriptions Kubernetes' printers use. The API server always sends the wide columns
// (priority 1); kubectl hides them unless -o wide.

import { age } from '../../machinery/duration.js';
import { formatLabelSelector, fromLabelSelector } from '../../machinery/labels.js';
import type { KubeObject, LabelSelector } from '../../machinery/object.js';
import { metaTime } from '../../machinery/time.js';
import type { TableColumn, TableConverter } from '../registry/strategy.js';
import { asObject, asString, objectItems } from './values.js';

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

export const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const nameColumn: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: NAME_DESCRIPTION,
};
export const ageColumn: TableColumn = { name: 'Age', type: 'string', description: AGE_DESCRIPTION };

export function column(
  name: string,
  type: TableColumn['type'],
  description: string,
  priority = 0,
): TableColumn {
  return priority > 0 ? { name, type, description, priority } : { name, type, description };
}

export const containersColumn = column('Containers', 'string', 'Names of each container in the template.', 1);
export const imagesColumn = column(
  'Images',
  'string',
  'Images referenced by each container in the template.',
  1,
);

/** translateTimestampSince: the age of a timestamp, "<unknown>" when unset. */
export function since(timestamp: unknown, now: Date): string {
  return age(typeof timestamp === 'string' && timestamp !== '' ? timestamp : undefined, now);
}

export function objectAge(obj: KubeObject, now: Date): string {
  return since(obj.metadata.creationTimestamp, now);
}

/** layoutContainerCells: container names and images, comma-separated. */
export function containerCells(containers: unknown): [string, string] {
  const items = objectItems(containers).map(([c]) => c);
  return [items.map((c) => asString(c.name)).join(','), items.map((c) => asString(c.image)).join(',')];
}

/** metav1.FormatLabelSelector: "<none>" for an empty or absent selector, "<error>" if invalid. */
export function selectorText(selector: unknown): string {
  return formatLabelSelector(asObject(selector) as LabelSelector | undefined);
}

/** A selector's string form the way printDeployment builds it: "" when empty, "<invalid>" if bad. */
export function selectorString(selector: unknown): string {
  const sel = asObject(selector);
  try {
    return sel ? fromLabelSelector(sel as LabelSelector).toString() : '';
  } catch {
    return '<invalid>';
  }
}

/** The table of kinds Kubernetes prints with its default convertor: NAME and CREATED AT. */
export const createdAtTable: TableConverter = {
  columns: [nameColumn, { name: 'Created At', type: 'date', description: AGE_DESCRIPTION }],
  cells: (obj) => {
    const ts = obj.metadata.creationTimestamp;
    const t = ts ? Date.parse(ts) : Number.NaN;
    return [obj.metadata.name, Number.isNaN(t) ? null : metaTime(t)];
  },
};

/** printBoolPtr: "True", "False" or "<unset>". */
export function boolPtrText(v: unknown): string {
  if (v === true) return 'True';
  if (v === false) return 'False';
  return '<unset>';
}
