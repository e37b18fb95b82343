import type { KataConfigStatus } from "../../provider/kata/model";

// The seed document's tables 2.1 (installation) and 2.2 (removal) on two workers: every status the
// operator writes, in order, without times. The last installation row adds the RuntimeClass, which
// the seed's rows do not show (it is created only after the condition went back to False).

const installing = { type: "InProgress", status: "True", reason: "Installing", message: "Performing initial installation of kata on cluster" };
const uninstalling = { type: "InProgress", status: "True", reason: "Uninstalling", message: "Removing kata from cluster" };
const done = { type: "InProgress", status: "False", reason: "", message: "" };

export const installTable: KataConfigStatus[] = [
  { conditions: [installing], kataNodes: { nodeCount: 0, readyNodeCount: 0 } },
  { conditions: [installing], kataNodes: { nodeCount: 2, readyNodeCount: 0, waitingToInstall: ["worker-0", "worker-1"] } },
  { conditions: [installing], kataNodes: { nodeCount: 2, readyNodeCount: 0, installing: ["worker-1"], waitingToInstall: ["worker-0"] } },
  { conditions: [installing], kataNodes: { nodeCount: 2, readyNodeCount: 1, installed: ["worker-1"], installing: ["worker-0"] } },
  { conditions: [done], kataNodes: { nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] } },
  { conditions: [done], kataNodes: { nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }, runtimeClasses: ["kata"] },
];

export const uninstallTable: KataConfigStatus[] = [
  { conditions: [uninstalling], kataNodes: { nodeCount: 0, readyNodeCount: 0, waitingToUninstall: ["worker-0", "worker-1"] }, runtimeClasses: ["kata"] },
  { conditions: [uninstalling], kataNodes: { nodeCount: 0, readyNodeCount: 0, uninstalling: ["worker-1"], waitingToUninstall: ["worker-0"] }, runtimeClasses: ["kata"] },
  { conditions: [uninstalling], kataNodes: { nodeCount: 0, readyNodeCount: 0, uninstalling: ["worker-0"] }, runtimeClasses: ["kata"] },
];

/** The progress lines a KataConfig prints for table 2.1, one per change of a node's state. */
export const installProgressLines = [
  "worker-0: waiting to install (0/2 ready)",
  "worker-1: waiting to install (0/2 ready)",
  "worker-1: installing (0/2 ready)",
  "worker-1: installed (1/2 ready)",
  "worker-0: installing (1/2 ready)",
  "worker-0: installed (2/2 ready)",
];

/** The rows as the seed shows them: the InProgress condition and kataNodes only. */
export function seedRows(table: KataConfigStatus[]): KataConfigStatus[] {
  const rows = table.map(({ conditions, kataNodes }) => ({ conditions, kataNodes }));
  return rows.filter((row, i) => i === 0 || JSON.stringify(row) !== JSON.stringify(rows[i - 1]));
}

/** The seed's MachineHealthCheck for the workers of nodepool-0 (its v1alpha3 fields are v1beta1's). */
export const seedWorkersHealthCheck = {
  name: "capi-quickstart-node-unhealthy-5m",
  spec: {
    clusterName: "capi-quickstart",
    maxUnhealthy: "40%",
    nodeStartupTimeout: "10m",
    selector: { matchLabels: { nodepool: "nodepool-0" } },
    unhealthyConditions: [
      { type: "Ready", status: "Unknown", timeout: "300s" },
      { type: "Ready", status: "False", timeout: "300s" },
    ],
  },
};

/** A kataNodes output: the resource outputs every node list, [] when upstream omits it. */
export function kataNodesOutput(counts: { nodeCount: number; readyNodeCount: number; installed?: string[] }) {
  return { waitingToInstall: [], installing: [], installed: [], failedToInstall: [], waitingToUninstall: [], uninstalling: [], failedToUninstall: [], ...counts };
}
