// What kubeadm gives a node as it registers, read from the Machine's KubeadmConfig: the
// control-plane role label, and the taints of its nodeRegistration — kubeadm's default
// `node-role.kubernetes.io/control-plane:NoSchedule` on a control plane node when the config names
// none (nil), no taint when it names an empty list, the given ones otherwise. So workloads stay off
// a provisioned cluster's control plane, as on a kubeadm cluster, unless the config says otherwise.

import type { KubeObject } from '../../../machinery/object.js';
import type { SimNodeSpec } from '../../../sim/kubelet/node-template.js';
import type { KubeadmConfigSpec, Machine, NodeRegistrationOptions } from '../../apis/cluster-api/index.js';
import { BOOTSTRAP_GROUP, Labels } from '../../apis/cluster-api/index.js';

export const CONTROL_PLANE_ROLE = 'node-role.kubernetes.io/control-plane';
/** kubeadm labels control plane nodes so that external load balancers leave them out. */
export const EXCLUDE_FROM_LOAD_BALANCERS = 'node.kubernetes.io/exclude-from-external-load-balancers';

type Taint = NonNullable<SimNodeSpec['taints']>[number];
const EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

export interface NodeRegistration {
  labels: Record<string, string>;
  taints: Taint[];
}

/** Whether the Machine's bootstrap config is a KubeadmConfig (other providers' are not read). */
export function kubeadmConfigName(machine: Machine): string | undefined {
  const ref = machine.spec.bootstrap?.configRef;
  if (!ref || ref.kind !== 'KubeadmConfig' || !ref.apiVersion?.startsWith(`${BOOTSTRAP_GROUP}/`))
    return undefined;
  return ref.name;
}

export function nodeRegistration(machine: Machine, config: KubeObject | undefined): NodeRegistration {
  const controlPlane = machine.metadata.labels?.[Labels.controlPlane] !== undefined;
  const spec = (config?.spec ?? {}) as KubeadmConfigSpec;
  // The first control plane machine runs `kubeadm init`, every other one `kubeadm join`.
  const registration: NodeRegistrationOptions | undefined = spec.initConfiguration
    ? spec.initConfiguration.nodeRegistration
    : spec.joinConfiguration?.nodeRegistration;
  const labels: Record<string, string> = controlPlane
    ? { [CONTROL_PLANE_ROLE]: '', [EXCLUDE_FROM_LOAD_BALANCERS]: '' }
    : {};
  let taints: Taint[];
  if (registration?.taints !== undefined) {
    taints = registration.taints
      .filter((t) => EFFECTS.has(t.effect))
      .map((t) => ({
        key: t.key,
        ...(t.value ? { value: t.value } : {}),
        effect: t.effect as Taint['effect'],
      }));
  } else {
    taints = controlPlane ? [{ key: CONTROL_PLANE_ROLE, effect: 'NoSchedule' }] : [];
  }
  return { labels, taints };
}
