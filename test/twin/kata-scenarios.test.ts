import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KATA_DUPLICATE_MESSAGE } from "../../provider/kata/simulated";
import { EmbeddedCluster } from "../../provider/wiring";
import type { KataConfig, KataConfigStatus } from "../../provider/kata/model";
import { withoutTimes } from "../kata/world";
import { installTable, seedRows, uninstallTable } from "../support/seed-tables";

// The seed's KataConfig tables, through the twin: objects applied, time advanced, statuses read
// through a watch, exactly as a client of a real cluster would see them.

const kataRef = { apiVersion: "kataconfiguration.openshift.io/v1", kind: "KataConfig", name: "example-kataconfig" };
const NODE_UPDATE_MS = 60_000;

let twin: EmbeddedCluster;
let statuses: KataConfigStatus[];

beforeEach(async () => {
  twin = await EmbeddedCluster.open({ fixture: "two-workers", clock: "virtual", operators: { nodeUpdateMs: NODE_UPDATE_MS } });
  statuses = [];
  await twin.watch({ apiVersion: kataRef.apiVersion, kind: kataRef.kind }, (event) => {
    const status = (event.object as KataConfig).status;
    const last = statuses.at(-1);
    // Only what the tables show: the condition and kataNodes (runtimeClasses is not in the seed's rows).
    const shown = status && withoutTimes({ conditions: status.conditions, kataNodes: status.kataNodes });
    if (shown && event.type !== "DELETED" && JSON.stringify(shown) !== JSON.stringify(last)) statuses.push(shown);
  });
});

afterEach(() => twin.close());

const nodeLabel = (name: string) => twin.get({ apiVersion: "v1", kind: "Node", name }).then((n) => n?.metadata.labels ?? {});

describe("KataConfig on the twin", () => {
  it("installs as seed table 2.1 shows, one node at a time, and creates the RuntimeClass at the very end", async () => {
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await twin.advance(10 * NODE_UPDATE_MS);
    expect(statuses).toEqual(seedRows(installTable));
    const runtimeClass = await twin.get({ apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", name: "kata" });
    expect(runtimeClass).toMatchObject({ handler: "kata", overhead: { podFixed: { cpu: "250m", memory: "350Mi" } }, scheduling: { nodeSelector: { "node-role.kubernetes.io/kata-oc": "" } } });
    expect(await nodeLabel("master-0")).not.toHaveProperty("node-role.kubernetes.io/kata-oc");
  });

  it("removes as seed table 2.2 shows, then the KataConfig and its RuntimeClass are gone", async () => {
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await twin.advance(10 * NODE_UPDATE_MS);
    const installedRows = statuses.length;
    await twin.delete(kataRef);
    await twin.advance(10 * NODE_UPDATE_MS);
    expect(statuses.slice(installedRows)).toEqual(seedRows(uninstallTable));
    expect(await twin.get(kataRef)).toBeUndefined();
    expect(await twin.get({ apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", name: "kata" })).toBeUndefined();
    expect(await twin.get({ apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfigPool", name: "kata-oc" })).toBeUndefined();
  });

  it("a Degraded node stops the install with Failed and the node's reason", async () => {
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await twin.advance(NODE_UPDATE_MS / 2);
    await twin.patch({ apiVersion: "v1", kind: "Node", name: "worker-1" }, { metadata: { annotations: { "machineconfiguration.openshift.io/state": "Degraded", "machineconfiguration.openshift.io/reason": "failed to drain node" } } });
    await twin.advance(30 * NODE_UPDATE_MS);
    const kc = (await twin.get(kataRef)) as KataConfig;
    expect(kc.status?.conditions?.[0]).toMatchObject({ status: "True", reason: "Failed", message: "Node worker-1 Degraded: failed to drain node" });
    expect(kc.status?.kataNodes).toMatchObject({ failedToInstall: ["worker-1"], waitingToInstall: ["worker-0"] });
  });

  it("a delete is blocked by a kata Pod until the Pod goes", async () => {
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await twin.advance(10 * NODE_UPDATE_MS);
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "sandboxed", namespace: "default" }, spec: { runtimeClassName: "kata" }, status: { phase: "Running" } };
    await twin.apply(pod);
    await twin.delete(kataRef);
    await twin.advance(30 * NODE_UPDATE_MS);
    const blocked = (await twin.get(kataRef)) as KataConfig;
    expect(blocked.metadata.deletionTimestamp).toBeDefined();
    expect(blocked.status?.conditions?.[0]).toMatchObject({ status: "False", reason: "BlockedByExistingKataPods" });
    expect(await nodeLabel("worker-0")).toHaveProperty("node-role.kubernetes.io/kata-oc");
    await twin.delete({ apiVersion: "v1", kind: "Pod", name: "sandboxed", namespace: "default" });
    await twin.advance(10 * NODE_UPDATE_MS);
    expect(await twin.get(kataRef)).toBeUndefined();
  });

  it("a selector change adds and removes nodes", async () => {
    const selecting = (node: string) => ({ kataConfigPoolSelector: { matchLabels: { "kubernetes.io/hostname": node } } });
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: selecting("worker-0") });
    await twin.advance(10 * NODE_UPDATE_MS);
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: selecting("worker-1") });
    await twin.advance(10 * NODE_UPDATE_MS);
    const kc = (await twin.get(kataRef)) as KataConfig;
    expect(kc.status?.kataNodes).toEqual({ nodeCount: 1, readyNodeCount: 1, installed: ["worker-1"] });
    expect(statuses.some((s) => s.conditions?.[0]?.reason === "Updating")).toBe(true);
    expect(await nodeLabel("worker-0")).not.toHaveProperty("node-role.kubernetes.io/kata-oc");
  });

  it("refuses a second KataConfig with upstream's message", async () => {
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await expect(twin.apply({ ...kataRef, metadata: { name: "second" }, spec: {} })).rejects.toThrow(KATA_DUPLICATE_MESSAGE);
  });
});
