import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../provider/k8s/meta";
import { planMachineHealthCheckStep, type ClusterAction, type MachineHealthCheckStepInput } from "../../provider/mhc";
import type { Machine, MachineHealthCheck } from "../../provider/mhc/model";
import { NOW, ObjectStore, ago, cluster, fleet, machine, mhc, node } from "./factories";

// The health check controller's step: which Machine conditions change, which requests are created.

function step(input: Partial<MachineHealthCheckStepInput> & { machines: Machine[] }) {
  return planMachineHealthCheckStep({
    machineHealthCheck: mhc(),
    cluster: cluster(),
    nodes: input.machines.map((m) => node(m.metadata.name!)),
    now: NOW,
    ...input,
  });
}

function statusPatchOf(actions: ClusterAction[], name: string) {
  const found = actions.find((a) => a.action === "patchStatus" && a.ref.kind === "Machine" && a.ref.name === name);
  return found?.action === "patchStatus" ? (found.status as { conditions?: unknown[]; v1beta2?: { conditions?: unknown[] } }) : undefined;
}

const unhealthyNode = (name: string) => node(name, [{ status: "False", sinceSecondsAgo: 3600 }]);

describe("marking machines when remediation is allowed", () => {
  const machines = [machine("good"), machine("bad"), machine("waiting", { nodeName: null, createdSecondsAgo: 60 }), machine("skip", { annotations: { "cluster.x-k8s.io/skip-remediation": "" } })];
  const nodes = [node("good"), unhealthyNode("bad"), unhealthyNode("skip")];
  const result = step({ machineHealthCheck: mhc({ maxUnhealthy: "100%" }), machines, nodes });

  it("marks the unhealthy machine HealthCheckSucceeded False and OwnerRemediated False, in both condition lists", () => {
    expect(statusPatchOf(result.actions, "bad")?.v1beta2?.conditions).toEqual([
      {
        type: "HealthCheckSucceeded",
        status: "False",
        observedGeneration: undefined,
        reason: "UnhealthyNode",
        message: "Health check failed: Condition Ready on Node is reporting status False for more than 5m0s",
        lastTransitionTime: ago(0),
      },
      { type: "OwnerRemediated", status: "False", reason: "WaitingForRemediation", message: "Waiting for remediation", lastTransitionTime: ago(0) },
    ].map((c) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined))));
    expect(statusPatchOf(result.actions, "bad")?.conditions).toEqual([
      {
        type: "HealthCheckSucceeded",
        status: "False",
        severity: "Warning",
        reason: "UnhealthyNode",
        message: "Condition Ready on node is reporting status False for more than 5m0s",
        lastTransitionTime: ago(0),
      },
      { type: "OwnerRemediated", status: "False", severity: "Warning", reason: "WaitingForRemediation", lastTransitionTime: ago(0) },
    ]);
  });

  it("marks the healthy machine HealthCheckSucceeded True", () => {
    expect(statusPatchOf(result.actions, "good")?.conditions).toEqual([{ type: "HealthCheckSucceeded", status: "True", lastTransitionTime: ago(0) }]);
    expect(statusPatchOf(result.actions, "good")?.v1beta2?.conditions).toEqual([{ type: "HealthCheckSucceeded", status: "True", reason: "HealthCheckSucceeded", message: "", lastTransitionTime: ago(0) }]);
  });

  it("writes no v1beta1 message for NodeNotFound (upstream leaves it empty) but the v1beta2 one", () => {
    const gone = step({ machineHealthCheck: mhc({ maxUnhealthy: "100%" }), machines: [machine("gone")], nodes: [] });
    const status = statusPatchOf(gone.actions, "gone");
    expect(status?.conditions?.[0]).toEqual({ type: "HealthCheckSucceeded", status: "False", severity: "Warning", reason: "NodeNotFound", lastTransitionTime: ago(0) });
    expect(status?.v1beta2?.conditions?.[0]).toMatchObject({ reason: "NodeDeleted", message: "Health check failed: Node gone has been deleted" });
  });

  it("writes no v1beta2 condition for MachineHasFailure (upstream sets none)", () => {
    const failed = step({ machineHealthCheck: mhc({ maxUnhealthy: "100%" }), machines: [machine("f", { failureReason: "" })] });
    const status = statusPatchOf(failed.actions, "f");
    expect(status?.conditions?.[0]).toMatchObject({ reason: "MachineHasFailure", message: "FailureReason: " });
    expect(status?.v1beta2?.conditions).toEqual([{ type: "OwnerRemediated", status: "False", reason: "WaitingForRemediation", message: "Waiting for remediation", lastTransitionTime: ago(0) }]);
  });

  it("does not mark a Machine already being deleted for its owner, only its health check", () => {
    const deleting = step({ machineHealthCheck: mhc({ maxUnhealthy: "100%" }), machines: [machine("d", { deleting: true })], nodes: [unhealthyNode("d")] });
    expect(JSON.stringify(statusPatchOf(deleting.actions, "d"))).not.toContain("OwnerRemediated");
    expect(statusPatchOf(deleting.actions, "d")?.conditions?.[0]).toMatchObject({ type: "HealthCheckSucceeded", status: "False" });
  });

  it("leaves pending and skipped machines alone", () => {
    expect(statusPatchOf(result.actions, "waiting")).toBeUndefined();
    expect(statusPatchOf(result.actions, "skip")).toBeUndefined();
  });

  it("writes its own status and passes on the recheck", () => {
    const own = result.actions.find((a) => a.action === "patchStatus" && a.ref.kind === "MachineHealthCheck");
    expect(own).toMatchObject({
      status: { expectedMachines: 3, currentHealthy: 1, remediationsAllowed: 1, observedGeneration: 1, targets: ["bad", "good", "waiting"] },
    });
    expect(result.requeueAfterSeconds).toBe(541);
  });

  it("labels the health check with its cluster and makes the Cluster its owner", () => {
    expect(result.actions[0]).toMatchObject({
      action: "patch",
      ref: { kind: "MachineHealthCheck", name: "capi-quickstart-node-unhealthy-5m" },
      patch: {
        metadata: {
          labels: { "cluster.x-k8s.io/cluster-name": "capi-quickstart" },
          ownerReferences: [{ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Cluster", name: "capi-quickstart", uid: "cluster-uid" }],
        },
      },
    });
  });

  it("marks every unhealthy machine, not only remediationsAllowed of them", () => {
    const many = fleet(5, 4);
    const marked = step({ machineHealthCheck: mhc({ maxUnhealthy: 4 }), ...many }).actions.filter(
      (a) => a.action === "patchStatus" && JSON.stringify(a.status).includes("WaitingForRemediation"),
    );
    expect(marked).toHaveLength(4);
  });
});

