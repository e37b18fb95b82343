import { describe, expect, it } from "vitest";
import type { Condition } from "../../provider/k8s/meta";
import {
  evaluateMachineHealthCheck,
  kcpMessages,
  planKubeadmControlPlaneRemediation,
  planMachineHealthCheckStep,
  planMachineSetRemediation,
  type ClusterAction,
} from "../../provider/mhc";
import type { Machine, MachineHealthCheck, MachineSet } from "../../provider/mhc/model";
import {
  NOW,
  ObjectStore,
  ago,
  cluster,
  controlPlaneMachine,
  countingNames,
  kubeadmControlPlane,
  machine,
  machineSet,
  machineSetOwner,
  mhc,
  node,
  type MachineOptions,
} from "./factories";

// The owners' side of remediation: a marked Machine is deleted and a new one created from the template.

const marked: Condition[] = [
  { type: "HealthCheckSucceeded", status: "False", reason: "UnhealthyNode", lastTransitionTime: ago(60) },
  { type: "OwnerRemediated", status: "False", reason: "WaitingForRemediation", lastTransitionTime: ago(60) },
];
const healthyAgain: Condition[] = [
  { type: "HealthCheckSucceeded", status: "True", lastTransitionTime: ago(10) },
  { type: "OwnerRemediated", status: "False", reason: "WaitingForRemediation", lastTransitionTime: ago(60) },
];

const kinds = (actions: ClusterAction[]) =>
  actions.map((a) => `${a.action} ${"ref" in a ? `${a.ref.kind}/${a.ref.name}` : `${a.object.kind}/${a.object.metadata.name}`}`);

function machineSetStep(machines: Machine[], options: { replicas?: number; paused?: boolean; clusterPaused?: boolean } = {}) {
  return planMachineSetRemediation({
    owner: machineSet(options),
    machines,
    cluster: cluster({ paused: options.clusterPaused ?? false }),
    now: NOW,
    generateName: countingNames(),
  });
}

