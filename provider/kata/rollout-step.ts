import type { Node } from "../k8s/core";
import { isKataLabelled, isWorker } from "./derive";
import {
  KATA_POOL,
  type MachineConfigPool,
  MCO_CURRENT_CONFIG,
  MCO_DESIRED_CONFIG,
  MCO_REASON,
  MCO_STATE,
  WORKER_POOL,
} from "./model";

// How the Machine Config Operator rolls a pool to its target config: one node at a time
// (maxUnavailable 1), each node Done → Working → Done; a Degraded node stops the pool.
// Upstream picks the next node in no particular order; we take the highest name first,
// which is the order the seed's tables show (worker-1 before worker-0).

/** When the current node's update started: the twin's own bookkeeping, not an MCO annotation. */
export const UPDATE_STARTED_ANNOTATION = "twin.pulumi-cluster-runtime.dev/update-started";

export interface RolloutInput {
  pool: MachineConfigPool;
  nodes: readonly Node[];
  now: Date;
  /** How long one node takes to move to a new config. */
  nodeUpdateMs: number;
}

export interface NodeAnnotationPatch {
  node: string;
  /** null removes the annotation. */
  annotations: Record<string, string | null>;
}

export interface PoolRolloutStatus {
  machineCount: number;
  updatedMachineCount: number;
  degradedMachineCount: number;
}

export interface RolloutStep {
  patches: NodeAnnotationPatch[];
  status: PoolRolloutStatus;
  /** When the node being updated finishes, so the caller can wake up then. */
  wakeAt?: Date;
}

/** The nodes a pool owns: kata-oc takes the labelled nodes away from worker. */
export function poolMembers(poolName: string, nodes: readonly Node[]): Node[] {
  if (poolName === KATA_POOL) return nodes.filter(isKataLabelled);
  if (poolName === WORKER_POOL) return nodes.filter((n) => isWorker(n) && !isKataLabelled(n));
  return [];
}

export function rolloutStep({ pool, nodes, now, nodeUpdateMs }: RolloutInput): RolloutStep {
  const target = pool.spec?.configuration?.name;
  const members = poolMembers(pool.metadata.name ?? "", nodes);
  const patches: NodeAnnotationPatch[] = [];
  const status: PoolRolloutStatus = { machineCount: members.length, updatedMachineCount: 0, degradedMachineCount: 0 };
  let wakeAt: Date | undefined;
  let working = false;
  let next: string | undefined; // the candidate to update next: the highest name not at the target
  // One pass over the pool (it runs after every node change, on pools of thousands of nodes).
  for (const node of members) {
    const a = node.metadata.annotations ?? {};
    const name = node.metadata.name ?? "";
    const state = a[MCO_STATE];
    if (state === "Degraded") {
      status.degradedMachineCount++;
      // A failed attempt is over: once the fault clears the node starts its update afresh.
      if (a[UPDATE_STARTED_ANNOTATION]) patches.push({ node: name, annotations: { [UPDATE_STARTED_ANNOTATION]: null } });
      continue;
    }
    if (state !== "Working") {
      if (a[MCO_CURRENT_CONFIG] === target) status.updatedMachineCount++;
      else if (next === undefined || name > next) next = name;
      continue;
    }
    if (!target) continue;
    const started = a[UPDATE_STARTED_ANNOTATION] ? Date.parse(a[UPDATE_STARTED_ANNOTATION]) : NaN;
    if (a[MCO_DESIRED_CONFIG] !== target || Number.isNaN(started)) {
      patches.push({ node: name, annotations: startUpdate(target, now) });
      wakeAt = earliest(wakeAt, new Date(now.getTime() + nodeUpdateMs));
      working = true;
    } else if (now.getTime() >= started + nodeUpdateMs) {
      patches.push({ node: name, annotations: finishUpdate(target) });
      status.updatedMachineCount++; // the status describes the pool after this step
    } else {
      wakeAt = earliest(wakeAt, new Date(started + nodeUpdateMs));
      working = true;
    }
  }
  if (target && next !== undefined && status.degradedMachineCount === 0 && !working) {
    patches.push({ node: next, annotations: startUpdate(target, now) });
    wakeAt = earliest(wakeAt, new Date(now.getTime() + nodeUpdateMs));
  }
  return { patches, status, ...(wakeAt ? { wakeAt } : {}) };
}

function startUpdate(target: string, now: Date): Record<string, string | null> {
  return {
    [MCO_STATE]: "Working",
    [MCO_DESIRED_CONFIG]: target,
    [MCO_REASON]: null,
    [UPDATE_STARTED_ANNOTATION]: now.toISOString(),
  };
}

function finishUpdate(target: string): Record<string, string | null> {
  return { [MCO_STATE]: "Done", [MCO_CURRENT_CONFIG]: target, [UPDATE_STARTED_ANNOTATION]: null };
}

function earliest(a: Date | undefined, b: Date): Date {
  return a && a.getTime() <= b.getTime() ? a : b;
}
