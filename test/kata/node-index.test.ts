import { describe, expect, it } from "vitest";
import type { Node } from "../../provider/k8s/core";
import { deriveStatus, isWorker } from "../../provider/kata/derive";
import { KATA_EXTENSION } from "../../provider/kata/machine-config";
import {
  KATA_ELIGIBLE_LABEL,
  KATA_NODE_ROLE_LABEL,
  type KataConfig,
  type MachineConfig,
  type MachineConfigPool,
  MASTER_ROLE_LABEL,
  MCO_CURRENT_CONFIG,
  MCO_DESIRED_CONFIG,
  MCO_REASON,
  MCO_STATE,
  WORKER_ROLE_LABEL,
  ZONE_LABEL,
} from "../../provider/kata/model";
import { KataNodeIndex } from "../../provider/kata/node-index";
import { kataSelectorMatcher, scanNodes } from "../../provider/kata/node-view";
import { isConvergedCluster } from "../../provider/kata/machine-config";
import { kataOperatorStep } from "../../provider/kata/operator-step";
import { daemonIdle, daemonStep, MCD_ATTEMPT_ANNOTATION, NODE_FAULT_ANNOTATION, PoolTally, syncPool } from "../../provider/kata/rollout-step";
import { SortedNames } from "../../provider/kata/sorted-names";
import { Dice, seededRandom } from "../support/random";
import { pool } from "./world";

// The twin keeps what upstream works out from every node on each reconcile (the operator's
// updateStatus, updateNodeLabels, unlabelNodes, checkNodeEligibility; the MCO's calculateStatus and
// candidates) in indexes brought up to date one node change at a time. Here each index follows random
// histories of node changes (and of the pools and the KataConfig they depend on), and after every step
// it must answer exactly what working it out afresh from every node answers.

const STEPS = 400;
const SEEDS = [1, 2, 3, 4, 5, 6];

const states = ["Done", "Done", "Done", "Working", "Degraded", "Unreconcilable", "Rebooting", undefined];
const configs = ["rendered-worker-1", "rendered-worker-2", "rendered-kata-oc-1", "rendered-kata-oc-2", "rendered-master-1", "rendered-master-k", undefined];

/** A node with a random role, labels, daemon annotations, readiness and age. */
function randomNode(dice: Dice, name: string): Node {
  const labels: Record<string, string> = {};
  const role = dice.weighted<"worker" | "odd-worker" | "master" | "none">([["worker", 8], ["odd-worker", 1], ["master", 2], ["none", 1]]);
  if (role === "worker") labels[WORKER_ROLE_LABEL] = "";
  if (role === "odd-worker") labels[WORKER_ROLE_LABEL] = "yes"; // a worker upstream's getNodes does not list
  if (role === "master") labels[MASTER_ROLE_LABEL] = "";
  if (dice.chance(0.5)) labels[KATA_NODE_ROLE_LABEL] = dice.chance(0.9) ? "" : "x";
  if (dice.chance(0.3)) labels[KATA_ELIGIBLE_LABEL] = dice.pick(["true", "false"]);
  if (dice.chance(0.6)) labels.tier = dice.pick(["a", "b"]);
  if (dice.chance(0.6)) labels[ZONE_LABEL] = dice.pick(["zone-a", "zone-b", "zone-c"]);
  const annotations: Record<string, string> = {};
  const state = dice.pick(states);
  if (state !== undefined) annotations[MCO_STATE] = state;
  const current = dice.pick(configs);
  if (current !== undefined) annotations[MCO_CURRENT_CONFIG] = current;
  const desired = dice.chance(0.7) ? current : dice.pick(configs);
  if (desired !== undefined) annotations[MCO_DESIRED_CONFIG] = desired;
  if (dice.chance(0.4)) annotations[MCO_REASON] = dice.pick(["", "disk full", "cannot drain"]);
  if (dice.chance(0.1)) annotations[NODE_FAULT_ANNOTATION] = dice.pick(["disk full", "kernel panic"]);
  if (dice.chance(0.1)) annotations[MCD_ATTEMPT_ANNOTATION] = `${desired ?? "rendered-worker-1"}@2026-01-01T00:0${dice.int(0, 9)}:00.000Z`;
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, creationTimestamp: `2024-0${dice.int(1, 9)}-01T00:00:00Z`, labels, annotations },
    ...(dice.chance(0.15) ? { spec: { unschedulable: true } } : {}),
    ...(dice.chance(0.8) ? { status: { conditions: [{ type: "Ready", status: dice.chance(0.9) ? "True" : "False" }] } } : {}),
  };
}

