import { afterEach, describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import { deriveKataNodes } from "../../provider/kata/derive";
import { KATA_FINALIZER, KATA_NODE_ROLE_LABEL, type KataConfig, MCO_CURRENT_CONFIG, MCO_STATE } from "../../provider/kata/model";
import { blockedMessage, kataOperatorStep, messages } from "../../provider/kata/operator-step";
import { backoffMs } from "../../provider/kata/simulated/sandboxed-containers-operator";
import { conditionOf, kataPod, master, NODE_UPDATE_MS, pool, World, worker } from "./world";

// The sandboxed containers operator as upstream has it (openshift_controller.go @ d0632e5), on the
// twin: what wakes it, what it writes, when. Each describe names the upstream function it follows.

let world: World;
afterEach(() => world?.close());

const twoWorkers = () => [worker("worker-0", {}, "2024-05-06T09:05:00Z"), worker("worker-1", {}, "2024-05-06T09:02:00Z")];

async function installedOn(nodes = twoWorkers(), spec: KataConfig["spec"] = {}): Promise<World> {
  world = await World.open(nodes);
  await world.create(spec);
  await world.run();
  return world;
}

const status = async () => (await world.kataConfig())?.status;

/** An install that failed: worker-1 went Degraded ("boom") while it was installing. */
async function failedInstall(): Promise<void> {
  world = await World.open(twoWorkers());
  await world.create();
  await world.run(NODE_UPDATE_MS / 2);
  await world.degrade("worker-1", "boom");
  await world.run(NODE_UPDATE_MS);
}

describe("InProgress Failed (putNodeOnStatusList, setInProgressConditionToFailed)", () => {
  it("is set by a Degraded node with its reason, and the install stops there", async () => {
    world = await World.open(twoWorkers());
    await world.create();
    await world.run(NODE_UPDATE_MS / 2); // worker-1 is installing
    await world.degrade("worker-1", "failed to drain node: timed out");
    await world.run();
    expect(conditionOf(await status())).toEqual({ status: "True", reason: "Failed", message: "Node worker-1 Degraded: failed to drain node: timed out" });
    expect((await status())?.kataNodes).toEqual({ nodeCount: 2, readyNodeCount: 0, failedToInstall: ["worker-1"], waitingToInstall: ["worker-0"] });
    expect(await world.runtimeClasses()).toEqual([]);
  });

  it("stays, with its old message, after the node is fixed, until the pool has finished; then it is reset", async () => {
    await failedInstall();
    await world.fix("worker-1");
    // The daemon's retry is done one node update later: worker-1 is installed, worker-0 goes next.
    await world.run(NODE_UPDATE_MS + NODE_UPDATE_MS / 2);
    expect((await status())?.kataNodes).toEqual({ nodeCount: 2, readyNodeCount: 1, installed: ["worker-1"], installing: ["worker-0"] });
    expect(conditionOf(await status())).toEqual({ status: "True", reason: "Failed", message: "Node worker-1 Degraded: boom" });
    await world.run();
    expect(conditionOf(await status())).toEqual({ status: "False", reason: "", message: "" });
    expect((await status())?.kataNodes?.readyNodeCount).toBe(2);
    expect(await world.runtimeClasses()).toEqual(["kata"]);
  });

  it("keeps the node Degraded through the daemon's retry: Degraded goes straight to Done", async () => {
    await failedInstall();
    const states: string[] = [];
    await world.twin.watch({ ...kinds.node, name: "worker-1" }, (e) => void states.push(e.object.metadata.annotations?.[MCO_STATE] ?? ""));
    await world.fix("worker-1");
    await world.run(NODE_UPDATE_MS);
    expect([...new Set(states)]).toEqual(["Degraded", "Done"]);
  });

  it("during removal reports failedToUninstall and keeps the finalizer", async () => {
    await installedOn();
    await world.delete();
    await world.run(NODE_UPDATE_MS / 2);
    await world.degrade("worker-1", "unable to roll back");
    await world.run();
    expect(conditionOf(await status())).toEqual({ status: "True", reason: "Failed", message: "Node worker-1 Degraded: unable to roll back" });
    expect((await status())?.kataNodes?.failedToUninstall).toEqual(["worker-1"]);
    expect((await world.kataConfig())?.metadata.finalizers).toEqual([KATA_FINALIZER]);
  });
});

describe("Updating (setInProgressConditionToUpdating) only from False", () => {
  it("a selector change after the install adds and removes nodes under Updating, with no pod check", async () => {
    await installedOn([worker("worker-0", { kata: "a" }), worker("worker-1", { kata: "b" })], { kataConfigPoolSelector: { matchLabels: { kata: "a" } } });
    await world.addPod(kataPod("apps", "p"));
    world.statuses = [];
    await world.setSpec({ kataConfigPoolSelector: { matchLabels: { kata: "b" } } });
    await world.run(NODE_UPDATE_MS / 2);
    expect(conditionOf(await status())).toEqual({ status: "True", reason: "Updating", message: "Adding and/or removing kata-enabled nodes" });
    // Two pools roll at once: worker takes worker-0 back while kata-oc takes worker-1 in.
    expect((await status())?.kataNodes).toEqual({ nodeCount: 1, readyNodeCount: 0, uninstalling: ["worker-0"], installing: ["worker-1"] });
    await world.run();
    expect(conditionOf(await status())).toEqual({ status: "False", reason: "", message: "" });
    expect((await status())?.kataNodes).toEqual({ nodeCount: 1, readyNodeCount: 1, installed: ["worker-1"] });
    // The first status after the change waits for the MCO with the old nodes (waitingForMcoToStart).
    expect(world.statuses.find((s) => s.waitingForMcoToStart)).toMatchObject({ conditions: [{ status: "False", reason: "" }], kataNodes: { installed: ["worker-0"] } });
  });

  it("is never set over Installing: the initial install stays Installing throughout", async () => {
    await installedOn();
    const reasons = new Set(world.statuses.map((s) => conditionOf(s)?.reason));
    expect(reasons).toEqual(new Set(["Installing", ""]));
  });

  it("any rollout of the worker pool turns a quiet KataConfig to Updating, kata nodes or not", async () => {
    await installedOn([worker("worker-0", { kata: "a" }), worker("worker-1")], { kataConfigPoolSelector: { matchLabels: { kata: "a" } } });
    // An unrelated worker MachineConfig: the worker pool re-renders and rolls worker-1.
    await world.twin.apply({ apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfig", metadata: { name: "99-worker-ssh", labels: { "machineconfiguration.openshift.io/role": "worker" } }, spec: { config: { storage: { files: [{ path: "/etc/motd" }] } } } });
    await world.run(NODE_UPDATE_MS / 2);
    expect(conditionOf(await status())?.reason).toBe("Updating");
    await world.run();
    expect(conditionOf(await status())).toEqual({ status: "False", reason: "", message: "" });
  });
});

describe("deletion (processKataConfigDeleteRequest, listKataPods)", () => {
  it("is blocked by a kata pod whatever its phase, naming the pod's RuntimeClass; the pods are not watched", async () => {
    await installedOn();
    await world.addPod(kataPod("apps", "finished", "kata", "Succeeded"));
    expect((await world.twin.get({ ...kinds.pod, namespace: "apps", name: "finished" }))?.status).toEqual({ phase: "Succeeded" });
    await world.delete();
    await world.run(10 * 60_000);
    expect(conditionOf(await status())).toEqual({ status: "False", reason: "BlockedByExistingKataPods", message: blockedMessage("kata") });
    expect((await status())?.kataNodes?.installed).toEqual(["worker-0", "worker-1"]);
    // Deleting the pod wakes nothing: the condition stays until the next back-off retry.
    await world.twin.delete({ ...kinds.pod, namespace: "apps", name: "finished" });
    await world.run(1000);
    expect(conditionOf(await status())?.reason).toBe("BlockedByExistingKataPods");
    await world.run();
    expect(await world.kataConfig()).toBeUndefined();
  });

  it("retries with controller-runtime's back-off, which grows to 1000 s", async () => {
    await installedOn();
    await world.addPod(kataPod("apps", "p"));
    await world.delete();
    const retries: number[] = [];
    const start = world.now.getTime();
    await world.twin.watch({ ...kinds.kataConfig }, (e) => void retries.push(Date.parse((e.object as KataConfig).status?.conditions?.[0]?.lastTransitionTime ?? "") - start));
    await world.run(60 * 60_000);
    // Each retry in a new second stamps the condition anew; the gaps double up to the cap.
    const gaps = retries.slice(1).map((t, i) => t - retries[i]!);
    expect(gaps.at(-1)).toBe(backoffMs(100));
    expect(backoffMs(100)).toBe(1_000_000);
    expect(gaps.every((gap, i) => i === 0 || gap >= gaps[i - 1]!)).toBe(true);
  });

  /** A removal blocked for half an hour (the back-off is long by now), then the pod deleted. */
  async function blockedLong(): Promise<void> {
    await installedOn();
    await world.addPod(kataPod("apps", "p"));
    await world.delete();
    await world.run(30 * 60_000);
    await world.twin.delete({ ...kinds.pod, namespace: "apps", name: "p" });
  }

  it("wakes on a worker's daemon state change, not on changes upstream's event handlers ignore", async () => {
    await blockedLong();
    // A new label outside the selector, a pool's spec: neither wakes it. (Cordoning would: the pool's
    // readyMachineCount changes, which McpEventHandler watches.)
    await world.twin.patch({ ...kinds.node, name: "worker-0" }, { metadata: { labels: { team: "a" } } });
    await world.twin.patch({ ...kinds.machineConfigPool, name: "worker" }, { spec: { maxUnavailable: 2 } });
    expect(conditionOf(await status())?.reason).toBe("BlockedByExistingKataPods");
    // A machine-config daemon state change on a worker does (NodeEventHandler).
    await world.twin.patch({ ...kinds.node, name: "worker-0" }, { metadata: { annotations: { [MCO_STATE]: "Working" } } });
    expect(conditionOf(await status())?.reason).toBe("Uninstalling");
  });

  it("an event on the KataConfig (an annotation) makes the operator look again at once", async () => {
    await blockedLong();
    expect(conditionOf(await status())?.reason).toBe("BlockedByExistingKataPods");
    await world.twin.patch({ ...kinds.kataConfig, name: "example-kataconfig" }, { metadata: { annotations: { nudge: "1" } } });
    expect(conditionOf(await status())?.reason).toBe("Uninstalling");
  });

  it("blocks on no pod when status.runtimeClasses is empty (the install never finished)", async () => {
    await failedInstall();
    await world.addPod(kataPod("apps", "p"));
    await world.delete();
    await world.run(NODE_UPDATE_MS / 10);
    expect(conditionOf(await status())?.reason).not.toBe("BlockedByExistingKataPods");
  });

  it("checks the pods on every pass: a kata pod created mid-removal blocks it again", async () => {
    await installedOn();
    await world.delete();
    await world.run(NODE_UPDATE_MS / 2);
    await world.addPod(kataPod("apps", "late"));
    await world.twin.patch({ ...kinds.kataConfig, name: "example-kataconfig" }, { metadata: { annotations: { nudge: "1" } } });
    expect(conditionOf(await status())?.reason).toBe("BlockedByExistingKataPods");
  });

  it("requested during the install waits for the install to finish, then removes kata", async () => {
    world = await World.open(twoWorkers());
    await world.create();
    await world.run(NODE_UPDATE_MS / 2);
    await world.delete();
    await world.run(NODE_UPDATE_MS / 4);
    expect(conditionOf(await status())?.reason).toBe("Installing");
    await world.run();
    expect(await world.kataConfig()).toBeUndefined();
    const reasons = world.statuses.map((s) => conditionOf(s)?.reason);
    expect(reasons.indexOf("Uninstalling")).toBeGreaterThan(reasons.lastIndexOf("Installing"));
    // The install branch ran to its end with the deletion pending: the RuntimeClass was created.
    expect(world.statuses.some((s) => s.runtimeClasses?.includes("kata"))).toBe(true);
    for (const name of ["worker-0", "worker-1"]) expect((await world.node(name)).metadata.labels).not.toHaveProperty(KATA_NODE_ROLE_LABEL);
  });

  it("after a Failed install does not wait: the nodes are unlabelled at once", async () => {
    await failedInstall();
    await world.delete();
    expect(conditionOf(await status())?.reason).toBe("Failed");
    for (const name of ["worker-0", "worker-1"]) expect((await world.node(name)).metadata.labels).not.toHaveProperty(KATA_NODE_ROLE_LABEL);
  });

  it("the first Uninstalling status keeps the installed lists while the MCO has not started", async () => {
    await installedOn();
    world.statuses = [];
    await world.delete();
    const first = world.statuses.find((s) => conditionOf(s)?.reason === "Uninstalling");
    expect(first).toMatchObject({ waitingForMcoToStart: true, kataNodes: { nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] } });
  });

  it("deletes the extension MachineConfig, the CRI-O config and the kata-oc pool, and writes no final status", async () => {
    await installedOn(twoWorkers(), { logLevel: "debug" });
    await world.delete();
    await world.run();
    expect(await world.kataConfig()).toBeUndefined();
    const names = (await world.twin.list(kinds.machineConfig)).map((mc) => mc.metadata.name);
    expect(names).not.toContain("50-enable-sandboxed-containers-extension");
    expect(names).not.toContain("99-kata-oc-generated-containerruntime");
    expect(await world.twin.get({ ...kinds.containerRuntimeConfig, name: "kata-crio-config" })).toBeUndefined();
    expect(await world.pool("kata-oc")).toBeUndefined();
    expect(world.statuses.at(-1)?.kataNodes?.uninstalling).toEqual(["worker-0"]);
  });
});

describe("selection (updateNodeLabels, getKataConfigNodeSelectorAsLabelSelector)", () => {
  it("installs only on workers the selector picks", async () => {
    await installedOn([worker("worker-0", { kata: "yes" }), worker("worker-1")], { kataConfigPoolSelector: { matchLabels: { kata: "yes" } } });
    expect((await status())?.kataNodes).toEqual({ nodeCount: 1, readyNodeCount: 1, installed: ["worker-0"] });
  });

  it("ignores nodes that are not workers (a master is never labelled or listed)", async () => {
    await installedOn([master("master-0"), worker("worker-0")]);
    expect((await status())?.kataNodes).toEqual({ nodeCount: 1, readyNodeCount: 1, installed: ["worker-0"] });
    expect((await world.node("master-0")).metadata.labels).not.toHaveProperty(KATA_NODE_ROLE_LABEL);
  });

  it("creates kata-oc with upstream's label and machineConfigSelector, and a node selector on the kata-oc role", async () => {
    await installedOn();
    expect((await world.pool("kata-oc"))?.metadata.labels).toEqual({ "pools.operator.machineconfiguration.openshift.io/kata-oc": "" });
    expect((await world.pool("kata-oc"))?.spec).toMatchObject({
      machineConfigSelector: { matchExpressions: [{ key: "machineconfiguration.openshift.io/role", operator: "In", values: ["kata-oc", "worker"] }] },
      nodeSelector: { matchLabels: { "node-role.kubernetes.io/kata-oc": "" } },
    });
  });

  it("with enablePeerPods also creates kata-remote, with the same overhead and node selector", async () => {
    await installedOn([worker("worker-0")], { enablePeerPods: true });
    expect(await world.runtimeClasses()).toEqual(["kata", "kata-remote"]);
    expect((await status())?.runtimeClasses).toEqual(["kata", "kata-remote"]);
    const remote = await world.twin.get({ ...kinds.runtimeClass, name: "kata-remote" });
    expect(remote).toMatchObject({ handler: "kata-remote", overhead: { podFixed: { cpu: "250m", memory: "350Mi" } }, scheduling: { nodeSelector: { "node-role.kubernetes.io/kata-oc": "" } } });
  });
});

describe("checkNodeEligibility", () => {
  const nfd = { "feature.node.kubernetes.io/runtime.kata": "true" };

  it("with no NFD-labelled node anywhere writes neither finalizer nor status, and retries", async () => {
    world = await World.open([worker("worker-0")]);
    await world.create({ checkNodeEligibility: true });
    await world.run();
    const kc = await world.kataConfig();
    expect(kc?.metadata.finalizers).toBeUndefined();
    expect(kc?.status).toBeUndefined();
    // A node gets the label; nothing watched changed, so the next back-off retry finds it.
    await world.twin.patch({ ...kinds.node, name: "worker-0" }, { metadata: { labels: nfd } });
    await world.run(20 * 60_000);
    expect((await status())?.kataNodes?.installed).toEqual(["worker-0"]);
  });

  it("counts NFD labels on any node, masters included, but installs only on labelled workers", async () => {
    await installedOn([master("master-0", nfd), worker("worker-0")], { checkNodeEligibility: true });
    expect((await world.kataConfig())?.metadata.finalizers).toEqual([KATA_FINALIZER]);
    expect((await status())?.kataNodes).toEqual({ nodeCount: 0, readyNodeCount: 0 });
  });

  it("installs only on NFD-labelled workers", async () => {
    await installedOn([worker("worker-0", nfd), worker("worker-1")], { checkNodeEligibility: true });
    expect((await status())?.kataNodes?.installed).toEqual(["worker-0"]);
  });

  it("is skipped with enablePeerPods, but the label still picks the workers", async () => {
    await installedOn([worker("worker-0"), worker("worker-1")], { checkNodeEligibility: true, enablePeerPods: true });
    expect((await world.kataConfig())?.metadata.finalizers).toEqual([KATA_FINALIZER]);
    expect((await status())?.kataNodes).toEqual({ nodeCount: 0, readyNodeCount: 0 });
  });
});

describe("compact cluster (checkConvergedCluster)", () => {
  const compact = (name: string) => master(name, { "node-role.kubernetes.io/worker": "" });

  it("installs on the masters through the master pool, ignoring the selector", async () => {
    await installedOn([compact("master-0"), compact("master-1")], { kataConfigPoolSelector: { matchLabels: { nothing: "matches" } } });
    expect((await status())?.kataNodes).toEqual({ nodeCount: 2, readyNodeCount: 2, installed: ["master-0", "master-1"] });
    expect(await world.pool("kata-oc")).toBeUndefined();
    const mc = await world.twin.get({ ...kinds.machineConfig, name: "50-enable-sandboxed-containers-extension" });
    expect(mc?.metadata.labels).toMatchObject({ "machineconfiguration.openshift.io/role": "master" });
    const rc = await world.twin.get({ ...kinds.runtimeClass, name: "kata" });
    expect(rc).toMatchObject({ scheduling: { nodeSelector: { "node-role.kubernetes.io/master": "" } } });
    // The masters rolled one at a time to the new rendered config.
    const current = (await world.node("master-0")).metadata.annotations?.[MCO_CURRENT_CONFIG];
    expect(current).toMatch(/^rendered-master-[0-9a-f]{32}$/);
  });

  it("removes kata from the masters again", async () => {
    await installedOn([compact("master-0")]);
    await world.delete();
    await world.run();
    expect(await world.kataConfig()).toBeUndefined();
    expect((await world.node("master-0")).metadata.annotations?.[MCO_CURRENT_CONFIG]).toBe("rendered-master-1");
  });
});

describe("processLogLevel: logLevel through ContainerRuntimeConfig kata-crio-config", () => {
  it("info with no CRI-O config creates none", async () => {
    await installedOn(twoWorkers(), { logLevel: "info" });
    expect(await world.twin.list(kinds.containerRuntimeConfig)).toEqual([]);
  });

  it("a change writes kata-crio-config for the kata-oc pool, and the MCO rolls a new config node by node", async () => {
    await installedOn();
    const before = (await world.pool("kata-oc"))?.spec?.configuration?.name;
    world.statuses = [];
    await world.setSpec({ logLevel: "debug" });
    const crc = await world.twin.get({ ...kinds.containerRuntimeConfig, name: "kata-crio-config" });
    expect(crc?.spec).toEqual({ machineConfigPoolSelector: { matchLabels: { "pools.operator.machineconfiguration.openshift.io/kata-oc": "" } }, containerRuntimeConfig: { logLevel: "debug" } });
    const mc = await world.twin.get({ ...kinds.machineConfig, name: "99-kata-oc-generated-containerruntime" });
    expect(mc?.metadata.labels).toEqual({ "machineconfiguration.openshift.io/role": "kata-oc" });
    const after = (await world.pool("kata-oc"))?.spec?.configuration?.name;
    expect(after).not.toBe(before);
    await world.run(NODE_UPDATE_MS / 2);
    expect(conditionOf(await status())?.reason).toBe("Updating");
    expect((await status())?.kataNodes).toEqual({ nodeCount: 2, readyNodeCount: 0, installing: ["worker-1"], waitingToInstall: ["worker-0"] });
    expect((await world.node("worker-1")).spec?.unschedulable).toBe(true); // drained
    await world.run();
    expect(conditionOf(await status())).toEqual({ status: "False", reason: "", message: "" });
    for (const name of ["worker-0", "worker-1"]) {
      const node = await world.node(name);
      expect(node.metadata.annotations?.[MCO_CURRENT_CONFIG]).toBe(after);
      expect(node.spec?.unschedulable).toBeUndefined();
    }
    // One node at a time, throughout.
    for (const s of world.statuses) expect(s.kataNodes?.installing?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it("going back to info updates the CRI-O config rather than deleting it, and the name of the old config comes back", async () => {
    await installedOn();
    const original = (await world.pool("kata-oc"))?.spec?.configuration?.name;
    await world.setSpec({ logLevel: "debug" });
    await world.run();
    await world.setSpec({ logLevel: "info" });
    await world.run();
    const crc = await world.twin.get({ ...kinds.containerRuntimeConfig, name: "kata-crio-config" });
    expect(crc?.spec).toMatchObject({ containerRuntimeConfig: { logLevel: "info" } });
    // Content-addressed: info in a drop-in is not the same content as no drop-in.
    expect((await world.pool("kata-oc"))?.spec?.configuration?.name).not.toBe(original);
  });
});

describe("updateStatus: node states as upstream reads them", () => {
  const pools = [pool("worker"), { ...pool("worker"), metadata: { name: "kata-oc" }, spec: { configuration: { name: "rendered-kata-oc-1" } } }];
  const node = (name: string, labelled: boolean, annotations: Record<string, string>) => {
    const n = worker(name);
    if (labelled) n.metadata.labels![KATA_NODE_ROLE_LABEL] = "";
    n.metadata.annotations = annotations;
    return n;
  };
  const at = (state: string, current: string) => ({ [MCO_STATE]: state, [MCO_CURRENT_CONFIG]: current });

  it.each([
    ["labelled, Done at the kata-oc target", true, at("Done", "rendered-kata-oc-1"), "installed"],
    ["labelled, Done at the old config", true, at("Done", "rendered-worker-1"), "waitingToInstall"],
    ["labelled, Working", true, at("Working", "rendered-worker-1"), "installing"],
    ["labelled, Degraded", true, at("Degraded", "rendered-worker-1"), "failedToInstall"],
    ["unlabelled, Done at the kata config", false, at("Done", "rendered-kata-oc-1"), "waitingToUninstall"],
    ["unlabelled, Working", false, at("Working", "rendered-kata-oc-1"), "uninstalling"],
    ["unlabelled, Degraded", false, at("Degraded", "rendered-kata-oc-1"), "failedToUninstall"],
  ])("%s → %s", (_label, labelled, annotations, list) => {
    const kataNodes = deriveKataNodes({ nodes: [node("w", labelled, annotations)], pools });
    expect(kataNodes).toEqual({ nodeCount: labelled ? 1 : 0, readyNodeCount: list === "installed" ? 1 : 0, [list]: ["w"] });
  });

  it.each([
    ["a plain worker at rest", false, at("Done", "rendered-worker-1")],
    ["Unreconcilable", true, at("Unreconcilable", "rendered-worker-1")],
    ["no state annotation", true, { [MCO_CURRENT_CONFIG]: "rendered-kata-oc-1" }],
    ["no currentConfig annotation", true, { [MCO_STATE]: "Done" }],
  ])("puts %s in no list", (_label, labelled, annotations) => {
    expect(deriveKataNodes({ nodes: [node("w", labelled, annotations)], pools })).toEqual({ nodeCount: labelled ? 1 : 0, readyNodeCount: 0 });
  });

  it("skips a labelled node whose pool does not exist yet, but counts it", () => {
    expect(deriveKataNodes({ nodes: [node("w", true, at("Done", "rendered-worker-1"))], pools: [pools[0]!] })).toEqual({ nodeCount: 1, readyNodeCount: 0 });
  });

  it("counts kata-labelled nodes of any role, lists workers only", () => {
    const other = { apiVersion: "v1" as const, kind: "Node" as const, metadata: { name: "infra-0", labels: { [KATA_NODE_ROLE_LABEL]: "" }, annotations: at("Done", "rendered-kata-oc-1") } };
    expect(deriveKataNodes({ nodes: [other], pools })).toEqual({ nodeCount: 1, readyNodeCount: 0 });
  });
});

describe("one reconcile, pure (kataOperatorStep)", () => {
  const deleting = (runtimeClasses: string[]): KataConfig => ({
    apiVersion: "kataconfiguration.openshift.io/v1",
    kind: "KataConfig",
    metadata: { name: "k", finalizers: [KATA_FINALIZER], deletionTimestamp: "2026-01-01T00:00:00Z" },
    spec: {},
    status: { runtimeClasses, conditions: [{ type: "InProgress", status: "False", reason: "", message: "" }] },
  });
  const input = (kataConfig: KataConfig, pods: Parameters<typeof kataOperatorStep>[0]["pods"]) => ({
    kataConfig,
    nodes: [],
    pods,
    pools: [pool("master"), pool("worker")],
    machineConfigs: [],
    runtimeClasses: [],
    now: new Date("2026-01-01T00:00:10Z"),
  });

  it("a pod list failure blocks with upstream's message and an error (back-off)", () => {
    const step = kataOperatorStep(input(deleting(["kata"]), { error: "the server is currently unable to handle the request" }));
    expect(conditionOf(step.status)).toEqual({ status: "False", reason: "BlockedByExistingKataPods", message: "failed to list kata pods: the server is currently unable to handle the request" });
    expect(step.outcome).toEqual({ kind: "error", message: "failed to list kata pods: the server is currently unable to handle the request" });
  });

  it("names the RuntimeClass of the first pod that uses one of the KataConfig's", () => {
    const step = kataOperatorStep(input(deleting(["kata", "kata-remote"]), [kataPod("a", "remote", "kata-remote"), kataPod("b", "local", "kata")]));
    expect(conditionOf(step.status)?.message).toBe('existing pods using "kata-remote" RuntimeClass found. Please delete the pods manually for KataConfig deletion to proceed');
    expect(step.blockingPod).toBe("a/remote");
  });

  it("the eligibility failure is an error with upstream's message, before any write", () => {
    const kataConfig: KataConfig = { apiVersion: "kataconfiguration.openshift.io/v1", kind: "KataConfig", metadata: { name: "k" }, spec: { checkNodeEligibility: true } };
    const step = kataOperatorStep({ ...input(kataConfig, []), nodes: [worker("w")] });
    expect(step).toMatchObject({ addFinalizer: false, outcome: { kind: "error", message: messages.noEligibleNodes } });
    expect(step.status).toBeUndefined();
  });
});

describe("deriveKataNodes, the public function", () => {
  it("given worker and kata-oc only (no master pool), does not take a fully installed cluster for a compact one", () => {
    const kataOc = { ...pool("worker"), metadata: { name: "kata-oc" }, spec: { configuration: { name: "rendered-kata-oc-1" } } };
    const workers = { ...pool("worker"), status: { machineCount: 0 } };
    const installed = worker("w");
    installed.metadata.labels![KATA_NODE_ROLE_LABEL] = "";
    installed.metadata.annotations = { [MCO_STATE]: "Done", [MCO_CURRENT_CONFIG]: "rendered-kata-oc-1" };
    expect(deriveKataNodes({ nodes: [installed], pools: [workers, kataOc] })).toEqual({ nodeCount: 1, readyNodeCount: 1, installed: ["w"] });
  });
});
