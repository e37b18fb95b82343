import { describe, expect, it } from "vitest";
import type { Node } from "../../provider/k8s/core";
import {
  evaluateMachineHealthCheck,
  machineHealthCheckStatus,
  parseUnhealthyRange,
  scaleMaxUnhealthy,
  type MachineVerdict,
} from "../../provider/mhc";
import type { Cluster, Machine, MachineHealthCheck } from "../../provider/mhc/model";
import {
  CLUSTER,
  NOW,
  ago,
  cluster,
  controlPlaneMachine,
  controlPlaneOwner,
  fleet,
  machine,
  machineSetOwner,
  mhc,
  node,
} from "./factories";

function evaluate(options: { check?: MachineHealthCheck; cluster?: Cluster; machines: Machine[]; nodes?: Node[]; now?: Date }) {
  return evaluateMachineHealthCheck({
    machineHealthCheck: options.check ?? mhc(),
    cluster: options.cluster ?? cluster(),
    machines: options.machines,
    nodes: options.nodes ?? options.machines.map((m) => node(m.metadata.name!)),
    now: options.now ?? NOW,
  });
}

/** The verdict on the one machine called "m". */
function verdictOf(m: Machine, nodes?: Node[], check?: MachineHealthCheck, onCluster?: Cluster): MachineVerdict {
  const result = evaluate({ machines: [m], ...(nodes ? { nodes } : {}), ...(check ? { check } : {}), ...(onCluster ? { cluster: onCluster } : {}) });
  expect(result.machines).toHaveLength(1);
  return result.machines[0]!;
}

describe("which machines count", () => {
  it("selects by the selector, the cluster-name label and the namespace", () => {
    const machines = [
      machine("selected"),
      machine("other-pool", { labels: { "cluster.x-k8s.io/cluster-name": CLUSTER, nodepool: "nodepool-1" } }),
      machine("other-cluster", { labels: { "cluster.x-k8s.io/cluster-name": "other", nodepool: "nodepool-0" } }),
      machine("no-cluster-label", { labels: { nodepool: "nodepool-0" } }),
      machine("other-namespace", { namespace: "elsewhere" }),
    ];
    const result = evaluate({ machines });
    expect(result.machines.map((m) => m.name)).toEqual(["selected"]);
    expect(result.targets).toEqual(["selected"]);
    expect(result.expectedMachines).toBe(1);
  });

  it("selects with matchExpressions", () => {
    const check = mhc({ selector: { matchExpressions: [{ key: "nodepool", operator: "In", values: ["nodepool-0", "nodepool-1"] }] } });
    const machines = [machine("a"), machine("b", { labels: { "cluster.x-k8s.io/cluster-name": CLUSTER, nodepool: "nodepool-1" } })];
    expect(evaluate({ check, machines }).targets).toEqual(["a", "b"]);
  });

  it.each([
    ["cluster.x-k8s.io/paused", "MachinePaused"],
    ["cluster.x-k8s.io/skip-remediation", "SkipRemediation"],
  ])("leaves out a machine annotated %s (the key is enough)", (annotation, reason) => {
    const machines = [machine("skipped", { annotations: { [annotation]: "" }, failureReason: "UpdateError" }), machine("checked")];
    const result = evaluate({ machines });
    expect(result.machines[0]).toMatchObject({ name: "skipped", state: "skipped", reason });
    expect(result.targets).toEqual(["checked"]);
    expect(result.expectedMachines).toBe(1);
    expect(result.currentHealthy).toBe(1);
  });

  it.each<[string, Cluster, MachineHealthCheck, string]>([
    ["the Cluster is paused", cluster({ paused: true }), mhc(), "ClusterPaused"],
    ["the health check is annotated paused", cluster(), mhc({}, { annotations: { "cluster.x-k8s.io/paused": "true" } }), "MachineHealthCheckPaused"],
  ])("skips everything when %s", (_, onCluster, check, reason) => {
    const { machines, nodes } = fleet(3, 3);
    const result = evaluate({ check, cluster: onCluster, machines, nodes });
    expect(result).toMatchObject({ paused: true, expectedMachines: 0, currentHealthy: 0, remediationsAllowed: 0, remediationAllowed: false, targets: [] });
    expect(result.machines.every((m) => m.state === "skipped" && m.reason === reason)).toBe(true);
    expect(result.requeueAfterSeconds).toBeUndefined();
    expect(machineHealthCheckStatus(check, result, NOW)).toBeUndefined();
  });

  it("keeps the health check's conditions while paused", () => {
    const conditions = [{ type: "RemediationAllowed", status: "True", lastTransitionTime: ago(100) }];
    const check = { ...mhc(), status: { conditions } };
    expect(evaluate({ check, cluster: cluster({ paused: true }), machines: [] }).conditions).toEqual(conditions);
  });
});