/** Pools in one of the shapes a cluster can have: before, during and after an install, compact. */
function randomPools(dice: Dice): { pools: MachineConfigPool[]; machineConfigs: MachineConfig[] } {
  const withTarget = (p: MachineConfigPool, target: string, machineCount?: number): MachineConfigPool => ({
    ...p,
    spec: { ...p.spec, configuration: { name: target } },
    ...(machineCount !== undefined ? { status: { machineCount } } : {}),
  });
  const kataOc: MachineConfigPool = { apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfigPool", metadata: { name: "kata-oc" }, spec: {} };
  const shape = dice.pick(["plain", "kata", "kata", "compact"] as const);
  const master = withTarget(pool("master"), dice.pick(["rendered-master-1", "rendered-master-k"]));
  const worker = withTarget(pool("worker"), dice.pick(["rendered-worker-1", "rendered-worker-2"]), shape === "compact" ? 0 : 3);
  const machineConfigs: MachineConfig[] = [
    { apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfig", metadata: { name: "rendered-master-k" }, spec: { extensions: [KATA_EXTENSION] } },
    { apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfig", metadata: { name: "rendered-master-1" }, spec: {} },
  ];
  if (shape === "kata") return { pools: [master, worker, withTarget(kataOc, dice.pick(["rendered-kata-oc-1", "rendered-kata-oc-2"]))], machineConfigs };
  return { pools: [master, worker], machineConfigs };
}

function randomKataConfig(dice: Dice): KataConfig {
  const selector = dice.pick([
    undefined,
    { matchLabels: { tier: "a" } },
    { matchExpressions: [{ key: "tier", operator: "In" as const, values: ["a", "b"] }] },
    { matchExpressions: [{ key: "tier", operator: "DoesNotExist" as const }] },
  ]);
  return {
    apiVersion: "kataconfiguration.openshift.io/v1",
    kind: "KataConfig",
    metadata: { name: "example" },
    spec: { ...(selector ? { kataConfigPoolSelector: selector } : {}), ...(dice.chance(0.3) ? { checkNodeEligibility: true } : {}) },
  };
}

/** The nodes as the twin lists them: by name. */
function listed(nodes: Map<string, Node>): Node[] {
  return [...nodes.values()].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
}

/** A random step of a history: a node changes, appears or goes; now and then the pools or the KataConfig change. */
function step(dice: Dice, nodes: Map<string, Node>, next: () => string): { before?: Node; after?: Node; basis?: true } {
  const names = [...nodes.keys()];
  const roll = dice.random();
  if (roll < 0.04) return { basis: true };
  if (roll < 0.12 || names.length === 0) {
    const node = randomNode(dice, next());
    nodes.set(node.metadata.name!, node);
    return { after: node };
  }
  const name = dice.pick(names);
  const before = nodes.get(name)!;
  if (roll < 0.18) {
    nodes.delete(name);
    return { before };
  }
  let after: Node;
  if (dice.chance(0.6)) {
    after = mutated(dice, before);
  } else {
    after = randomNode(dice, name);
    after.metadata.creationTimestamp = before.metadata.creationTimestamp;
  }
  nodes.set(name, after);
  return { before, after };
}

/** The node with one thing changed, as the daemon, the MCO, the operator or a user would change it. */
function mutated(dice: Dice, node: Node): Node {
  const copy = structuredClone(node);
  const annotations = (copy.metadata.annotations ??= {});
  const labels = (copy.metadata.labels ??= {});
  const set = (map: Record<string, string>, key: string, value: string | undefined) => (value === undefined ? delete map[key] : (map[key] = value));
  switch (dice.int(0, 7)) {
    case 0:
      set(annotations, MCO_STATE, dice.pick(states));
      break;
    case 1:
      set(annotations, MCO_CURRENT_CONFIG, dice.pick(configs));
      break;
    case 2:
      set(annotations, MCO_DESIRED_CONFIG, dice.pick(configs));
      break;
    case 3:
      set(labels, KATA_NODE_ROLE_LABEL, dice.pick(["", undefined]));
      break;
    case 4:
      set(labels, "tier", dice.pick(["a", "b", undefined]));
      break;
    case 5:
      copy.spec = { unschedulable: !copy.spec?.unschedulable };
      break;
    case 6:
      copy.status = { conditions: [{ type: "Ready", status: dice.pick(["True", "False"]) }] };
      break;
    default:
      set(annotations, MCO_REASON, dice.pick(["", "disk full", "cannot drain"]));
  }
  return copy;
}

/** A node back to calm (its update done), keeping its age and labels. */
function calmStep(dice: Dice, nodes: Map<string, Node>): { before?: Node; after?: Node; basis?: true } {
  const name = dice.pick([...nodes.keys()]);
  const before = nodes.get(name)!;
  const after = { ...calmNode(dice, name), metadata: { ...before.metadata, annotations: calmNode(dice, name).metadata.annotations } };
  nodes.set(name, after);
  return { before, after };
}

/** What a worker's facts are, spelled out, for the digest's meaning. */
/** A history's first 30 nodes, by name, and the namer of the nodes it adds later. */
function startingNodes(dice: Dice, make: (dice: Dice, name: string) => Node): { nodes: Map<string, Node>; next: () => string } {
  let counter = 0;
  const next = () => `node-${String(counter++).padStart(3, "0")}`;
  const nodes = new Map<string, Node>();
  for (let i = 0; i < 30; i++) {
    const node = make(dice, next());
    nodes.set(node.metadata.name!, node);
  }
  return { nodes, next };
}

function workerFacts(nodes: readonly Node[], kataConfig: KataConfig, pools: readonly MachineConfigPool[]): string {
  const matches = kataSelectorMatcher(kataConfig, isConvergedCluster(pools));
  const letter = (s: string | undefined) => ({ Done: "D", Working: "W", Degraded: "G", Unreconcilable: "U" })[s ?? ""] ?? (s === undefined ? "-" : "?");
  return nodes
    .filter(isWorker)
    .map((n) => `${n.metadata.name}:${letter(n.metadata.annotations?.[MCO_STATE])}${matches(n) ? 1 : 0}`)
    .join(",");
}

describe("KataNodeIndex answers what a reconcile works out from every node", () => {
  it.each(SEEDS)("on a random history (seed %i)", (seed) => {
    const dice = new Dice(seededRandom(seed));
    const { nodes, next } = startingNodes(dice, randomNode);
    let { pools, machineConfigs } = randomPools(dice);
    let kataConfig = randomKataConfig(dice);
    const index = new KataNodeIndex();
    index.rebase(kataConfig, pools, machineConfigs, nodes.values());
    let digest = index.eventDigest();
    let facts = workerFacts(listed(nodes), kataConfig, pools);

    for (let i = 0; i < STEPS; i++) {
      const change = step(dice, nodes, next);
      if (change.basis) {
        ({ pools, machineConfigs } = randomPools(dice));
        if (dice.chance(0.5)) kataConfig = randomKataConfig(dice);
      } else {
        index.update(change.before, change.after);
      }
      index.rebase(kataConfig, pools, machineConfigs, nodes.values());

      const all = listed(nodes);
      const scan = scanNodes({ kataConfig, nodes: all, pools, machineConfigs });
      const where = `seed ${seed}, step ${i}`;
      expect(index.anyEligible(), where).toBe(scan.anyEligible());
      expect(index.labelChanges(), where).toEqual(scan.labelChanges());
      expect(index.labelledMatching(), where).toEqual(scan.labelledMatching());
      expect(index.status([], []), where).toEqual(deriveStatus({ nodes: all, pools, machineConfigs }));
      const label = all.filter(() => dice.chance(0.1)).map((n) => n.metadata.name!);
      const unlabel = all.filter((n) => !label.includes(n.metadata.name!) && dice.chance(0.1)).map((n) => n.metadata.name!);
      expect(index.status(label, unlabel), where).toEqual(scan.status(label, unlabel));

      // The digest moves exactly when a worker's facts (daemon state, selector match) or the workers do.
      const nowFacts = workerFacts(all, kataConfig, pools);
      expect(index.eventDigest() !== digest, where).toBe(nowFacts !== facts);
      const fresh = new KataNodeIndex();
      fresh.rebase(kataConfig, pools, machineConfigs, all);
      expect(index.eventDigest(), where).toBe(fresh.eventDigest());
      digest = index.eventDigest();
      facts = nowFacts;
    }
  });

  it("makes the operator take the same step as the node list does", () => {
    const dice = new Dice(seededRandom(42));
    for (let i = 0; i < 300; i++) {
      const nodes = Array.from({ length: dice.int(0, 12) }, (_, n) => randomNode(dice, `node-${String(n).padStart(2, "0")}`));
      const { pools, machineConfigs } = randomPools(dice);
      const kataConfig: KataConfig = {
        ...randomKataConfig(dice),
        metadata: { name: "example", ...(dice.chance(0.5) ? { finalizers: ["kataconfiguration.openshift.io/finalizer"] } : {}), ...(dice.chance(0.3) ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}) },
        ...(dice.chance(0.6) ? { status: { waitingForMcoToStart: dice.chance(0.3), conditions: [{ type: "InProgress", status: dice.pick(["True", "False"]), reason: dice.pick(["Installing", "Updating", "Failed", ""]), message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }] } } : {}),
      };
      const index = new KataNodeIndex();
      index.rebase(kataConfig, pools, machineConfigs, nodes);
      const input = { kataConfig, pools, machineConfigs, pods: [], runtimeClasses: [], now: new Date("2026-01-01T01:00:00Z") };
      expect(kataOperatorStep({ ...input, nodes: index }), `case ${i}`).toEqual(kataOperatorStep({ ...input, nodes }));
    }
  });
});

/** A worker as most are during a rollout: Done on its config, Ready, schedulable. */
function calmNode(dice: Dice, name: string): Node {
  const node = randomNode(dice, name);
  const config = dice.pick(["rendered-worker-1", "rendered-worker-2"]);
  node.metadata.annotations = { [MCO_STATE]: "Done", [MCO_CURRENT_CONFIG]: config, [MCO_DESIRED_CONFIG]: config };
  node.status = { conditions: [{ type: "Ready", status: "True" }] };
  delete node.spec;
  return node;
}

describe("PoolTally kept up to date gives what syncPool gives on the same nodes", () => {
  it.each(SEEDS)("on a random history (seed %i)", (seed) => {
    const dice = new Dice(seededRandom(seed));
    const { nodes, next } = startingNodes(dice, calmNode);
    let picked = 0;
    const randomPool = () =>
      pool("worker", { configuration: { name: dice.pick(["rendered-worker-1", "rendered-worker-2"]) }, maxUnavailable: dice.pick([1, 2, 3, "50%", "10%"]), ...(dice.chance(0.1) ? { paused: true } : {}) });
    let current = randomPool();
    const tally = new PoolTally(current);
    for (const node of nodes.values()) tally.set(node);
    const now = new Date("2026-01-01T01:00:00Z");
    for (let i = 0; i < STEPS; i++) {
      // Mostly calm nodes coming back, so that the pool has room and picks candidates.
      const change = dice.chance(0.5) ? calmStep(dice, nodes) : step(dice, nodes, next);
      if (change.basis) {
        current = randomPool();
        tally.pool = current;
      } else if (change.after) {
        tally.set(change.after);
      } else {
        tally.delete(change.before!.metadata.name!);
      }
      const expected = syncPool(current, listed(nodes), now);
      expect(tally.sync(now), `seed ${seed}, step ${i}`).toEqual(expected);
      if (expected.targets.length > 0) picked++;
    }
    expect(picked).toBeGreaterThan(STEPS / 10);
  });
});

describe("daemonIdle", () => {
  it("holds only for nodes the daemon has nothing to do on, at any time", () => {
    const dice = new Dice(seededRandom(7));
    let idle = 0;
    for (let i = 0; i < 2000; i++) {
      const node = randomNode(dice, `node-${i}`);
      if (!daemonIdle(node)) continue;
      idle++;
      for (const minute of [0, 1, 5, 30, 600]) {
        expect(daemonStep(node, new Date(Date.parse("2026-01-01T00:00:00Z") + minute * 60_000), { nodeUpdateMs: 60_000 }), node.metadata.name).toEqual({});
      }
    }
    expect(idle).toBeGreaterThan(200);
  });
});

describe("SortedNames", () => {
  it("keeps names in sort order through adds and deletes anywhere, mostly at the front and the back", () => {
    const dice = new Dice(seededRandom(11));
    const names = new SortedNames();
    let expected: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const name = `n-${String(dice.int(0, 400)).padStart(3, "0")}`;
      const where = dice.pick(["front", "back", "any"]);
      const target = where === "front" ? expected[0] : where === "back" ? expected.at(-1) : undefined;
      if (dice.chance(0.5)) {
        names.add(name);
        if (!expected.includes(name)) expected = [...expected, name].sort();
      } else {
        const gone = target ?? name;
        names.delete(gone);
        expected = expected.filter((n) => n !== gone);
      }
      const now = names.snapshot();
      expect(now, `op ${i}`).toEqual(expected);
      expect(names.size).toBe(expected.length);
      expect(names.first(3)).toEqual(expected.slice(0, 3));
      expect(Object.isFrozen(now)).toBe(true);
      expect(names.snapshot(), "the same array while nothing changes").toBe(now);
    }
  });
});
