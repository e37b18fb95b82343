import type { Node } from "../k8s/core";
import { hasKataExtension, isConvergedCluster, poolNamed } from "./machine-config";
import {
  KATA_NODE_ROLE_LABEL,
  KATA_POOL,
  type KataConfig,
  type KataNodeList,
  type KataNodes,
  kataNodeLists,
  type MachineConfig,
  type MachineConfigPool,
  MASTER_POOL,
  MASTER_ROLE_LABEL,
  MCO_CURRENT_CONFIG,
  MCO_REASON,
  MCO_STATE,
  WORKER_POOL,
  WORKER_ROLE_LABEL,
} from "./model";

// status.kataNodes as the operator derives it (openshift_controller.go updateStatus and
// putNodeOnStatusList): per worker node, from the kata-oc label, the machine-config daemon's state
// annotation and whether its current config is its pool's target.

export interface DeriveKataNodesInput {
  /** The KataConfig the status belongs to. The derivation reads only nodes and pools, as upstream does. */
  kataConfig?: KataConfig;
  nodes: readonly Node[];
  /** The MachineConfigPools (`master`, `worker`, `kata-oc`), each with `spec.configuration.name`. */
  pools: readonly MachineConfigPool[];
  /**
   * The rendered MachineConfigs, needed on a compact cluster only: there a node has kata when its
   * pool's rendered config lists the kata extension.
   */
  machineConfigs?: readonly MachineConfig[];
}

export interface DegradedNode {
  name: string;
  reason: string;
  /** The daemon's state: Degraded, or Unreconcilable (which upstream's status lists nowhere). */
  state?: string;
  /** True when the node was moving into kata (failedToInstall), false when moving out. */
  installing: boolean;
}

const has = (labels: Record<string, string> | undefined, key: string) => Object.prototype.hasOwnProperty.call(labels ?? {}, key);

export function isKataLabelled(node: Node): boolean {
  return has(node.metadata.labels, KATA_NODE_ROLE_LABEL);
}

/** Upstream's isWorkerNode: the worker role label, whatever its value. */
export function isWorker(node: Node): boolean {
  return has(node.metadata.labels, WORKER_ROLE_LABEL);
}

/** upstream getNodes(): nodes labelled node-role.kubernetes.io/worker="" (the value must be empty). */
export function isListedWorker(node: Node): boolean {
  return node.metadata.labels?.[WORKER_ROLE_LABEL] === "";
}

/** The label that marks a kata node (getNodeSelectorAsMap): kata-oc, or master on a compact cluster. */
export function kataNodeLabel(converged: boolean): string {
  return converged ? MASTER_ROLE_LABEL : KATA_NODE_ROLE_LABEL;
}

/** The pool a node will belong to, and so the config it should reach: kata-oc for labelled nodes, worker otherwise, master when compact. */
export function targetPoolName(node: Node, converged: boolean): string {
  if (converged) return MASTER_POOL;
  return isKataLabelled(node) ? KATA_POOL : WORKER_POOL;
}

/** The rendered config a node's pool wants it to run. */
export function targetConfigOf(node: Node, pools: readonly MachineConfigPool[], converged = isConvergedCluster(pools)): string | undefined {
  return poolNamed(pools, targetPoolName(node, converged))?.spec?.configuration?.name;
}

/**
 * Which status list a node belongs in (putNodeOnStatusList's predicates, which exclude each other),
 * with each pool's target and kata flag read once, for many nodes:
 *
 * | MCD state | other                | kata node          | other node           |
 * |-----------|----------------------|--------------------|----------------------|
 * | Done      | current == target    | installed          | (none)               |
 * | Working   |                      | installing         | uninstalling         |
 * | Done      | current != target    | waitingToInstall   | waitingToUninstall   |
 * | Degraded  |                      | failedToInstall    | failedToUninstall    |
 *
 * Any other state (Unreconcilable) is in no list. A node whose pool does not exist, or that lacks the
 * state or currentConfig annotation, is left out, as upstream's error for it is only logged. The
 * target is the pool's config, not the node's desiredConfig: the MCO sets that only right before it
 * starts on the node.
 */
