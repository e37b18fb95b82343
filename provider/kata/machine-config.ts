import type { Node } from "../k8s/core";
import { isEmptySelector, selectorMatcher } from "../k8s/labels";
import { findCondition } from "../k8s/meta";
import {
  type MachineConfig,
  type MachineConfigPool,
  MASTER_POOL,
  MCO_CURRENT_CONFIG,
  MCO_DESIRED_CONFIG,
  MCO_STATE,
  WORKER_POOL,
} from "./model";

// What the Machine Config Operator's objects mean, read the way upstream reads them. The operator
// (operator-step.ts), the status derivation (derive.ts), the simulated MCO (rollout-step.ts) and the
// handlers share these, so that they cannot disagree on "updating", "done" or "which pool".

/** A pool's status condition is True (apihelpers.IsMachineConfigPoolConditionTrue). */
export function poolConditionTrue(pool: MachineConfigPool | undefined, type: string): boolean {
  return findCondition(pool?.status?.conditions, type)?.status === "True";
}

/**
 * Whether the MCO reports the pool updating: its `Updating` condition, nothing else (operator
 * isMcpUpdating; a pool that does not exist is not updating).
 */
export function isPoolUpdating(pools: readonly MachineConfigPool[], name: string): boolean {
  return poolConditionTrue(poolNamed(pools, name), "Updating");
}

export function poolNamed(pools: readonly MachineConfigPool[], name: string): MachineConfigPool | undefined {
  return pools.find((p) => p.metadata.name === name);
}

/**
 * A compact ("converged") cluster: exactly two pools, and the worker pool has no machines (operator
 * checkConvergedCluster). Kata then goes on the masters, through the master pool. The two pools must
 * be master and worker: upstream never sees a cluster without the master pool, and a caller that
 * leaves it out (worker and kata-oc only) must not be taken for a compact cluster.
 */
export function isConvergedCluster(pools: readonly MachineConfigPool[]): boolean {
  return pools.length === 2 && poolNamed(pools, MASTER_POOL) !== undefined && (poolNamed(pools, WORKER_POOL)?.status?.machineCount ?? -1) === 0;
}

/**
 * The pool that owns a node (helpers.GetPoolsForNode): a single custom pool wins over worker, master
 * wins over everything; a node matched by two custom pools belongs to none. Pools with an empty node
 * selector select nothing.
 */
export function primaryPoolOf(node: Node, pools: readonly MachineConfigPool[]): MachineConfigPool | undefined {
  return poolFinder(pools)(node);
}

/** primaryPoolOf with the pools' selectors read once, for many nodes. */
export function poolFinder(pools: readonly MachineConfigPool[]): (node: Node) => MachineConfigPool | undefined {
  const selecting = pools
    .filter((pool) => !isEmptySelector(pool.spec?.nodeSelector))
    .map((pool) => ({ pool, matches: selectorMatcher(pool.spec?.nodeSelector), role: pool.metadata.name === MASTER_POOL ? 0 : pool.metadata.name === WORKER_POOL ? 2 : 1 }));
  return (node) => {
    let master: MachineConfigPool | undefined;
    let worker: MachineConfigPool | undefined;
    let custom: MachineConfigPool | undefined;
    let customs = 0;
    for (const { pool, matches, role } of selecting) {
      if (!matches(node.metadata.labels)) continue;
      if (role === 0) master = pool;
      else if (role === 2) worker = pool;
      else {
        custom = pool;
        customs++;
      }
    }
    if (customs > 1) return undefined;
    return master ?? custom ?? worker;
  };
}

/**
 * The index in `pools` of a node's primary pool (-1: none), with the selectors read once. When every
 * pool selects by one label (OpenShift's pools and kata-oc do), that is plain label lookups.
 */
export function poolIndexer(pools: readonly MachineConfigPool[]): (node: Node) => number {
  const single: Array<{ at: number; key: string; value: string; role: number }> = [];
  for (let at = 0; at < pools.length; at++) {
    const pool = pools[at]!;
    const selector = pool.spec?.nodeSelector;
    if (isEmptySelector(selector)) continue;
    const entries = Object.entries(selector?.matchLabels ?? {});
    if (entries.length !== 1 || (selector?.matchExpressions ?? []).length > 0) {
      const find = poolFinder(pools);
      return (node) => {
        const found = find(node);
        return found ? pools.indexOf(found) : -1;
      };
    }
    const name = pool.metadata.name;
    single.push({ at, key: entries[0]![0], value: entries[0]![1], role: name === MASTER_POOL ? 0 : name === WORKER_POOL ? 2 : 1 });
  }
  return (node) => {
    const labels = node.metadata.labels;
    if (!labels) return -1;
    let master = -1;
    let worker = -1;
    let custom = -1;
    let customs = 0;
    for (const { at, key, value, role } of single) {
      if (labels[key] !== value) continue;
      if (role === 0) master = at;
      else if (role === 2) worker = at;
      else {
        custom = at;
        customs++;
      }
    }
    if (customs > 1) return -1;
    return master >= 0 ? master : custom >= 0 ? custom : worker;
  };
}

const annotation = (node: Node, key: string) => node.metadata.annotations?.[key];
export const mcdState = (node: Node) => annotation(node, MCO_STATE);
export const currentConfig = (node: Node) => annotation(node, MCO_CURRENT_CONFIG);
export const desiredConfig = (node: Node) => annotation(node, MCO_DESIRED_CONFIG);

/**
 * Schedulable and healthy (status.go checkNodeReady): Ready True, DiskPressure and NetworkUnavailable
 * False where reported, and not cordoned.
 */
export function isNodeReady(node: Node): boolean {
  for (const condition of node.status?.conditions ?? []) {
    if (condition.type === "Ready" && condition.status !== "True") return false;
    if (condition.type === "DiskPressure" && condition.status !== "False") return false;
    if (condition.type === "NetworkUnavailable" && condition.status !== "False") return false;
  }
  return node.spec?.unschedulable !== true;
}

/** Whether a MachineConfig (a rendered one, typically) installs the kata extension. */
export function hasKataExtension(machineConfig: MachineConfig | undefined, extension = KATA_EXTENSION): boolean {
  return machineConfig?.spec?.extensions?.includes(extension) ?? false;
}

/** The OS extension the operator asks for (upstream getExtensionName, SANDBOXED_CONTAINERS_EXTENSION unset). */
export const KATA_EXTENSION = "kata-containers";
