// What a workload references and so must exist where it runs (Karmada's default dependency
// interpreter): from its pod spec the ConfigMaps and Secrets (volumes, projected volumes, env,
// envFrom, image pull secrets), its ServiceAccount (unless "default") and its
// PersistentVolumeClaims (not those a StatefulSet makes from its volumeClaimTemplates); from an
// Ingress its TLS Secrets. Sorted by kind and name, so the recorded list only changes when the
// references do.

import type { KubeObject } from '../../../machinery/object.js';
import { podSpecOf } from '../workload.js';

/** A dependency as recorded in the resourcebinding.karmada.io/dependencies annotation. */
export interface DependentObjectReference {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.map(obj).filter((x): x is Json => !!x) : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function podReferences(spec: Json) {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  const pvcs = new Set<string>();
  const add = (set: Set<string>, name: unknown) => {
    if (str(name)) set.add(str(name));
  };
  for (const v of list(spec.volumes)) {
    add(configMaps, obj(v.configMap)?.name);
    add(secrets, obj(v.secret)?.secretName);
    add(pvcs, obj(v.persistentVolumeClaim)?.claimName);
    for (const s of list(obj(v.projected)?.sources)) {
      add(configMaps, obj(s.configMap)?.name);
      add(secrets, obj(s.secret)?.name);
    }
    for (const key of [
      'azureFile',
      'cephfs',
      'cinder',
      'flexVolume',
      'rbd',
      'scaleIO',
      'iscsi',
      'storageos',
      'csi',
    ]) {
      const source = obj(v[key]);
      add(secrets, source?.secretName);
      add(secrets, obj(source?.secretRef)?.name);
      add(secrets, obj(source?.nodePublishSecretRef)?.name);
    }
  }
  for (const s of list(spec.imagePullSecrets)) add(secrets, s.name);
  for (const c of [
    ...list(spec.containers),
    ...list(spec.initContainers),
    ...list(spec.ephemeralContainers),
  ]) {
    for (const e of list(c.envFrom)) {
      add(configMaps, obj(e.configMapRef)?.name);
      add(secrets, obj(e.secretRef)?.name);
    }
    for (const e of list(c.env)) {
      const from = obj(e.valueFrom);
      add(configMaps, obj(from?.configMapKeyRef)?.name);
      add(secrets, obj(from?.secretKeyRef)?.name);
    }
  }
  return { configMaps, secrets, pvcs };
}

export function dependenciesOf(template: KubeObject): DependentObjectReference[] {
  const namespace = template.metadata.namespace ?? '';
  const ref = (kind: string, name: string): DependentObjectReference => ({
    apiVersion: 'v1',
    kind,
    namespace,
    name,
  });
  const out: DependentObjectReference[] = [];
  if (template.apiVersion === 'networking.k8s.io/v1' && template.kind === 'Ingress') {
    const names = new Set(
      list(obj(template.spec)?.tls)
        .map((t) => str(t.secretName))
        .filter(Boolean),
    );
    return [...names].sort().map((n) => ref('Secret', n));
  }
  const spec = podSpecOf(template);
  if (!spec) return out;
  const { configMaps, secrets, pvcs } = podReferences(spec);
  if (template.kind === 'StatefulSet') {
    for (const t of list(obj(template.spec)?.volumeClaimTemplates)) pvcs.delete(str(obj(t.metadata)?.name));
  }
  const sa = str(spec.serviceAccountName);
  for (const n of [...configMaps].sort()) out.push(ref('ConfigMap', n));
  for (const n of [...secrets].sort()) out.push(ref('Secret', n));
  if (sa && sa !== 'default') out.push(ref('ServiceAccount', sa));
  for (const n of [...pvcs].sort()) out.push(ref('PersistentVolumeClaim', n));
  return out;
}
