import type { Node } from "../k8s/core";
import {
  KATA_NODE_ROLE_LABEL,
  KATA_POOL,
  type KataConfig,
  type KataNodeList,
  type KataNodes,
  kataNodeLists,
  type MachineConfigPool,
  MCO_CURRENT_CONFIG,
  MCO_REASON,
  MCO_STATE,
  WORKER_POOL,
  WORKER_ROLE_LABEL,
} from "./model";

// status.kataNodes as the operator derives it: per worker node, from the kata-oc label, the
// machine-config daemon's state annotation and whether its current config is its pool's target.

export interface DeriveKataNodesInput {
  /** The KataConfig the status belongs to. The derivation reads only nodes and pools, as upstream does. */
  kataConfig?: KataConfig;
  nodes: readonly Node[];
  pools: readonly MachineConfigPool[];
}

export interface DegradedNode {
  name: string;
  reason: string;
  /** True when the node was moving into kata (failedToInstall), false when moving out. */
  installing: boolean;
}

export function isKataLabelled(node: Node): boolean {
  return Object.prototype.hasOwnProperty.call(node.metadata.labels ?? {}, KATA_NODE_ROLE_LABEL);
}

export function isWorker(node: Node): boolean {
  return Object.prototype.hasOwnProperty.call(node.metadata.labels ?? {}, WORKER_ROLE_LABEL);
}

/** The rendered config a node's pool wants it to run: kata-oc for labelled nodes, worker otherwise. */
export function targetConfigOf(node: Node, pools: readonly MachineConfigPool[]): string | undefined {
  const poolName = isKataLabelled(node) ? KATA_POOL : WORKER_POOL;
  return pools.find((p) => p.metadata.name === poolName)?.spec?.configuration?.name;
}

/** Which status list a node belongs in, or undefined when it is a plain worker at rest. */
export function kataListOf(node: Node, pools: readonly MachineConfigPool[]): KataNodeList | undefined {
  const labelled = isKataLabelled(node);
  const annotations = node.metadata.annotations ?? {};
  switch (annotations[MCO_STATE] ?? "Done") {
    case "Working":
      return labelled ? "installing" : "uninstalling";
    case "Degraded":
      return labelled ? "failedToInstall" : "failedToUninstall";
    default: {
      const atTarget = annotations[MCO_CURRENT_CONFIG] === targetConfigOf(node, pools);
      if (atTarget) return labelled ? "installed" : undefined;
      return labelled ? "waitingToInstall" : "waitingToUninstall";
    }
  }
}

export function deriveKataNodes({ nodes, pools }: DeriveKataNodesInput): KataNodes {
  const lists = new Map<KataNodeList, string[]>();
  let nodeCount = 0;
  for (const node of nodes) {
    if (!isWorker(node) && !isKataLabelled(node)) continue;
    if (isKataLabelled(node)) nodeCount++;
    const list = kataListOf(node, pools);
    if (!list) continue;
    const names = lists.get(list) ?? [];
    names.push(node.metadata.name ?? "");
    lists.set(list, names);
  }
  const kataNodes: KataNodes = { nodeCount, readyNodeCount: lists.get("installed")?.length ?? 0 };
  for (const list of kataNodeLists) {
    const names = lists.get(list);
    if (names) kataNodes[list] = names.sort();
  }
  return kataNodes;
}

/** Nodes the machine-config daemon reports Degraded, with its reason, sorted by name. */
export function degradedNodes(nodes: readonly Node[]): DegradedNode[] {
  return nodes
    .filter((n) => (isWorker(n) || isKataLabelled(n)) && n.metadata.annotations?.[MCO_STATE] === "Degraded")
    .map((n) => ({
      name: n.metadata.name ?? "",
      reason: n.metadata.annotations?.[MCO_REASON] ?? "",
      installing: isKataLabelled(n),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether any node is still on its way in or out (waiting, working or failed). */
export function transitionPending(kataNodes: KataNodes): boolean {
  return kataNodeLists.some((list) => list !== "installed" && (kataNodes[list]?.length ?? 0) > 0);
}
