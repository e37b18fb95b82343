import type { AccessNeed } from "../cluster/client";
import { kinds } from "../k8s/api-types";

// The rights each MachineHealthCheck operation needs in its namespace, checked before it changes
// anything (see lifecycle/with-cluster requireAccess). test/handlers/access.test.ts records what the
// handlers really call: a call not listed here fails it.

export function mhcAccess(namespace: string) {
  const on = (kind: { apiVersion: string; kind: string }, ...verbs: string[]): AccessNeed[] => verbs.map((verb) => ({ verb, ...kind, namespace }));
  // A wait watches the object: the backend lists it, then watches from there.
  const follow = on(kinds.machineHealthCheck, "get", "list", "watch");
  // The report: the Cluster, its Machines and their Nodes, and the owners that would remediate them.
  const report = [
    ...on(kinds.cluster, "get"),
    ...on(kinds.machine, "list"),
    ...on(kinds.machineSet, "list"),
    ...on(kinds.kubeadmControlPlane, "list"),
    { verb: "list", ...kinds.node },
  ];
  return {
    create: [...on(kinds.machineHealthCheck, "create", "patch"), ...follow, ...report],
    update: [...on(kinds.machineHealthCheck, "create", "patch"), ...follow, ...report],
    delete: [...on(kinds.machineHealthCheck, "delete"), ...follow],
  } satisfies Record<string, AccessNeed[]>;
}
