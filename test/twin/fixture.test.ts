import { describe, expect, it } from "vitest";
import type { WatchEvent } from "../../provider/cluster/client";
import { TwinCluster } from "../../provider/cluster/twin/twin-cluster";
import { FixtureError, parseFixture, readFixture } from "../../provider/cluster/twin/fixture";
import type { Condition, KubeObject } from "../../provider/k8s/meta";

const start = new Date("2025-01-01T00:00:00Z");
const nodes = { apiVersion: "v1", kind: "Node" };
const machines = { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Machine", namespace: "default" };
const node = (name: string) => ({ ...nodes, name });
const conditionsOf = (object: KubeObject | undefined) => ((object?.status as { conditions?: Condition[] })?.conditions ?? []);
const ready = (object: KubeObject | undefined) => conditionsOf(object).find((c) => c.type === "Ready");

function fixtureError(text: string): string {
  try {
    parseFixture(text, "broken.yaml");
  } catch (error) {
    expect(error).toBeInstanceOf(FixtureError);
    return (error as Error).message;
  }
  throw new Error("the fixture was accepted");
}

async function openWith(text: string, log?: (m: string) => void) {
  return TwinCluster.open({ startTime: start, fixture: parseFixture(text, "test.yaml"), log });
}

describe("bundled fixtures", () => {
  it("two-workers: the seed's OpenShift nodes and pools, all up to date", async () => {
    const cluster = await TwinCluster.open({ fixture: "two-workers", startTime: start });
    const all = await cluster.list(nodes);
    expect(all.map((n) => n.metadata.name)).toEqual(["master-0", "worker-0", "worker-1"]);
    const workers = await cluster.list(nodes, { labelSelector: { matchLabels: { "node-role.kubernetes.io/worker": "" } } });
    expect(workers.map((n) => n.metadata.name)).toEqual(["worker-0", "worker-1"]);
    for (const n of workers) {
      expect(n.metadata.annotations).toMatchObject({
        "machineconfiguration.openshift.io/state": "Done",
        "machineconfiguration.openshift.io/currentConfig": "rendered-worker-1",
      });
      expect(n.metadata.creationTimestamp).toBe("2025-01-01T00:00:00Z");
      expect(ready(n)).toMatchObject({ status: "True", lastTransitionTime: "2025-01-01T00:00:00Z" });
    }
    const master = all[0]!;
    expect(master.metadata.labels).toHaveProperty("node-role.kubernetes.io/master", "");
    expect(master.metadata.annotations).toHaveProperty("machineconfiguration.openshift.io/currentConfig", "rendered-master-1");
    const pools = await cluster.list({ apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfigPool" });
    expect(pools.map((p) => [p.metadata.name, (p.spec as { configuration: { name: string } }).configuration.name])).toEqual([
      ["master", "rendered-master-1"],
      ["worker", "rendered-worker-1"],
    ]);
    expect((pools[1]!.spec as { nodeSelector: unknown }).nodeSelector).toEqual({ matchLabels: { "node-role.kubernetes.io/worker": "" } });
  });

  it("capi-quickstart: cluster, control plane of 3, machine set of 6, nodes, owners resolved", async () => {
    const cluster = await TwinCluster.open({ fixture: "capi-quickstart", startTime: start });
    const capi = await cluster.get({ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Cluster", namespace: "default", name: "capi-quickstart" });
    expect(conditionsOf(capi).filter((c) => c.status === "True").map((c) => c.type)).toEqual(
      expect.arrayContaining(["ControlPlaneInitialized", "InfrastructureReady"]),
    );
    const controlPlane = await cluster.list(machines, { labelSelector: { matchLabels: { "cluster.x-k8s.io/control-plane": "" } } });
    expect(controlPlane).toHaveLength(3);
    const kcp = await cluster.get({ apiVersion: "controlplane.cluster.x-k8s.io/v1beta1", kind: "KubeadmControlPlane", namespace: "default", name: "capi-quickstart-control-plane" });
    for (const m of controlPlane) expect(m.metadata.ownerReferences![0]!.uid).toBe(kcp!.metadata.uid);
    const pool = await cluster.list(machines, {
      labelSelector: { matchLabels: { nodepool: "nodepool-0", "cluster.x-k8s.io/cluster-name": "capi-quickstart" } },
    });
    expect(pool).toHaveLength(6);
    const machineSet = await cluster.get({ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineSet", namespace: "default", name: "capi-quickstart-nodepool-0" });
    expect(machineSet!.spec).toMatchObject({ replicas: 6, template: { metadata: { labels: { nodepool: "nodepool-0" } } } });
    for (const m of pool) {
      expect(m.metadata.ownerReferences![0]).toMatchObject({ kind: "MachineSet", uid: machineSet!.metadata.uid });
      const nodeRef = (m.status as { nodeRef: { name: string } }).nodeRef;
      expect(ready(await cluster.get(node(nodeRef.name)))!.status).toBe("True");
    }
    // Deleting the MachineSet takes its Machines with it (garbage collection through ownerReferences).
    await cluster.delete({ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineSet", namespace: "default", name: "capi-quickstart-nodepool-0" });
    expect(await cluster.list(machines)).toHaveLength(3);
  });

  it("unknown names and missing files are clear errors", () => {
    expect(() => readFixture("no-such-fixture")).toThrow(/no bundled twin fixture named "no-such-fixture": the bundled ones are .*two-workers/);
    expect(() => readFixture("./missing.yaml")).toThrow("fixture file ./missing.yaml does not exist");
  });
});

describe("broken fixtures", () => {
  it.each([
    ["a YAML syntax error", "apiVersion: v1\nkind: Node\nmetadata: { name: a }\n---\nkind: [\n", /^broken\.yaml: document 2 \(line 5\): .*Flow sequence/],
    ["a missing name", "apiVersion: v1\nkind: Node\nmetadata: {}\n", /^broken\.yaml: document 1 \(line 1\): metadata\.name: /],
    ["a list instead of an object", "- a\n- b\n", /document 1 .*must be a mapping/],
    [
      "a bad duration",
      "apiVersion: twin.pulumi-cluster-runtime.dev/v1\nkind: Schedule\nevents:\n  - at: 6 minutes\n    clearNodeDegraded: { node: a }\n",
      /document 1 \(line 1\), Schedule: events\[0\]\.at: must be a Go duration like "300s", "5m" or "1h30m"; got "6 minutes"/,
    ],
    [
      "two actions in one event",
      "apiVersion: twin.pulumi-cluster-runtime.dev/v1\nkind: Schedule\nevents:\n  - at: 1m\n    clearNodeDegraded: { node: a }\n    delete: { apiVersion: v1, kind: Node, name: a }\n",
      /events\[0\]: has 2 actions \(clearNodeDegraded, delete\): give each its own event/,
    ],
    [
      "no action",
      "apiVersion: twin.pulumi-cluster-runtime.dev/v1\nkind: Schedule\nevents:\n  - at: 1m\n",
      /events\[0\]: needs one action: setNodeCondition, markNodeDegraded/,
    ],
    [
      "a misspelled action",
      "apiVersion: twin.pulumi-cluster-runtime.dev/v1\nkind: Schedule\nevents:\n  - at: 1m\n    degradeNode: { node: a, reason: x }\n",
      /events\[0\]: Unrecognized key: "degradeNode"/,
    ],
    [
      "a bad condition status",
      "apiVersion: twin.pulumi-cluster-runtime.dev/v1\nkind: Schedule\nevents:\n  - at: 1m\n    setNodeCondition: { node: a, type: Ready, status: Maybe }\n",
      /events\[0\]\.setNodeCondition\.status: must be "True", "False" or "Unknown"/,
    ],
    [
      "a machine failure without a reason",
      "apiVersion: twin.pulumi-cluster-runtime.dev/v1\nkind: Schedule\nevents:\n  - at: 1m\n    setMachineFailure: { machine: m }\n",
      /events\[0\]\.setMachineFailure: needs failureReason, failureMessage or both/,
    ],
    [
      "a bare number as a time",
      "apiVersion: twin.pulumi-cluster-runtime.dev/v1\nkind: Schedule\nevents:\n  - at: 0\n    clearNodeDegraded: { node: a }\n",
      /events\[0\]\.at: must be a Go duration such as 0s, 90s, 6m or 1h30m \(a bare number is not one\)/,
    ],
    [
      "an unquoted condition status on an object",
      "apiVersion: v1\nkind: Node\nmetadata: { name: a }\nstatus:\n  conditions:\n    - { type: Ready, status: True }\n",
      /document 1 \(line 1\): status\.conditions\[0\]\.status: must be a string .*quote it/,
    ],
    [
      "another kind in the twin's group",
      "apiVersion: twin.pulumi-cluster-runtime.dev/v1\nkind: Timeline\nevents: []\n",
      /kind: the only kind in twin\.pulumi-cluster-runtime\.dev\/v1 is Schedule/,
    ],
  ])("%s", (_what, text, message) => {
    expect(fixtureError(text)).toMatch(message);
  });

  it("an owner reference to an object not in the fixture", async () => {
    const text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\n  ownerReferences:\n    - { apiVersion: apps/v1, kind: ReplicaSet, name: rs }\n";
    await expect(openWith(text)).rejects.toThrow(
      /test\.yaml: document 1 \(line 1, Pod default\/p\): metadata\.ownerReferences\[0\] names ReplicaSet rs \(apps\/v1\), which is not in the fixture/,
    );
  });

  it("the same object twice", async () => {
    const text = "apiVersion: v1\nkind: Node\nmetadata: { name: a }\n---\napiVersion: v1\nkind: Node\nmetadata: { name: a }\n";
    await expect(openWith(text)).rejects.toThrow("test.yaml: document 2 (line 5, Node a): Node a already exists");
  });

  it("an invalid object name", async () => {
    await expect(openWith("apiVersion: v1\nkind: Node\nmetadata: { name: Worker_0 }\n")).rejects.toThrow(/document 1 .*metadata\.name: must be a DNS subdomain/);
  });
});

describe("scheduled events", () => {
  const scheduled = (events: string) => `
apiVersion: v1
kind: Node
metadata: { name: worker-0, annotations: { machineconfiguration.openshift.io/state: Done } }
status:
  conditions:
    - { type: Ready, status: "True" }
---
apiVersion: cluster.x-k8s.io/v1beta1
kind: Machine
metadata: { name: m-0, namespace: default }
spec: { clusterName: c }
status: { phase: Running }
---
apiVersion: twin.pulumi-cluster-runtime.dev/v1
kind: Schedule
metadata: { name: trouble }
events:
${events}`;

  it("fire at their virtual time, not before", async () => {
    const cluster = await openWith(
      scheduled(`
  - at: 6m
    setNodeCondition: { node: worker-0, type: Ready, status: False, reason: KubeletNotReady, message: "PLEG is not healthy" }
  - at: 90s
    markNodeDegraded: { node: worker-0, reason: "failed to drain node" }
  - at: 3m
    clearNodeDegraded: { node: worker-0 }
  - at: 10m
    setMachineFailure: { machine: m-0, failureReason: UpdateError, failureMessage: "instance terminated" }
`),
    );
    const state = async () => (await cluster.get(node("worker-0")))!.metadata.annotations!["machineconfiguration.openshift.io/state"];
    await cluster.advance(89_000);
    expect(await state()).toBe("Done");
    await cluster.advance(1_000);
    expect(await state()).toBe("Degraded");
    expect((await cluster.get(node("worker-0")))!.metadata.annotations!["machineconfiguration.openshift.io/reason"]).toBe("failed to drain node");
    expect((await cluster.get(node("worker-0")))!.metadata.annotations!["twin.pulumi-cluster-runtime.dev/fault"]).toBe("failed to drain node");
    await cluster.advance(90_000);
    // Fixed: the fault is gone; the node stays Degraded until the daemon's next attempt is done.
    expect((await cluster.get(node("worker-0")))!.metadata.annotations).not.toHaveProperty("twin.pulumi-cluster-runtime.dev/fault");
    expect(await state()).toBe("Degraded");

    await cluster.advance(179_999); // 5:59.999
    expect(ready(await cluster.get(node("worker-0")))!.status).toBe("True");
    await cluster.advance(60_000);
    expect(ready(await cluster.get(node("worker-0")))).toEqual({
      type: "Ready",
      status: "False",
      reason: "KubeletNotReady",
      message: "PLEG is not healthy",
      lastHeartbeatTime: "2025-01-01T00:06:00Z",
      lastTransitionTime: "2025-01-01T00:06:00Z",
    });

    await cluster.advance(minutes(10));
    const machine = await cluster.get({ ...machines, name: "m-0" });
    expect(machine!.status).toEqual({ phase: "Running", failureReason: "UpdateError", failureMessage: "instance terminated" });
  });

  it("fire when the twin's time is jumped past them in one advance, each at its own time", async () => {
    const cluster = await openWith(
      scheduled(`
  - at: 1m
    setNodeCondition: { node: worker-0, type: Ready, status: Unknown }
  - at: 2m
    setNodeCondition: { node: worker-0, type: Ready, status: Unknown, reason: NodeStatusUnknown }
  - at: 3m
    setNodeCondition: { node: worker-0, type: Ready, status: "True" }
`),
    );
    const seen: string[] = [];
    await cluster.watch(node("worker-0"), (e) => seen.push(`${ready(e.object)!.status}@${ready(e.object)!.lastTransitionTime}`));
    await cluster.advance(minutes(60));
    // The unchanged status keeps its transition time; the heartbeat moves.
    expect(seen).toEqual(["Unknown@2025-01-01T00:01:00Z", "Unknown@2025-01-01T00:01:00Z", "True@2025-01-01T00:03:00Z"]);
  });

  it("apply and delete objects, e.g. a kata Pod appearing and going", async () => {
    const cluster = await openWith(
      scheduled(`
  - at: 0s
    apply:
      apiVersion: v1
      kind: Pod
      metadata: { name: sandboxed, namespace: default, labels: { app: demo } }
      spec: { runtimeClassName: kata, containers: [{ name: c, image: busybox }] }
      status: { phase: Running }
  - at: 5m
    delete: { apiVersion: v1, kind: Pod, name: sandboxed, namespace: default }
`),
    );
    const pod = await cluster.get({ apiVersion: "v1", kind: "Pod", namespace: "default", name: "sandboxed" });
    expect(pod).toMatchObject({ spec: { runtimeClassName: "kata" }, status: { phase: "Running" }, metadata: { creationTimestamp: "2025-01-01T00:00:00Z" } });
    await cluster.advance(minutes(5));
    expect(await cluster.get({ apiVersion: "v1", kind: "Pod", namespace: "default", name: "sandboxed" })).toBeUndefined();
  });

  it("an event whose target is missing does nothing and says so", async () => {
    const messages: string[] = [];
    const cluster = await openWith(scheduled(`\n  - at: 1m\n    markNodeDegraded: { node: worker-9, reason: x }\n`), (m) => messages.push(m));
    await cluster.advance(minutes(2));
    expect(messages).toEqual([
      "scheduled event test.yaml document 3 events[0] (due 2025-01-01T00:01:00.000Z) did nothing: Node worker-9 not found",
    ]);
  });
});

describe("watch", () => {
  it("delivers ADDED, MODIFIED and DELETED for the watched kind, and only the named object when named", async () => {
    const cluster = await TwinCluster.open({ startTime: start });
    const all: WatchEvent[] = [];
    const one: WatchEvent[] = [];
    const handle = await cluster.watch({ apiVersion: "v1", kind: "ConfigMap", namespace: "default" }, (e) => all.push(e));
    await cluster.watch({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "b" }, (e) => one.push(e));
    const cm = (name: string, data: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data });
    await cluster.apply(cm("a", { x: "1" }));
    await cluster.apply(cm("b", { x: "1" }));
    await cluster.apply(cm("b", { x: "2" }));
    await cluster.apply({ ...cm("c", {}), metadata: { name: "c", namespace: "elsewhere" } });
    await cluster.apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" } });
    await cluster.delete({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "a" });
    handle.close();
    await cluster.apply(cm("d", {}));
    expect(all.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED a", "ADDED b", "MODIFIED b", "DELETED a"]);
    expect(one.map((e) => `${e.type} ${(e.object.data as { x: string }).x}`)).toEqual(["ADDED 1", "MODIFIED 2"]);
  });
});

const minutes = (n: number) => n * 60_000;
