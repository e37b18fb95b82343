import type { ClusterClient } from "../../cluster/client";
import { type Controller, earlier, type ReconcileResult } from "../../cluster/controller";
import { kinds } from "../../k8s/api-types";
import type { Node } from "../../k8s/core";
import type { Machine } from "../model";

/** Cluster API's link from a Node back to its Machine (name, and the namespace beside it). */
export const NODE_MACHINE_ANNOTATION = "cluster.x-k8s.io/machine";
export const NODE_NAMESPACE_ANNOTATION = "cluster.x-k8s.io/cluster-namespace";

/**
 * The infrastructure provider and the kubelet, as the twin plays them: a Machine without a Node gets
 * one (Ready) after the start-up time; a Node whose Machine is gone is removed with it.
 */
export function machineInfrastructureController(options: { nodeStartupMs: number }): Controller {
  return {
    name: "machine-infrastructure",
    // Nodes go with their Machine: a Machine change is what can leave a Node behind.
    watches: ["Machine"],
    async reconcile(client, now) {
      const result: ReconcileResult = { changed: false };
      const machines = await client.list<Machine>(kinds.machine);
      const machineKeys = new Set(machines.map((m) => `${m.metadata.namespace}/${m.metadata.name}`));
      for (const machine of machines) {
        if (machine.status?.nodeRef || machine.metadata.deletionTimestamp || machine.status?.failureReason) continue;
        const ready = Date.parse(machine.metadata.creationTimestamp ?? now.toISOString()) + options.nodeStartupMs;
        if (now.getTime() < ready) {
          result.wakeAt = earlier(result.wakeAt, new Date(ready));
          continue;
        }
        await startNode(client, machine, now);
        result.changed = true;
      }
      for (const node of await client.list<Node>(kinds.node)) {
        const machine = node.metadata.annotations?.[NODE_MACHINE_ANNOTATION];
        const namespace = node.metadata.annotations?.[NODE_NAMESPACE_ANNOTATION] ?? "default";
        if (machine && !machineKeys.has(`${namespace}/${machine}`)) {
          await client.delete({ ...kinds.node, name: node.metadata.name });
          result.changed = true;
        }
      }
      return result;
    },
  };
}

async function startNode(client: ClusterClient, machine: Machine, now: Date): Promise<void> {
  const name = machine.metadata.name ?? "";
  const time = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  await client.apply({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, annotations: { [NODE_MACHINE_ANNOTATION]: name, [NODE_NAMESPACE_ANNOTATION]: machine.metadata.namespace ?? "default" } },
  });
  await client.patchStatus({ ...kinds.node, name }, {
    conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastTransitionTime: time }],
  });
  const conditions = [
    ...(machine.status?.conditions ?? []).filter((c) => c.type !== "InfrastructureReady"),
    { type: "InfrastructureReady", status: "True", lastTransitionTime: time },
  ];
  await client.patchStatus({ ...kinds.machine, namespace: machine.metadata.namespace, name }, {
    ...(machine.status ?? {}),
    nodeRef: { apiVersion: "v1", kind: "Node", name },
    phase: "Running",
    conditions,
  });
}
