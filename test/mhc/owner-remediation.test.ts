import { describe, expect, it } from "vitest";
import type { Condition } from "../../provider/k8s/meta";
import { decideKubeadmControlPlaneRemediation } from "../../provider/mhc/owner-remediation";
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
  it("deletes a marked machine it owns, after marking OwnerRemediated True; the replacement waits until it is gone", () => {
    const step = machineSetStep([machine("w-0"), machine("w-1", { conditions: marked }), machine("w-2")]);
    expect(kinds(step.actions)).toEqual(["patchStatus Machine/w-1", "delete Machine/w-1"]);
    expect(step.actions[0]).toMatchObject({
      status: {
        conditions: [marked[0], { type: "OwnerRemediated", status: "True", lastTransitionTime: ago(0) }],
        v1beta2: { conditions: [{ type: "OwnerRemediated", status: "False", reason: "MachineDeleting", message: "Machine is deleting", lastTransitionTime: ago(0) }] },
      },
    });
    expect(step).toMatchObject({ remediated: ["w-1"], created: [] });
    const next = machineSetStep([machine("w-0"), machine("w-2")]);
    expect(next.created).toEqual(["workers-00001"]);
  });

  it("creates the new Machine from the template, owned by the MachineSet, without a Node", () => {
    const step = machineSetStep([], { replicas: 1 });
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

  it("remediates every marked machine at once", () => {
    const step = machineSetStep([machine("w-0", { conditions: marked }), machine("w-1", { conditions: marked }), machine("w-2")]);
    expect(step.remediated).toEqual(["w-0", "w-1"]);
    expect(step.created).toEqual([]);
  });

  it("remediates a marked machine even when it carries the paused annotation (upstream's MachineSet does not look at it)", () => {
    const step = machineSetStep([machine("w-0", { conditions: marked, annotations: { "cluster.x-k8s.io/paused": "" } }), machine("w-1"), machine("w-2")]);
    expect(step.remediated).toEqual(["w-0"]);
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

  it("ignores a machine already being deleted, and counts it until it is gone", () => {
    const step = machineSetStep([machine("w-0", { conditions: marked, deleting: true }), machine("w-1"), machine("w-2")]);
    expect(step.actions).toEqual([]);
  });

  it("removes the mark of a machine that is healthy again", () => {
    const step = machineSetStep([machine("w-0", { conditions: healthyAgain }), machine("w-1"), machine("w-2")]);
    expect(kinds(step.actions)).toEqual(["patchStatus Machine/w-0"]);
    expect(step.actions[0]).toMatchObject({ status: { conditions: [healthyAgain[0]] } });
  });

  it("removes the v1beta2 mark on its own when only the v1beta2 pair says healthy again", () => {
    const v1beta2 = [
      { type: "HealthCheckSucceeded", status: "True", reason: "HealthCheckSucceeded", lastTransitionTime: ago(10) },
      { type: "OwnerRemediated", status: "False", reason: "WaitingForRemediation", lastTransitionTime: ago(60) },
    ];
    const m = machine("w-0");
    m.status = { ...m.status, v1beta2: { conditions: v1beta2 } };
    const step = machineSetStep([m, machine("w-1"), machine("w-2")]);
    expect(step.actions[0]).toMatchObject({ status: { v1beta2: { conditions: [v1beta2[0]] } } });
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

describe("the KubeadmControlPlane's remediation (controlplane/kubeadm remediation.go)", () => {
  const cp = (name: string, createdSecondsAgo: number, options: MachineOptions = {}) => controlPlaneMachine(name, { createdSecondsAgo, ...options });
  const kcpStep = (machines: Machine[], options: Parameters<typeof kubeadmControlPlane>[0] = {}) =>
    planKubeadmControlPlaneRemediation({ owner: kubeadmControlPlane(options), machines, cluster: cluster(), now: NOW, generateName: countingNames() });
  const conditionsOf = (action: ClusterAction | undefined) => (action?.action === "patchStatus" ? (action.status as Machine["status"]) : undefined);

  it("deletes one marked machine per step, the oldest first, then records OwnerRemediated False/RemediationInProgress and the remediation in progress", () => {
    const etcdUp = { type: "EtcdMemberHealthy", status: "True", lastTransitionTime: ago(10) };
    const step = kcpStep([cp("cp-a", 100, { conditions: [...marked, etcdUp] }), cp("cp-b", 900, { conditions: [...marked, etcdUp] }), cp("cp-c", 500)]);
    expect(kinds(step.actions)).toEqual(["patchStatus Machine/cp-b", "delete Machine/cp-b", "patch KubeadmControlPlane/capi-quickstart-control-plane"]);
    expect(conditionsOf(step.actions[0])).toMatchObject({
      conditions: [etcdUp, marked[0], { type: "OwnerRemediated", status: "False", severity: "Warning", reason: "RemediationInProgress", lastTransitionTime: ago(0) }],
      v1beta2: { conditions: [{ type: "OwnerRemediated", status: "False", reason: "MachineDeleting", message: "Machine is deleting" }] },
    });
    expect(step.actions[2]).toMatchObject({
      patch: { metadata: { annotations: { "controlplane.cluster.x-k8s.io/remediation-in-progress": JSON.stringify({ machine: "cp-b", timestamp: ago(0), retryCount: 0 }) } } },
    });
  });

  it("picks the most broken machine first: remediate-machine annotation, then no Node, then etcd, then the oldest", () => {
    const pick = (...machines: Machine[]) => kcpStep([...machines, cp("ok-1", 10), cp("ok-2", 10)]).remediated;
    expect(pick(cp("old", 900, { conditions: marked }), cp("annotated", 10, { conditions: marked, annotations: { "cluster.x-k8s.io/remediate-machine": "" } }))).toEqual(["annotated"]);
    expect(pick(cp("old", 900, { conditions: marked }), cp("no-node", 10, { conditions: marked, nodeName: null }))).toEqual(["no-node"]);
    const etcdDown = { type: "EtcdMemberHealthy", status: "False", lastTransitionTime: ago(10) };
    const etcdUp = { type: "EtcdMemberHealthy", status: "True", lastTransitionTime: ago(10) };
    const withEtcd = (extra: Condition) => [...marked, extra];
    const decision = decideKubeadmControlPlaneRemediation({
      kcp: kubeadmControlPlane({ initialized: false }),
      machines: [cp("old", 900, { conditions: withEtcd(etcdUp) }), cp("etcd-down", 10, { conditions: withEtcd(etcdDown) })],
      now: NOW,
      etcd: "simulated",
    });
    expect(decision.kind === "remediate" && decision.machines.map((m) => m.metadata.name)).toEqual(["etcd-down"]);
    const byNode = decideKubeadmControlPlaneRemediation({
      kcp: kubeadmControlPlane({ initialized: false }),
      machines: [cp("old", 900, { conditions: marked }), cp("no-node", 10, { conditions: marked, nodeName: null })],
      now: NOW,
      etcd: "simulated",
    });
    expect(byNode.kind === "remediate" && byNode.machines.map((m) => m.metadata.name)).toEqual(["no-node"]);
  });

  it("before the control plane is initialized, deletes its first machine: no replica, provisioning or etcd check", () => {
    const step = kcpStep([cp("cp-a", 100, { conditions: marked })], { replicas: 1, initialized: false });
    expect(step.remediated).toEqual(["cp-a"]);
  });

  it("creates the replacement once the machine is gone, with the remediation-for annotation, and forgets the remediation in progress", () => {
    const inProgress = JSON.stringify({ machine: "cp-b", timestamp: ago(30), retryCount: 0 });
    const step = kcpStep([cp("cp-a", 100), cp("cp-c", 500)], { annotations: { "controlplane.cluster.x-k8s.io/remediation-in-progress": inProgress } });
    const created = step.actions.find((a) => a.action === "create");
    expect(created?.action === "create" && created.object).toMatchObject({
      metadata: {
        annotations: { "controlplane.cluster.x-k8s.io/remediation-for": inProgress },
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
    expect(step.actions).toContainEqual(expect.objectContaining({ action: "patch", patch: { metadata: { annotations: { "controlplane.cluster.x-k8s.io/remediation-in-progress": null } } } }));
  });

  it("waits quietly while another remediation is in progress", () => {
    const inProgress = JSON.stringify({ machine: "cp-x", timestamp: ago(5), retryCount: 0 });
    const step = kcpStep([cp("cp-a", 100, { conditions: marked }), cp("cp-b", 900), cp("cp-c", 500)], { annotations: { "controlplane.cluster.x-k8s.io/remediation-in-progress": inProgress } });
    expect(kinds(step.actions)).toEqual(["report Machine/cp-a"]);
  });

  it("waits while another control plane machine is being deleted, and says so on the picked machine only", () => {
    const step = kcpStep([cp("cp-a", 100, { conditions: marked }), cp("cp-e", 90, { conditions: marked }), cp("cp-b", 900, { deleting: true }), cp("cp-c", 500), cp("cp-d", 50)]);
    expect(step.remediated).toEqual([]);
    expect(kinds(step.actions)).toEqual(["patchStatus Machine/cp-a", "report Machine/cp-a"]);
    expect(conditionsOf(step.actions[0])?.conditions).toContainEqual(expect.objectContaining({ reason: "WaitingForRemediation", message: kcpMessages.deletionInProgress }));
    expect(conditionsOf(step.actions[0])?.v1beta2?.conditions).toContainEqual(
      expect.objectContaining({ reason: "RemediationDeferred", message: "KubeadmControlPlane waiting for control plane Machine deletion to complete before triggering remediation" }),
    );
  });

  it("waits while a healthy machine is still provisioning", () => {
    const step = kcpStep([cp("cp-a", 100, { conditions: marked }), cp("cp-b", 900, { nodeName: null }), cp("cp-c", 500)]);
    expect(step.remediated).toEqual([]);
    expect(conditionsOf(step.actions[0])?.conditions).toContainEqual(expect.objectContaining({ message: kcpMessages.provisioning }));
  });

  it("does not remediate its only machine once initialized, and says why on the machine", () => {
    const step = kcpStep([cp("cp-a", 100, { conditions: marked })], { replicas: 1 });
    expect(step.remediated).toEqual([]);
    expect(step.actions[0]).toMatchObject({
      action: "patchStatus",
      status: { conditions: [marked[0], { type: "OwnerRemediated", status: "False", reason: "WaitingForRemediation", severity: "Warning", message: kcpMessages.tooFewReplicas }] },
    });
    expect(step.actions[1]).toMatchObject({ action: "report" });
  });

  it("keeps etcd quorum on the simulated members: with 3 machines and another member unhealthy, it waits", () => {
    const etcdDown = { type: "EtcdMemberHealthy", status: "False", lastTransitionTime: ago(10) };
    const step = kcpStep([cp("cp-a", 100, { conditions: marked }), cp("cp-b", 900, { conditions: [etcdDown] }), cp("cp-c", 500)]);
    expect(step.remediated).toEqual([]);
    expect(conditionsOf(step.actions[0])?.conditions).toContainEqual(expect.objectContaining({ message: kcpMessages.etcdQuorum }));
  });

  it("with external etcd, skips the quorum check", () => {
    const etcdDown = { type: "EtcdMemberHealthy", status: "False", lastTransitionTime: ago(10) };
    const step = kcpStep([cp("cp-a", 100, { conditions: marked }), cp("cp-b", 900, { conditions: [etcdDown] }), cp("cp-c", 500)], { externalEtcd: true });
    expect(step.remediated).toEqual(["cp-a"]);
  });

  it("respects retryPeriod and maxRetry for a machine that replaces a remediated one", () => {
    const remediationFor = (secondsAgo: number, retryCount: number) => ({
      "controlplane.cluster.x-k8s.io/remediation-for": JSON.stringify({ machine: "cp-old", timestamp: ago(secondsAgo), retryCount }),
    });
    const strategy = { retryPeriod: "10m", maxRetry: 2 };
    const soon = kcpStep([cp("cp-a", 100, { conditions: marked, annotations: remediationFor(60, 0) }), cp("cp-b", 900), cp("cp-c", 500)], { remediationStrategy: strategy });
    expect(conditionsOf(soon.actions[0])?.conditions).toContainEqual(expect.objectContaining({ message: kcpMessages.retryPeriod("10m0s") }));
    const tooMany = kcpStep([cp("cp-a", 100, { conditions: marked, annotations: remediationFor(1200, 2) }), cp("cp-b", 900), cp("cp-c", 500)], { remediationStrategy: strategy });
    expect(conditionsOf(tooMany.actions[0])?.conditions).toContainEqual(expect.objectContaining({ message: kcpMessages.maxRetry(2) }));
    const retried = kcpStep([cp("cp-a", 100, { conditions: marked, annotations: remediationFor(1200, 1) }), cp("cp-b", 900), cp("cp-c", 500)], { remediationStrategy: strategy });
    expect(retried.remediated).toEqual(["cp-a"]);
    expect(retried.actions.at(-1)).toMatchObject({
      patch: { metadata: { annotations: { "controlplane.cluster.x-k8s.io/remediation-in-progress": JSON.stringify({ machine: "cp-a", timestamp: ago(0), retryCount: 2 }) } } },
    });
  });

  it("deletes a marked machine that carries the paused annotation (only the health check skips those)", () => {
    const step = kcpStep([cp("cp-a", 100, { conditions: marked, annotations: { "cluster.x-k8s.io/paused": "" } }), cp("cp-b", 900), cp("cp-c", 500)]);
    expect(step.remediated).toEqual(["cp-a"]);
  });
});

describe("what the report says about control plane machines (etcd not visible)", () => {
  it("says unknown when the decision rests on etcd quorum, with the projection", () => {
    const result = evaluateMachineHealthCheck({
      machineHealthCheck: mhc({ selector: { matchLabels: { "cluster.x-k8s.io/control-plane": "" } }, maxUnhealthy: "100%" }),
      cluster: cluster(),
      machines: [controlPlaneMachine("cp-a"), controlPlaneMachine("cp-b"), controlPlaneMachine("cp-c")],
      nodes: [node("cp-a", [{ status: "False", sinceSecondsAgo: 3600 }]), node("cp-b"), node("cp-c")],
      now: NOW,
      controlPlanes: [kubeadmControlPlane()],
    });
    expect(result.machines.find((m) => m.name === "cp-a")?.remediation).toEqual({
      outcome: "unknown",
      message: expect.stringMatching(/etcd members are not visible here \(projected from the control plane Machines: quorum kept, 2\/2 members healthy after removal\)/),
    });
  });

  it("says the first machine is remediated before initialization", () => {
    const result = evaluateMachineHealthCheck({
      machineHealthCheck: mhc({ selector: { matchLabels: { "cluster.x-k8s.io/control-plane": "" } }, maxUnhealthy: "100%" }),
      cluster: cluster({ controlPlaneInitialized: false }),
      machines: [controlPlaneMachine("cp-a", { nodeName: null, createdSecondsAgo: 3600 })],
      nodes: [],
      now: NOW,
      controlPlanes: [kubeadmControlPlane({ initialized: false, replicas: 1 })],
    });
    expect(result.machines[0]).toMatchObject({ state: "unhealthy", reason: "NodeStartupTimeout", remediation: { outcome: "remediated", message: expect.stringContaining("not initialized") } });
  });

  it("says waits for the machines after the first, and who goes first", () => {
    const result = evaluateMachineHealthCheck({
      machineHealthCheck: mhc({ selector: { matchLabels: { "cluster.x-k8s.io/control-plane": "" } }, maxUnhealthy: "100%" }),
      cluster: cluster(),
      machines: [controlPlaneMachine("cp-a", { createdSecondsAgo: 100 }), controlPlaneMachine("cp-b", { createdSecondsAgo: 900 }), controlPlaneMachine("cp-c")],
      nodes: [node("cp-a", [{ status: "False", sinceSecondsAgo: 3600 }]), node("cp-b", [{ status: "False", sinceSecondsAgo: 3600 }]), node("cp-c")],
      now: NOW,
      controlPlanes: [kubeadmControlPlane({ externalEtcd: true })],
    });
    expect(result.machines.map((m) => [m.name, m.remediation?.outcome])).toEqual([["cp-a", "waits"], ["cp-b", "remediated"], ["cp-c", undefined]]);
    expect(result.machines[0]?.remediation?.message).toContain("cp-b goes first");
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
    store.apply(planMachineSetRemediation({ owner: ms, machines: store.list<Machine>("Machine"), cluster: cluster(), now: NOW, generateName: countingNames() }).actions);

    const after = evaluateMachineHealthCheck(read());
    expect(after.targets).toEqual(["w-0", "w-2", "workers-00001"]);
    expect(after.machines.find((m) => m.name === "workers-00001")).toMatchObject({ state: "pending", reason: "WaitingForNode", recheckAfterSeconds: 601 });
    expect(after).toMatchObject({ currentHealthy: 2, remediationAllowed: true, requeueAfterSeconds: 601 });
  });
});