describe("when a machine is unhealthy (first match wins)", () => {
  it.each<[string, Machine, Node[] | undefined, string, string]>([
    [
      "the remediate-machine annotation",
      machine("m", { annotations: { "cluster.x-k8s.io/remediate-machine": "" }, failureReason: "UpdateError" }),
      undefined,
      "HasRemediateMachineAnnotation",
      "Marked for remediation via remediate-machine annotation",
    ],
    ["failureReason", machine("m", { failureReason: "UpdateError", failureMessage: "boom" }), undefined, "MachineHasFailure", "FailureReason: UpdateError"],
    ["failureMessage", machine("m", { failureMessage: "instance terminated" }), undefined, "MachineHasFailure", "FailureMessage: instance terminated"],
    ["a Node that is gone", machine("m"), [], "NodeNotFound", "Node m has been deleted"],
    ["no Node after nodeStartupTimeout", machine("m", { nodeName: null, createdSecondsAgo: 601 }), [], "NodeStartupTimeout", "Node failed to report startup in 10m0s"],
    [
      "Ready False for more than 5m",
      machine("m"),
      [node("m", [{ status: "False", sinceSecondsAgo: 301 }])],
      "UnhealthyNode",
      "Condition Ready on node is reporting status False for more than 5m0s",
    ],
    [
      "Ready Unknown for more than 5m",
      machine("m"),
      [node("m", [{ status: "Unknown", sinceSecondsAgo: 3600 }])],
      "UnhealthyNode",
      "Condition Ready on node is reporting status Unknown for more than 5m0s",
    ],
    [
      "failure before a Node problem",
      machine("m", { failureMessage: "x" }),
      [node("m", [{ status: "False", sinceSecondsAgo: 3600 }])],
      "MachineHasFailure",
      "FailureMessage: x",
    ],
  ])("%s", (_, m, nodes, reason, message) => {
    const check = mhc({ maxUnhealthy: "100%" });
    expect(verdictOf(m, nodes, check)).toEqual({
      name: "m",
      state: "unhealthy",
      reason,
      message,
      remediatedBy: "MachineSet",
      remediation: { outcome: "remediated", message: expect.stringMatching(/^MachineSet workers deletes it; its replacement is created once it is gone/) },
    });
  });

  it("prints the timeout as Go does", () => {
    const check = mhc({ unhealthyConditions: [{ type: "DiskPressure", status: "True", timeout: "1h30m" }], nodeStartupTimeout: "90s" });
    expect(verdictOf(machine("m"), [node("m", [{ type: "DiskPressure", status: "True", sinceSecondsAgo: 5401 }])], check).message).toBe(
      "Condition DiskPressure on node is reporting status True for more than 1h30m0s",
    );
    expect(verdictOf(machine("m", { nodeName: null, createdSecondsAgo: 91 }), [], check).message).toBe("Node failed to report startup in 1m30s");
  });

  it("reads only the first Node condition of a type", () => {
    const twoReady = node("m", [
      { status: "True", sinceSecondsAgo: 3600 },
      { status: "False", sinceSecondsAgo: 3600 },
    ]);
    expect(verdictOf(machine("m"), [twoReady]).state).toBe("healthy");
  });

  it("matches the status exactly", () => {
    const check = mhc({ unhealthyConditions: [{ type: "Ready", status: "false", timeout: "1m" }] });
    expect(verdictOf(machine("m"), [node("m", [{ status: "False", sinceSecondsAgo: 3600 }])], check).state).toBe("healthy");
  });
});

