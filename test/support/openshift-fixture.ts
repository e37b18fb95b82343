import type { KubeObject } from "../../provider/k8s/meta";

// Clusters of many workers for the twin, built in code: Ready workers at rest on the worker pool's
// rendered config, and the two pools OpenShift always has.

export function workerNodes(count: number, digits = String(count - 1).length): KubeObject[] {
  return Array.from({ length: count }, (_, i) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: `worker-${String(i).padStart(digits, "0")}`,
      labels: { "node-role.kubernetes.io/worker": "" },
      annotations: {
        "machineconfiguration.openshift.io/state": "Done",
        "machineconfiguration.openshift.io/currentConfig": "rendered-worker-1",
        "machineconfiguration.openshift.io/desiredConfig": "rendered-worker-1",
      },
    },
    status: { conditions: [{ type: "Ready", status: "True" }] },
  }));
}

/** The master and worker pools (with only worker and kata-oc, the operator would take the cluster for a compact one). */
export function openshiftPools(): KubeObject[] {
  return ["master", "worker"].map((pool) => ({
    apiVersion: "machineconfiguration.openshift.io/v1",
    kind: "MachineConfigPool",
    metadata: { name: pool, labels: { [`pools.operator.machineconfiguration.openshift.io/${pool}`]: "" } },
    spec: {
      configuration: { name: `rendered-${pool}-1` },
      machineConfigSelector: { matchLabels: { "machineconfiguration.openshift.io/role": pool } },
      nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${pool}`]: "" } },
    },
  }));
}
