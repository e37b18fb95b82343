import { describe, expect, it } from "vitest";
import { deriveKataNodes } from "../../provider/kata/derive";
import { KATA_NODE_ROLE_LABEL, MCO_STATE } from "../../provider/kata/model";
import { inProgressCondition } from "../../provider/kata/operator-step";
import { World, kataPod, pool, worker } from "./world";

function condition(world: World) {
  const c = inProgressCondition(world.kataConfig?.status);
  return c && { status: c.status, reason: c.reason, message: c.message };
}

function installedOn(names: string[]): World {
  const world = new World(names.map((n) => worker(n)));
  world.create();
  world.run();
  return world;
}

describe("a Degraded node", () => {
  it("stops the install with Failed and the node's reason, and nothing goes on by itself", () => {
    const world = new World([worker("worker-0"), worker("worker-1")]);
    world.create();
    world.settle();
    world.degrade("worker-1", "failed to drain node: timed out");
    world.run();
    expect(condition(world)).toEqual({ status: "True", reason: "Failed", message: "Node worker-1 Degraded: failed to drain node: timed out" });
    expect(world.kataConfig?.status?.kataNodes).toEqual({ nodeCount: 2, readyNodeCount: 0, failedToInstall: ["worker-1"], waitingToInstall: ["worker-0"] });
    expect(world.runtimeClasses).toEqual([]);
  });

  it("resumes the install once the fault clears", () => {
    const world = new World([worker("worker-0"), worker("worker-1")]);
    world.create();
    world.settle();
    world.degrade("worker-1", "boom");
    world.run();
    world.node("worker-1").metadata.annotations![MCO_STATE] = "Working";
    world.run();
    expect(condition(world)).toEqual({ status: "False", reason: "", message: "" });
    expect(world.kataConfig?.status?.kataNodes?.readyNodeCount).toBe(2);
    expect(world.runtimeClasses).toEqual(["kata"]);
  });

  it("during removal reports failedToUninstall and keeps the finalizer", () => {
    const world = installedOn(["worker-0", "worker-1"]);
    world.delete();
    world.settle();
    world.degrade("worker-1", "unable to roll back");
    world.run();
    expect(condition(world)).toEqual({ status: "True", reason: "Failed", message: "Node worker-1 Degraded: unable to roll back" });
    expect(world.kataConfig?.status?.kataNodes?.failedToUninstall).toEqual(["worker-1"]);
    expect(world.kataConfig).toBeDefined();
  });
});

describe("deletion", () => {
  it("is blocked by a running kata pod, names it, and goes on once the pod is gone", () => {
    const world = installedOn(["worker-0", "worker-1"]);
    world.pods.push(kataPod("apps", "sandboxed-nginx"));
    world.delete();
    world.run();
    expect(condition(world)).toEqual({
      status: "False",
      reason: "BlockedByExistingKataPods",
      message: 'existing pods using "kata" RuntimeClass found. Please delete the pods manually for KataConfig deletion to proceed',
    });
    expect(world.lastBlockingPods).toEqual(["apps/sandboxed-nginx"]);
    expect(world.kataConfig?.status?.kataNodes?.installed).toEqual(["worker-0", "worker-1"]);
    world.pods = [];
    world.run();
    expect(world.kataConfig).toBeUndefined();
  });

  it("ignores pods of other runtime classes and finished kata pods", () => {
    const world = installedOn(["worker-0"]);
    world.pods.push({ ...kataPod("apps", "runc-pod"), spec: { runtimeClassName: "runc" } });
    world.pods.push({ ...kataPod("apps", "done"), status: { phase: "Succeeded" } });
    world.delete();
    world.run();
    expect(world.kataConfig).toBeUndefined();
  });

  it("requested during the install waits for the install to finish, then removes kata", () => {
    const world = new World([worker("worker-0"), worker("worker-1")]);
    world.create();
    world.settle();
    world.delete();
    world.settle();
    expect(condition(world)?.reason).toBe("Installing");
    world.run();
    expect(world.kataConfig).toBeUndefined();
    const reasons = world.statuses.map((s) => inProgressCondition(s)?.reason);
    expect(reasons.indexOf("Uninstalling")).toBeGreaterThan(reasons.lastIndexOf("Installing"));
    for (const node of world.nodes) expect(node.metadata.labels).not.toHaveProperty(KATA_NODE_ROLE_LABEL);
  });

  it("after a Failed install does not wait", () => {
    const world = new World([worker("worker-0"), worker("worker-1")]);
    world.create();
    world.settle();
    world.degrade("worker-1", "boom");
    world.run();
    world.delete();
    world.settle();
    expect(condition(world)?.reason).toBe("Failed");
    expect(world.nodes.filter((n) => n.metadata.labels?.[KATA_NODE_ROLE_LABEL] !== undefined)).toEqual([]);
  });
});

