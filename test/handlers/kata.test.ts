import { describe, expect, it } from "vitest";
import * as kata from "../../provider/kata/handlers";
import { type KataConfig, MCO_CURRENT_CONFIG, MCO_REASON, MCO_STATE } from "../../provider/kata/model";
import { NODE_FAULT_ANNOTATION } from "../../provider/kata/rollout-step";
import type { Clock } from "../../provider/cluster/clock";
import type { HandlerContext } from "../../provider/lifecycle/context";
import { EmbeddedCluster } from "../../provider/wiring";
import { kataPod } from "../kata/world";
import { PartialStateError, WaitFailedError } from "../../provider/lifecycle/errors";
import { inTwin, useTwin } from "./support";
import { installProgressLines, kataNodesOutput, logLevelRolloutLines, logLevelRolloutNotice } from "../support/seed-tables";

const owner = "quickstart/dev/KataConfig/sandboxed";
const kataRef = { apiVersion: "kataconfiguration.openshift.io/v1", kind: "KataConfig", name: "example-kataconfig" };
const runtimeClassRef = { apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", name: "kata" };

describe("KataConfig handlers on the twin", () => {
  const twin = useTwin("two-workers");
  const inputs = (extra: Partial<kata.KataConfigInputs> = {}): kata.KataConfigInputs => ({
    metadata: { name: "example-kataconfig" },
    spec: { logLevel: "info" },
    cluster: twin.cluster,
    owner,
    __provider: "serialized provider",
    ...extra,
  });

  it("create follows the seed's install node by node and returns the final status", async () => {
    const { id, outs } = await kata.create(twin.context, inputs());
    expect(id).toBe("example-kataconfig");
    expect(outs.status.kataNodes).toEqual(kataNodesOutput({ nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }));
    expect(outs.status.conditions?.[0]).toMatchObject({ type: "InProgress", status: "False", reason: "", message: "" });
    expect(outs.runtimeClassName).toBe("kata");
    expect(outs).not.toHaveProperty("__provider");
    const nodeLines = twin.lines.filter((l) => /worker-\d: /.test(l)).map((l) => l.replace("KataConfig example-kataconfig: ", ""));
    expect(nodeLines).toEqual(installProgressLines);
    await inTwin(twin, async (cluster) => expect(await cluster.get(runtimeClassRef)).toBeDefined());
  });

  it("delete follows the seed's removal and leaves no KataConfig or RuntimeClass", async () => {
    const { outs } = await kata.create(twin.context, inputs());
    twin.lines.length = 0;
    await kata.remove(twin.context, "example-kataconfig", outs);
    const nodeLines = twin.lines.filter((l) => /worker-\d: /.test(l)).map((l) => l.replace("KataConfig example-kataconfig: ", ""));
    expect(nodeLines).toEqual([
      "worker-0: waiting to uninstall (0/0 ready)",
      "worker-1: waiting to uninstall (0/0 ready)",
      "worker-1: uninstalling (0/0 ready)",
      "worker-1: uninstalled (0/0 ready)",
      "worker-0: uninstalling (0/0 ready)",
      "worker-0: uninstalled (0/0 ready)",
    ]);
    expect(twin.lines.at(-1)).toBe("KataConfig example-kataconfig: removed");
    await inTwin(twin, async (cluster) => {
      expect(await cluster.get(kataRef)).toBeUndefined();
      expect(await cluster.get(runtimeClassRef)).toBeUndefined();
    });
  });

  const workerRef = { apiVersion: "v1", kind: "Node", name: "worker-1" };
  const degrade = (reason: string) =>
    inTwin(twin, (cluster) => cluster.patch(workerRef, { metadata: { annotations: { [MCO_STATE]: "Degraded", [MCO_REASON]: reason, [NODE_FAULT_ANNOTATION]: reason } } }));
  const fix = (thenAdvanceMs = 0) =>
    inTwin(twin, async (cluster) => {
      await cluster.patch(workerRef, { metadata: { annotations: { [NODE_FAULT_ANNOTATION]: null } } });
      await cluster.advance(thenAdvanceMs);
    });

  it("a Degraded node fails the create with its reason and keeps partial state", async () => {
    await degrade("failed to drain node: timed out");
    const failure = await kata.create(twin.context, inputs()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PartialStateError);
    const partial = failure as PartialStateError;
    expect(partial.message).toContain("KataConfig example-kataconfig: Node worker-1 Degraded: failed to drain node: timed out. Fix the node;");
    expect(partial.id).toBe("example-kataconfig");
    expect(partial.properties).toMatchObject({ __provider: "serialized provider", status: { kataNodes: { failedToInstall: ["worker-1"] } } });
  });

  it("up after the node was fixed follows the rollout to the end, although InProgress still says Failed", async () => {
    await degrade("failed to drain node: timed out");
    const partial = (await kata.create(twin.context, inputs()).catch((e: unknown) => e)) as PartialStateError;
    // Fixed; one node update later the daemon's retry is done and the MCO goes on with the nodes.
    await fix(6 * 60_000);
    await inTwin(twin, async (cluster) => {
      const kc = await cluster.get<KataConfig>(kataRef);
      expect(kc?.status?.conditions?.[0]).toMatchObject({ reason: "Failed", message: "Node worker-1 Degraded: failed to drain node: timed out" });
      expect(kc?.status?.kataNodes?.failedToInstall).toBeUndefined();
    });
    twin.lines.length = 0;
    const { outs } = await kata.update(twin.context, "example-kataconfig", partial.properties as kata.KataConfigOutputs, inputs());
    expect(outs.status.kataNodes).toEqual(kataNodesOutput({ nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }));
    expect(outs.status.conditions?.[0]).toMatchObject({ status: "False", reason: "" });
    expect(outs.runtimeClassName).toBe("kata");
    expect(twin.lines).toContain(
      "KataConfig example-kataconfig: InProgress still says Failed (Node worker-1 Degraded: failed to drain node: timed out): upstream keeps that until the whole rollout is over; no node is Degraded now, so the rollout goes on",
    );
    expect(twin.lines).toContain("KataConfig example-kataconfig: worker-0: installed (2/2 ready)");
  });

  it("up still fails at once while the node is Degraded (fixed, but the daemon's retry is not done yet)", async () => {
    await degrade("failed to drain node: timed out");
    const partial = (await kata.create(twin.context, inputs()).catch((e: unknown) => e)) as PartialStateError;
    await fix(60_000);
    const failure = await kata.update(twin.context, "example-kataconfig", partial.properties as kata.KataConfigOutputs, inputs()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PartialStateError);
    expect((failure as Error).message).toContain("Node worker-1 Degraded: failed to drain node: timed out");
    expect((failure as Error).message).toContain("the node stays Degraded until that attempt is done");
  });

  it("a logLevel change is followed like an install: the new config rolls node by node (drain and reboot)", async () => {
    const { outs } = await kata.create(twin.context, inputs());
    const configOf = (name: string) => inTwin(twin, async (cluster) => (await cluster.get({ apiVersion: "v1", kind: "Node", name }))?.metadata.annotations?.[MCO_CURRENT_CONFIG]);
    const before = await configOf("worker-0");
    twin.lines.length = 0;
    const updated = await kata.update(twin.context, "example-kataconfig", outs, inputs({ spec: { logLevel: "debug" } }));
    const nodeLines = twin.lines.filter((l) => /worker-\d: /.test(l)).map((l) => l.replace("KataConfig example-kataconfig: ", ""));
    expect(nodeLines).toEqual(logLevelRolloutLines);
    expect(twin.lines[0]).toContain(logLevelRolloutNotice("debug"));
    expect(updated.outs.status.kataNodes).toEqual(kataNodesOutput({ nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }));
    const after = await configOf("worker-0");
    expect(after).not.toBe(before);
    expect(await configOf("worker-1")).toBe(after);
  });

  it("a logLevel change that needs no new config (info, never set) returns at once", async () => {
    const { outs } = await kata.create(twin.context, inputs({ spec: {} }));
    twin.lines.length = 0;
    await kata.update(twin.context, "example-kataconfig", outs, inputs({ spec: { logLevel: "info" } }));
    expect(twin.lines.filter((l) => /worker-\d: /.test(l))).toEqual([]);
  });

  it("without a running operator, create fails after a short grace period saying so", async () => {
    const bare: HandlerContext = {
      ...twin.context,
      connect: () => EmbeddedCluster.open({ fixture: "two-workers", stateFile: twin.cluster.embedded.stateFile, clock: "virtual", operators: false }),
    };
    const failure = await kata.create(bare, inputs()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PartialStateError);
    expect((failure as Error).message).toBe(
      "KataConfig example-kataconfig: no finalizer and no status after 120s: the sandboxed containers operator does not seem to be running. " +
        "Install OpenShift sandboxed containers (Operator Hub) or check its pod (oc get pods -n openshift-sandboxed-containers-operator), then run pulumi up again.",
    );
  });

  it("on a twin whose time runs fast, the object as first created does not count as the operator's silence", async () => {
    // Each look at the wall clock moves it half a second: 5 minutes of twin time at 600×, so the
    // created object's first event is judged long after the operator has answered.
    let wall = Date.parse("2026-01-01T00:00:00Z");
    const wallClock: Clock = { now: () => new Date((wall += 500)), sleep: async (ms) => void (wall += ms) };
    const fast: HandlerContext = {
      ...twin.context,
      connect: () => EmbeddedCluster.open({ fixture: "two-workers", stateFile: twin.cluster.embedded.stateFile, clock: { scale: 600 }, wallClock }),
    };
    const { outs } = await kata.create(fast, inputs());
    expect(outs.status.kataNodes.readyNodeCount).toBe(2);
  });

  it("with checkNodeEligibility and no NFD-labelled node, create fails at once saying so", async () => {
    const failure = await kata.create(twin.context, inputs({ spec: { checkNodeEligibility: true } })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PartialStateError);
    expect((failure as Error).message).toContain("KataConfig example-kataconfig: checkNodeEligibility leaves no node: no node in the cluster has the label feature.node.kubernetes.io/runtime.kata=true");
  });

  it("with checkNodeEligibility and NFD labels only outside the selection, create fails once the operator has labelled nothing", async () => {
    await inTwin(twin, (cluster) => cluster.patch({ apiVersion: "v1", kind: "Node", name: "master-0" }, { metadata: { labels: { "feature.node.kubernetes.io/runtime.kata": "true" } } }));
    const failure = await kata.create(twin.context, inputs({ spec: { checkNodeEligibility: true } })).catch((e: unknown) => e);
    expect((failure as Error).message).toContain("checkNodeEligibility leaves no node: none of the workers the selector picks has the label feature.node.kubernetes.io/runtime.kata=true");
  });

  it("a delete blocked by a kata Pod fails at once naming it; once the pod is gone the next delete asks the operator to look again and completes", async () => {
    const { outs } = await kata.create(twin.context, inputs());
    await inTwin(twin, (cluster) => cluster.apply(kataPod("apps", "sandboxed-nginx")));
    const failure = await kata.remove(twin.context, "example-kataconfig", outs).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WaitFailedError);
    expect((failure as Error).message).toBe(
      "KataConfig example-kataconfig: removal of kata is blocked by pods that use the kata RuntimeClass: apps/sandboxed-nginx. " +
        "Delete them (kubectl delete pod -n apps sandboxed-nginx) and run pulumi destroy again; the resource stays in the stack until then.",
    );
    // Some time passes before the pod goes: the operator's back-off is long by then, and pods are not watched.
    await inTwin(twin, async (cluster) => {
      await cluster.advance(30 * 60_000);
      await cluster.delete({ apiVersion: "v1", kind: "Pod", name: "sandboxed-nginx", namespace: "apps" });
      expect((await cluster.get<KataConfig>(kataRef))?.status?.conditions?.[0]?.reason).toBe("BlockedByExistingKataPods");
    });
    twin.lines.length = 0;
    await kata.remove(twin.context, "example-kataconfig", outs);
    expect(twin.lines[1]).toMatch(/^KataConfig example-kataconfig: the operator still reports BlockedByExistingKataPods, but no pod uses the kata RuntimeClass any more; .* asked to look again now \(annotation pulumi-cluster-runtime.dev\/reconcile-requested\)$/);
    expect(twin.lines.at(-1)).toBe("KataConfig example-kataconfig: removed");
    await inTwin(twin, async (cluster) => expect(await cluster.get(kataRef)).toBeUndefined());
  });

  it("a finished kata pod blocks the delete too, and the message says so", async () => {
    const { outs } = await kata.create(twin.context, inputs());
    await inTwin(twin, async (cluster) => {
      const pod = kataPod("batch", "report");
      await cluster.apply(pod);
      await cluster.patchStatus({ apiVersion: "v1", kind: "Pod", namespace: "batch", name: "report" }, { phase: "Succeeded" });
    });
    const failure = await kata.remove(twin.context, "example-kataconfig", outs).catch((e: unknown) => e);
    expect((failure as Error).message).toContain("blocked by pods that use the kata RuntimeClass: batch/report.");
    expect((failure as Error).message).toContain("Pods that have finished block it too (report: Succeeded).");
  });

  it("refuses a KataConfig this stack did not create, and changes nothing", async () => {
    await inTwin(twin, (cluster) => cluster.apply({ ...kataRef, metadata: { name: "someone-elses" }, spec: {} }));
    await expect(kata.create(twin.context, inputs())).rejects.toThrow(/KataConfig someone-elses already exists .* not created by this stack/);
    await inTwin(twin, async (cluster) => {
      expect(await cluster.get(kataRef)).toBeUndefined();
      const theirs = await cluster.get({ ...kataRef, name: "someone-elses" });
      expect(theirs?.spec).toEqual({});
      expect(theirs?.metadata.annotations ?? {}).not.toHaveProperty("pulumi-cluster-runtime.dev/owner");
    });
  });

  it("takes over the object an interrupted run of this stack created", async () => {
    await inTwin(twin, (cluster) => cluster.apply({ ...kataRef, metadata: { name: "example-kataconfig", annotations: { "pulumi-cluster-runtime.dev/owner": owner } }, spec: { logLevel: "info" } }));
    const { outs } = await kata.create(twin.context, inputs());
    expect(outs.status.kataNodes?.readyNodeCount).toBe(2);
    expect(twin.lines.some((l) => l.includes("taking it over"))).toBe(true);
  });

  it("update with a new selector installs on added nodes and removes kata from dropped ones", async () => {
    const only = (node: string) => ({ logLevel: "info" as const, kataConfigPoolSelector: { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In" as const, values: [node] }] } });
    const { outs } = await kata.create(twin.context, inputs({ spec: only("worker-0") }));
    expect(outs.status.kataNodes).toEqual(kataNodesOutput({ nodeCount: 1, readyNodeCount: 1, installed: ["worker-0"] }));
    const updated = await kata.update(twin.context, "example-kataconfig", outs, inputs({ spec: only("worker-1") }));
    expect(updated.outs.status.kataNodes).toEqual(kataNodesOutput({ nodeCount: 1, readyNodeCount: 1, installed: ["worker-1"] }));
    expect(twin.lines.some((l) => l.includes("Updating"))).toBe(true);
  });

  it("gives up at the time limit with what it saw last, keeping partial state", async () => {
    const failure = await kata.create(twin.context, inputs({ timeouts: { create: "7m" } })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PartialStateError);
    expect((failure as Error).message).toMatch(/gave up waiting for KataConfig example-kataconfig .* after 7m0s; last seen: InProgress True\/Installing; 1\/2 nodes ready; installing: worker-0/);
  });

  it("a delete asked for while the install still runs waits it out, then follows the removal", async () => {
    const interrupted = (await kata.create(twin.context, inputs({ timeouts: { create: "7m" } })).catch((e: unknown) => e)) as PartialStateError;
    twin.lines.length = 0;
    await kata.remove(twin.context, "example-kataconfig", interrupted.properties as kata.KataConfigOutputs);
    expect(twin.lines.some((l) => l.includes("worker-0: installed (2/2 ready)"))).toBe(true);
    expect(twin.lines.findIndex((l) => l.includes("Uninstalling"))).toBeGreaterThan(twin.lines.findIndex((l) => l.includes("worker-0: installed")));
    await inTwin(twin, async (cluster) => expect(await cluster.get(kataRef)).toBeUndefined());
  });

  it("a Degraded node fails the delete with the node's reason and keeps the object", async () => {
    const { outs } = await kata.create(twin.context, inputs());
    await inTwin(twin, (cluster) =>
      cluster.patch({ apiVersion: "v1", kind: "Node", name: "worker-0" }, { metadata: { annotations: { [MCO_STATE]: "Degraded", [MCO_REASON]: "unable to roll back", [NODE_FAULT_ANNOTATION]: "unable to roll back" } } }),
    );
    const failure = await kata.remove(twin.context, "example-kataconfig", outs).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WaitFailedError);
    expect((failure as Error).message).toMatch(/^KataConfig example-kataconfig: removal failed: Node worker-0 Degraded: unable to roll back\. Fix the node;.* Then run pulumi destroy again/);
    await inTwin(twin, async (cluster) => expect(await cluster.get(kataRef)).toBeDefined());
  });

  it("read returns the live status, and nothing once the object is gone", async () => {
    const { outs } = await kata.create(twin.context, inputs());
    const read = await kata.read(twin.context, "example-kataconfig", outs);
    expect(read.props?.status.kataNodes?.readyNodeCount).toBe(2);
    await inTwin(twin, async (cluster) => {
      await cluster.delete(kataRef);
      await cluster.advance(60 * 60_000);
    });
    expect(await kata.read(twin.context, "example-kataconfig", outs)).toEqual({});
  });

  it("diff compares real inputs only: __provider and outputs never make a change; a new name replaces", () => {
    const olds = { ...inputs(), __provider: "old", status: {}, runtimeClassName: "kata" };
    expect(kata.diff("x", olds, { ...inputs(), __provider: "new" })).toMatchObject({ changes: false, replaces: [] });
    expect(kata.diff("x", olds, inputs({ spec: { logLevel: "debug" } }))).toMatchObject({ changes: true, replaces: [] });
    expect(kata.diff("x", olds, inputs({ metadata: { name: "other" } }))).toMatchObject({ changes: true, replaces: ["metadata.name"], deleteBeforeReplace: true });
    expect(kata.diff("x", olds, inputs({ cluster: { embedded: { fixture: "two-workers", stateFile: "/elsewhere.json" } } }))).toMatchObject({ replaces: ["cluster"] });
  });

  it("diff details every changed property, update or replace, and why it replaces", () => {
    const olds = { ...inputs({ metadata: { name: "example-kataconfig", labels: { team: "a" } } }), status: {}, runtimeClassName: "kata" };

    const updated = kata.diff("x", olds, inputs({ metadata: { name: "example-kataconfig", labels: { team: "b", tier: "1" } }, spec: { logLevel: "debug", enablePeerPods: true } }));
    expect(updated.detailedDiff).toEqual({
      "metadata.labels.team": { kind: "update" },
      "metadata.labels.tier": { kind: "add" },
      "spec.logLevel": { kind: "update" },
      "spec.enablePeerPods": { kind: "add" },
    });

    const renamed = kata.diff("x", olds, inputs({ metadata: { name: "other", labels: { team: "a" } } }));
    expect(renamed.detailedDiff).toEqual({ "metadata.name": { kind: "update", replaceBecause: expect.stringContaining("a KataConfig cannot be renamed") } });

    const moved = kata.diff("x", olds, { ...olds, cluster: { embedded: { fixture: "two-workers", stateFile: "/elsewhere.json" } } });
    expect(moved.detailedDiff).toEqual({ cluster: { kind: "update", replaceBecause: expect.stringContaining("another cluster") } });
    // Another twin speed is the same cluster: an update in place.
    const faster = kata.diff("x", olds, { ...olds, cluster: { embedded: { ...twin.cluster.embedded, timeScale: 600 } } });
    expect(faster).toMatchObject({ replaces: [], detailedDiff: { "cluster.embedded.timeScale": { kind: "add" } } });
  });

  it("read with nothing but the name (pulumi import) finds the object and gives the inputs a program would declare", async () => {
    await kata.create(twin.context, inputs({ metadata: { name: "example-kataconfig", labels: { team: "a" } }, spec: { logLevel: "debug" } }));
    // The cluster comes from the host: here, the test's twin for a resource that names none.
    const context = { ...twin.context, connect: () => twin.context.connect(twin.cluster) };

    const imported = await kata.read(context, "example-kataconfig", {});

    expect(imported.id).toBe("example-kataconfig");
    // The owner annotation this library writes is not something a program declares.
    expect(imported.inputs).toEqual({ metadata: { name: "example-kataconfig", labels: { team: "a" } }, spec: { logLevel: "debug" } });
    expect(imported.props?.status.kataNodes.readyNodeCount).toBe(2);
    expect(imported.props?.runtimeClassName).toBe("kata");
    expect(await kata.read(context, "no-such-kataconfig", {})).toEqual({});
  });
});
