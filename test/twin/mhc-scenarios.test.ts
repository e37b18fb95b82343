import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EmbeddedCluster } from "../../provider/wiring";
import type { Machine, MachineHealthCheck } from "../../provider/mhc/model";
import { seedWorkersHealthCheck } from "../support/seed-tables";

// The seed's MachineHealthCheck examples on the capi-quickstart twin: a control plane of 3 machines
// (KubeadmControlPlane) and a nodepool-0 MachineSet of 6.

const MINUTE = 60_000;
const ns = "default";
const machineRef = { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Machine", namespace: ns };
const mhcRef = { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineHealthCheck", namespace: ns, name: "capi-quickstart-node-unhealthy-5m" };
const workersPolicy = {
  apiVersion: "cluster.x-k8s.io/v1beta1",
  kind: "MachineHealthCheck",
  metadata: { name: mhcRef.name, namespace: ns },
  spec: seedWorkersHealthCheck.spec,
};

let twin: EmbeddedCluster;
beforeEach(async () => {
  twin = await EmbeddedCluster.open({ fixture: "capi-quickstart", clock: "virtual", operators: { nodeUpdateMs: MINUTE, nodeStartupMs: 2 * MINUTE } });
});
afterEach(() => twin.close());

const workerMachines = async () =>
  (await twin.list<Machine>(machineRef)).filter((m) => m.metadata.labels?.nodepool === "nodepool-0").map((m) => m.metadata.name!).sort();
const notReady = (node: string) => twin.patchStatus({ apiVersion: "v1", kind: "Node", name: node }, { conditions: [{ type: "Ready", status: "False", reason: "KubeletNotReady", lastTransitionTime: twin.clock.now().toISOString() }] });
const mhcStatus = async () => ((await twin.get<MachineHealthCheck>(mhcRef))!).status!;

describe("MachineHealthCheck on the capi-quickstart twin", () => {
  it("remediates a node NotReady for more than 5 minutes: its machine is replaced and the new one gets a node", async () => {
    await twin.apply(workersPolicy);
    const before = await workerMachines();
    expect(before).toHaveLength(6);
    const victim = before[0]!;
    await notReady(victim);
    await twin.advance(4 * MINUTE);
    expect(await workerMachines()).toContain(victim); // still within the 300s timeout
    await twin.advance(2 * MINUTE);
    const after = await workerMachines();
    expect(after).not.toContain(victim);
    expect(after).toHaveLength(6);
    const replacement = after.find((m) => !before.includes(m))!;
    expect(replacement).toMatch(/^capi-quickstart-nodepool-0-/);
    await twin.advance(3 * MINUTE);
    const machine = await twin.get<Machine>({ ...machineRef, name: replacement });
    expect(machine?.status?.nodeRef?.name).toBe(replacement);
    expect(await twin.get({ apiVersion: "v1", kind: "Node", name: replacement })).toBeDefined();
    expect(await twin.get({ apiVersion: "v1", kind: "Node", name: victim })).toBeUndefined();
    expect(await mhcStatus()).toMatchObject({ expectedMachines: 6, currentHealthy: 6, remediationsAllowed: 2 });
  });

  it("with 3 of 6 unhealthy under 40% remediates nothing and says why", async () => {
    await twin.apply(workersPolicy);
    const machines = await workerMachines();
    for (const name of machines.slice(0, 3)) await notReady(name);
    await twin.advance(30 * MINUTE);
    expect(await workerMachines()).toEqual(machines);
    const status = await mhcStatus();
    expect(status).toMatchObject({ expectedMachines: 6, currentHealthy: 3, remediationsAllowed: 0 });
    expect(status.conditions).toContainEqual(expect.objectContaining({
      type: "RemediationAllowed",
      status: "False",
      reason: "TooManyUnhealthy",
      message: "Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 6, unhealthy: 3, maxUnhealthy: 40%)",
    }));
  });

  it("leaves paused and skip-remediation machines alone", async () => {
    const [paused, skipped] = await workerMachines();
    await twin.patch({ ...machineRef, name: paused }, { metadata: { annotations: { "cluster.x-k8s.io/paused": "" } } });
    await twin.patch({ ...machineRef, name: skipped }, { metadata: { annotations: { "cluster.x-k8s.io/skip-remediation": "" } } });
    await twin.apply(workersPolicy);
    await notReady(paused!);
    await notReady(skipped!);
    await twin.advance(30 * MINUTE);
    expect(await workerMachines()).toEqual(expect.arrayContaining([paused, skipped]));
    const status = await mhcStatus();
    expect(status.expectedMachines).toBe(4);
    expect(status.targets).not.toContain(paused);
    expect(status.targets).not.toContain(skipped);
  });

  it("marks a machine no MachineSet owns but never replaces it", async () => {
    await twin.apply({ ...machineRef, kind: "Machine", metadata: { name: "orphan-0", namespace: ns, labels: { nodepool: "nodepool-0", "cluster.x-k8s.io/cluster-name": "capi-quickstart" } }, spec: { clusterName: "capi-quickstart", bootstrap: {} } });
    await twin.advance(3 * MINUTE); // the twin's infrastructure gives it a Node
    await twin.apply(workersPolicy);
    await notReady("orphan-0");
    await twin.advance(30 * MINUTE);
    const orphan = await twin.get<Machine>({ ...machineRef, name: "orphan-0" });
    expect(orphan).toBeDefined();
    expect(orphan?.status?.conditions).toContainEqual(expect.objectContaining({ type: "OwnerRemediated", status: "False", reason: "WaitingForRemediation" }));
    expect(orphan?.status?.conditions).toContainEqual(expect.objectContaining({ type: "HealthCheckSucceeded", status: "False", reason: "UnhealthyNode" }));
  });
});
