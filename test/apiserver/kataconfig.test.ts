import { describe, expect, it } from "vitest";
import { KATA_NODE_ROLE_LABEL, MCO_REASON, MCO_STATE, type KataConfig, type KataConfigStatus } from "../../provider/kata/model";
import { withoutTimes } from "../kata/world";
import { install, installed, kataConfig, kataRef, kubectl, nodeRef, sorted, useDevCluster, StatusRecorder, uninstall, waitForKata } from "./helpers";
import { installTable, rowsBetween, seedRows, uninstallTable, upstreamInstallStatuses, upstreamUninstallStatuses } from "../support/seed-tables";

// The KataConfig lifecycle through a real kube-apiserver: our backend applies and deletes, the
// operator process plays the operators, and every status goes through the API server.

const env = useDevCluster();

const runtimeClassRef = { apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", name: "kata" };
const kataPoolRef = { apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfigPool", name: "kata-oc" };
const sameStatus = (a: KataConfigStatus, b: KataConfigStatus) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

describe("KataConfig through the API server", () => {
  it("installs with upstream's statuses in order, the seed table 2.1's rows among them", async () => {
    const recorder = await StatusRecorder.start(env.client);
    await env.client.apply(kataConfig());
    await waitForKata(env.client, "KataConfig example-kataconfig to be installed", installed);
    await recorder.reached((status) => status.runtimeClasses?.includes("kata") ?? false);
    recorder.stop();
    expect(recorder.statuses.map(sorted)).toEqual(upstreamInstallStatuses.map(sorted));
    expect(rowsBetween(seedRows(recorder.statuses), installTable)).toHaveLength(1);
    expect(await env.client.get(runtimeClassRef)).toBeDefined();
  });

  it("kubectl get -o json shows the status the backend reads", async () => {
    const ours = await env.client.get<KataConfig>(kataRef);
    const theirs = JSON.parse(await kubectl(env.cluster, "get", "kataconfig", "example-kataconfig", "-o", "json")) as KataConfig;
    expect(theirs.status).toEqual(ours?.status);
    expect(theirs.metadata.resourceVersion).toBe(ours?.metadata.resourceVersion);
    const table = await kubectl(env.cluster, "get", "kataconfig", "example-kataconfig");
    expect(table).toMatch(/example-kataconfig\s+False\s+2\s+2/); // printer columns InProgress, Completed, Total
  });

  it("removes with upstream's statuses in order, the seed table 2.2's rows among them, then the object, its RuntimeClass and the kata-oc pool go", async () => {
    const recorder = await StatusRecorder.start(env.client);
    await uninstall(env.client);
    await recorder.gone();
    recorder.stop();
    const removal = recorder.statuses.filter((s) => !sameStatus(s, upstreamInstallStatuses.at(-1)!));
    expect(removal.map(sorted)).toEqual(upstreamUninstallStatuses.map(sorted));
    expect(rowsBetween(seedRows(removal), uninstallTable)).toHaveLength(2);
    // No kube-controller-manager here: the operator process collects the RuntimeClass its owner left.
    await waitUntil(async () => (await env.client.get(runtimeClassRef)) === undefined);
    expect(await env.client.get(kataPoolRef)).toBeUndefined();
    for (const name of ["worker-0", "worker-1"]) {
      expect((await env.client.get(nodeRef(name)))?.metadata.labels).not.toHaveProperty(KATA_NODE_ROLE_LABEL);
    }
  });

  it("a running kata Pod blocks the removal until it goes", async () => {
    await install(env.client);
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "sandboxed", namespace: "default" },
      spec: { runtimeClassName: "kata", containers: [{ name: "app", image: "example/app:1" }] },
    };
    await env.client.apply(pod);
    await env.client.delete(kataRef);
    const blocked = await waitForKata(env.client, "the removal to be blocked", (kc) => kc?.status?.conditions?.[0]?.reason === "BlockedByExistingKataPods");
    expect(blocked?.metadata.deletionTimestamp).toBeDefined();
    expect(withoutTimes(blocked!.status!).conditions).toEqual([
      {
        type: "InProgress",
        status: "False",
        reason: "BlockedByExistingKataPods",
        message: 'existing pods using "kata" RuntimeClass found. Please delete the pods manually for KataConfig deletion to proceed',
      },
    ]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await env.client.get(kataRef)).toBeDefined(); // still blocked
    await env.client.delete({ apiVersion: "v1", kind: "Pod", name: "sandboxed", namespace: "default" });
    await waitForKata(env.client, "KataConfig example-kataconfig to be removed once the Pod is gone", (kc) => kc === undefined);
  });

  it("a Degraded node fails the installation with its reason; once fixed, Failed stays until the rollout is over", async () => {
    await env.client.apply(kataConfig());
    await waitForKata(env.client, "worker-1 to be installing", (kc) => kc?.status?.kataNodes?.installing?.includes("worker-1") ?? false);
    // The machine-config daemon fails on worker-1 (the twin's fault annotation keeps it failing).
    const fault = "twin.pulumi-cluster-runtime.dev/fault";
    await env.client.patch(nodeRef("worker-1"), { metadata: { annotations: { [MCO_STATE]: "Degraded", [MCO_REASON]: "failed to drain node", [fault]: "failed to drain node" } } });
    const failed = await waitForKata(env.client, "the installation to fail", (kc) => kc?.status?.conditions?.[0]?.reason === "Failed");
    expect(withoutTimes(failed!.status!).conditions).toEqual([
      { type: "InProgress", status: "True", reason: "Failed", message: "Node worker-1 Degraded: failed to drain node" },
    ]);
    expect(failed?.status?.kataNodes?.failedToInstall).toEqual(["worker-1"]);
    // Fixed: the daemon's retry takes worker-1 to Done; upstream's condition still says Failed then.
    await env.client.patch(nodeRef("worker-1"), { metadata: { annotations: { [fault]: null } } });
    const stale = await waitForKata(env.client, "worker-1 to be installed after the fix", (kc) => kc?.status?.kataNodes?.installed?.includes("worker-1") ?? false);
    expect(stale?.status?.conditions?.[0]).toMatchObject({ reason: "Failed", message: "Node worker-1 Degraded: failed to drain node" });
    await waitForKata(env.client, "KataConfig example-kataconfig to be installed after the recovery", installed);
    await uninstall(env.client);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 200));
  }
}
