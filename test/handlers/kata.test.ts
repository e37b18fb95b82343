import { describe, expect, it } from "vitest";
import * as kata from "../../provider/kata/handlers";
import { MCO_REASON, MCO_STATE } from "../../provider/kata/model";
import { PartialStateError, WaitFailedError } from "../../provider/lifecycle/errors";
import { inTwin, useTwin } from "./support";
import { installProgressLines, kataNodesOutput } from "../support/seed-tables";

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

  it("a Degraded node fails the create with its reason and keeps partial state; the next up resumes", async () => {
    await inTwin(twin, (cluster) =>
      cluster.patch({ apiVersion: "v1", kind: "Node", name: "worker-1" }, { metadata: { annotations: { [MCO_STATE]: "Degraded", [MCO_REASON]: "failed to drain node: timed out" } } }),
    );
    const failure = await kata.create(twin.context, inputs()).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PartialStateError);
    const partial = failure as PartialStateError;
    expect(partial.message).toContain("Node worker-1 Degraded: failed to drain node: timed out");
    expect(partial.id).toBe("example-kataconfig");
    expect(partial.properties).toMatchObject({ __provider: "serialized provider", status: { kataNodes: { failedToInstall: ["worker-1"] } } });

    await inTwin(twin, (cluster) => cluster.patch({ apiVersion: "v1", kind: "Node", name: "worker-1" }, { metadata: { annotations: { [MCO_STATE]: "Working" } } }));
    const { outs } = await kata.update(twin.context, "example-kataconfig", partial.properties as kata.KataConfigOutputs, inputs());
    expect(outs.status.kataNodes?.readyNodeCount).toBe(2);
    expect(outs.runtimeClassName).toBe("kata");
  });

  it("a delete blocked by a kata Pod fails at once naming the pod, and succeeds once the pod is gone", async () => {
    const { outs } = await kata.create(twin.context, inputs());
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "sandboxed-nginx", namespace: "apps" }, spec: { runtimeClassName: "kata" }, status: { phase: "Running" } };
    await inTwin(twin, (cluster) => cluster.apply(pod));
    const failure = await kata.remove(twin.context, "example-kataconfig", outs).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WaitFailedError);
    expect((failure as Error).message).toContain("apps/sandboxed-nginx");
    expect((failure as Error).message).toContain("kubectl delete pod -n apps sandboxed-nginx");
    await inTwin(twin, async (cluster) => {
      expect(await cluster.get(kataRef)).toBeDefined();
      await cluster.delete({ apiVersion: "v1", kind: "Pod", name: "sandboxed-nginx", namespace: "apps" });
    });
    await kata.remove(twin.context, "example-kataconfig", outs);
    await inTwin(twin, async (cluster) => expect(await cluster.get(kataRef)).toBeUndefined());
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
      cluster.patch({ apiVersion: "v1", kind: "Node", name: "worker-0" }, { metadata: { annotations: { [MCO_STATE]: "Degraded", [MCO_REASON]: "unable to roll back" } } }),
    );
    const failure = await kata.remove(twin.context, "example-kataconfig", outs).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(WaitFailedError);
    expect((failure as Error).message).toBe("KataConfig example-kataconfig: removal failed: Node worker-0 Degraded: unable to roll back. Fix the node, then run pulumi destroy again.");
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
