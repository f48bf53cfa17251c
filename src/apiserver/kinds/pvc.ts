// PersistentVolumeClaims: Filesystem volume mode and phase Pending by default, access modes and a
// positive storage request required, a spec fixed at creation except for growing the request,
// and the STATUS / VOLUME / CAPACITY / ACCESS MODES / STORAGECLASS table.

import { validateLabelSelector } from '../../machinery/labels.js';
import { Quantity } from '../../machinery/quantity.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { ageColumn, column, nameColumn, objectAge } from './columns.js';
import { dns1123Subdomain, forbidden, invalid, notSupported, required } from './field-errors.js';
import {
  asArray,
  asObject,
  asString,
  child,
  defaultValue,
  type Json,
  path,
  semanticEqual,
} from './values.js';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const SHORT_ACCESS_MODES: Record<string, string> = {
  ReadWriteOnce: 'RWO',
  ReadOnlyMany: 'ROX',
  ReadWriteMany: 'RWX',
  ReadWriteOncePod: 'RWOP',
};
const STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function storageRequest(spec: Json): unknown {
  return path(spec, 'resources', 'requests', 'storage');
}

function validatePvcSpec(spec: Json): FieldError[] {
  const errs: FieldError[] = [];
  const modes = asArray(spec.accessModes);
  if (modes.length === 0) errs.push(required('spec.accessModes', 'at least 1 access mode is required'));
  for (const m of modes)
    if (!ACCESS_MODES.includes(asString(m))) errs.push(notSupported('spec.accessModes', m, ACCESS_MODES));
  if (modes.includes('ReadWriteOncePod') && modes.length > 1) {
    errs.push(forbidden('spec.accessModes', 'may not use ReadWriteOncePod with other access modes'));
  }
  if (spec.selector !== undefined && spec.selector !== null)
    errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const storage = storageRequest(spec);
  const storagePath = 'spec.resources[storage]';
  if (storage === undefined || storage === null) errs.push(required(storagePath));
  else {
    const q = Quantity.tryParse(storage);
    if (!q)
      errs.push(
        invalid(
          storagePath,
          storage,
          "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
      );
    else if (q.sign() <= 0) errs.push(invalid(storagePath, storage, 'must be greater than zero'));
  }
  if (typeof spec.storageClassName === 'string' && spec.storageClassName !== '') {
    errs.push(...dns1123Subdomain('spec.storageClassName', spec.storageClassName));
  }
  const mode = spec.volumeMode;
  if (mode !== undefined && mode !== null && !VOLUME_MODES.includes(asString(mode))) {
    errs.push(notSupported('spec.volumeMode', mode, VOLUME_MODES));
  }
  return errs;
}

/** ValidatePersistentVolumeClaimUpdate: only a bound claim's storage request may grow. */
function validatePvcUpdate(spec: Json, old: Json, phase: string): FieldError[] {
  const errs: FieldError[] = [];
  const next = structuredClone(spec);
  const prev = structuredClone(old);
  // The binder sets volumeName once.
  if (asString(prev.volumeName) === '') prev.volumeName = next.volumeName;
  if (phase === 'Bound') {
    const resources = asObject(next.resources);
    const requests = asObject(resources?.requests);
    if (requests) requests.storage = storageRequest(old);
  }
  delete next.volumeAttributesClassName;
  delete prev.volumeAttributesClassName;
  if (!semanticEqual(next, prev)) {
    errs.push(
      forbidden(
        'spec',
        'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
      ),
    );
  }
  const newSize = Quantity.tryParse(storageRequest(spec));
  const oldSize = Quantity.tryParse(storageRequest(old));
  if (newSize && oldSize && newSize.cmp(oldSize) < 0) {
    errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  return errs;
}

function storageClassOf(obj: { metadata: { annotations?: Record<string, string> } }, spec: Json): string {
  const annotated = obj.metadata.annotations?.[STORAGE_CLASS_ANNOTATION];
  if (annotated !== undefined) return annotated;
  return asString(spec.storageClassName);
}

export const persistentVolumeClaimStrategy: Strategy = {
  applyDefaults(obj) {
    const spec = asObject(obj.spec);
    if (spec) defaultValue(spec, 'volumeMode', 'Filesystem');
    const status = child(obj, 'status');
    if (status && asString(status.phase) === '') status.phase = 'Pending';
  },
  validate: (obj) => validatePvcSpec(asObject(obj.spec) ?? {}),
  validateUpdate: (obj, old) =>
    validatePvcUpdate(
      asObject(obj.spec) ?? {},
      asObject(old.spec) ?? {},
      asString(path(obj, 'status', 'phase')),
    ),
  table: {
    columns: [
      nameColumn,
      column('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
      column(
        'Volume',
        'string',
        'volumeName is the binding reference to the PersistentVolume backing this claim.',
      ),
      column('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
      column(
        'Access Modes',
        'string',
        'accessModes contains the actual access modes the volume backing the PVC has.',
      ),
      column('StorageClass', 'string', 'StorageClass of the pvc'),
      column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
      ageColumn,
      column('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim.', 1),
    ],
    cells(obj, now) {
      const spec = asObject(obj.spec) ?? {};
      const status = asObject(obj.status) ?? {};
      const phase = obj.metadata.deletionTimestamp ? 'Terminating' : asString(status.phase);
      let capacity = '';
      let modes = '';
      if (asString(spec.volumeName) !== '') {
        const held = new Set(asArray(status.accessModes));
        modes = Object.keys(SHORT_ACCESS_MODES)
          .filter((m) => held.has(m))
          .map((m) => SHORT_ACCESS_MODES[m])
          .join(',');
        const q = Quantity.tryParse(path(status, 'capacity', 'storage'));
        capacity = q ? q.toString() : '0';
      }
      const vac =
        typeof spec.volumeAttributesClassName === 'string' ? spec.volumeAttributesClassName : '<unset>';
      return [
        obj.metadata.name,
        phase,
        asString(spec.volumeName),
        capacity,
        modes,
        storageClassOf(obj, spec),
        vac,
        objectAge(obj, now),
        typeof spec.volumeMode === 'string' ? spec.volumeMode : '<unset>',
      ];
    },
  },
};
