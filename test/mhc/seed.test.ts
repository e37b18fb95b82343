import { describe, expect, it } from "vitest";
import { evaluateMachineHealthCheck, validateMachineHealthCheck } from "../../provider/mhc";
import { NOW, cluster, controlPlaneMachine, fleet, machine, mhc, node } from "./factories";
import { seedWorkersHealthCheck } from "../support/seed-tables";

// The worked examples of the seed document (the Cluster API book's MachineHealthCheck page, in Korean),
// each as it is written there.

function remediationAllowed(maxUnhealthy: string | number, total: number, unhealthy: number) {
  const { machines, nodes } = fleet(total, unhealthy);
  return evaluateMachineHealthCheck({ machineHealthCheck: mhc({ maxUnhealthy }), cluster: cluster(), machines, nodes, now: NOW });
}

describe("short-circuiting with an absolute number: maxUnhealthy 2", () => {
  // "2개 이하의 노드가 비정상인 경우 업데이트 적용이 수행된다 / 3개 이상이면 수행되지 않는다", whatever the number of machines.
  it.each([3, 5, 10, 100])("with %d machines: remediation at 0, 1 and 2 unhealthy", (total) => {
    for (const unhealthy of [0, 1, 2]) expect(remediationAllowed(2, total, unhealthy).remediationAllowed).toBe(true);
  });

  it.each([3, 5, 10, 100])("with %d machines: no remediation at 3 or more unhealthy", (total) => {
    for (let unhealthy = 3; unhealthy <= Math.min(total, 6); unhealthy++) {
      expect(remediationAllowed(2, total, unhealthy).remediationAllowed).toBe(false);
    }
  });
});

describe("short-circuiting with a percentage: maxUnhealthy 40%", () => {
  it("25 machines: remediation at 10 unhealthy or fewer", () => {
    for (let unhealthy = 0; unhealthy <= 10; unhealthy++) expect(remediationAllowed("40%", 25, unhealthy).remediationAllowed).toBe(true);
  });

  it("25 machines: no remediation at 11 unhealthy or more", () => {
    for (let unhealthy = 11; unhealthy <= 25; unhealthy++) expect(remediationAllowed("40%", 25, unhealthy).remediationAllowed).toBe(false);
  });

  it("25 machines, 11 unhealthy: the upstream message", () => {
    const result = remediationAllowed("40%", 25, 11);
    expect(result.conditions).toEqual([
      {
        type: "RemediationAllowed",
        status: "False",
        severity: "Warning",
        reason: "TooManyUnhealthy",
        message:
          "Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 25, unhealthy: 11, maxUnhealthy: 40%)",
        lastTransitionTime: "2025-03-01T12:00:00Z",
      },
    ]);
  });

  it("6 machines: remediation at 2 unhealthy or fewer (40% of 6 is 2.4, rounded down)", () => {
    for (const unhealthy of [0, 1, 2]) expect(remediationAllowed("40%", 6, unhealthy).remediationAllowed).toBe(true);
  });

  it("6 machines: no remediation at 3 unhealthy or more", () => {
    for (const unhealthy of [3, 4, 5, 6]) expect(remediationAllowed("40%", 6, unhealthy).remediationAllowed).toBe(false);
  });
});

describe("the seed's two health checks", () => {
  it("accepts the worker check (seed's v1alpha3 fields under v1beta1)", () => {
    const result = validateMachineHealthCheck({
      metadata: { name: seedWorkersHealthCheck.name },
      spec: seedWorkersHealthCheck.spec,
    });
    expect(result.ok).toBe(true);
  });

  it("the control plane check (maxUnhealthy 100%) selects the KubeadmControlPlane's machines and allows every remediation", () => {
    const check = mhc({ maxUnhealthy: "100%", selector: { matchLabels: { "cluster.x-k8s.io/control-plane": "" } } });
    delete check.spec.nodeStartupTimeout;
    const machines = [controlPlaneMachine("cp-0"), controlPlaneMachine("cp-1"), controlPlaneMachine("cp-2"), machine("worker")];
    const nodes = machines.map((m) => node(m.metadata.name!, [{ status: "Unknown", sinceSecondsAgo: 301 }]));
    const result = evaluateMachineHealthCheck({ machineHealthCheck: check, cluster: cluster(), machines, nodes, now: NOW });
    expect(result.targets).toEqual(["cp-0", "cp-1", "cp-2"]);
    expect(result.machines.every((m) => m.state === "unhealthy" && m.remediatedBy === "KubeadmControlPlane")).toBe(true);
    expect(result.remediationAllowed).toBe(true);
  });
});

describe("the seed's limits and caveats", () => {
  const evaluate = (machines: ReturnType<typeof machine>[], nodes: ReturnType<typeof node>[]) =>
    evaluateMachineHealthCheck({ machineHealthCheck: mhc(), cluster: cluster(), machines, nodes, now: NOW });

  it("a Machine whose Node was removed from the cluster is unhealthy at once", () => {
    expect(evaluate([machine("m")], []).machines[0]).toMatchObject({ state: "unhealthy", reason: "NodeNotFound" });
  });

  it("a Machine that has not joined the cluster after nodeStartupTimeout is unhealthy", () => {
    expect(evaluate([machine("m", { nodeName: null, createdSecondsAgo: 601 })], []).machines[0]).toMatchObject({
      state: "unhealthy",
      reason: "NodeStartupTimeout",
    });
  });

  it("a Machine with a FailureReason is unhealthy at once", () => {
    expect(evaluate([machine("m", { failureReason: "CreateError" })], [node("m")]).machines[0]).toMatchObject({
      state: "unhealthy",
      reason: "MachineHasFailure",
    });
  });

  it("only MachineSet and KubeadmControlPlane machines are remediated; others say so", () => {
    const result = evaluate([machine("m", { owners: [], failureReason: "CreateError" })], [node("m")]);
    expect(result.machines[0]).toMatchObject({ state: "unhealthy", remediatedBy: "none" });
  });
});

describe("skipping remediation (seed)", () => {
  it("a paused Cluster: its machines are not considered", () => {
    const { machines, nodes } = fleet(3, 3);
    const result = evaluateMachineHealthCheck({ machineHealthCheck: mhc(), cluster: cluster({ paused: true }), machines, nodes, now: NOW });
    expect(result.paused).toBe(true);
    expect(result.machines.map((m) => m.state)).toEqual(["skipped", "skipped", "skipped"]);
  });

  it.each(["cluster.x-k8s.io/paused", "cluster.x-k8s.io/skip-remediation"])("a Machine annotated %s: only that machine is left out", (annotation) => {
    const { machines, nodes } = fleet(3, 3);
    machines[0] = machine(machines[0]!.metadata.name!, { annotations: { [annotation]: "" } });
    const result = evaluateMachineHealthCheck({ machineHealthCheck: mhc(), cluster: cluster(), machines, nodes, now: NOW });
    expect(result.machines.map((m) => m.state)).toEqual(["skipped", "unhealthy", "unhealthy"]);
    expect(result.expectedMachines).toBe(2);
  });
});