function placer(pools: readonly MachineConfigPool[], kataEnabled: (pool: MachineConfigPool) => boolean, converged: boolean): (node: Node) => KataNodeList | undefined {
  const read = (name: string) => {
    const pool = poolNamed(pools, name);
    return pool && { target: pool.spec?.configuration?.name ?? "", kata: kataEnabled(pool) };
  };
  const kataPool = read(converged ? MASTER_POOL : KATA_POOL);
  const workerPool = converged ? kataPool : read(WORKER_POOL);
  return (node) => {
    const pool = converged || isKataLabelled(node) ? kataPool : workerPool;
    if (!pool) return undefined;
    const annotations = node.metadata.annotations;
    const state = annotations?.[MCO_STATE];
    const current = annotations?.[MCO_CURRENT_CONFIG];
    if (state === undefined || current === undefined) return undefined;
    switch (state) {
      case "Done":
        if (current === pool.target) return pool.kata ? "installed" : undefined;
        return pool.kata ? "waitingToInstall" : "waitingToUninstall";
      case "Working":
        return pool.kata ? "installing" : "uninstalling";
      case "Degraded":
        return pool.kata ? "failedToInstall" : "failedToUninstall";
      default:
        return undefined;
    }
  };
}

/** Which status list a node belongs in, or undefined when it is in none. */
export function kataListOf(node: Node, pools: readonly MachineConfigPool[], machineConfigs: readonly MachineConfig[] = []): KataNodeList | undefined {
  const converged = isConvergedCluster(pools);
  return placer(pools, kataEnabledFor(converged, machineConfigs), converged)(node);
}

/**
 * Whether kata is meant to be on the nodes of a pool: the kata-oc pool on a regular cluster; on a
 * compact one, the master pool whose rendered config lists the kata extension.
 */
function kataEnabledFor(converged: boolean, machineConfigs: readonly MachineConfig[]): (pool: MachineConfigPool) => boolean {
  if (!converged) return (pool) => pool.metadata.name === KATA_POOL;
  return (pool) => hasKataExtension(machineConfigs.find((mc) => mc.metadata.name === pool.spec?.configuration?.name));
}

export interface DerivedStatus {
  kataNodes: KataNodes;
  /** The nodes that set InProgress to Failed, in list order (by name); upstream names the last one it lists. */
  degraded: DegradedNode[];
}

/** kataNodes and the Degraded nodes, in one pass over the nodes (updateStatus). */
export function deriveStatus({ nodes, pools, machineConfigs = [] }: DeriveKataNodesInput): DerivedStatus {
  const converged = isConvergedCluster(pools);
  const kataEnabled = kataEnabledFor(converged, machineConfigs);
  const label = kataNodeLabel(converged);
  const place = placer(pools, kataEnabled, converged);
  const lists = new Map<KataNodeList, string[]>();
  const degraded: DegradedNode[] = [];
  let nodeCount = 0;
  for (const node of nodes) {
    // nodeCount counts every node with the kata label; the lists hold workers only.
    if (node.metadata.labels?.[label] === "") nodeCount++;
    if (!isListedWorker(node)) continue;
    const list = place(node);
    if (!list) continue;
    const name = node.metadata.name ?? "";
    const names = lists.get(list) ?? [];
    names.push(name);
    lists.set(list, names);
    if (list === "failedToInstall" || list === "failedToUninstall") {
      degraded.push({ name, reason: node.metadata.annotations?.[MCO_REASON] ?? "", installing: list === "failedToInstall" });
    }
  }
  // Upstream lists nodes in its cache's order, which is random: the twin sorts them by name.
  const kataNodes: KataNodes = { nodeCount, readyNodeCount: lists.get("installed")?.length ?? 0 };
  for (const list of kataNodeLists) {
    const names = lists.get(list);
    if (names) kataNodes[list] = names.sort();
  }
  return { kataNodes, degraded };
}

/** The `status.kataNodes` block the operator would write for these nodes and pools. */
export function deriveKataNodes(input: DeriveKataNodesInput): KataNodes {
  return deriveStatus(input).kataNodes;
}

/** Nodes the machine-config daemon reports Degraded or Unreconcilable, with its reason, sorted by name. */
export function degradedNodes(nodes: readonly Node[]): DegradedNode[] {
  return nodes
    .filter((n) => {
      const state = n.metadata.annotations?.[MCO_STATE];
      return (isWorker(n) || isKataLabelled(n)) && (state === "Degraded" || state === "Unreconcilable");
    })
    .map((n) => ({
      name: n.metadata.name ?? "",
      reason: n.metadata.annotations?.[MCO_REASON] ?? "",
      state: n.metadata.annotations?.[MCO_STATE],
      installing: isKataLabelled(n),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
