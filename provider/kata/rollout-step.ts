import { nodeFaultAnnotation } from "../cluster/twin/schedule";
import type { Node } from "../k8s/core";
import { type Condition, toKubeTime } from "../k8s/meta";
import { currentConfig, desiredConfig, isNodeReady, mcdState } from "./machine-config";
import { type MachineConfigPool, MCO_CURRENT_CONFIG, MCO_DESIRED_CONFIG, MCO_REASON, MCO_STATE, ZONE_LABEL } from "./model";

// How the Machine Config Operator rolls a pool to its rendered config (machine-config-operator
// release-4.17, pkg/controller/node/node_controller.go and status.go), and what the machine-config
// daemon does on each node it is given (pkg/daemon: update.go, drain.go, writer.go), as pure steps.

/**
 * The twin's bookkeeping of the daemon's attempt on a node, "<config>@<ISO time it began>"; not an
 * MCO annotation (a real daemon keeps this in memory and on the node's disk).
 */
export const MCD_ATTEMPT_ANNOTATION = "twin.pulumi-cluster-runtime.dev/mcd-attempt";
/**
 * What makes the daemon fail on a node in the twin (a fixture's markNodeDegraded sets it, clearNodeDegraded
 * removes it): while it is there the node stays Degraded with it as its reason.
 */
export const NODE_FAULT_ANNOTATION = nodeFaultAnnotation;

export interface NodePatch {
  node: string;
  /** null removes the annotation. */
  annotations: Record<string, string | null>;
  /** Cordon (true) or uncordon (false). */
  unschedulable?: boolean;
}

export interface DaemonTimings {
  /** From a node's new desired config to Done: drain, write, reboot, uncordon. */
  nodeUpdateMs: number;
}

/** When the daemon, given a new config, starts on it (SetWorking and the drain): a small part of the update. */
export function daemonStartMs(timings: DaemonTimings): number {
  return Math.min(5_000, Math.floor(timings.nodeUpdateMs / 10));
}

// ---------------------------------------------------------------------------------------------------
// The machine-config daemon on one node.

/**
 * The daemon's next move on a node, if any, and when it next has something to do. A node whose
 * desired config differs from its current one (or that is Working, Degraded or Unreconcilable) gets
 * an attempt: after daemonStartMs it is Working and cordoned (update.go: SetWorking unless Degraded or
 * Unreconcilable, then the drain); after nodeUpdateMs it is uncordoned and Done on the desired config
 * with an empty reason (writer.go SetDone). A node with a fault is Degraded with the fault as reason
 * (SetDegraded) and stays so, cordon and all, until the fault is gone; the next attempt then goes
 * from Degraded straight to Done, as a retry does upstream.
 */
const NOTHING: { patch?: NodePatch; wakeAt?: Date } = Object.freeze({});

export function daemonStep(node: Node, now: Date, timings: DaemonTimings): { patch?: NodePatch; wakeAt?: Date } {
  const annotations = node.metadata.annotations ?? {};
  // Most nodes, most of the time: nothing to do.
  if (
    annotations[MCD_ATTEMPT_ANNOTATION] === undefined &&
    annotations[NODE_FAULT_ANNOTATION] === undefined &&
    annotations[MCO_STATE] === "Done" &&
    annotations[MCO_DESIRED_CONFIG] === annotations[MCO_CURRENT_CONFIG]
  ) {
    return NOTHING;
  }
  const name = node.metadata.name ?? "";
  const attempt = parseAttempt(annotations[MCD_ATTEMPT_ANNOTATION]);
  const fault = annotations[NODE_FAULT_ANNOTATION];
  const state = mcdState(node);
  if (fault !== undefined) {
    if (state === "Degraded" && annotations[MCO_REASON] === fault && !attempt) return {};
    return { patch: { node: name, annotations: { [MCO_STATE]: "Degraded", [MCO_REASON]: fault, [MCD_ATTEMPT_ANNOTATION]: null } } };
  }
  const desired = desiredConfig(node);
  const needsWork = desired !== undefined && desired !== "" && (desired !== currentConfig(node) || state !== "Done");
  if (!needsWork) return attempt ? { patch: { node: name, annotations: { [MCD_ATTEMPT_ANNOTATION]: null } } } : {};
  if (!attempt || attempt.config !== desired) {
    return { patch: { node: name, annotations: { [MCD_ATTEMPT_ANNOTATION]: attemptValue(desired!, now) } }, wakeAt: new Date(now.getTime() + daemonStartMs(timings)) };
  }
  const startAt = attempt.at + daemonStartMs(timings);
  const doneAt = attempt.at + timings.nodeUpdateMs;
  if (now.getTime() >= doneAt) {
    return {
      patch: {
        node: name,
        annotations: { [MCO_STATE]: "Done", [MCO_CURRENT_CONFIG]: desired!, [MCO_REASON]: "", [MCD_ATTEMPT_ANNOTATION]: null },
        unschedulable: false,
      },
    };
  }
  if (now.getTime() < startAt) return { wakeAt: new Date(startAt) };
  const working = state === "Working" || state === "Degraded" || state === "Unreconcilable";
  if (working && node.spec?.unschedulable === true) return { wakeAt: new Date(doneAt) };
  return {
    patch: { node: name, annotations: working ? {} : { [MCO_STATE]: "Working" }, unschedulable: true },
    wakeAt: new Date(doneAt),
  };
}