describe("when remediation is not allowed", () => {
  it("still records HealthCheckSucceeded, but marks nothing for remediation", () => {
    const { machines, nodes } = fleet(5, 3);
    const result = step({ machineHealthCheck: mhc({ maxUnhealthy: 2 }), machines, nodes });
    expect(result.evaluation.remediationAllowed).toBe(false);
    const patches = result.actions.filter((a) => a.action === "patchStatus" && a.ref.kind === "Machine");
    expect(patches).toHaveLength(5);
    expect(JSON.stringify(patches)).not.toContain("OwnerRemediated");
  });

  it("keeps the external remediation requests of healthy machines (they are deleted only while remediation is allowed)", () => {
    const { machines, nodes } = fleet(3, 2);
    const check = mhc({ maxUnhealthy: 1, remediationTemplate: { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "Metal3RemediationTemplate", name: "t", namespace: "default" } });
    const request = { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "Metal3Remediation", metadata: { name: "worker-002", namespace: "default" } };
    const result = step({ machineHealthCheck: check, machines, nodes, remediationRequests: [request] });
    expect(result.evaluation.remediationAllowed).toBe(false);
    expect(result.actions.filter((a) => a.action === "delete")).toEqual([]);
  });
});

describe("when upstream's reconcile fails", () => {
  it("writes counts and targets only, marks no machine, and keeps observedGeneration", () => {
    const { machines, nodes } = fleet(2, 1);
    const check = { ...mhc({ unhealthyRange: "[3-1]" }, { generation: 2 }), status: { observedGeneration: 1 } };
    const result = step({ machineHealthCheck: check, machines, nodes });
    expect(result.error).toBe("error checking if remediation is allowed: max value 1 cannot be less than min value 3 for unhealthyRange");
    expect(result.actions.filter((a) => a.action === "patchStatus" && a.ref.kind === "Machine")).toEqual([]);
    const own = result.actions.find((a) => a.action === "patchStatus" && a.ref.kind === "MachineHealthCheck");
    expect(own).toMatchObject({ status: { observedGeneration: 1, expectedMachines: 2, currentHealthy: 1, targets: ["worker-000", "worker-001"] } });
    expect(own?.action === "patchStatus" && own.status).not.toHaveProperty("conditions");
  });
});

