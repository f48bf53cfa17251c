// Kinds a server is opened to beyond its built-in ones. An extension brings the
// CustomResourceDefinitions the server installs when it starts, and the server-side behaviour of
// kinds served by CRDs (a Strategy, as every built-in kind has), keyed by group and kind so that
// it applies to whichever CRD serves that kind, in every version it serves.

import type { KubeObject } from '../machinery/object.js';
import type { ValidatingAdmission } from './admission/validating.js';
import type { Strategy } from './registry/strategy.js';

export type { FieldError } from '../machinery/status.js';
export type { AdmissionRequest, ObjectReader, ValidatingAdmission } from './admission/validating.js';
export { ageColumn, nameColumn, objectAge } from './kinds/columns.js';
export type { Strategy, TableColumn, TableConverter } from './registry/strategy.js';

export interface ApiExtension {
  /** CustomResourceDefinitions (apiextensions.k8s.io/v1 objects) installed when the server starts. */
  crds?: KubeObject[];
  /** Server-side behaviour of kinds served by CRDs, keyed "group/Kind". */
  strategies?: Record<string, Strategy>;
  /** Checks of writes that need other objects (built-in kinds too), run after a kind's own validation. */
  validatingAdmission?: ValidatingAdmission[];
  /**
   * ClusterRoles the server creates when it starts unless they exist (roles users bind to reach
   * the extension's kinds), as Kubernetes' bootstrap policy: a role changed by a user is kept.
   */
  clusterRoles?: KubeObject[];
}

/** "group/Kind" -> strategy. */
export type ExtensionStrategies = ReadonlyMap<string, Strategy>;

export function strategyKey(group: string, kind: string): string {
  return `${group}/${kind}`;
}

/**
 * The strategies of all extensions, checked: each key names a group with a dot (CRDs cannot
 * serve the core group) and a kind, no kind is claimed twice, and no built-in kind is claimed
 * (its behaviour is the server's own).
 */
export function extensionStrategies(
  extensions: readonly ApiExtension[],
  isBuiltin: (group: string, kind: string) => boolean,
): ExtensionStrategies {
  const out = new Map<string, Strategy>();
  for (const ext of extensions) {
    for (const [key, strategy] of Object.entries(ext.strategies ?? {})) {
      const slash = key.lastIndexOf('/');
      const group = key.slice(0, slash);
      const kind = key.slice(slash + 1);
      if (slash < 0 || !group.includes('.') || !/^[A-Za-z][A-Za-z0-9]*$/.test(kind)) {
        throw new Error(
          `extension strategy "${key}": the key must be "group/Kind", with a group like example.com`,
        );
      }
      if (isBuiltin(group, kind)) throw new Error(`extension strategy "${key}": ${kind} is a built-in kind`);
      if (out.has(key)) throw new Error(`extension strategy "${key}" is given twice`);
      out.set(key, strategy);
    }
  }
  return out;
}

/** The CRDs of all extensions, each a named apiextensions.k8s.io/v1 CustomResourceDefinition, none twice. */
export function extensionCrds(extensions: readonly ApiExtension[]): KubeObject[] {
  const out = new Map<string, KubeObject>();
  for (const ext of extensions) {
    for (const crd of ext.crds ?? []) {
      const name = crd.metadata?.name;
      if (crd.apiVersion !== 'apiextensions.k8s.io/v1' || crd.kind !== 'CustomResourceDefinition' || !name) {
        throw new Error(
          `extension CRD ${name ?? '(unnamed)'}: must be a named apiextensions.k8s.io/v1 CustomResourceDefinition, not ${crd.apiVersion} ${crd.kind}`,
        );
      }
      if (out.has(name)) throw new Error(`extension CRD ${name} is given twice`);
      out.set(name, crd);
    }
  }
  return [...out.values()];
}