describe("the MachineSet's remediation", () => {
  it("deletes a marked machine it owns, after marking OwnerRemediated True, and creates a new one", () => {
    const step = machineSetStep([machine("w-0"), machine("w-1", { conditions: marked }), machine("w-2")]);
    expect(kinds(step.actions)).toEqual(["patchStatus Machine/w-1", "delete Machine/w-1", "create Machine/workers-00001"]);
    expect(step.actions[0]).toMatchObject({ status: { conditions: [marked[0], { type: "OwnerRemediated", status: "True", lastTransitionTime: ago(0) }] } });
    expect(step).toMatchObject({ remediated: ["w-1"], created: ["workers-00001"] });
  });

  it("creates the new Machine from the template, owned by the MachineSet, without a Node", () => {
    const step = machineSetStep([machine("w-0", { conditions: marked })], { replicas: 1 });
    const created = step.actions.find((a) => a.action === "create");
    expect(created?.action === "create" && created.object).toEqual({
      apiVersion: "cluster.x-k8s.io/v1beta1",
      kind: "Machine",
      metadata: {
        name: "workers-00001",
        namespace: "default",
        labels: { "cluster.x-k8s.io/cluster-name": "capi-quickstart", nodepool: "nodepool-0", "cluster.x-k8s.io/set-name": "workers" },
        ownerReferences: [{ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineSet", name: "workers", uid: "workers-uid", controller: true, blockOwnerDeletion: true }],
        creationTimestamp: ago(0),
      },
      spec: {
        clusterName: "capi-quickstart",
        version: "v1.31.0",
        bootstrap: { configRef: { apiVersion: "bootstrap.cluster.x-k8s.io/v1beta1", kind: "KubeadmConfig", name: "workers-00001", namespace: "default" } },
        infrastructureRef: { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "DockerMachine", name: "workers-00001", namespace: "default" },
      },
    });
  });

  it("remediates every marked machine at once and keeps spec.replicas", () => {
    const step = machineSetStep([machine("w-0", { conditions: marked }), machine("w-1", { conditions: marked }), machine("w-2")]);
    expect(step.remediated).toEqual(["w-0", "w-1"]);
    expect(step.created).toEqual(["workers-00001", "workers-00002"]);
  });

  it("only reports a marked machine that is paused", () => {
    const step = machineSetStep([machine("w-0", { conditions: marked, annotations: { "cluster.x-k8s.io/paused": "" } }), machine("w-1"), machine("w-2")]);
    expect(step.actions).toEqual([{ action: "report", ref: expect.objectContaining({ name: "w-0" }), message: expect.stringContaining("paused") }]);
  });

  it.each([
    ["the MachineSet", { paused: true }],
    ["the Cluster", { clusterPaused: true }],
  ])("does nothing but report while %s is paused", (_, options) => {
    const step = machineSetStep([machine("w-0", { conditions: marked })], options);
    expect(step.actions).toEqual([{ action: "report", ref: expect.objectContaining({ kind: "MachineSet" }), message: expect.stringContaining("is paused") }]);
  });

  it("leaves machines of other owners alone", () => {
    const other = (name: string, o: MachineOptions = {}) => machine(name, { owners: [machineSetOwner("other")], ...o });
    const step = machineSetStep([other("o-0", { conditions: marked }), machine("w-0"), machine("w-1"), machine("w-2")]);
    expect(step.actions).toEqual([]);
  });

  it("ignores a machine already being deleted, and replaces it", () => {
    const step = machineSetStep([machine("w-0", { conditions: marked, deleting: true }), machine("w-1"), machine("w-2")]);
    expect(kinds(step.actions)).toEqual(["create Machine/workers-00001"]);
  });

  it("removes the mark of a machine that is healthy again", () => {
    const step = machineSetStep([machine("w-0", { conditions: healthyAgain }), machine("w-1"), machine("w-2")]);
    expect(kinds(step.actions)).toEqual(["patchStatus Machine/w-0"]);
    expect(step.actions[0]).toMatchObject({ status: { conditions: [healthyAgain[0]] } });
  });

  it("does not act on a machine only marked HealthCheckSucceeded False (remediation not allowed)", () => {
    const step = machineSetStep([machine("w-0", { conditions: [marked[0]!] }), machine("w-1"), machine("w-2")]);
    expect(step.actions).toEqual([]);
  });

  it("skips generated names that are taken", () => {
    const names = ["workers-00001", "workers-00001", "workers-00002"];
    const step = planMachineSetRemediation({
      owner: machineSet({ replicas: 2 }),
      machines: [machine("workers-00001")],
      cluster: cluster(),
      now: NOW,
      generateName: () => names.shift()!,
    });
    expect(step.created).toEqual(["workers-00002"]);
  });
});

describe("the KubeadmControlPlane's remediation", () => {
  const cp = (name: string, createdSecondsAgo: number, options: MachineOptions = {}) => controlPlaneMachine(name, { createdSecondsAgo, ...options });
  const kcpStep = (machines: Machine[], replicas = 3) =>
    planKubeadmControlPlaneRemediation({ owner: kubeadmControlPlane({ replicas }), machines, cluster: cluster(), now: NOW, generateName: countingNames() });

  it("replaces one marked machine per step, the oldest first", () => {
    const step = kcpStep([cp("cp-a", 100, { conditions: marked }), cp("cp-b", 900, { conditions: marked }), cp("cp-c", 500)]);
    expect(kinds(step.actions)).toEqual(["patchStatus Machine/cp-b", "delete Machine/cp-b", "create Machine/capi-quickstart-control-plane-00001"]);
  });

  it("creates the new machine as a control plane machine owned by the KubeadmControlPlane", () => {
    const step = kcpStep([cp("cp-a", 100, { conditions: marked }), cp("cp-b", 900), cp("cp-c", 500)]);
    const created = step.actions.find((a) => a.action === "create");
    expect(created?.action === "create" && created.object).toMatchObject({
      metadata: {
        labels: {
          "cluster.x-k8s.io/cluster-name": "capi-quickstart",
          "cluster.x-k8s.io/control-plane": "",
          "cluster.x-k8s.io/control-plane-name": "capi-quickstart-control-plane",
        },
        ownerReferences: [{ apiVersion: "controlplane.cluster.x-k8s.io/v1beta1", kind: "KubeadmControlPlane", name: "capi-quickstart-control-plane", controller: true }],
      },
      spec: { clusterName: "capi-quickstart", version: "v1.31.0", infrastructureRef: { kind: "DockerMachine" } },
    });
    expect(created?.action === "create" && created.object.status).toBeUndefined();
  });

  it("waits while another control plane machine is being deleted", () => {
    const step = kcpStep([cp("cp-a", 100, { conditions: marked }), cp("cp-b", 900, { deleting: true }), cp("cp-c", 500), cp("cp-d", 50)]);
    expect(step.remediated).toEqual([]);
    expect(step.actions).toContainEqual({ action: "report", ref: expect.objectContaining({ name: "cp-a" }), message: expect.stringContaining(kcpMessages.deletionInProgress) });
  });

  it("does not remediate its only machine, and says why on the machine", () => {
    const step = kcpStep([cp("cp-a", 100, { conditions: marked })], 1);
    expect(step.remediated).toEqual([]);
    expect(step.actions[0]).toMatchObject({
      action: "patchStatus",
      status: { conditions: [marked[0], { type: "OwnerRemediated", status: "False", reason: "WaitingForRemediation", message: kcpMessages.tooFewReplicas }] },
    });
    expect(step.actions[1]).toMatchObject({ action: "report" });
  });
});

describe("a whole remediation, step by step", () => {
  it("detects, marks, replaces, and then waits for the new Machine's Node", () => {
    const check: MachineHealthCheck = mhc();
    const ms: MachineSet = machineSet({ replicas: 3 });
    const machines = [machine("w-0"), machine("w-1"), machine("w-2")];
    const nodes = [node("w-0"), node("w-1", [{ status: "Unknown", sinceSecondsAgo: 400 }]), node("w-2")];
    const store = new ObjectStore([check, ms, ...machines]);
    const read = () => ({ machineHealthCheck: store.get<MachineHealthCheck>("MachineHealthCheck", check.metadata.name!)!, cluster: cluster(), machines: store.list<Machine>("Machine"), nodes, now: NOW });

    store.apply(planMachineHealthCheckStep(read()).actions);
    const owner = planMachineSetRemediation({ owner: ms, machines: store.list<Machine>("Machine"), cluster: cluster(), now: NOW, generateName: countingNames() });
    expect(owner.remediated).toEqual(["w-1"]);
    store.apply(owner.actions);

    const after = evaluateMachineHealthCheck(read());
    expect(after.targets).toEqual(["w-0", "w-2", "workers-00001"]);
    expect(after.machines.find((m) => m.name === "workers-00001")).toMatchObject({ state: "pending", reason: "WaitingForNode", recheckAfterSeconds: 601 });
    expect(after).toMatchObject({ currentHealthy: 2, remediationAllowed: true, requeueAfterSeconds: 601 });
  });
});
