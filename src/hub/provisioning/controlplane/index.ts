// Cluster API's kubeadm control plane provider on the hub: KubeadmControlPlanes make and roll control plane Machines.

export { KUBEADM_CONTROL_PLANE_CONTROLLER, startKubeadmControlPlaneController } from './controller.js';