describe("pending machines and rechecks", () => {
  it("waits for a Node until nodeStartupTimeout, rechecking after the rest + 1 s", () => {
    const v = verdictOf(machine("m", { nodeName: null, createdSecondsAgo: 240 }), []);
    expect(v).toMatchObject({ state: "pending", reason: "WaitingForNode", recheckAfterSeconds: 361 });
  });

  it("is not unhealthy at the exact deadline (strictly before now)", () => {
    expect(verdictOf(machine("m", { nodeName: null, createdSecondsAgo: 600 }), [])).toMatchObject({ state: "pending", recheckAfterSeconds: 1 });
    expect(verdictOf(machine("m"), [node("m", [{ status: "False", sinceSecondsAgo: 300 }])])).toMatchObject({ state: "pending", recheckAfterSeconds: 1 });
  });

  it.each<[string, Cluster, Machine, number]>([
    ["the Machine's creation", cluster(), machine("m", { nodeName: null, createdSecondsAgo: 500 }), 101],
    ["the Cluster's ControlPlaneInitialized", cluster({ controlPlaneInitialized: 300 }), machine("m", { nodeName: null, createdSecondsAgo: 3600 }), 301],
    ["the Cluster's InfrastructureReady", cluster({ infrastructureReady: 200 }), machine("m", { nodeName: null, createdSecondsAgo: 3600 }), 401],
    [
      "the Machine's InfrastructureReady",
      cluster(),
      machine("m", { nodeName: null, createdSecondsAgo: 3600, conditions: [{ type: "InfrastructureReady", status: "True", lastTransitionTime: ago(100) }] }),
      501,
    ],
  ])("counts the startup from the latest time, here %s", (_, onCluster, m, recheck) => {
    expect(verdictOf(m, [], undefined, onCluster)).toMatchObject({ state: "pending", recheckAfterSeconds: recheck });
  });

  it("ignores a Machine InfrastructureReady that is not True", () => {
    const m = machine("m", { nodeName: null, createdSecondsAgo: 3600, conditions: [{ type: "InfrastructureReady", status: "False", lastTransitionTime: ago(10) }] });
    expect(verdictOf(m, []).reason).toBe("NodeStartupTimeout");
  });

  it('never times out a Node-less machine when nodeStartupTimeout is "0", and never rechecks it', () => {
    const v = verdictOf(machine("m", { nodeName: null, createdSecondsAgo: 86_400 }), [], mhc({ nodeStartupTimeout: "0" }));
    expect(v).toMatchObject({ state: "pending", reason: "WaitingForNode" });
    expect(v.recheckAfterSeconds).toBeUndefined();
  });

  it("defaults nodeStartupTimeout to 10m when the spec has none", () => {
    const check = mhc();
    delete check.spec.nodeStartupTimeout;
    expect(verdictOf(machine("m", { nodeName: null, createdSecondsAgo: 601 }), [], check).message).toBe("Node failed to report startup in 10m0s");
  });

  it("rechecks a matching Node condition after timeout - elapsed + 1 s", () => {
    const v = verdictOf(machine("m"), [node("m", [{ status: "False", sinceSecondsAgo: 120 }])]);
    expect(v).toMatchObject({ state: "pending", reason: "UnhealthyConditionPending", recheckAfterSeconds: 181 });
  });

  it("takes the soonest recheck among the conditions", () => {
    const check = mhc({
      unhealthyConditions: [
        { type: "Ready", status: "False", timeout: "10m" },
        { type: "DiskPressure", status: "True", timeout: "2m" },
      ],
    });
    const n = node("m", [
      { status: "False", sinceSecondsAgo: 60 },
      { type: "DiskPressure", status: "True", sinceSecondsAgo: 60 },
    ]);
    expect(verdictOf(machine("m"), [n], check).recheckAfterSeconds).toBe(61);
  });

  it("rounds a recheck up to whole seconds", () => {
    const result = evaluate({ machines: [machine("m", { nodeName: null, createdSecondsAgo: 240 })], nodes: [], now: new Date(NOW.getTime() + 500) });
    expect(result.machines[0]!.recheckAfterSeconds).toBe(361);
  });

  it("sets requeueAfterSeconds to the soonest recheck, and leaves it out when nothing is pending", () => {
    const machines = [machine("a", { nodeName: null, createdSecondsAgo: 240 }), machine("b"), machine("c")];
    const nodes = [node("b", [{ status: "Unknown", sinceSecondsAgo: 280 }]), node("c")];
    expect(evaluate({ machines, nodes }).requeueAfterSeconds).toBe(21);
    expect(evaluate({ machines: [machine("c")], nodes: [node("c")] }).requeueAfterSeconds).toBeUndefined();
  });

  it("does not count a machine being deleted as healthy", () => {
    const result = evaluate({ machines: [machine("m", { deleting: true })] });
    expect(result.machines[0]).toMatchObject({ state: "pending", reason: "MachineDeleting" });
    expect(result.currentHealthy).toBe(0);
  });
});

