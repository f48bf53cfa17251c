// Events (core/v1): the rules clients have always been held to (the involved object's namespace
// matches the event's; new-style events name their reporting controller, instance, action and
// reason), the involvedObject.* / reason / source / type field selectors, and the LAST SEEN /
// TYPE / REASON / OBJECT / MESSAGE table.

import { isDNS1123Subdomain } from '../../machinery/names.js';
import type { KubeObject } from '../../machinery/object.js';
import type { FieldError } from '../../machinery/status.js';
import type { Strategy } from '../registry/strategy.js';
import { column, NAME_DESCRIPTION, since } from './columns.js';
import { eachInvalid, invalid, qualifiedName, required } from './field-errors.js';
import { asNumber, asObject, asString, path } from './values.js';

const REPORTING_INSTANCE_LIMIT = 128;
const ACTION_LIMIT = 128;
const REASON_LIMIT = 128;
const NOTE_LIMIT = 1024;

function involved(obj: KubeObject): Record<string, unknown> {
  return asObject(obj.involvedObject) ?? {};
}

/** legacyValidateEvent, which core/v1 events are held to on create and update. */
function validateEvent(obj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const namespace = obj.metadata.namespace ?? '';
  const involvedNamespace = asString(involved(obj).namespace);
  const eventTime = obj.eventTime;
  if (eventTime === undefined || eventTime === null || eventTime === '') {
    if (involvedNamespace === '') {
      // Old clients put cluster-scoped objects' events in "default".
      if (namespace !== '' && namespace !== 'default') {
        errs.push(invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'));
      }
    } else if (namespace !== involvedNamespace) {
      errs.push(invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'));
    }
  } else {
    if (involvedNamespace === '' && namespace !== 'default' && namespace !== 'kube-system') {
      errs.push(invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace'));
    }
    const controller = asString(obj.reportingComponent);
    if (controller === '') errs.push(required('reportingComponent'));
    else errs.push(...qualifiedName('reportingComponent', controller));
    const instance = asString(obj.reportingInstance);
    if (instance === '') errs.push(required('reportingInstance'));
    if (instance.length > REPORTING_INSTANCE_LIMIT) {
      errs.push(invalid('reportingInstance', '', `can have at most ${REPORTING_INSTANCE_LIMIT} characters`));
    }
    const action = asString(obj.action);
    if (action === '') errs.push(required('action'));
    if (action.length > ACTION_LIMIT)
      errs.push(invalid('action', '', `can have at most ${ACTION_LIMIT} characters`));
    const reason = asString(obj.reason);
    if (reason === '') errs.push(required('reason'));
    if (reason.length > REASON_LIMIT)
      errs.push(invalid('reason', '', `can have at most ${REASON_LIMIT} characters`));
    if (asString(obj.message).length > NOTE_LIMIT)
      errs.push(invalid('message', '', `can have at most ${NOTE_LIMIT} characters`));
  }
  errs.push(...eachInvalid('namespace', namespace, isDNS1123Subdomain(namespace)));
  return errs;
}

/** The event's source: the component, or the reporting controller of new-style events. */
function sourceComponent(obj: KubeObject): string {
  return asString(path(obj, 'source', 'component')) || asString(obj.reportingComponent);
}

/** formatEventSource: "component, host", each part falling back to the reporting fields. */
function sourceText(obj: KubeObject): string {
  const component = sourceComponent(obj);
  const host = asString(path(obj, 'source', 'host')) || asString(obj.reportingInstance);
  return host === '' ? component : `${component}, ${host}`;
}

export const eventStrategy: Strategy = {
  validate: validateEvent,

  selectableFields(obj) {
    const o = involved(obj);
    return {
      'involvedObject.kind': asString(o.kind),
      'involvedObject.namespace': asString(o.namespace),
      'involvedObject.name': asString(o.name),
      'involvedObject.uid': asString(o.uid),
      'involvedObject.apiVersion': asString(o.apiVersion),
      'involvedObject.resourceVersion': asString(o.resourceVersion),
      'involvedObject.fieldPath': asString(o.fieldPath),
      reason: asString(obj.reason),
      reportingComponent: asString(obj.reportingComponent),
      source: sourceComponent(obj),
      type: asString(obj.type),
    };
  },

  // Kubernetes leads with LAST SEEN and keeps NAME for -o wide.
  table: {
    columns: [
      column(
        'Last Seen',
        'string',
        'The time at which the most recent occurrence of this event was recorded.',
      ),
      column(
        'Type',
        'string',
        'Type of this event (Normal, Warning), new types could be added in the future',
      ),
      column(
        'Reason',
        'string',
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      column('Object', 'string', 'The object that this event is about.'),
      column(
        'Subobject',
        'string',
        'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
        1,
      ),
      column(
        'Source',
        'string',
        'The component reporting this event. Should be a short machine understandable string.',
        1,
      ),
      column('Message', 'string', 'A human-readable description of the status of this operation.'),
      column(
        'First Seen',
        'string',
        'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
        1,
      ),
      column('Count', 'string', 'The number of times this event has occurred.', 1),
      { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 1 },
    ],
    cells(obj, now) {
      const first = asString(obj.firstTimestamp);
      const firstSeen = first !== '' ? since(first, now) : since(obj.eventTime, now);
      const last = asString(obj.lastTimestamp);
      let lastSeen = last !== '' ? since(last, now) : firstSeen;
      let count = asNumber(obj.count) ?? 0;
      const series = asObject(obj.series);
      if (series) {
        lastSeen = since(series.lastObservedTime, now);
        count = asNumber(series.count) ?? 0;
      } else if (count === 0) {
        count = 1;
      }
      const o = involved(obj);
      const kind = asString(o.kind).toLowerCase();
      const name = asString(o.name);
      return [
        lastSeen,
        asString(obj.type),
        asString(obj.reason),
        name !== '' ? `${kind}/${name}` : kind,
        asString(o.fieldPath),
        sourceText(obj),
        asString(obj.message).trim(),
        firstSeen,
        count,
        obj.metadata.name,
      ];
    },
  },
};
