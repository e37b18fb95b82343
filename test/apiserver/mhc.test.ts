import { describe, expect, it } from "vitest";
import type { ClusterClient } from "../../provider/cluster/client";
import type { Machine, MachineHealthCheck } from "../../provider/mhc/model";
import { waitFor } from "../../provider/lifecycle/wait";
import { seedWorkersHealthCheck } from "../support/seed-tables";
import { useDevCluster } from "./helpers";

// The seed's MachineHealthCheck on the capi-quickstart fixture through a real kube-apiserver: our
// backend applies it, the operator process plays the health controller, the MachineSet and the
// infrastructure. Real time here, so the condition timeouts are seconds instead of the seed's 300s.

const env = useDevCluster({ fixture: "fixtures/capi-quickstart.yaml", nodeStartupMs: 2000 });

const ns = "default";
const mhcRef = { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineHealthCheck", namespace: ns, name: seedWorkersHealthCheck.name };
const machineRef = { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "Machine", namespace: ns };
const policy = {
  apiVersion: mhcRef.apiVersion,
  kind: mhcRef.kind,
  metadata: { name: mhcRef.name, namespace: ns },
  spec: {
    ...seedWorkersHealthCheck.spec,
    unhealthyConditions: seedWorkersHealthCheck.spec.unhealthyConditions.map((c) => ({ ...c, timeout: "4s" })),
  },
};

const workers = async (client: ClusterClient) =>
  (await client.list<Machine>(machineRef)).filter((m) => m.metadata.labels?.nodepool === "nodepool-0" && !m.metadata.deletionTimestamp);
const notReady = (client: ClusterClient, node: string) =>
  client.patchStatus({ apiVersion: "v1", kind: "Node", name: node }, { conditions: [{ type: "Ready", status: "False", reason: "KubeletNotReady", lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }] });

function untilStatus(client: ClusterClient, what: string, done: (mhc: MachineHealthCheck) => boolean, limitMs = 60_000): Promise<MachineHealthCheck> {
  return waitFor({
    client,
    ref: mhcRef,
    what,
    limitMs,
    resyncMs: 1000,
    evaluate: (object) => (object && done(object as MachineHealthCheck) ? { state: "done", value: object as MachineHealthCheck } : { state: "waiting", progress: JSON.stringify(object?.status ?? {}) }),
  });
}

describe("MachineHealthCheck through the API server", () => {
  it("the controller observes the policy and counts the 6 machines of nodepool-0", async () => {
    await env.client.apply(policy);
    const observed = await untilStatus(env.client, "the policy to be observed", (m) => (m.status?.observedGeneration ?? 0) >= (m.metadata.generation ?? 1));
    expect(observed.status).toMatchObject({ expectedMachines: 6, currentHealthy: 6, remediationsAllowed: 2 });
  });

  it("a node NotReady past its timeout is remediated: the MachineSet replaces its machine, which gets a new node", async () => {
    const before = (await workers(env.client)).map((m) => m.metadata.name!);
    const victim = before[0]!;
    await notReady(env.client, victim);
    // Machines change as the MachineHealthCheck's status does: follow it and look at the machines.
    const after = await waitFor({
      client: env.client,
      ref: mhcRef,
      what: `Machine ${victim} to be replaced`,
      limitMs: 60_000,
      resyncMs: 1000,
      evaluate: async () => {
        const names = (await workers(env.client)).map((m) => m.metadata.name!);
        return !names.includes(victim) && names.length === 6 ? { state: "done", value: names } : { state: "waiting", progress: names.join(",") };
      },
    });
    expect(after.filter((n) => !before.includes(n))).toHaveLength(1);
    const healed = await untilStatus(env.client, "every machine healthy again", (m) => m.status?.currentHealthy === 6 && !(m.status?.targets ?? []).includes(victim));
    expect(healed.status?.expectedMachines).toBe(6);
  });

  it("with 3 of 6 unhealthy under 40% it remediates nothing and says why", async () => {
    const names = (await workers(env.client)).map((m) => m.metadata.name!);
    for (const name of names.slice(0, 3)) await notReady(env.client, name);
    // Short-circuited at once (pending machines count), then with all three judged unhealthy.
    const blocked = await untilStatus(env.client, "remediation to be short-circuited with 3 unhealthy", (m) =>
      (m.status?.conditions ?? []).some((c) => c.type === "RemediationAllowed" && c.status === "False" && c.message?.includes("unhealthy: 3")),
    );
    expect(blocked.status?.conditions).toContainEqual(expect.objectContaining({
      reason: "TooManyUnhealthy",
      message: "Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: 6, unhealthy: 3, maxUnhealthy: 40%)",
    }));
    expect((await workers(env.client)).map((m) => m.metadata.name).sort()).toEqual([...names].sort());
  });
});