describe("a Cluster that is not ready (upstream does not penalize its machines)", () => {
  const notInitialized = cluster({ controlPlaneInitialized: false });

  it("cannot see the workload cluster's Nodes yet: a worker is pending, neither healthy nor unhealthy", () => {
    const v = verdictOf(machine("m"), [node("m", [{ status: "False", sinceSecondsAgo: 3600 }])], undefined, notInitialized);
    expect(v).toMatchObject({ state: "pending", reason: "ClusterNotReady", message: "Health not checked: the Cluster's control plane is not initialized yet" });
  });

  it("leaves a Node-less worker pending without a recheck", () => {
    const v = verdictOf(machine("m", { nodeName: null, createdSecondsAgo: 86_400 }), [], undefined, notInitialized);
    expect(v).toMatchObject({ state: "pending", reason: "ClusterNotReady" });
    expect(v.recheckAfterSeconds).toBeUndefined();
  });

  it("still checks the first control plane machine for startup", () => {
    const check = mhc({ selector: { matchLabels: { "cluster.x-k8s.io/control-plane": "" } } });
    const v = verdictOf(controlPlaneMachine("m", { nodeName: null, createdSecondsAgo: 601 }), [], check, notInitialized);
    expect(v).toMatchObject({ state: "unhealthy", reason: "NodeStartupTimeout", remediatedBy: "KubeadmControlPlane" });
  });

  it("still acts on failures", () => {
    expect(verdictOf(machine("m", { failureReason: "CreateError" }), [], undefined, notInitialized).state).toBe("unhealthy");
  });

  it("does not check Node conditions while the Cluster infrastructure is not ready", () => {
    const v = verdictOf(machine("m"), [node("m", [{ status: "False", sinceSecondsAgo: 3600 }])], undefined, cluster({ infrastructureReady: false }));
    expect(v.state).toBe("healthy");
    expect(v.message).toContain("infrastructure is not ready");
  });
});

describe("who remediates", () => {
  it.each<[string, Machine, MachineHealthCheck, string]>([
    ["a MachineSet's machine", machine("m"), mhc(), "MachineSet"],
    ["a KubeadmControlPlane's machine", machine("m", { owners: [controlPlaneOwner()] }), mhc(), "KubeadmControlPlane"],
    ["a machine without owner", machine("m", { owners: [] }), mhc(), "none"],
    [
      "a machine owned by something else",
      machine("m", { owners: [{ apiVersion: "example.com/v1", kind: "Pool", name: "p", controller: true }] }),
      mhc(),
      "none",
    ],
    [
      "a machine of an OpenShift MachineSet (another API group)",
      machine("m", { owners: [{ apiVersion: "machine.openshift.io/v1beta1", kind: "MachineSet", name: "p", controller: true }] }),
      mhc(),
      "none",
    ],
    [
      "the controlling owner among several",
      machine("m", { owners: [{ ...machineSetOwner("old"), controller: false }, controlPlaneOwner()] }),
      mhc(),
      "KubeadmControlPlane",
    ],
    ["any machine with a remediationTemplate", machine("m"), mhc({ remediationTemplate: { apiVersion: "a/v1", kind: "XTemplate", name: "x" } }), "external"],
  ])("%s", (_, m, check, by) => {
    expect(verdictOf(m, undefined, check).remediatedBy).toBe(by);
  });
});