describe("the OwnerRemediated mark", () => {
  const withOwnerRemediated = (status: string, reason?: string) =>
    machine("bad", { conditions: [{ type: "OwnerRemediated", status, ...(reason ? { reason } : {}), lastTransitionTime: ago(100) }] });

  it("is not overwritten while the owner's remediation is in progress", () => {
    const result = step({ machines: [withOwnerRemediated("False", "RemediationInProgress")], nodes: [unhealthyNode("bad")], machineHealthCheck: mhc({ maxUnhealthy: 1 }) });
    const conditions = statusPatchOf(result.actions, "bad")?.conditions;
    expect(conditions).toContainEqual({ type: "OwnerRemediated", status: "False", reason: "RemediationInProgress", lastTransitionTime: ago(100) });
  });

  it("is set again after a finished remediation (True)", () => {
    const result = step({ machines: [withOwnerRemediated("True")], nodes: [unhealthyNode("bad")], machineHealthCheck: mhc({ maxUnhealthy: 1 }) });
    expect(statusPatchOf(result.actions, "bad")?.conditions).toContainEqual(
      expect.objectContaining({ type: "OwnerRemediated", status: "False", reason: "WaitingForRemediation", lastTransitionTime: ago(0) }),
    );
  });
});

describe("machines nobody replaces", () => {
  it("are marked, and a report says that nothing replaces them", () => {
    const result = step({ machines: [machine("orphan", { owners: [], failureReason: "CreateError" })], machineHealthCheck: mhc({ maxUnhealthy: 1 }) });
    expect(statusPatchOf(result.actions, "orphan")?.conditions).toContainEqual(expect.objectContaining({ type: "OwnerRemediated", status: "False" }));
    expect(result.actions).toContainEqual({
      action: "report",
      ref: expect.objectContaining({ kind: "Machine", name: "orphan" }),
      message: expect.stringContaining("nothing replaces it"),
    });
  });
});

describe("a paused health check", () => {
  it("writes only its v1beta2 Paused condition, once, and reports", () => {
    const { machines, nodes } = fleet(2, 2);
    const check = mhc({}, { annotations: { "cluster.x-k8s.io/paused": "" } });
    const result = step({ machineHealthCheck: check, cluster: cluster({ paused: true }), machines, nodes });
    expect(result.actions).toEqual([
      {
        action: "patchStatus",
        ref: expect.objectContaining({ kind: "MachineHealthCheck" }),
        status: {
          v1beta2: {
            conditions: [
              {
                type: "Paused",
                status: "True",
                observedGeneration: 1,
                reason: "Paused",
                message: "Cluster spec.paused is set to true, MachineHealthCheck has the cluster.x-k8s.io/paused annotation",
                lastTransitionTime: ago(0),
              },
            ],
          },
        },
        why: expect.any(String),
      },
      { action: "report", ref: expect.objectContaining({ kind: "MachineHealthCheck" }), message: expect.stringContaining("paused") },
    ]);
    const again = step({ machineHealthCheck: { ...check, status: (result.actions[0] as { status: MachineHealthCheck["status"] }).status }, cluster: cluster({ paused: true }), machines, nodes });
    expect(again.actions.map((a) => a.action)).toEqual(["report"]);
  });
});