describe("selection", () => {
  it("installs only on workers the selector picks", () => {
    const world = new World([worker("worker-0", { kata: "yes" }), worker("worker-1")]);
    world.create({ kataConfigPoolSelector: { matchLabels: { kata: "yes" } } });
    world.run();
    expect(world.kataConfig?.status?.kataNodes).toEqual({ nodeCount: 1, readyNodeCount: 1, installed: ["worker-0"] });
  });

  it("a selector change adds and removes nodes under Updating, with no pod check", () => {
    const world = new World([worker("worker-0", { kata: "a" }), worker("worker-1", { kata: "b" })]);
    world.create({ kataConfigPoolSelector: { matchLabels: { kata: "a" } } });
    world.run();
    world.pods.push(kataPod("apps", "p"));
    world.statuses = [];
    world.kataConfig!.spec = { kataConfigPoolSelector: { matchLabels: { kata: "b" } } };
    world.settle();
    expect(condition(world)).toEqual({ status: "True", reason: "Updating", message: "Adding and/or removing kata-enabled nodes" });
    // Two pools roll at once: worker takes worker-0 back while kata-oc takes worker-1 in.
    expect(world.kataConfig?.status?.kataNodes).toEqual({ nodeCount: 1, readyNodeCount: 0, uninstalling: ["worker-0"], installing: ["worker-1"] });
    world.run();
    expect(condition(world)).toEqual({ status: "False", reason: "", message: "" });
    expect(world.kataConfig?.status?.kataNodes).toEqual({ nodeCount: 1, readyNodeCount: 1, installed: ["worker-1"] });
  });

  it("ignores nodes that are not workers", () => {
    const master = { ...worker("master-0"), metadata: { name: "master-0", labels: { "node-role.kubernetes.io/master": "" }, annotations: {} } };
    const world = new World([master, worker("worker-0")]);
    world.create();
    world.run();
    expect(world.kataConfig?.status?.kataNodes).toEqual({ nodeCount: 1, readyNodeCount: 1, installed: ["worker-0"] });
  });

  it("with checkNodeEligibility and no eligible node retries without writing status", () => {
    const world = new World([worker("worker-0")]);
    world.create({ checkNodeEligibility: true });
    world.run();
    expect(world.statuses).toEqual([]);
  });

  it("with checkNodeEligibility installs only on NFD-labelled nodes", () => {
    const world = new World([worker("worker-0", { "feature.node.kubernetes.io/runtime.kata": "true" }), worker("worker-1")]);
    world.create({ checkNodeEligibility: true });
    world.run();
    expect(world.kataConfig?.status?.kataNodes?.installed).toEqual(["worker-0"]);
  });

  it("with enablePeerPods also creates kata-remote", () => {
    const world = new World([worker("worker-0")]);
    world.create({ enablePeerPods: true });
    world.run();
    expect(world.runtimeClasses.sort()).toEqual(["kata", "kata-remote"]);
    expect(world.kataConfig?.status?.runtimeClasses).toEqual(["kata", "kata-remote"]);
  });
});

describe("deriveKataNodes", () => {
  const pools = [pool("worker", "rendered-worker-1"), pool("kata-oc", "rendered-kata-oc-1")];
  const node = (name: string, labelled: boolean, state: string, current: string) => {
    const n = worker(name);
    if (labelled) n.metadata.labels![KATA_NODE_ROLE_LABEL] = "";
    n.metadata.annotations = { [MCO_STATE]: state, "machineconfiguration.openshift.io/currentConfig": current };
    return n;
  };

  it.each([
    ["labelled, Done at kata-oc target", true, "Done", "rendered-kata-oc-1", "installed"],
    ["labelled, Done at the old config", true, "Done", "rendered-worker-1", "waitingToInstall"],
    ["labelled, Working", true, "Working", "rendered-worker-1", "installing"],
    ["labelled, Degraded", true, "Degraded", "rendered-worker-1", "failedToInstall"],
    ["unlabelled, Done at kata config", false, "Done", "rendered-kata-oc-1", "waitingToUninstall"],
    ["unlabelled, Working", false, "Working", "rendered-kata-oc-1", "uninstalling"],
    ["unlabelled, Degraded", false, "Degraded", "rendered-kata-oc-1", "failedToUninstall"],
  ])("%s → %s", (_label, labelled, state, current, list) => {
    const kataNodes = deriveKataNodes({ nodes: [node("w", labelled, state, current)], pools });
    expect(kataNodes).toEqual({ nodeCount: labelled ? 1 : 0, readyNodeCount: list === "installed" ? 1 : 0, [list]: ["w"] });
  });

  it("does not list a plain worker at rest", () => {
    expect(deriveKataNodes({ nodes: [node("w", false, "Done", "rendered-worker-1")], pools })).toEqual({ nodeCount: 0, readyNodeCount: 0 });
  });

  it("counts a labelled node whose pool has no target yet as waiting to install", () => {
    expect(deriveKataNodes({ nodes: [node("w", true, "Done", "rendered-worker-1")], pools: [pools[0]!] })).toEqual({
      nodeCount: 1,
      readyNodeCount: 0,
      waitingToInstall: ["w"],
    });
  });
});
