// ControllerRevisions: the immutable snapshots StatefulSets and DaemonSets keep of their
// templates, printed with the controller that owns them.

import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import { immutable, nonNegative, required } from './field-errors.js';
import { asNumber } from './values.js';

/** How the printer names an owner: "statefulset.apps/web" ("kind" alone for the core group). */
function controllerName(refs: unknown): string {
  const ref = Array.isArray(refs)
    ? refs.find((r) => r && typeof r === 'object' && r.controller === true)
    : undefined;
  if (!ref) return '<none>';
  const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const kind = typeof ref.kind === 'string' ? ref.kind : '';
  if (kind === '') return String(ref.name ?? '');
  return `${(group ? `${kind}.${group}` : kind).toLowerCase()}/${String(ref.name ?? '')}`;
}

export const controllerRevisionStrategy: Strategy = {
  validate(obj) {
    const errs = obj.data === undefined || obj.data === null ? [required('data', 'data is mandatory')] : [];
    errs.push(...nonNegative('revision', obj.revision));
    return errs;
  },
  validateUpdate: (obj, old) => immutable('data', obj.data, old.data),
  table: {
    columns: [
      nameColumn,
      column('Controller', 'string', 'Controller of the object'),
      column('Revision', 'string', 'Revision indicates the revision of the state represented by Data.'),
      ageColumn,
    ],
    cells: (obj, now) => [
      obj.metadata.name,
      controllerName(obj.metadata.ownerReferences),
      asNumber(obj.revision) ?? 0,
      objectAge(obj, now),
    ],
  },
};
