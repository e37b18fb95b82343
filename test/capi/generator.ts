// Scenarios for the differential test against Cluster API's own MachineHealthCheck controller: plain
// data from a seeded generator (the same seed gives the same scenarios), plus the seed's worked examples.
//
// Times are offsets in seconds from the moment the objects are written (negative: in the past), and are
// kept far from every threshold, so that the real controller (which reads time.Now()) and the evaluation
// (given the time the result is read) judge each machine the same way whatever the minutes in between:
// - a Node condition that should have expired started at least an hour past its timeout;
// - one that should be pending started at most a minute ago, under a timeout of 5 minutes or more;
// - a Node-less Machine times out under nodeStartupTimeout "1s" (the health check is created seconds after
//   its Machines), or is pending under 10m / 1h, or is never checked ("0s").

export type ConditionState = "True" | "False" | "Unknown";

export interface NodeConditionSpec {
  type: string;
  status: ConditionState;
  /** Offset of lastTransitionTime. */
  since: number;
}

export interface PriorCondition {
  type: "HealthCheckSucceeded" | "OwnerRemediated";
  status: ConditionState;
  reason?: string;
  severity?: string;
  message?: string;
  since: number;
}

export interface MachineScenario {
  name: string;
  controlPlane: boolean;
  owner: "MachineSet" | "KubeadmControlPlane" | "none" | "other";
  /** Labels that decide selection: the pool label and the cluster-name label's value. */
  pool: string;
  clusterLabel: "own" | "other";
  /** "ready": a Node with the given conditions; "none": no nodeRef yet; "missing": a nodeRef to a Node that does not exist. */
  node: { kind: "ready"; conditions: NodeConditionSpec[] } | { kind: "none" } | { kind: "missing" };
  annotations: string[];
  failureReason?: string;
  failureMessage?: string;
  deleting: boolean;
  /** The Machine's own InfrastructureReady condition. */
  infrastructureReady?: { status: ConditionState; since: number };
  prior: PriorCondition[];
  /** An external remediation request that already exists for it. */
  existingRequest: boolean;
}

export interface Scenario {
  id: string;
  /** What the case is about, for failure messages. */
  title: string;
  cluster: {
    paused: boolean;
    controlPlaneInitialized: { status: ConditionState; since: number } | undefined;
    infrastructureReady: { status: ConditionState; since: number };
  };
  mhc: {
    paused: boolean;
    selector: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] };
    maxUnhealthy?: number | string;
    unhealthyRange?: string;
    nodeStartupTimeout?: string;
    unhealthyConditions: { type: string; status: string; timeout: string }[];
    template?: "exists" | "missing" | "without-spec-template";
  };
  machines: MachineScenario[];
}

/** mulberry32: small, fast, and the same everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Dice {
  constructor(readonly random: () => number) {}
  chance(p: number): boolean {
    return this.random() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  pick<T>(values: readonly T[]): T {
    return values[Math.floor(this.random() * values.length)]!;
  }
  weighted<T>(entries: readonly [T, number][]): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.random() * total;
    for (const [value, weight] of entries) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Seconds of the timeouts the generator uses (Go durations). */
const timeoutSeconds: Record<string, number> = { "0s": 0, "-1m": -60, "90s": 90, "300s": 300, "5m": 300, "10m": 600, "1h": 3600, "1h30m": 5400 };

const conditionTypes = ["Ready", "Ready", "Ready", "DiskPressure", "MemoryPressure", "NetworkUnavailable"];

/** `count` scenarios from `seed`, ids g001, g002, ... */
export function generateScenarios(seed: number, count: number): Scenario[] {
  const dice = new Dice(seededRandom(seed));
  return Array.from({ length: count }, (_, i) => generateOne(dice, `g${String(i + 1).padStart(3, "0")}`));
}