describe("external remediation (remediationTemplate)", () => {
  const template: KubeObject = {
    apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
    kind: "Metal3RemediationTemplate",
    metadata: { name: "m3-remediation", namespace: "default" },
    spec: { template: { spec: { strategy: { type: "Reboot", retryLimit: 2 } } } },
  };
  const check: MachineHealthCheck = mhc({
    maxUnhealthy: "100%",
    remediationTemplate: { apiVersion: template.apiVersion, kind: template.kind, name: "m3-remediation", namespace: "default" },
  });
  const request = (name: string): KubeObject => ({ apiVersion: template.apiVersion, kind: "Metal3Remediation", metadata: { name, namespace: "default" } });

  it("creates a request named after the unhealthy machine, owned by it, with the template's spec", () => {
    const result = step({ machineHealthCheck: check, remediationTemplate: template, machines: [machine("bad")], nodes: [unhealthyNode("bad")] });
    const created = result.actions.find((a) => a.action === "create");
    expect(created).toMatchObject({
      object: {
        apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1",
        kind: "Metal3Remediation",
        metadata: {
          name: "bad",
          namespace: "default",
          labels: { "cluster.x-k8s.io/cluster-name": "capi-quickstart" },
          annotations: { "cluster.x-k8s.io/cloned-from-name": "m3-remediation", "cluster.x-k8s.io/cloned-from-groupkind": "Metal3RemediationTemplate.infrastructure.cluster.x-k8s.io" },
          ownerReferences: [{ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Machine", name: "bad", uid: "bad-uid" }],
        },
        spec: { strategy: { type: "Reboot", retryLimit: 2 } },
      },
    });
    expect(JSON.stringify(statusPatchOf(result.actions, "bad"))).not.toContain("OwnerRemediated");
  });

  it("does not create a request twice, and stops marking at the first machine that has one (upstream returns early)", () => {
    const machines = [machine("a"), machine("b"), machine("c")];
    const nodes = machines.map((m) => unhealthyNode(m.metadata.name!));
    const result = step({ machineHealthCheck: check, remediationTemplate: template, remediationRequests: [request("b")], machines, nodes });
    expect(result.actions.filter((a) => a.action === "create").map((a) => a.action === "create" && a.object.metadata.name)).toEqual(["a"]);
    expect(statusPatchOf(result.actions, "a")).toBeDefined();
    expect(statusPatchOf(result.actions, "b")).toBeUndefined();
    expect(statusPatchOf(result.actions, "c")).toBeUndefined();
  });

  it("deletes the request of a machine that is healthy again, and writes its HealthCheckSucceeded", () => {
    const result = step({ machineHealthCheck: check, remediationTemplate: template, remediationRequests: [request("good")], machines: [machine("good")] });
    expect(result.actions).toContainEqual(expect.objectContaining({ action: "delete", ref: expect.objectContaining({ kind: "Metal3Remediation", name: "good" }) }));
    expect(statusPatchOf(result.actions, "good")).toBeDefined();
  });

  it("does not write HealthCheckSucceeded on a healthy machine without a request (upstream skips it)", () => {
    const result = step({ machineHealthCheck: check, remediationTemplate: template, machines: [machine("good")] });
    expect(statusPatchOf(result.actions, "good")).toBeUndefined();
  });

  it("sets ExternalRemediationTemplateAvailable False with upstream's message when the template is missing, marks nothing, keeps observedGeneration", () => {
    const result = step({ machineHealthCheck: check, machines: [machine("bad")], nodes: [unhealthyNode("bad")] });
    const message = 'failed to retrieve Metal3RemediationTemplate default/m3-remediation: Metal3RemediationTemplate.infrastructure.cluster.x-k8s.io "m3-remediation" not found';
    expect(result.error).toContain(message);
    const own = result.actions.find((a) => a.action === "patchStatus" && a.ref.kind === "MachineHealthCheck");
    expect(own?.action === "patchStatus" && own.status).toMatchObject({
      conditions: [
        { type: "ExternalRemediationTemplateAvailable", status: "False", severity: "Error", reason: "ExternalRemediationTemplateNotFound", message },
        { type: "RemediationAllowed", status: "True" },
      ],
    });
    expect(own?.action === "patchStatus" && own.status).not.toHaveProperty("observedGeneration");
    expect(statusPatchOf(result.actions, "bad")).toBeUndefined();
  });

  it("fails on a template without spec.template", () => {
    const bare = { ...template, spec: {} };
    const result = step({ machineHealthCheck: check, remediationTemplate: bare, machines: [machine("bad")], nodes: [unhealthyNode("bad")] });
    expect(result.error).toMatch(/missing Spec.Template/);
    expect(result.actions.filter((a) => a.action === "create")).toEqual([]);
  });
});

describe("repeating the step", () => {
  it("changes nothing more once its actions are applied", () => {
    const { machines, nodes } = fleet(4, 1);
    const check = mhc();
    const store = new ObjectStore([check, ...machines]);
    const first = step({ machineHealthCheck: check, machines, nodes });
    store.apply(first.actions);
    const second = step({
      machineHealthCheck: store.get<MachineHealthCheck>("MachineHealthCheck", check.metadata.name!)!,
      machines: store.list<Machine>("Machine"),
      nodes,
    });
    expect(second.actions).toEqual([]);
  });
});

describe("a reconcile error with no machines", () => {
  it("still labels the health check and writes what upstream writes (it is decoded, only the gate fails)", () => {
    const result = step({ machineHealthCheck: mhc({ unhealthyRange: "[4-1]" }), machines: [] });
    expect(result.error).toMatch(/cannot be less than min value/);
    expect(result.actions.map((a) => `${a.action} ${"ref" in a ? a.ref.kind : a.object.kind}`)).toEqual(["patch MachineHealthCheck", "patchStatus MachineHealthCheck", "report MachineHealthCheck"]);
  });
});