/** The daemon's bookkeeping for an attempt on `config` that began at `at` (the node controller writes it when it targets a node). */
export function attemptValue(config: string, at: Date): string {
  return `${config}@${at.toISOString()}`;
}

function parseAttempt(value: string | undefined): { config: string; at: number } | undefined {
  if (!value) return undefined;
  const split = value.lastIndexOf("@");
  const at = Date.parse(value.slice(split + 1));
  return split > 0 && !Number.isNaN(at) ? { config: value.slice(0, split), at } : undefined;
}

// ---------------------------------------------------------------------------------------------------
// The node controller on one pool.

export interface PoolStatus {
  observedGeneration?: number;
  configuration?: { name?: string; source?: unknown[] };
  machineCount: number;
  updatedMachineCount: number;
  readyMachineCount: number;
  unavailableMachineCount: number;
  degradedMachineCount: number;
  conditions: Condition[];
  [field: string]: unknown;
}

export interface PoolSyncStep {
  /** Nodes to give the pool's config (desiredConfig), in the order the MCO picked them. */
  targets: string[];
  /** The pool's status after this step (write it when it differs). */
  status?: PoolStatus;
  /** Why the pool was not synced (a bad maxUnavailable). */
  error?: string;
}

/**
 * syncMachineConfigPool for one pool and its nodes (the nodes whose primary pool it is): pick the
 * candidates up to maxUnavailable, then compute the status. A pool without a rendered config is
 * left alone; a paused or deleted one gets its status and nothing else.
 */
export function syncPool(pool: MachineConfigPool, nodes: readonly Node[], now: Date): PoolSyncStep {
  const tally = new PoolTally(pool);
  for (const node of nodes) tally.add(node);
  return tally.sync(now);
}

/**
 * syncPool, fed one node at a time: the simulated MCO sorts every node into its pool and counts it
 * in the same pass over the cluster's nodes.
 */
export class PoolTally {
  private readonly target: string | undefined;
  private readonly members: Node[] = [];
  private readonly counts = { updated: 0, ready: 0, unavailable: 0, degraded: 0 };
  private readonly degradedReasons: string[] = [];
  private failingThisConfig = 0;

  constructor(readonly pool: MachineConfigPool) {
    this.target = pool.spec?.configuration?.name;
  }

  add(node: Node): void {
    this.members.push(node);
    if (!this.target) return;
    const annotations = node.metadata.annotations;
    const facts = factsOf(node, annotations?.[MCO_STATE], annotations?.[MCO_CURRENT_CONFIG], annotations?.[MCO_DESIRED_CONFIG], this.target);
    if (facts & UPDATED) {
      this.counts.updated++;
      if (facts & READY) this.counts.ready++;
    }
    if (facts & UNAVAILABLE) this.counts.unavailable++;
    if (facts & DEGRADED) {
      this.counts.degraded++;
      const reason = node.metadata.annotations?.[MCO_REASON];
      if (reason) this.degradedReasons.push(`Node ${node.metadata.name} is reporting: ${JSON.stringify(reason)}`);
    }
    if (facts & FAILING && annotations?.[MCO_DESIRED_CONFIG] === this.target) this.failingThisConfig++;
  }

  /** The pool's nodes, in the order added. */
  get nodes(): readonly Node[] {
    return this.members;
  }

