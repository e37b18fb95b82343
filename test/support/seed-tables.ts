import type { KataConfigStatus } from "../../provider/kata/model";

// The seed document's tables 2.1 (installation) and 2.2 (removal) on two workers, as in
// test/kata/seed-tables.test.ts: every status the operator writes, in order, without times.

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
