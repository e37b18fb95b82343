import { afterEach, describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import type { Node } from "../../provider/k8s/core";
import { MCO_CURRENT_CONFIG, MCO_DESIRED_CONFIG, MCO_STATE, type MachineConfigPool } from "../../provider/kata/model";
import { kataPool } from "../../provider/kata/operator-step";
import { maxUnavailable, syncPool } from "../../provider/kata/rollout-step";
import { conditionOf, NODE_UPDATE_MS, pool, World, worker } from "./world";

// The Machine Config Operator's node controller (node_controller.go, status.go @ release-4.17) as the
// twin plays it: which nodes it gives the new config, in which order, and what the pool reports.

const now = new Date("2026-01-01T00:00:00Z");
const target = "rendered-worker-2";
const workerPool = (spec: Record<string, unknown> = {}): MachineConfigPool => {
  const p = pool("worker", spec);
  p.spec!.configuration = { name: target };
  return p;
};
const node = (name: string, extra: { zone?: string; created?: string; ready?: string; cordoned?: boolean; state?: string; desired?: string; current?: string } = {}): Node => {
  const n = worker(name, extra.zone ? { "topology.kubernetes.io/zone": extra.zone } : {}, extra.created ?? "2024-05-06T09:00:00Z");
  n.metadata.annotations = {
    [MCO_STATE]: extra.state ?? "Done",
    [MCO_CURRENT_CONFIG]: extra.current ?? "rendered-worker-1",
    [MCO_DESIRED_CONFIG]: extra.desired ?? extra.current ?? "rendered-worker-1",
  };
  n.status = { conditions: [{ type: "Ready", status: extra.ready ?? "True" }] };
  if (extra.cordoned) n.spec = { unschedulable: true };
  return n;
};

describe("candidates (getAllCandidateMachines, sortNodeList)", () => {
  it("go by zone first, then oldest creationTimestamp, nodes without a zone last; never by name", () => {
    const nodes = [
      node("a-young-no-zone", { created: "2024-01-03T00:00:00Z" }),
      node("b-old-no-zone", { created: "2024-01-01T00:00:00Z" }),
      node("c-zone-b", { zone: "us-east-1b", created: "2023-01-01T00:00:00Z" }),
      node("d-zone-a-young", { zone: "us-east-1a", created: "2024-01-02T00:00:00Z" }),
      node("e-zone-a-old", { zone: "us-east-1a", created: "2024-01-01T00:00:00Z" }),
    ];
    const order = (max: number) => syncPool(workerPool({ maxUnavailable: max }), nodes, now).targets;
    expect(order(1)).toEqual(["e-zone-a-old"]);
    expect(order(4)).toEqual(["e-zone-a-old", "d-zone-a-young", "c-zone-b", "b-old-no-zone"]);
  });

  it("never picks a NotReady or cordoned node, and counts it against maxUnavailable", () => {
    const notReady = node("w0", { ready: "False" });
    const cordoned = node("w1", { cordoned: true });
    expect(syncPool(workerPool(), [notReady, node("w2")], now).targets).toEqual([]);
    expect(syncPool(workerPool(), [cordoned, node("w2")], now).targets).toEqual([]);
    expect(syncPool(workerPool({ maxUnavailable: 2 }), [notReady, node("w2"), node("w3", { created: "2025-01-01T00:00:00Z" })], now).targets).toEqual(["w2"]);
  });

  it("counts a node Working, or targeted but not started, as unavailable", () => {
    const working = node("w0", { state: "Working", desired: target });
    const targeted = node("w1", { desired: target });
    expect(syncPool(workerPool(), [working, node("w2")], now).targets).toEqual([]);
    expect(syncPool(workerPool(), [targeted, node("w2")], now).targets).toEqual([]);
    expect(syncPool(workerPool(), [targeted, node("w2")], now).status).toMatchObject({ unavailableMachineCount: 1, updatedMachineCount: 0 });
  });

  it("counts a node failing on this config against the capacity, but retargets one failing on an older config", () => {
    const failingHere = node("w0", { state: "Degraded", desired: target });
    const failingOlder = node("w1", { state: "Degraded", desired: "rendered-worker-0" });
    expect(syncPool(workerPool(), [failingHere, node("w2")], now).targets).toEqual([]);
    expect(syncPool(workerPool(), [failingOlder], now).targets).toEqual(["w1"]);
  });

  it("takes maxUnavailable as a number or a percentage rounded down, at least 1", () => {
    const nodes = Array.from({ length: 10 }, (_, i) => node(`w${i}`));
    expect(maxUnavailable(workerPool(), 10)).toBe(1);
    expect(maxUnavailable(workerPool({ maxUnavailable: "25%" }), 10)).toBe(2);
    expect(maxUnavailable(workerPool({ maxUnavailable: "5%" }), 10)).toBe(1);
    expect(maxUnavailable(workerPool({ maxUnavailable: 3 }), 10)).toBe(3);
    expect(maxUnavailable(workerPool({ maxUnavailable: "lots" }), 10)).toMatch(/maxUnavailable: invalid value/);
    expect(syncPool(workerPool({ maxUnavailable: "30%" }), nodes, now).targets).toHaveLength(3);
  });

  it("targets nothing in a paused pool, and reports it paused rather than updating", () => {
    const step = syncPool(workerPool({ paused: true }), [node("w0"), node("w1")], now);
    expect(step.targets).toEqual([]);
    expect(step.status?.conditions?.find((c) => c.type === "Updating")).toMatchObject({ status: "False", message: `Pool is paused; will not update to MachineConfig ${target}` });
    expect(step.status?.conditions?.find((c) => c.type === "Updated")).toMatchObject({ status: "False" });
  });

  it("reports an empty pool as updated", () => {
    const step = syncPool(workerPool(), [], now);
    expect(step.status).toMatchObject({ machineCount: 0, updatedMachineCount: 0 });
    expect(step.status?.conditions?.find((c) => c.type === "Updated")).toMatchObject({ status: "True", message: `All nodes are updated with MachineConfig ${target}` });
  });
});

describe("the rollout on the twin", () => {
  let world: World;
  afterEach(() => world?.close());

  it("a paused kata pool updates no node and reports not updating: the operator waits for the MCO until it is unpaused", async () => {
    const paused = { ...kataPool(), spec: { ...kataPool().spec, paused: true } };
    world = await World.open([worker("worker-0"), worker("worker-1")], [pool("master"), pool("worker"), paused]);
    await world.create();
    await world.run(30 * 60_000);
    expect((await world.kataConfig())?.status).toMatchObject({ waitingForMcoToStart: true, kataNodes: { nodeCount: 0, readyNodeCount: 0 } });
    const kataOc = await world.pool("kata-oc");
    expect(kataOc?.status).toMatchObject({ machineCount: 2, updatedMachineCount: 0 });
    expect(kataOc?.status?.conditions?.find((c) => c.type === "Updating")).toMatchObject({ status: "False", message: expect.stringMatching(/^Pool is paused; will not update to MachineConfig rendered-kata-oc-/) });
    for (const name of ["worker-0", "worker-1"]) expect((await world.node(name)).metadata.annotations?.[MCO_DESIRED_CONFIG]).toBe("rendered-worker-1");
    await world.twin.patch({ ...kinds.machineConfigPool, name: "kata-oc" }, { spec: { paused: false } });
    await world.run();
    expect((await world.kataConfig())?.status?.kataNodes?.installed).toEqual(["worker-0", "worker-1"]);
  });

  it("pausing the kata pool mid-rollout makes upstream's install 'complete' on the nodes done so far", async () => {
    world = await World.open([worker("worker-0", {}, "2024-05-06T09:05:00Z"), worker("worker-1", {}, "2024-05-06T09:02:00Z")]);
    await world.create();
    await world.run(NODE_UPDATE_MS / 2);
    await world.twin.patch({ ...kinds.machineConfigPool, name: "kata-oc" }, { spec: { paused: true } });
    await world.run(30 * 60_000);
    const status = (await world.kataConfig())?.status;
    expect(conditionOf(status)).toEqual({ status: "False", reason: "", message: "" });
    expect(status?.runtimeClasses).toEqual(["kata"]);
    expect(status?.kataNodes).toEqual({ nodeCount: 2, readyNodeCount: 1, installed: ["worker-1"], waitingToInstall: ["worker-0"] });
  });

  it("a NotReady node is passed over and the rollout goes on once it is Ready again", async () => {
    world = await World.open([worker("worker-0", {}, "2024-05-06T09:05:00Z"), worker("worker-1", {}, "2024-05-06T09:02:00Z")]);
    await world.twin.patchStatus({ ...kinds.node, name: "worker-1" }, { conditions: [{ type: "Ready", status: "False" }] });
    await world.create();
    await world.run(3 * NODE_UPDATE_MS);
    // worker-1 (the older) is not Ready: it counts against maxUnavailable, so nothing starts.
    expect((await world.node("worker-0")).metadata.annotations?.[MCO_DESIRED_CONFIG]).toBe("rendered-worker-1");
    expect((await world.pool("kata-oc"))?.status).toMatchObject({ unavailableMachineCount: 1 });
    await world.twin.patchStatus({ ...kinds.node, name: "worker-1" }, { conditions: [{ type: "Ready", status: "True" }] });
    await world.run();
    expect((await world.kataConfig())?.status?.kataNodes?.installed).toEqual(["worker-0", "worker-1"]);
  });
});
