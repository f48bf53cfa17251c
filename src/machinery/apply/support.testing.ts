// For the tests of this folder: small structural schemas shaped like the real built-in ones (the
// same list and map types) — a Deployment with its pod template, a ConfigMap, a custom resource —
// and helpers to reach into plain JSON.

import type { Schema } from '../schema.js';

type Step = string | number;

/** The value at a path of keys and indexes; undefined where the path leads nowhere. */
export function dig(value: unknown, ...path: Step[]): unknown {
  let v = value;
  for (const step of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<Step, unknown>)[step];
  }
  return v;
}

/** Sets (or, with undefined, deletes) the value at a path whose parents exist. */
export function put(value: unknown, path: Step[], v: unknown): void {
  const parent = dig(value, ...path.slice(0, -1)) as Record<Step, unknown>;
  const last = path[path.length - 1]!;
  if (v === undefined) delete parent[last];
  else parent[last] = v;
}

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer', format: 'int32' };
const bool: Schema = { type: 'boolean' };
const stringMap: Schema = { type: 'object', additionalProperties: { type: 'string' } };
const quantity: Schema = { 'x-kubernetes-int-or-string': true };
const intOrString: Schema = { type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true };

export const objectMetaSchema: Schema = {
  type: 'object',
  properties: {
    name: str,
    generateName: str,
    namespace: str,
    uid: str,
    resourceVersion: str,
    generation: { type: 'integer', format: 'int64' },
    creationTimestamp: { type: 'string', format: 'date-time' },
    deletionTimestamp: { type: 'string', format: 'date-time' },
    labels: stringMap,
    annotations: stringMap,
    finalizers: {
      type: 'array',
      items: str,
      'x-kubernetes-list-type': 'set',
      'x-kubernetes-patch-strategy': 'merge',
    },
    ownerReferences: {
      type: 'array',
      items: {
        type: 'object',
        required: ['apiVersion', 'kind', 'name', 'uid'],
        properties: {
          apiVersion: str,
          kind: str,
          name: str,
          uid: str,
          controller: bool,
          blockOwnerDeletion: bool,
        },
        'x-kubernetes-map-type': 'atomic',
      },
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['uid'],
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'uid',
    },
    managedFields: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          manager: str,
          operation: str,
          apiVersion: str,
          time: { type: 'string', format: 'date-time' },
          fieldsType: str,
          fieldsV1: { type: 'object' },
          subresource: str,
        },
      },
    },
  },
};

const containerPort: Schema = {
  type: 'object',
  required: ['containerPort'],
  properties: {
    name: str,
    containerPort: int,
    hostPort: int,
    protocol: { type: 'string', default: 'TCP' },
  },
};

const container: Schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: str,
    image: str,
    imagePullPolicy: str,
    command: { type: 'array', items: str, 'x-kubernetes-list-type': 'atomic' },
    args: { type: 'array', items: str, 'x-kubernetes-list-type': 'atomic' },
    ports: {
      type: 'array',
      items: containerPort,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'containerPort',
    },
    env: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: str, value: str } },
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'name',
    },
    resources: {
      type: 'object',
      properties: {
        limits: { type: 'object', additionalProperties: quantity },
        requests: { type: 'object', additionalProperties: quantity },
      },
    },
    volumeMounts: {
      type: 'array',
      items: { type: 'object', properties: { name: str, mountPath: str, readOnly: bool } },
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['mountPath'],
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'mountPath',
    },
  },
};

const podSpec: Schema = {
  type: 'object',
  required: ['containers'],
  properties: {
    containers: {
      type: 'array',
      items: container,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-patch-strategy': 'merge',
      'x-kubernetes-patch-merge-key': 'name',
    },
    // Built-in lists without a list type: the patch strategy says how they merge.
    volumes: {
      type: 'array',
      items: { type: 'object', properties: { name: str, emptyDir: { type: 'object', properties: {} } } },
      'x-kubernetes-patch-strategy': 'merge,retainKeys',
      'x-kubernetes-patch-merge-key': 'name',
    },
    tolerations: {
      type: 'array',
      items: { type: 'object', properties: { key: str, operator: str, effect: str } },
      'x-kubernetes-list-type': 'atomic',
    },
    nodeSelector: { ...stringMap, 'x-kubernetes-map-type': 'atomic' },
    restartPolicy: str,
    terminationGracePeriodSeconds: { type: 'integer', format: 'int64' },
  },
};

const labelSelector: Schema = {
  type: 'object',
  properties: {
    matchLabels: stringMap,
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        properties: { key: str, operator: str, values: { type: 'array', items: str } },
      },
      'x-kubernetes-list-type': 'atomic',
    },
  },
  'x-kubernetes-map-type': 'atomic',
};

const condition: Schema = {
  type: 'object',
  properties: {
    type: str,
    status: str,
    reason: str,
    message: str,
    lastTransitionTime: { type: 'string', format: 'date-time' },
  },
};

export const deploymentSchema: Schema = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: objectMetaSchema,
    spec: {
      type: 'object',
      required: ['selector', 'template'],
      properties: {
        replicas: int,
        selector: labelSelector,
        template: { type: 'object', properties: { metadata: objectMetaSchema, spec: podSpec } },
        strategy: {
          type: 'object',
          properties: {
            type: str,
            rollingUpdate: {
              type: 'object',
              properties: { maxSurge: intOrString, maxUnavailable: intOrString },
            },
          },
        },
        minReadySeconds: int,
        revisionHistoryLimit: int,
        paused: bool,
        progressDeadlineSeconds: int,
      },
    },
    status: {
      type: 'object',
      properties: {
        observedGeneration: { type: 'integer', format: 'int64' },
        replicas: int,
        readyReplicas: int,
        availableReplicas: int,
        conditions: {
          type: 'array',
          items: condition,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['type'],
          'x-kubernetes-patch-strategy': 'merge',
          'x-kubernetes-patch-merge-key': 'type',
        },
      },
    },
  },
};

export const configMapSchema: Schema = {
  type: 'object',
  properties: {
    apiVersion: str,
    kind: str,
    metadata: objectMetaSchema,
    data: stringMap,
    binaryData: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } },
    immutable: bool,
  },
};

/**
 * A custom resource's schema as CRDs often write it: metadata left open, apiVersion and kind
 * not spelled out, a typed spec with an open-ended part and an embedded object, and a status.
 */
export const widgetSchema: Schema = {
  type: 'object',
  properties: {
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      properties: {
        size: int,
        color: str,
        tags: { type: 'array', items: str, 'x-kubernetes-list-type': 'set' },
        config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        template: {
          type: 'object',
          'x-kubernetes-embedded-resource': true,
          properties: { spec: { type: 'object', properties: { image: str } } },
        },
      },
    },
    status: { type: 'object', properties: { phase: str } },
  },
};
