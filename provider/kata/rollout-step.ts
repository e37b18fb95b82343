import { nodeFaultAnnotation } from "../cluster/twin/schedule";
import type { Node } from "../k8s/core";
import { type Condition, toKubeTime } from "../k8s/meta";
import { currentConfig, desiredConfig, isNodeReady, mcdState } from "./machine-config";
import { type MachineConfigPool, MCO_CURRENT_CONFIG, MCO_DESIRED_CONFIG, MCO_REASON, MCO_STATE, ZONE_LABEL } from "./model";
import { SortedNames } from "./sorted-names";

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
  // Most nodes, most of the time: nothing to do.
  if (daemonIdle(node)) return NOTHING;
  const annotations = node.metadata.annotations ?? {};
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

/**
 * Whether the daemon has nothing to do on the node, now or later, until the node changes: no attempt
 * under way (the only thing that makes daemonStep depend on the time), and nothing that would start
 * one: a fault it already reports, or no desired config that differs from the current one or that
 * it has not finished.
 */
export function daemonIdle(node: Node): boolean {
  const annotations = node.metadata.annotations ?? {};
  if (annotations[MCD_ATTEMPT_ANNOTATION] !== undefined) return false;
  const fault = annotations[NODE_FAULT_ANNOTATION];
  if (fault !== undefined) return annotations[MCO_STATE] === "Degraded" && annotations[MCO_REASON] === fault;
  const desired = annotations[MCO_DESIRED_CONFIG];
  return desired === undefined || desired === "" || (desired === annotations[MCO_CURRENT_CONFIG] && annotations[MCO_STATE] === "Done");
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
 * syncMachineConfigPool for one pool and its nodes (the nodes whose primary pool it is), worked out
 * from every node as upstream does on each sync: pick the candidates up to maxUnavailable, then
 * compute the status. A pool without a rendered config is left alone; a paused or deleted one gets
 * its status and nothing else.
 */
export function syncPool(pool: MachineConfigPool, nodes: readonly Node[], now: Date): PoolSyncStep {
  const target = pool.spec?.configuration?.name;
  if (!target) return { targets: [] };
  const counts = emptyCounts();
  for (const node of nodes) countNode(counts, node, target, 1);
  let targets: Node[] = [];
  if (!pool.metadata.deletionTimestamp && !pool.spec?.paused) {
    const max = maxUnavailable(pool, nodes.length);
    if (typeof max === "string") return { targets: [], error: max };
    const capacity = capacityLeft(counts, max);
    const candidates = capacity > 0 ? nodes.filter((node) => isCandidate(node, target)) : [];
    targets = candidates.length <= capacity ? candidates : [...candidates].sort(nodeOrder).slice(0, capacity);
  }
  return poolStep(pool, target, nodes.length, counts, [...counts.degradedReasons.values()], targets, now);
}

/**
 * syncPool kept up to date one node at a time, for the simulated MCO: the counts, the degraded nodes
 * and the candidates in sortNodeList's order, each node moved in or out of them when it changes, so
 * that a sync costs what changed rather than the pool's size. sync gives what syncPool gives on the
 * same nodes listed by name (test/kata/node-index.test.ts checks it on random histories).
 */
export class PoolTally {
  private target: string | undefined;
  private readonly members = new Map<string, Node>();
  private readonly counts = emptyCounts();
  /** The candidates, each with its sortNodeList key, and the keys in order. */
  private readonly candidates = new Map<string, string>();
  private readonly candidateOrder = new SortedNames();

  constructor(private current: MachineConfigPool) {
    this.target = current.spec?.configuration?.name;
  }

  get pool(): MachineConfigPool {
    return this.current;
  }

  /** A newer version of the pool (its status, paused, maxUnavailable); a new target counts every node again. */
  set pool(pool: MachineConfigPool) {
    this.current = pool;
    const target = pool.spec?.configuration?.name;
    if (target === this.target) return;
    const nodes = [...this.members.values()];
    for (const node of nodes) this.delete(nodeName(node));
    this.target = target;
    for (const node of nodes) this.set(node);
  }

  get size(): number {
    return this.members.size;
  }

  member(name: string): Node | undefined {
    return this.members.get(name);
  }

  /** A node of the pool, new or changed. */
  set(node: Node): void {
    const name = nodeName(node);
    const before = this.members.get(name);
    if (before && this.target) countNode(this.counts, before, this.target, -1);
    this.members.set(name, node);
    if (this.target) countNode(this.counts, node, this.target, 1);
    this.setCandidate(name, node);
  }

  /** A node that left the pool, or is gone. */
  delete(name: string): void {
    const node = this.members.get(name);
    if (!node) return;
    this.members.delete(name);
    if (this.target) countNode(this.counts, node, this.target, -1);
    this.setCandidate(name, undefined);
  }

  sync(now: Date): PoolSyncStep {
    const { pool, target, counts, members } = this;
    if (!target) return { targets: [] };
    let targets: Node[] = [];
    if (!pool.metadata.deletionTimestamp && !pool.spec?.paused) {
      const max = maxUnavailable(pool, members.size);
      if (typeof max === "string") return { targets: [], error: max };
      const capacity = capacityLeft(counts, max);
      // All of them fit: in the cluster's (name) order; otherwise the first in sortNodeList's order.
      const names = this.candidates.size <= capacity ? [...this.candidates.keys()].sort(compareNames) : this.candidateOrder.first(capacity).map(nameOfKey);
      targets = names.map((name) => members.get(name)!);
    }
    const reasons = [...counts.degradedReasons].sort(([a], [b]) => compareNames(a, b)).map(([, message]) => message);
    return poolStep(pool, target, members.size, counts, reasons, targets, now);
  }

  /** A candidate keeps its place in the order until it stops being one or its key changes. */
  private setCandidate(name: string, node: Node | undefined): void {
    const key = this.target && node && isCandidate(node, this.target) ? nodeOrderKey(node) : undefined;
    const was = this.candidates.get(name);
    if (key === was) return;
    if (was !== undefined) this.candidateOrder.delete(was);
    if (key === undefined) {
      this.candidates.delete(name);
    } else {
      this.candidates.set(name, key);
      this.candidateOrder.add(key);
    }
  }
}

/** What status.go counts of a pool's nodes, as sums that a node can be taken out of again. */
interface PoolCounts {
  updated: number;
  ready: number;
  unavailable: number;
  degraded: number;
  /** Nodes failing on the pool's very config: they count against maxUnavailable. */
  failingThisConfig: number;
  /** NodeDegraded's message for each degraded node that gives a reason, by node name, in the order counted. */
  degradedReasons: Map<string, string>;
}

function emptyCounts(): PoolCounts {
  return { updated: 0, ready: 0, unavailable: 0, degraded: 0, failingThisConfig: 0, degradedReasons: new Map() };
}

/** Count a node in (+1) or out (-1): getUpdatedMachines, getReadyMachines, getUnavailableMachines, getDegradedMachines. */
function countNode(counts: PoolCounts, node: Node, target: string, sign: 1 | -1): void {
  const name = nodeName(node);
  const annotations = node.metadata.annotations;
  const desired = annotations?.[MCO_DESIRED_CONFIG];
  const facts = factsOf(node, annotations?.[MCO_STATE], annotations?.[MCO_CURRENT_CONFIG], desired, target);
  if (facts & UPDATED) {
    counts.updated += sign;
    if (facts & READY) counts.ready += sign;
  }
  if (facts & UNAVAILABLE) counts.unavailable += sign;
  if (facts & DEGRADED) {
    counts.degraded += sign;
    const reason = annotations?.[MCO_REASON];
    if (sign < 0) counts.degradedReasons.delete(name);
    else if (reason) counts.degradedReasons.set(name, `Node ${name} is reporting: ${JSON.stringify(reason)}`);
  }
  if (facts & FAILING && desired === target) counts.failingThisConfig += sign;
}

/** getAllCandidateMachines: a candidate is not yet given the target, and Ready. */
function isCandidate(node: Node, target: string): boolean {
  return desiredConfig(node) !== target && (nodeFacts(node, target) & READY) !== 0;
}

/**
 * getAllCandidateMachines' capacity: maxUnavailable less the unavailable nodes and less the nodes
 * failing on this very config (0: none may start).
 */
function capacityLeft(counts: PoolCounts, max: number): number {
  if (counts.unavailable >= max) return 0;
  const capacity = max - counts.unavailable;
  return counts.failingThisConfig >= capacity ? 0 : capacity - counts.failingThisConfig;
}

/** The targets, and the status of the pool with the targets given their new config (calculateStatus). */
function poolStep(pool: MachineConfigPool, target: string, machineCount: number, counts: PoolCounts, reasons: string[], targets: readonly Node[], now: Date): PoolSyncStep {
  const after = { updated: counts.updated, ready: counts.ready, unavailable: counts.unavailable, degraded: counts.degraded };
  for (const node of targets) {
    const was = nodeFacts(node, target);
    const now = nodeFacts(targeted(node, target), target);
    after.unavailable += Number(Boolean(now & UNAVAILABLE)) - Number(Boolean(was & UNAVAILABLE));
    after.degraded += Number(Boolean(now & DEGRADED)) - Number(Boolean(was & DEGRADED));
  }
  return { targets: targets.map(nodeName), status: calculateStatus(pool, machineCount, after, reasons, now) };
}

/**
 * sortNodeList: nodes with a zone label first, by zone, then oldest creationTimestamp first; nodes
 * without a zone last, oldest first. Upstream's sort is unstable (ties come out in any order); the
 * twin breaks ties by name. creationTimestamps are RFC 3339 in UTC, so their text sorts by time.
 */
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
  return compareNames(nodeName(a), nodeName(b));
}

/** sortNodeList's order as text that sorts the same way (no part holds a NUL: label values and timestamps cannot). */
function nodeOrderKey(node: Node): string {
  const zone = node.metadata.labels?.[ZONE_LABEL];
  return `${zone === undefined ? "1" : `0${zone}`}\u0000${node.metadata.creationTimestamp ?? ""}\u0000${nodeName(node)}`;
}

function nameOfKey(key: string): string {
  return key.slice(key.lastIndexOf("\u0000") + 1);
}

function nodeName(node: Node): string {
  return node.metadata.name ?? "";
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
