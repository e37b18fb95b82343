import type { KubeconfigTarget } from "../target";
import { KubernetesCluster, type KubernetesClusterOptions } from "./cluster";
import { loadKubeconfig } from "./kubeconfig";

// The Kubernetes backend of ClusterClient: a real API server reached through a kubeconfig.

export { KubernetesCluster, DEFAULT_FIELD_MANAGER, type KubernetesClusterOptions } from "./cluster";

export { KubeconfigError, HOW_TO_CHOOSE_A_CLUSTER, loadKubeconfig, type LoadedKubeconfig } from "./kubeconfig";
export type { ResourceType } from "./resources";

/**
 * Open the cluster a `{ kubeconfig?, context? }` target names: the kubeconfig input, else the ambient
 * kubeconfig (KUBECONFIG, then ~/.kube/config). Fails with how to choose a cluster when there is none.
 * Nothing is sent to the server until the first call.
 */
export async function openKubernetesCluster(target: KubeconfigTarget | undefined, options?: KubernetesClusterOptions): Promise<KubernetesCluster> {
  return new KubernetesCluster(loadKubeconfig(target, options?.kubeconfigSource), options);
}