function generateOne(dice: Dice, id: string): Scenario {
  const unhealthyConditions = Array.from({ length: dice.weighted([[0, 1], [1, 3], [2, 4], [3, 2]]) }, () => ({
    type: dice.pick(conditionTypes),
    status: dice.weighted<ConditionState>([["False", 4], ["Unknown", 3], ["True", 2]]),
    timeout: dice.pick(Object.keys(timeoutSeconds)),
  }));
  const cpi = dice.weighted<"true-old" | "true-future" | "false" | "absent">([["true-old", 12], ["true-future", 1], ["false", 2], ["absent", 1]]);
  const cluster: Scenario["cluster"] = {
    paused: dice.chance(0.05),
    controlPlaneInitialized:
      cpi === "absent" ? undefined : cpi === "false" ? { status: "False", since: -HOUR } : { status: "True", since: cpi === "true-old" ? -DAY : HOUR },
    infrastructureReady: dice.chance(0.93) ? { status: "True", since: dice.chance(0.9) ? -DAY : HOUR } : { status: "False", since: -HOUR },
  };
  const template = dice.weighted<Scenario["mhc"]["template"] | undefined>([[undefined, 16], ["exists", 3], ["missing", 1], ["without-spec-template", 1]]);
  const machineCount = dice.weighted([[0, 1], [1, 3], [2, 3], [3, 4], [4, 3], [5, 3], [6, 2], [8, 1], [12, 1]]);
  const machines = Array.from({ length: machineCount }, (_, i) => generateMachine(dice, `m${i}`, unhealthyConditions, template !== undefined));
  const limit = dice.weighted<"int" | "percent" | "range" | "odd">([["int", 4], ["percent", 5], ["range", 2], ["odd", 1]]);
  const mhc: Scenario["mhc"] = {
    paused: dice.chance(0.04),
    selector: dice.chance(0.8) ? { matchLabels: { pool: "a" } } : { matchExpressions: [{ key: "pool", operator: "In", values: ["a", "c"] }] },
    nodeStartupTimeout: dice.weighted<string | undefined>([[undefined, 3], ["10m", 2], ["1h", 1], ["0s", 2], ["1s", 3]]),
    unhealthyConditions,
    ...(template ? { template } : {}),
  };
  switch (limit) {
    case "int":
      mhc.maxUnhealthy = dice.int(0, machineCount + 1);
      break;
    case "percent":
      mhc.maxUnhealthy = dice.pick(["0%", "20%", "34%", "40%", "50%", "60%", "100%", "150%"]);
      break;
    case "range": {
      const min = dice.int(0, 3);
      mhc.unhealthyRange = `[${min}-${min + dice.int(0, 4)}]`;
      if (dice.chance(0.5)) mhc.maxUnhealthy = dice.pick([0, "100%"]); // the range takes precedence
      break;
    }
    case "odd":
      // What the API server accepts but the webhook would refuse or default.
      Object.assign(
        mhc,
        dice.pick<Partial<Scenario["mhc"]>>([
          { maxUnhealthy: -1 },
          { maxUnhealthy: "+50%" },
          { maxUnhealthy: "-10%" },
          { maxUnhealthy: "40" },
          {},
          { unhealthyRange: "[4-1]" },
          { unhealthyRange: "[0-0]" },
        ]),
      );
      break;
  }
  const title = `${machineCount} machines; ${mhc.unhealthyRange !== undefined ? `unhealthyRange ${mhc.unhealthyRange}` : `maxUnhealthy ${JSON.stringify(mhc.maxUnhealthy ?? null)}`}; CPI ${cpi}; ${template ?? "no template"}`;
  return { id, title, cluster, mhc, machines };
}

function generateMachine(dice: Dice, name: string, rules: Scenario["mhc"]["unhealthyConditions"], withTemplate: boolean): MachineScenario {
  const controlPlane = dice.chance(0.2);
  const nodeKind = dice.weighted<"ready" | "none" | "missing">([["ready", 14], ["none", 3], ["missing", 1]]);
  let node: MachineScenario["node"];
  if (nodeKind === "ready") {
    const conditions: NodeConditionSpec[] = [];
    const types = [...new Set(["Ready", ...rules.map((r) => r.type)])];
    for (const type of types) {
      if (type !== "Ready" && dice.chance(0.3)) continue;
      const ofType = rules.filter((r) => r.type === type);
      // Often match a rule on purpose; else a healthy status (which may still match another rule).
      const rule = ofType.length > 0 && dice.chance(0.45) ? dice.pick(ofType) : undefined;
      const status: ConditionState = rule ? (rule.status as ConditionState) : type === "Ready" ? "True" : "False";
      // Far from every threshold of the rules this condition matches: either expired for all of them by
      // an hour or more, or (when each timeout is at least 5m) started less than a minute ago.
      const timeouts = rules.filter((r) => r.type === type && r.status === status).map((r) => timeoutSeconds[r.timeout]!);
      const pendingPossible = timeouts.length > 0 && Math.min(...timeouts) >= 300;
      const since = pendingPossible && dice.chance(0.4) ? -dice.int(5, 60) : -(Math.max(0, ...timeouts) + dice.int(HOUR, DAY));
      conditions.push({ type, status, since });
    }
    node = { kind: "ready", conditions };
  } else {
    node = { kind: nodeKind };
  }
  const annotations: string[] = [];
  if (dice.chance(0.05)) annotations.push("cluster.x-k8s.io/paused");
  if (dice.chance(0.05)) annotations.push("cluster.x-k8s.io/skip-remediation");
  if (dice.chance(0.07)) annotations.push("cluster.x-k8s.io/remediate-machine");
  const prior: PriorCondition[] = [];
  const priorKind = dice.weighted<"none" | "healthy" | "marked" | "in-progress" | "done">([["none", 12], ["healthy", 2], ["marked", 2], ["in-progress", 1], ["done", 1]]);
  if (priorKind === "healthy") prior.push({ type: "HealthCheckSucceeded", status: "True", since: -DAY });
  if (priorKind === "marked" || priorKind === "in-progress" || priorKind === "done") {
    prior.push({ type: "HealthCheckSucceeded", status: "False", reason: "NodeStartupTimeout", severity: "Warning", message: "Node failed to report startup in 10m0s", since: -HOUR });
    if (priorKind === "marked") prior.push({ type: "OwnerRemediated", status: "False", reason: "WaitingForRemediation", severity: "Warning", since: -HOUR });
    if (priorKind === "in-progress") prior.push({ type: "OwnerRemediated", status: "False", reason: "RemediationInProgress", severity: "Warning", since: -HOUR });
    if (priorKind === "done") prior.push({ type: "OwnerRemediated", status: "True", since: -HOUR });
  }
  const infra = dice.weighted<"absent" | "old" | "future" | "false">([["absent", 3], ["old", 6], ["future", 1], ["false", 1]]);
  const failureReason = dice.chance(0.06) ? dice.pick(["UpdateError", "CreateError"]) : undefined;
  const failureMessage = dice.chance(0.05) ? dice.pick(["instance terminated", "out of quota"]) : undefined;
  // A request that exists already, only for a machine that cannot be unhealthy: upstream stops marking at
  // the first unhealthy target that has one, and its targets come in random order.
  const cannotBeUnhealthy =
    node.kind === "ready" &&
    node.conditions.every((c) => !rules.some((r) => r.type === c.type && r.status === c.status)) &&
    !annotations.includes("cluster.x-k8s.io/remediate-machine") &&
    failureReason === undefined &&
    failureMessage === undefined;
  const existingRequest = withTemplate && cannotBeUnhealthy && dice.chance(0.4);
  return {
    name,
    controlPlane,
    owner: controlPlane ? dice.weighted([["KubeadmControlPlane", 8], ["none", 1]]) : dice.weighted([["MachineSet", 8], ["none", 2], ["other", 1]]),
    pool: dice.weighted([["a", 10], ["c", 1], ["b", 1]]),
    clusterLabel: dice.chance(0.95) ? "own" : "other",
    node,
    annotations,
    ...(failureReason !== undefined ? { failureReason } : {}),
    ...(failureMessage !== undefined ? { failureMessage } : {}),
    deleting: dice.chance(0.06),
    ...(infra === "absent" ? {} : { infrastructureReady: infra === "false" ? { status: "False", since: -HOUR } : { status: "True", since: infra === "old" ? -DAY : HOUR } }),
    prior,
    existingRequest,
  };
}

