// ServiceAccounts: printed with the number of secrets they reference.

import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import { asArray } from './values.js';

export const serviceAccountStrategy: Strategy = {
  table: {
    columns: [
      nameColumn,
      column(
        'Secrets',
        'string',
        'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
      ),
      ageColumn,
    ],
    cells: (obj, now) => [obj.metadata.name, asArray(obj.secrets).length, objectAge(obj, now)],
  },
};
