import type { ClusterClient } from "../../cluster/client";
import type { Controller } from "../../cluster/controller";
import { kinds } from "../../k8s/api-types";
import { type NameGenerator, randomNameGenerator } from "../actions";
import { type Cluster, type KubeadmControlPlane, labelKeys, type Machine, type MachineSet } from "../model";
import { type OwnerRemediationInput, type OwnerRemediationStep, planKubeadmControlPlaneRemediation, planMachineSetRemediation } from "../owner-remediation-step";
import { applyClusterActions } from "./apply-actions";

// Simulated MachineSet and KubeadmControlPlane controllers, their remediation part only: they
// replace the machines the health check marked (owner-remediation-step.ts).

/** MachineSets and KubeadmControlPlanes replace the machines the health check marked. */
export function ownerRemediationController(generateName: NameGenerator = randomNameGenerator()): Controller {
  return {
    name: "machine-owner-remediation",
    watches: ["Machine", "MachineSet", "KubeadmControlPlane", "Cluster"],
    async reconcile(client, now) {
      const context = { client, now, generateName };
      const bySets = await remediateFor(context, await client.list<MachineSet>(kinds.machineSet), planMachineSetRemediation);
      const byControlPlanes = await remediateFor(context, await client.list<KubeadmControlPlane>(kinds.kubeadmControlPlane), planKubeadmControlPlaneRemediation);
      // A deleted Machine is replaced on the next pass, once it is gone (the owners count deleting Machines).
      return { changed: bySets.changed || byControlPlanes.changed, again: bySets.deleted || byControlPlanes.deleted };
    },
  };
}

async function remediateFor<Owner extends MachineSet | KubeadmControlPlane>(
  { client, now, generateName }: { client: ClusterClient; now: Date; generateName: NameGenerator },
  owners: Owner[],
  plan: (input: OwnerRemediationInput<Owner>) => OwnerRemediationStep,
): Promise<{ changed: boolean; deleted: boolean }> {
  let changed = false;
  let deleted = false;
  for (const owner of owners) {
    const namespace = owner.metadata.namespace;
    const clusterName = owner.metadata.labels?.[labelKeys.clusterName] ?? (owner.spec as { clusterName?: string } | undefined)?.clusterName;
    const cluster = clusterName ? await client.get<Cluster>({ ...kinds.cluster, namespace, name: clusterName }) : undefined;
    if (!cluster) continue;
    const machines = await client.list<Machine>({ ...kinds.machine, namespace });
    const step = plan({ owner, machines, cluster, now, generateName });
    changed = (await applyClusterActions(client, step.actions)) || changed;
    deleted = deleted || step.remediated.length > 0;
  }
  return { changed, deleted };
}