describe("short-circuiting", () => {
  it("counts pending, deleting and Node-less machines as not healthy", () => {
    const machines = [
      machine("healthy"),
      machine("unhealthy"),
      machine("pending"),
      machine("deleting", { deleting: true }),
      machine("starting", { nodeName: null, createdSecondsAgo: 10 }),
    ];
    const nodes = [
      node("healthy"),
      node("unhealthy", [{ status: "False", sinceSecondsAgo: 3600 }]),
      node("pending", [{ status: "False", sinceSecondsAgo: 10 }]),
      node("deleting"),
    ];
    const result = evaluate({ check: mhc({ maxUnhealthy: 3 }), machines, nodes });
    expect(result).toMatchObject({ expectedMachines: 5, currentHealthy: 1, remediationAllowed: false, remediationsAllowed: 0 });
    expect(result.conditions[0]).toMatchObject({
      type: "RemediationAllowed",
      status: "False",
      reason: "TooManyUnhealthy",
      severity: "Warning",
      // Upstream prints the machines judged unhealthy, not the count compared.
      message: "Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 5, unhealthy: 1, maxUnhealthy: 3)",
    });
  });

  it.each<[string | number, number, number, boolean, number]>([
    ["40%", 25, 10, true, 0],
    ["40%", 10, 3, true, 1],
    ["40%", 9, 3, true, 0],
    ["40%", 9, 4, false, 0],
    ["50%", 3, 1, true, 0],
    ["0%", 5, 0, true, 0],
    ["0%", 5, 1, false, 0],
    ["100%", 4, 4, true, 0],
    ["140%", 10, 10, true, 4],
    [0, 5, 1, false, 0],
    [5, 5, 5, true, 0],
    [5, 10, 2, true, 3],
  ])("maxUnhealthy %j with %d machines and %d unhealthy: allowed %s, remediationsAllowed %d", (max, total, bad, allowed, left) => {
    const { machines, nodes } = fleet(total, bad);
    const result = evaluate({ check: mhc({ maxUnhealthy: max }), machines, nodes });
    expect(result.remediationAllowed).toBe(allowed);
    expect(result.remediationsAllowed).toBe(left);
  });

  it.each<[string, number, boolean, number]>([
    ["[3-5]", 2, false, 0],
    ["[3-5]", 3, true, 2],
    ["[3-5]", 5, true, 0],
    ["[3-5]", 6, false, 0],
    ["[0-2]", 0, true, 2],
  ])("unhealthyRange %s with %d unhealthy of 10: allowed %s, remediationsAllowed %d", (range, bad, allowed, left) => {
    const { machines, nodes } = fleet(10, bad);
    const result = evaluate({ check: mhc({ unhealthyRange: range, maxUnhealthy: 100 }), machines, nodes });
    expect(result.remediationAllowed).toBe(allowed);
    expect(result.remediationsAllowed).toBe(left);
  });

  it.each<[string | number, number, number | undefined]>([
    ["40%", 25, 10],
    ["40%", 6, 2],
    ["33%", 10, 3],
    ["1%", 99, 0],
    ["100%", 7, 7],
    ["140%", 10, 14],
    [2, 1000, 2],
    [-1, 10, -1],
    ["+10%", 10, 1],
    ["-10%", 15, -2],
  ])("scales maxUnhealthy %j against %d machines to %s (rounded down, as intstr.GetScaledValueFromIntOrPercent)", (value, total, expected) => {
    expect(scaleMaxUnhealthy(value, total)).toEqual({ value: expected });
  });

  it.each<[string | number, string]>([
    ["40", "invalid value for IntOrString: invalid type: string is not a percentage"],
    ["x%", 'invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": invalid syntax'],
    [1.5, "invalid value for IntOrString: invalid type: neither int nor percentage"],
  ])("gives upstream's error for maxUnhealthy %j", (value, error) => {
    expect(scaleMaxUnhealthy(value, 10)).toEqual({ error });
  });

  it("never allows remediation with a negative maxUnhealthy read from a cluster (the API server accepts it)", () => {
    const { machines, nodes } = fleet(3, 0);
    expect(evaluate({ check: mhc({ maxUnhealthy: -1 }), machines, nodes })).toMatchObject({ remediationAllowed: false, remediationsAllowed: 0 });
  });

  it.each([
    ["[3-5]", { min: 3, max: 5 }],
    ["[0-0]", { min: 0, max: 0 }],
    ["[5-3]", { problem: expect.stringContaining("must not be greater") }],
    ["[3-5", { problem: expect.stringContaining("must look like") }],
  ])("parses unhealthyRange %s", (text, expected) => {
    expect(parseUnhealthyRange(text)).toEqual(expected);
  });

  it("unhealthyRange takes precedence over maxUnhealthy", () => {
    const { machines, nodes } = fleet(10, 1);
    expect(evaluate({ check: mhc({ unhealthyRange: "[2-5]", maxUnhealthy: "100%" }), machines, nodes }).remediationAllowed).toBe(false);
  });

  it("reports TooManyUnhealthy with 0 unhealthy machines under a range above 0 (upstream pitfall #10585)", () => {
    const { machines, nodes } = fleet(6, 0);
    const result = evaluate({ check: mhc({ unhealthyRange: "[1-3]" }), machines, nodes });
    expect(result.remediationAllowed).toBe(false);
    expect(result.conditions[0]).toMatchObject({
      status: "False",
      reason: "TooManyUnhealthy",
      message: "Remediation is not allowed, the number of not started or unhealthy machines does not fall within the range (total: 6, unhealthy: 0, unhealthyRange: [1-3])",
    });
  });

  it("allows remediation with no machines at all", () => {
    expect(evaluate({ machines: [] })).toMatchObject({ expectedMachines: 0, currentHealthy: 0, remediationAllowed: true, remediationsAllowed: 0 });
  });

  it("fails like the v1.10 controller when maxUnhealthy is not set (only the webhook defaults it): counts and targets, nothing marked", () => {
    const check = mhc();
    delete check.spec.maxUnhealthy;
    const { machines, nodes } = fleet(4, 4);
    const result = evaluate({ check, machines, nodes });
    expect(result).toMatchObject({ expectedMachines: 4, currentHealthy: 0, remediationAllowed: false, error: "error checking if remediation is allowed: spec.maxUnhealthy must be set" });
    expect(result.conditions).toEqual([]);
    expect(result.machines[0]?.remediation).toEqual({ outcome: "waits", message: expect.stringContaining("spec.maxUnhealthy must be set") });
    expect(machineHealthCheckStatus(check, result, NOW)).toEqual({
      expectedMachines: 4,
      currentHealthy: 0,
      targets: ["worker-000", "worker-001", "worker-002", "worker-003"],
      v1beta2: { conditions: [{ type: "Paused", status: "False", reason: "NotPaused", message: "", observedGeneration: 1, lastTransitionTime: ago(0) }] },
    });
  });

  it.each<[Partial<MachineHealthCheck["spec"]>, string]>([
    [{ maxUnhealthy: "40" }, "error checking if remediation is allowed: invalid value for IntOrString: invalid type: string is not a percentage"],
    [{ unhealthyRange: "[5-3]" }, "error checking if remediation is allowed: max value 3 cannot be less than min value 5 for unhealthyRange"],
    [{ unhealthyRange: "[1-99999999999]" }, 'error checking if remediation is allowed: strconv.ParseUint: parsing "99999999999": value out of range'],
  ])("never throws on what the API server accepts but the controller cannot use: %j", (spec, error) => {
    expect(evaluate({ check: mhc(spec), machines: [machine("m")] }).error).toBe(error);
  });

  it("evaluates what the webhook would refuse but the controller reads: a short nodeStartupTimeout, a negative timeout", () => {
    const check = mhc({ nodeStartupTimeout: "1s", unhealthyConditions: [{ type: "Ready", status: "False", timeout: "-5m" }] });
    expect(verdictOf(machine("m", { nodeName: null, createdSecondsAgo: 2 }), [], check)).toMatchObject({ state: "unhealthy", message: "Node failed to report startup in 1s" });
    expect(verdictOf(machine("m"), [node("m", [{ status: "False", sinceSecondsAgo: 0 }])], check)).toMatchObject({
      state: "unhealthy",
      message: "Condition Ready on node is reporting status False for more than -5m0s",
    });
  });

  it("says the controller cannot decode a duration Go does not read", () => {
    const result = evaluate({ check: mhc({ nodeStartupTimeout: "5 minutes" }), machines: [machine("m")] });
    expect(result.error).toMatch(/^spec.nodeStartupTimeout is "5 minutes", which is not a Go duration: Cluster API's controller cannot decode/);
  });
});

describe("the RemediationAllowed condition", () => {
  const allowedSince = { type: "RemediationAllowed", status: "True", lastTransitionTime: ago(3600) };

  it("is True without reason when allowed", () => {
    expect(evaluate({ machines: [machine("m")] }).conditions).toEqual([{ type: "RemediationAllowed", status: "True", lastTransitionTime: ago(0) }]);
  });

  it("keeps lastTransitionTime while the status stays the same", () => {
    const check = { ...mhc(), status: { conditions: [allowedSince] } };
    expect(evaluate({ check, machines: [machine("m")] }).conditions).toEqual([allowedSince]);
  });

  it("moves lastTransitionTime when the status changes, and keeps other conditions, sorted by type as upstream's Set does", () => {
    const other = { type: "Other", status: "True", lastTransitionTime: ago(50) };
    const check = { ...mhc({ maxUnhealthy: 0 }), status: { conditions: [allowedSince, other] } };
    const { machines, nodes } = fleet(2, 1);
    const conditions = evaluate({ check, machines, nodes }).conditions;
    expect(conditions[0]).toEqual(other);
    expect(conditions[1]).toMatchObject({ status: "False", lastTransitionTime: ago(0) });
  });

  it("moves lastTransitionTime when the message changes while the status stays False (v1beta1 Set compares the whole state)", () => {
    const blocked = {
      type: "RemediationAllowed",
      status: "False",
      severity: "Warning",
      reason: "TooManyUnhealthy",
      message: "Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 2, unhealthy: 1, maxUnhealthy: 0)",
      lastTransitionTime: ago(600),
    };
    const check = { ...mhc({ maxUnhealthy: 0 }), status: { conditions: [blocked] } };
    expect(evaluate({ check, ...fleet(2, 1) }).conditions).toEqual([blocked]);
    expect(evaluate({ check, ...fleet(2, 2) }).conditions).toEqual([{ ...blocked, message: blocked.message.replace("unhealthy: 1", "unhealthy: 2"), lastTransitionTime: ago(0) }]);
  });
});

describe("the status the controller writes", () => {
  it("holds the counts, the sorted targets, observedGeneration and the conditions", () => {
    const check = { ...mhc({}, { generation: 7 }), status: { expectedMachines: 99, somethingElse: "kept" } };
    const machines = [machine("c"), machine("a"), machine("b", { annotations: { "cluster.x-k8s.io/skip-remediation": "" } }), machine("d")];
    const nodes = [node("a"), node("c"), node("d", [{ status: "False", sinceSecondsAgo: 3600 }])];
    const evaluation = evaluate({ check, machines, nodes });
    expect(machineHealthCheckStatus(check, evaluation, NOW)).toEqual({
      somethingElse: "kept",
      expectedMachines: 3,
      currentHealthy: 2,
      remediationsAllowed: 0,
      observedGeneration: 7,
      targets: ["a", "c", "d"],
      conditions: [{ type: "RemediationAllowed", status: "True", lastTransitionTime: ago(0) }],
      v1beta2: {
        conditions: [
          { type: "RemediationAllowed", status: "True", reason: "RemediationAllowed", message: "", observedGeneration: 7, lastTransitionTime: ago(0) },
          { type: "Paused", status: "False", reason: "NotPaused", message: "", observedGeneration: 7, lastTransitionTime: ago(0) },
        ],
      },
    });
  });

  it("leaves targets out when there are none (omitempty), counts written at 0", () => {
    const check = mhc();
    const status = machineHealthCheckStatus(check, evaluate({ check, machines: [] }), NOW);
    expect(status).toMatchObject({ expectedMachines: 0, currentHealthy: 0, remediationsAllowed: 0 });
    expect(status).not.toHaveProperty("targets");
  });

  it("keeps machines in input order in the evaluation", () => {
    const machines = [machine("z"), machine("a")];
    expect(evaluate({ machines }).machines.map((m) => m.name)).toEqual(["z", "a"]);
  });
});