// -------------------------------------------------------------------------------------------------
// The seed's worked examples (shared/seeds/004, spec/machinehealthcheck.md §4): maxUnhealthy 2 any number,
// 40% of 25 (10 allowed, 11 not), 40% of 6 (2 allowed, 3 not); and its two MachineHealthChecks as written.

const seedConditions = [
  { type: "Ready", status: "Unknown", timeout: "300s" },
  { type: "Ready", status: "False", timeout: "300s" },
];

function seedFleet(total: number, unhealthy: number, controlPlane = false): MachineScenario[] {
  return Array.from({ length: total }, (_, i) => ({
    name: `m${i}`,
    controlPlane,
    owner: controlPlane ? "KubeadmControlPlane" : "MachineSet",
    pool: "a",
    clusterLabel: "own",
    node: { kind: "ready", conditions: [{ type: "Ready", status: i < unhealthy ? (i % 2 ? "Unknown" : "False") : "True", since: -DAY }] },
    annotations: [],
    deleting: false,
    infrastructureReady: { status: "True", since: -DAY },
    prior: [],
    existingRequest: false,
  }));
}

function seedCase(id: string, title: string, maxUnhealthy: number | string, total: number, unhealthy: number, controlPlane = false): Scenario {
  return {
    id,
    title,
    cluster: { paused: false, controlPlaneInitialized: { status: "True", since: -DAY }, infrastructureReady: { status: "True", since: -DAY } },
    mhc: {
      paused: false,
      selector: controlPlane ? { matchLabels: { "cluster.x-k8s.io/control-plane": "" } } : { matchLabels: { pool: "a" } },
      maxUnhealthy,
      ...(controlPlane ? {} : { nodeStartupTimeout: "10m" }),
      unhealthyConditions: seedConditions,
    },
    machines: seedFleet(total, unhealthy, controlPlane),
  };
}

export function seedScenarios(): Scenario[] {
  return [
    seedCase("seed-abs2-5of2", "seed: maxUnhealthy 2, 2 of 5 unhealthy: remediated", 2, 5, 2),
    seedCase("seed-abs2-5of3", "seed: maxUnhealthy 2, 3 of 5 unhealthy: short-circuited", 2, 5, 3),
    seedCase("seed-40pct-25of10", "seed: 40% of 25, 10 unhealthy: remediated", "40%", 25, 10),
    seedCase("seed-40pct-25of11", "seed: 40% of 25, 11 unhealthy: short-circuited", "40%", 25, 11),
    seedCase("seed-40pct-6of2", "seed: 40% of 6, 2 unhealthy: remediated", "40%", 6, 2),
    seedCase("seed-40pct-6of3", "seed: 40% of 6, 3 unhealthy: short-circuited", "40%", 6, 3),
    seedCase("seed-kcp-3of1", "seed: the control plane check (100%), 1 of 3 unhealthy", "100%", 3, 1, true),
  ];
}
