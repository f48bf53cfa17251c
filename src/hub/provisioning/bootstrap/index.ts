// Cluster API's kubeadm bootstrap provider on the hub: KubeadmConfigs become bootstrap data Secrets.

export {
  CLUSTER_SECRET_TYPE,
  KUBEADM_CONFIG_CONTROLLER,
  startKubeadmConfigController,
} from './controller.js';
