import type { ClusterClient } from "../../provider/cluster/client";
import type { Controller } from "../../provider/cluster/controller";
import { kinds } from "../../provider/k8s/api-types";
import type { KubeObject } from "../../provider/k8s/meta";

// What Cluster API's MachineHealthCheck controller needs to read a Cluster's Nodes, on the dev cluster
// where every "workload cluster" is the dev cluster itself (upstream controllers/clustercache):
// - the Secret <cluster>-kubeconfig with the kubeconfig under key "value" (here: pointing back at the
//   same API server), of type cluster.x-k8s.io/secret, labelled with the cluster's name;
// - status.infrastructureReady: true on the Cluster (the field, not the condition), before which
//   ClusterCache does not connect.
// A real Cluster API installation gets both from its control plane and infrastructure providers.

export const CLUSTER_NAME_LABEL = "cluster.x-k8s.io/cluster-name";

/** The kubeconfig Secret upstream's ClusterCache reads for `cluster` (secret.Name(cluster, secret.Kubeconfig)). */
export function workloadKubeconfigSecret(cluster: { name: string; namespace: string }, kubeconfig: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: `${cluster.name}-kubeconfig`, namespace: cluster.namespace, labels: { [CLUSTER_NAME_LABEL]: cluster.name } },
    type: "cluster.x-k8s.io/secret",
    data: { value: Buffer.from(kubeconfig).toString("base64") },
  };
}

/** Gives every Cluster its kubeconfig Secret (if missing) and status.infrastructureReady (if unset). */
export async function provideWorkloadAccess(client: ClusterClient, kubeconfig: string): Promise<boolean> {
  let changed = false;
  for (const cluster of await client.list<KubeObject>(kinds.cluster)) {
    if (cluster.metadata.deletionTimestamp) continue;
    const namespace = cluster.metadata.namespace ?? "default";
    const name = cluster.metadata.name ?? "";
    if (!(await client.get({ ...kinds.secret, namespace, name: `${name}-kubeconfig` }))) {
      await client.apply(workloadKubeconfigSecret({ name, namespace }, kubeconfig));
      changed = true;
    }
    const status = (cluster.status ?? {}) as Record<string, unknown>;
    if (status.infrastructureReady === undefined) {
      await client.patchStatus({ ...kinds.cluster, namespace, name }, { ...status, infrastructureReady: true });
      changed = true;
    }
  }
  return changed;
}

/** The same, as a controller of the dev cluster's operator process (Clusters created later get it too). */
export function workloadAccessController(kubeconfig: string): Controller {
  return {
    name: "workload-kubeconfig",
    watches: ["Cluster"],
    async reconcile(client) {
      return { changed: await provideWorkloadAccess(client, kubeconfig) };
    },
  };
}