  sync(now: Date): PoolSyncStep {
    const { pool, target, counts, members } = this;
    if (!target) return { targets: [] };
    let targets: Node[] = [];
    if (!pool.metadata.deletionTimestamp && !pool.spec?.paused) {
      const max = maxUnavailable(pool, members.length);
      if (typeof max === "string") return { targets: [], error: max };
      if (counts.unavailable < max && this.failingThisConfig < max - counts.unavailable) {
        // Candidates: not yet given the target, and Ready.
        const candidates = members.filter((node) => desiredConfig(node) !== target && nodeFacts(node, target) & READY);
        targets = pickCandidates(candidates, max, counts.unavailable, this.failingThisConfig);
      }
    }
    // The status describes the pool with the targets given their new config.
    const after = { ...counts };
    for (const node of targets) {
      const was = nodeFacts(node, target);
      const now = nodeFacts(targeted(node, target), target);
      after.unavailable += Number(Boolean(now & UNAVAILABLE)) - Number(Boolean(was & UNAVAILABLE));
      after.degraded += Number(Boolean(now & DEGRADED)) - Number(Boolean(was & DEGRADED));
    }
    return { targets: targets.map((n) => n.metadata.name ?? ""), status: calculateStatus(pool, members.length, after, this.degradedReasons, now) };
  }
}

const READY = 1;
const UPDATED = 2;
const UNAVAILABLE = 4;
const FAILING = 8;
const DEGRADED = 16;

/**
 * What status.go's helpers say of a node, as bits: isNodeReady, isNodeDoneAt(target),
 * isNodeUnavailable, isNodeMCDFailing, and degraded as getDegradedMachines counts it.
 */
function nodeFacts(node: Node, target: string): number {
  const annotations = node.metadata.annotations;
  return factsOf(node, annotations?.[MCO_STATE], annotations?.[MCO_CURRENT_CONFIG], annotations?.[MCO_DESIRED_CONFIG], target);
}

function factsOf(node: Node, state: string | undefined, current: string | undefined, desired: string | undefined, target: string): number {
  const ready = node.status?.conditions === undefined ? node.spec?.unschedulable !== true : isNodeReady(node);
  const done = Boolean(current) && current === desired && state === "Done";
  const failing = current !== desired && (state === "Degraded" || state === "Unreconcilable");
  const degraded = Boolean(desired) && (state === "Degraded" || state === "Unreconcilable");
  return (
    (ready ? READY : 0) |
    (done && current === target ? UPDATED : 0) |
    (!ready || (!done && !failing) ? UNAVAILABLE : 0) |
    (failing ? FAILING : 0) |
    (degraded ? DEGRADED : 0)
  );
}

/**
 * maxUnavailable: an int, or a percentage of the pool's nodes rounded down; 0 becomes 1; default 1.
 * A string result is the error.
 */
export function maxUnavailable(pool: MachineConfigPool, nodeCount: number): number | string {
  const value = pool.spec?.maxUnavailable ?? 1;
  let result: number;
  if (typeof value === "number") {
    result = value;
  } else if (/^\d+%$/.test(value)) {
    result = Math.floor((Number(value.slice(0, -1)) * nodeCount) / 100);
  } else if (/^\d+$/.test(value)) {
    result = Number(value);
  } else {
    return `maxUnavailable: invalid value for IntOrString: invalid type: string is not a percentage: ${value}`;
  }
  if (!Number.isInteger(result) || result < 0) return `maxUnavailable: invalid value ${String(value)}`;
  return result === 0 ? 1 : result;
}

/**
 * getAllCandidateMachines and updateCandidateMachines: the candidates (nodes not yet given the
 * target, and Ready) up to the capacity left: maxUnavailable less the unavailable nodes and less the
 * nodes failing on this very config; with more candidates than capacity, in sortNodeList's order.
 */
export function pickCandidates(candidates: readonly Node[], max: number, unavailable: number, failingThisConfig: number): Node[] {
  if (unavailable >= max) return [];
  let capacity = max - unavailable;
  if (failingThisConfig >= capacity) return [];
  capacity -= failingThisConfig;
  if (candidates.length <= capacity) return [...candidates];
  return firstInNodeOrder(candidates, capacity);
}

/**
 * sortNodeList: nodes with a zone label first, by zone, then oldest creationTimestamp first; nodes
 * without a zone last, oldest first. Upstream's sort is unstable (ties come out in any order); the
 * twin breaks ties by name.
 */
export function sortNodeList(nodes: readonly Node[]): Node[] {
  return firstInNodeOrder(nodes, nodes.length);
}

/** The first `count` nodes in sortNodeList's order (a selection, without sorting, when few are wanted, as with maxUnavailable 1). */
function firstInNodeOrder(nodes: readonly Node[], count: number): Node[] {
  if (count > 8) return [...nodes].sort(nodeOrder).slice(0, count);
  const picked: Node[] = [];
  for (let i = 0; i < count; i++) {
    let best: Node | undefined;
    for (const node of nodes) if ((!best || nodeOrder(node, best) < 0) && !picked.includes(node)) best = node;
    picked.push(best!);
  }
  return picked;
}

