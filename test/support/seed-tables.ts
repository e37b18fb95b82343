import { isDeepStrictEqual } from "node:util";
import type { KataConfigStatus } from "../../provider/kata/model";

// The seed document's tables 2.1 (installation) and 2.2 (removal) on two workers, row by row: the
// InProgress condition and kataNodes, without times, as the seed shows them.

const installing = { type: "InProgress", status: "True", reason: "Installing", message: "Performing initial installation of kata on cluster" };
const uninstalling = { type: "InProgress", status: "True", reason: "Uninstalling", message: "Removing kata from cluster" };
const done = { type: "InProgress", status: "False", reason: "", message: "" };

export const installTable: KataConfigStatus[] = [
  { conditions: [installing], kataNodes: { nodeCount: 0, readyNodeCount: 0 } },
  { conditions: [installing], kataNodes: { nodeCount: 2, readyNodeCount: 0, waitingToInstall: ["worker-0", "worker-1"] } },
  { conditions: [installing], kataNodes: { nodeCount: 2, readyNodeCount: 0, installing: ["worker-1"], waitingToInstall: ["worker-0"] } },
  { conditions: [installing], kataNodes: { nodeCount: 2, readyNodeCount: 1, installed: ["worker-1"], installing: ["worker-0"] } },
  { conditions: [done], kataNodes: { nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] } },
];

export const uninstallTable: KataConfigStatus[] = [
  { conditions: [uninstalling], kataNodes: { nodeCount: 0, readyNodeCount: 0, waitingToUninstall: ["worker-0", "worker-1"] } },
  { conditions: [uninstalling], kataNodes: { nodeCount: 0, readyNodeCount: 0, uninstalling: ["worker-1"], waitingToUninstall: ["worker-0"] } },
  { conditions: [uninstalling], kataNodes: { nodeCount: 0, readyNodeCount: 0, uninstalling: ["worker-0"] } },
];

// Every status upstream writes for the same two workers, in order (openshift_controller.go, with the
// MCO updating worker-1 first): the seed's rows, their other fields, and the rows the seed does not
// show. Marked rows are upstream's and not the seed's.
export const upstreamInstallStatuses: KataConfigStatus[] = [
  { conditions: [installing], kataNodes: { nodeCount: 0, readyNodeCount: 0 }, waitingForMcoToStart: true },
  { conditions: [installing], kataNodes: { nodeCount: 2, readyNodeCount: 0, waitingToInstall: ["worker-0", "worker-1"] }, waitingForMcoToStart: false },
  { conditions: [installing], kataNodes: { nodeCount: 2, readyNodeCount: 0, installing: ["worker-1"], waitingToInstall: ["worker-0"] }, waitingForMcoToStart: false },
  // not in the seed: worker-1 is done and worker-0 targeted, but its machine-config daemon has not started yet
  { conditions: [installing], kataNodes: { nodeCount: 2, readyNodeCount: 1, installed: ["worker-1"], waitingToInstall: ["worker-0"] }, waitingForMcoToStart: false },
  { conditions: [installing], kataNodes: { nodeCount: 2, readyNodeCount: 1, installed: ["worker-1"], installing: ["worker-0"] }, waitingForMcoToStart: false },
  // the RuntimeClass comes in the same write as InProgress False
  { conditions: [done], kataNodes: { nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }, waitingForMcoToStart: false, runtimeClasses: ["kata"] },
];

export const upstreamUninstallStatuses: KataConfigStatus[] = [
  // not in the seed: the first Uninstalling status keeps the installed lists while the MCO has not started
  { conditions: [uninstalling], kataNodes: { nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }, waitingForMcoToStart: true, runtimeClasses: ["kata"] },
  { conditions: [uninstalling], kataNodes: { nodeCount: 0, readyNodeCount: 0, waitingToUninstall: ["worker-0", "worker-1"] }, waitingForMcoToStart: false, runtimeClasses: ["kata"] },
  { conditions: [uninstalling], kataNodes: { nodeCount: 0, readyNodeCount: 0, uninstalling: ["worker-1"], waitingToUninstall: ["worker-0"] }, waitingForMcoToStart: false, runtimeClasses: ["kata"] },
  // not in the seed: worker-1 is back, worker-0 targeted but not started
  { conditions: [uninstalling], kataNodes: { nodeCount: 0, readyNodeCount: 0, waitingToUninstall: ["worker-0"] }, waitingForMcoToStart: false, runtimeClasses: ["kata"] },
  // the last status written: the operator lets the object go without writing the all-clear one
  { conditions: [uninstalling], kataNodes: { nodeCount: 0, readyNodeCount: 0, uninstalling: ["worker-0"] }, waitingForMcoToStart: false, runtimeClasses: ["kata"] },
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

/** The progress lines of a logLevel change on the two workers: a new config, rolled out node by node. */
export const logLevelRolloutLines = [
  "worker-0: waiting for the new config (0/2 ready)",
  "worker-1: waiting for the new config (0/2 ready)",
  "worker-1: updating (drain and reboot) (0/2 ready)",
  "worker-1: updated (1/2 ready)",
  "worker-0: updating (drain and reboot) (1/2 ready)",
  "worker-0: updated (2/2 ready)",
];

/** The first line of an update that rolls out a new CRI-O log level. */
export const logLevelRolloutNotice = (level: string) =>
  `the new CRI-O log level (${level}) means a new config for the kata nodes, rolled out one node at a time (drain and reboot)`;

/** The rows as the seed shows them: the InProgress condition and kataNodes only. */
export function seedRows(table: KataConfigStatus[]): KataConfigStatus[] {
  const rows = table.map(({ conditions, kataNodes }) => ({ conditions, kataNodes }));
  return rows.filter((row, i) => i === 0 || !isDeepStrictEqual(row, rows[i - 1]));
}

/** The rows of `table` that are not in `rows`, in order, when `rows` are all found in `table` in order; undefined when not. */
export function rowsBetween(table: KataConfigStatus[], rows: KataConfigStatus[]): KataConfigStatus[] | undefined {
  const extra: KataConfigStatus[] = [];
  let next = 0;
  for (const row of table) {
    if (next < rows.length && isDeepStrictEqual(row, rows[next])) next++;
    else extra.push(row);
  }
  return next === rows.length ? extra : undefined;
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
