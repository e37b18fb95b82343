import type { ClusterClient } from "../cluster/client";
import { type Controller, earlier, type ReconcileResult, secondsAfter } from "../cluster/controller";
import type { Node } from "../k8s/core";
import type { KubeObject } from "../k8s/meta";
import { type ClusterAction, type NameGenerator, randomNameGenerator } from "./actions";
import {
  type Cluster,
  clusterApiVersion,
  controlPlaneApiVersion,
  type KubeadmControlPlane,
  labelKeys,
  type Machine,
  type MachineHealthCheck,
  type MachineSet,
} from "./model";
import { type OwnerRemediationInput, type OwnerRemediationStep, planKubeadmControlPlaneRemediation, planMachineSetRemediation } from "./owner-remediation";
import { planMachineHealthCheckStep } from "./remediate";

// Cluster API's parts as controllers over a ClusterClient: the MachineHealthCheck controller, the
// owners that remediate (MachineSet, KubeadmControlPlane), and the infrastructure that turns a new
// Machine into a Node after a start-up time.

export const capiRefs = {
  cluster: { apiVersion: clusterApiVersion, kind: "Cluster" },
  machine: { apiVersion: clusterApiVersion, kind: "Machine" },
  machineSet: { apiVersion: clusterApiVersion, kind: "MachineSet" },
  machineHealthCheck: { apiVersion: clusterApiVersion, kind: "MachineHealthCheck" },
  kubeadmControlPlane: { apiVersion: controlPlaneApiVersion, kind: "KubeadmControlPlane" },
  node: { apiVersion: "v1", kind: "Node" },
} as const;

/** Cluster API's link from a Node back to its Machine (name, and the namespace beside it). */
export const NODE_MACHINE_ANNOTATION = "cluster.x-k8s.io/machine";
export const NODE_NAMESPACE_ANNOTATION = "cluster.x-k8s.io/cluster-namespace";

export async function applyClusterActions(client: ClusterClient, actions: readonly ClusterAction[]): Promise<boolean> {
  let changed = false;
  for (const action of actions) {
    switch (action.action) {
      case "patchStatus":
        await client.patchStatus(action.ref, action.status);
        break;
      case "patch":
        await client.patch(action.ref, action.patch);
        break;
      case "create":
        await client.apply(action.object);
        break;
      case "delete":
        await client.delete(action.ref);
        break;
      case "report":
        continue;
    }
    changed = true;
  }
  return changed;
}

export const machineHealthCheckController: Controller = {
  name: "machinehealthcheck-controller",
  watches: ["MachineHealthCheck", "Machine", "Node", "Cluster"],
  async reconcile(client, now) {
    const result: ReconcileResult = { changed: false };
    const checks = await client.list<MachineHealthCheck>(capiRefs.machineHealthCheck);
    if (checks.length === 0) return result;
    const nodes = await client.list<Node>(capiRefs.node);
    for (const mhc of checks) {
      const namespace = mhc.metadata.namespace;
      const cluster = await client.get<Cluster>({ ...capiRefs.cluster, namespace, name: mhc.spec.clusterName });
      if (!cluster || mhc.metadata.deletionTimestamp) continue;
      const template = mhc.spec.remediationTemplate;
      const remediationTemplate = template?.name
        ? await client.get<KubeObject>({ apiVersion: template.apiVersion ?? "", kind: template.kind ?? "", name: template.name, namespace })
        : undefined;
      const remediationRequests = template?.kind
        ? await client.list<KubeObject>({ apiVersion: template.apiVersion ?? "", kind: template.kind.replace(/Template$/, ""), namespace })
        : undefined;
      const machines = await client.list<Machine>({ ...capiRefs.machine, namespace });
      const step = planMachineHealthCheckStep({ machineHealthCheck: mhc, cluster, machines, nodes, now, remediationTemplate, remediationRequests });
      result.changed = (await applyClusterActions(client, step.actions)) || result.changed;
      result.wakeAt = earlier(result.wakeAt, secondsAfter(now, step.requeueAfterSeconds));
    }
    return result;
  },
};

/** MachineSets and KubeadmControlPlanes replace the machines the health check marked. */
export function ownerRemediationController(generateName: NameGenerator = randomNameGenerator()): Controller {
  return {
    name: "machine-owner-remediation",
    watches: ["Machine", "MachineSet", "KubeadmControlPlane", "Cluster"],
    async reconcile(client, now) {
      const context = { client, now, generateName };
      const bySets = await remediateFor(context, await client.list<MachineSet>(capiRefs.machineSet), planMachineSetRemediation);
      const byControlPlanes = await remediateFor(context, await client.list<KubeadmControlPlane>(capiRefs.kubeadmControlPlane), planKubeadmControlPlaneRemediation);
      return { changed: bySets || byControlPlanes };
    },
  };
}

async function remediateFor<Owner extends MachineSet | KubeadmControlPlane>(
  { client, now, generateName }: { client: ClusterClient; now: Date; generateName: NameGenerator },
  owners: Owner[],
  plan: (input: OwnerRemediationInput<Owner>) => OwnerRemediationStep,
): Promise<boolean> {
  let changed = false;
  for (const owner of owners) {
    const namespace = owner.metadata.namespace;
    const clusterName = owner.metadata.labels?.[labelKeys.clusterName] ?? (owner.spec as { clusterName?: string } | undefined)?.clusterName;
    const cluster = clusterName ? await client.get<Cluster>({ ...capiRefs.cluster, namespace, name: clusterName }) : undefined;
    if (!cluster) continue;
    const machines = await client.list<Machine>({ ...capiRefs.machine, namespace });
    changed = (await applyClusterActions(client, plan({ owner, machines, cluster, now, generateName }).actions)) || changed;
  }
  return changed;
}

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
      const machines = await client.list<Machine>(capiRefs.machine);
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
      for (const node of await client.list<Node>(capiRefs.node)) {
        const machine = node.metadata.annotations?.[NODE_MACHINE_ANNOTATION];
        const namespace = node.metadata.annotations?.[NODE_NAMESPACE_ANNOTATION] ?? "default";
        if (machine && !machineKeys.has(`${namespace}/${machine}`)) {
          await client.delete({ ...capiRefs.node, name: node.metadata.name });
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
  await client.patchStatus({ ...capiRefs.node, name }, {
    conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status", lastTransitionTime: time }],
  });
  const conditions = [
    ...(machine.status?.conditions ?? []).filter((c) => c.type !== "InfrastructureReady"),
    { type: "InfrastructureReady", status: "True", lastTransitionTime: time },
  ];
  await client.patchStatus({ ...capiRefs.machine, namespace: machine.metadata.namespace, name }, {
    ...(machine.status ?? {}),
    nodeRef: { apiVersion: "v1", kind: "Node", name },
    phase: "Running",
    conditions,
  });
}
