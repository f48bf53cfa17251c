// Defaulting of pod specs, wherever they appear (Pods and every workload's pod template), as
// Kubernetes' core/v1 defaulting functions fill them: restart and DNS policy, grace period,
// scheduler, containers' pull policy and termination message, port protocols, probes, volumes.

import { asObject, asString, child, defaultString, defaultValue, type Json, objectItems } from './values.js';

const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
const DEFAULT_VOLUME_MODE = 420; // 0644

/**
 * The tag of an image reference the way the kubelet's parser finds it: "latest" when neither a
 * tag nor a digest is given, "" when only a digest pins it or the reference is unparseable.
 */
export function imageTag(image: string): string {
  if (image === '' || /\s/.test(image)) return '';
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const hasDigest = at >= 0;
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > lastSlash ? name.slice(colon + 1) : '';
  if (tag === '' && !hasDigest) return 'latest';
  return tag;
}

/** PullAlways for ":latest" (or no tag), PullIfNotPresent otherwise. */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  return imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultProbe(probe: unknown): void {
  const p = asObject(probe);
  if (!p) return;
  for (const [k, v] of [
    ['timeoutSeconds', 1],
    ['periodSeconds', 10],
    ['successThreshold', 1],
    ['failureThreshold', 3],
  ] as const) {
    if (p[k] === undefined || p[k] === null || p[k] === 0) p[k] = v;
  }
  const httpGet = asObject(p.httpGet);
  if (httpGet) {
    defaultString(httpGet, 'path', '/');
    defaultString(httpGet, 'scheme', 'HTTP');
  }
}

function defaultLifecycleHandler(handler: unknown): void {
  const httpGet = asObject(asObject(handler)?.httpGet);
  if (httpGet) {
    defaultString(httpGet, 'path', '/');
    defaultString(httpGet, 'scheme', 'HTTP');
  }
}

function defaultEnv(env: unknown): void {
  for (const [e] of objectItems(env)) {
    const fieldRef = asObject(asObject(e.valueFrom)?.fieldRef);
    if (fieldRef) defaultString(fieldRef, 'apiVersion', 'v1');
  }
}

/** SetDefaults_Container plus the declarative defaults of what a container holds. */
export function defaultContainer(c: Json): void {
  if (c.imagePullPolicy === undefined || c.imagePullPolicy === null || c.imagePullPolicy === '') {
    c.imagePullPolicy = defaultPullPolicy(asString(c.image));
  }
  defaultString(c, 'terminationMessagePath', '/dev/termination-log');
  defaultString(c, 'terminationMessagePolicy', 'File');
  // Resources is a struct, not a pointer: Kubernetes always serializes it, empty as {}.
  defaultValue(c, 'resources', {});
  for (const [port] of objectItems(c.ports)) defaultString(port, 'protocol', 'TCP');
  defaultEnv(c.env);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lifecycle = asObject(c.lifecycle);
  if (lifecycle) {
    defaultLifecycleHandler(lifecycle.postStart);
    defaultLifecycleHandler(lifecycle.preStop);
  }
}

const VOLUME_SOURCES = [
  'hostPath',
  'emptyDir',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'gitRepo',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'persistentVolumeClaim',
  'rbd',
  'flexVolume',
  'cinder',
  'cephfs',
  'flocker',
  'downwardAPI',
  'fc',
  'azureFile',
  'configMap',
  'vsphereVolume',
  'quobyte',
  'azureDisk',
  'photonPersistentDisk',
  'projected',
  'portworxVolume',
  'scaleIO',
  'storageos',
  'csi',
  'ephemeral',
  'image',
];

export function volumeSources(volume: Json): string[] {
  return VOLUME_SOURCES.filter((s) => volume[s] !== undefined && volume[s] !== null);
}

function defaultVolume(v: Json): void {
  // A volume that names no source is an emptyDir.
  if (volumeSources(v).length === 0) v.emptyDir = {};
  for (const key of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const src = asObject(v[key]);
    if (src) defaultValue(src, 'defaultMode', DEFAULT_VOLUME_MODE);
  }
  const hostPath = asObject(v.hostPath);
  if (hostPath) defaultValue(hostPath, 'type', '');
  for (const [source] of objectItems(asObject(v.projected)?.sources)) {
    const token = asObject(source.serviceAccountToken);
    if (token) defaultValue(token, 'expirationSeconds', 3600);
    for (const [item] of objectItems(asObject(source.downwardAPI)?.items)) {
      const fieldRef = asObject(item.fieldRef);
      if (fieldRef) defaultString(fieldRef, 'apiVersion', 'v1');
    }
  }
  for (const [item] of objectItems(asObject(v.downwardAPI)?.items)) {
    const fieldRef = asObject(item.fieldRef);
    if (fieldRef) defaultString(fieldRef, 'apiVersion', 'v1');
  }
}

/**
 * SetDefaults_PodSpec and the defaults of everything a pod spec contains. Applies to Pods and
 * to pod templates alike.
 */
export function defaultPodSpec(spec: Json): void {
  defaultString(spec, 'dnsPolicy', 'ClusterFirst');
  defaultString(spec, 'restartPolicy', 'Always');
  defaultValue(spec, 'securityContext', {});
  defaultValue(spec, 'terminationGracePeriodSeconds', DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS);
  defaultString(spec, 'schedulerName', 'default-scheduler');
  // serviceAccount is the deprecated spelling of serviceAccountName; the two are kept in step.
  if (asString(spec.serviceAccountName) === '' && asString(spec.serviceAccount) !== '') {
    spec.serviceAccountName = spec.serviceAccount;
  }
  if (asString(spec.serviceAccountName) !== '') spec.serviceAccount = spec.serviceAccountName;
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const [c] of objectItems(spec[key])) defaultContainer(c);
  }
  for (const [v] of objectItems(spec.volumes)) defaultVolume(v);
}

/** Defaults of a PodTemplateSpec (a workload's spec.template). */
export function defaultPodTemplate(template: unknown): void {
  const t = asObject(template);
  if (!t) return;
  const spec = child(t, 'spec');
  if (spec) defaultPodSpec(spec);
}

/**
 * SetDefaults_Pod: what only a Pod (not a template) gets. Requests default to limits for every
 * resource with a limit and no request; service links are on; host-network pods expose their
 * container ports on the host.
 */
export function defaultPodOnly(spec: Json): void {
  for (const key of ['containers', 'initContainers']) {
    for (const [c] of objectItems(spec[key])) {
      const resources = asObject(c.resources);
      const limits = asObject(resources?.limits);
      if (!resources || !limits) continue;
      const requests = child(resources, 'requests');
      if (!requests) continue;
      for (const [name, q] of Object.entries(limits)) if (requests[name] === undefined) requests[name] = q;
    }
  }
  defaultValue(spec, 'enableServiceLinks', true);
  if (spec.hostNetwork === true) {
    for (const key of ['containers', 'initContainers']) {
      for (const [c] of objectItems(spec[key])) {
        for (const [port] of objectItems(c.ports)) {
          if (port.hostPort === undefined || port.hostPort === null || port.hostPort === 0)
            port.hostPort = port.containerPort;
        }
      }
    }
  }
}
