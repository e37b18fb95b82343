import { describe, expect, it } from "vitest";
import * as mhc from "../../provider/mhc/handlers";
import { inTwin, useTwin } from "./support";

const ref = { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineHealthCheck", namespace: "default", name: "capi-quickstart-node-unhealthy-5m" };
const unhealthyConditions = [
  { type: "Ready", status: "Unknown", timeout: "300s" },
  { type: "Ready", status: "False", timeout: "300s" },
];

describe("MachineHealthCheck handlers on the capi-quickstart twin", () => {
  const twin = useTwin("capi-quickstart");
  const inputs = (spec: Partial<mhc.MachineHealthCheckInputs["spec"]> = {}): mhc.MachineHealthCheckInputs => ({
    metadata: { name: ref.name, namespace: "default" },
    spec: { clusterName: "capi-quickstart", maxUnhealthy: "40%", nodeStartupTimeout: "10m", selector: { matchLabels: { nodepool: "nodepool-0" } }, unhealthyConditions, ...spec },
    cluster: twin.cluster,
    owner: "quickstart/dev/MachineHealthCheck/workers",
    __provider: "serialized provider",
  });
  const notReady = (node: string) =>
    inTwin(twin, (cluster) => cluster.patchStatus({ apiVersion: "v1", kind: "Node", name: node }, { conditions: [{ type: "Ready", status: "False", lastTransitionTime: cluster.clock.now().toISOString() }] }));

  it("create applies the policy, waits for the controller, and reports the machines", async () => {
    const { id, outs } = await mhc.create(twin.context, inputs());
    expect(id).toBe("default/capi-quickstart-node-unhealthy-5m");
    expect(outs.status).toMatchObject({ expectedMachines: 6, currentHealthy: 6, remediationsAllowed: 2, observedGeneration: 1 });
    expect(outs.report).toMatchObject({ paused: false, expectedMachines: 6, currentHealthy: 6, remediationAllowed: true, remediationsAllowed: 2 });
    expect(outs.report?.machines.every((m) => m.state === "healthy" && m.remediatedBy === "MachineSet")).toBe(true);
    await inTwin(twin, async (cluster) => {
      const stored = await cluster.get(ref);
      expect(stored?.spec).toMatchObject({ nodeStartupTimeout: "10m0s", unhealthyConditions: [{ timeout: "5m0s" }, { timeout: "5m0s" }] });
      expect(stored?.metadata.labels).toMatchObject({ "cluster.x-k8s.io/cluster-name": "capi-quickstart" });
    });
  });

  it("reports which machines are unhealthy and why, and what would be replaced", async () => {
    await notReady("capi-quickstart-nodepool-0-2kq7w");
    await inTwin(twin, (cluster) => cluster.advance(2 * 60_000));
    const { outs } = await mhc.create(twin.context, inputs());
    const verdict = outs.report?.machines.find((m) => m.name === "capi-quickstart-nodepool-0-2kq7w");
    expect(verdict).toMatchObject({ state: "pending", reason: "UnhealthyConditionPending", remediatedBy: "MachineSet" });
    expect(verdict?.recheckAfterSeconds).toBe(181);
    expect(twin.lines.some((l) => l.includes("capi-quickstart-nodepool-0-2kq7w: pending"))).toBe(true);
  });

  it("diff prints what a policy change means for the machines that exist now", async () => {
    const { outs } = await mhc.create(twin.context, inputs());
    for (const node of ["capi-quickstart-nodepool-0-2kq7w", "capi-quickstart-nodepool-0-5fz9d"]) await notReady(node);
    await inTwin(twin, (cluster) => cluster.advance(60_000));
    twin.lines.length = 0;
    const result = await mhc.diff(twin.context, "x", outs, inputs({ maxUnhealthy: "20%" }));
    expect(result).toMatchObject({ changes: true, replaces: [] });
    expect(twin.lines).toContain(
      "MachineHealthCheck default/capi-quickstart-node-unhealthy-5m: maxUnhealthy 40% → 20%: 6 machines, limit 2 → 1, 2 unhealthy now: now short-circuited: no machine would be remediated",
    );
  });

  it("diff says in one line when the cluster cannot be read, and goes on", async () => {
    const { outs } = await mhc.create(twin.context, inputs());
    twin.lines.length = 0;
    const elsewhere = { embedded: { stateFile: `${twin.dir}/other.json`, virtualTime: true as const } };
    const result = await mhc.diff(twin.context, "x", { ...outs, cluster: elsewhere }, { ...inputs({ maxUnhealthy: "20%" }), cluster: elsewhere });
    expect(result.changes).toBe(true);
    expect(twin.lines).toEqual([expect.stringMatching(/cannot show what the policy change means: Cluster capi-quickstart is not in embedded twin/)]);
  });

  it("a change of clusterName or namespace replaces; __provider alone changes nothing", async () => {
    const { outs } = await mhc.create(twin.context, inputs());
    expect(await mhc.diff(twin.context, "x", outs, { ...inputs(), __provider: "rebuilt" })).toMatchObject({ changes: false });
    expect(await mhc.diff(twin.context, "x", outs, inputs({ clusterName: "other" }))).toMatchObject({ replaces: ["spec.clusterName"] });
    expect(await mhc.diff(twin.context, "x", outs, { ...inputs(), metadata: { name: ref.name, namespace: "kube-system" } })).toMatchObject({ replaces: ["metadata.namespace"] });
  });

  it("diff details a policy change down to the changed condition, and why a new clusterName replaces", async () => {
    const { outs } = await mhc.create(twin.context, inputs());
    const changed = await mhc.diff(twin.context, "x", outs, inputs({ maxUnhealthy: "20%", unhealthyConditions: [unhealthyConditions[0]!, { ...unhealthyConditions[1]!, timeout: "600s" }] }));
    expect(changed.detailedDiff).toEqual({ "spec.maxUnhealthy": { kind: "update" }, "spec.unhealthyConditions[1].timeout": { kind: "update" } });
    const moved = await mhc.diff(twin.context, "x", outs, inputs({ clusterName: "other" }));
    expect(moved.detailedDiff).toEqual({ "spec.clusterName": { kind: "update", replaceBecause: "Cluster API does not allow spec.clusterName to change" } });
  });

  it("read by namespace/name alone (pulumi import) gives the declared inputs, without the label Cluster API adds", async () => {
    await mhc.create(twin.context, inputs());
    const context = { ...twin.context, connect: () => twin.context.connect(twin.cluster) };

    const imported = await mhc.read(context, "default/capi-quickstart-node-unhealthy-5m", {});

    expect(imported.id).toBe("default/capi-quickstart-node-unhealthy-5m");
    expect(imported.inputs?.metadata).toEqual({ name: ref.name, namespace: "default" });
    expect(imported.inputs?.spec).toMatchObject({ clusterName: "capi-quickstart", maxUnhealthy: "40%", selector: { matchLabels: { nodepool: "nodepool-0" } } });
    expect(imported.props?.report?.expectedMachines).toBe(6);
    // A bare name is in the default namespace.
    expect((await mhc.read(context, "capi-quickstart-node-unhealthy-5m", {})).id).toBe("default/capi-quickstart-node-unhealthy-5m");
  });

  it("update applies the new policy; read follows the live object; delete removes it", async () => {
    const { outs } = await mhc.create(twin.context, inputs());
    const updated = await mhc.update(twin.context, "default/capi-quickstart-node-unhealthy-5m", outs, inputs({ maxUnhealthy: 1 }));
    expect(updated.outs.status.observedGeneration).toBe(2);
    expect(updated.outs.report?.remediationsAllowed).toBe(1);
    const read = await mhc.read(twin.context, "default/capi-quickstart-node-unhealthy-5m", updated.outs);
    expect(read.props?.spec.maxUnhealthy).toBe(1);
    await mhc.remove(twin.context, "default/capi-quickstart-node-unhealthy-5m", updated.outs);
    await inTwin(twin, async (cluster) => expect(await cluster.get(ref)).toBeUndefined());
    expect(await mhc.read(twin.context, "default/capi-quickstart-node-unhealthy-5m", updated.outs)).toEqual({});
  });

  it("refuses to take over a MachineHealthCheck this stack did not create", async () => {
    await inTwin(twin, (cluster) => cluster.apply({ ...ref, metadata: { name: ref.name, namespace: "default" }, spec: { clusterName: "capi-quickstart", selector: { matchLabels: { a: "b" } } } }));
    await expect(mhc.create(twin.context, inputs())).rejects.toThrow(/already exists .* not created by this stack/);
  });

  it("says what the controller wrote when it cannot observe the policy: a missing remediation template", async () => {
    const template = { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "Metal3RemediationTemplate", name: "missing" };
    await notReady("capi-quickstart-nodepool-0-2kq7w");
    await inTwin(twin, (cluster) => cluster.advance(10 * 60_000));
    const failure = mhc.create(twin.context, { ...inputs({ remediationTemplate: template }), timeouts: { create: "2m" } });
    await expect(failure).rejects.toThrow(
      /observedGeneration 0; ExternalRemediationTemplateAvailable False: failed to retrieve Metal3RemediationTemplate default\/missing: Metal3RemediationTemplate.infrastructure.cluster.x-k8s.io "missing" not found/,
    );
  });
});