/** sortNodeList's comparison; creationTimestamps are RFC 3339 in UTC, so their text sorts by time. */
function nodeOrder(a: Node, b: Node): number {
  const za = a.metadata.labels?.[ZONE_LABEL];
  const zb = b.metadata.labels?.[ZONE_LABEL];
  if (za !== zb) {
    if (zb === undefined) return -1;
    if (za === undefined) return 1;
    return za < zb ? -1 : 1;
  }
  const ca = a.metadata.creationTimestamp ?? "";
  const cb = b.metadata.creationTimestamp ?? "";
  if (ca !== cb) return ca < cb ? -1 : 1;
  const na = a.metadata.name ?? "";
  const nb = b.metadata.name ?? "";
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/**
 * calculateStatus: the counts from the nodes' annotations and readiness, and the conditions:
 * Updated when every node is done on the target, ready and available (an empty pool is); otherwise
 * Updating, unless the pool is paused; NodeDegraded and Degraded for degraded nodes.
 */
function calculateStatus(
  pool: MachineConfigPool,
  machineCount: number,
  counts: { updated: number; ready: number; unavailable: number; degraded: number },
  degradedReasons: string[],
  now: Date,
): PoolStatus {
  const target = pool.spec?.configuration?.name ?? "";
  const previous = (pool.status ?? {}) as Partial<PoolStatus>;
  const status: PoolStatus = {
    ...previous,
    observedGeneration: pool.metadata.generation ?? 1,
    machineCount,
    updatedMachineCount: counts.updated,
    readyMachineCount: counts.ready,
    unavailableMachineCount: counts.unavailable,
    degradedMachineCount: counts.degraded,
    conditions: [...(previous.conditions ?? [])],
  };
  const set = (type: string, value: "True" | "False", reason: string, message: string) => setPoolCondition(status, { type, status: value, reason, message }, now);
  const allUpdated = counts.updated === machineCount && counts.ready === machineCount && counts.unavailable === 0;
  if (allUpdated) {
    set("Updated", "True", "", `All nodes are updated with MachineConfig ${target}`);
    set("Updating", "False", "", "");
    status.configuration = pool.spec?.configuration;
  } else {
    set("Updated", "False", "", "");
    if (pool.spec?.paused) set("Updating", "False", "", `Pool is paused; will not update to MachineConfig ${target}`);
    else set("Updating", "True", "", `All nodes are updating to MachineConfig ${target}`);
  }
  if (counts.degraded > 0) set("NodeDegraded", "True", `${counts.degraded} nodes are reporting degraded status on sync`, degradedReasons.join(", "));
  else set("NodeDegraded", "False", "", "");
  // The twin's render never fails: RenderDegraded is False once the pool has a rendered config.
  if (!status.conditions.some((c) => c.type === "RenderDegraded")) set("RenderDegraded", "False", "", "");
  const renderDegraded = status.conditions.some((c) => c.type === "RenderDegraded" && c.status === "True");
  set("Degraded", counts.degraded > 0 || renderDegraded ? "True" : "False", "", "");
  return status;
}

/**
 * apihelpers.SetMachineConfigPoolCondition: an identical condition is left alone; a changed reason
 * or message keeps the transition time; a changed status moves it.
 */
function setPoolCondition(status: PoolStatus, next: Condition, now: Date): void {
  const at = status.conditions.findIndex((c) => c.type === next.type);
  const current = at >= 0 ? status.conditions[at] : undefined;
  if (current && current.status === next.status && current.reason === next.reason && current.message === next.message) return;
  const lastTransitionTime = current && current.status === next.status && current.lastTransitionTime ? current.lastTransitionTime : toKubeTime(now);
  const condition = { ...next, lastTransitionTime };
  if (at >= 0) status.conditions[at] = condition;
  else status.conditions.push(condition);
}

/** What updateCandidateNode writes: the desired config (and the twin's note that the daemon's attempt began). */
export function targetPatch(node: Node, target: string, now: Date): NodePatch {
  return { node: node.metadata.name ?? "", annotations: { [MCO_DESIRED_CONFIG]: target, [MCD_ATTEMPT_ANNOTATION]: attemptValue(target, now) } };
}

function targeted(node: Node, target: string): Node {
  return { ...node, metadata: { ...node.metadata, annotations: { ...(node.metadata.annotations ?? {}), [MCO_DESIRED_CONFIG]: target } } };
}
