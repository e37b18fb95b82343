import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import type { Node } from "../../provider/k8s/core";
import { KATA_DUPLICATE_MESSAGE } from "../../provider/kata/simulated";
import { EmbeddedCluster } from "../../provider/wiring";
import type { KataConfig, KataConfigStatus, MachineConfigPool } from "../../provider/kata/model";
import { withoutTimes } from "../kata/world";
import { installTable, rowsBetween, seedRows, uninstallTable } from "../support/seed-tables";

// The seed's KataConfig tables and the Machine Config Operator's pool status through the twin as
// users open it (EmbeddedCluster.open on the bundled fixture): objects applied, time advanced,
// statuses read through a watch, exactly as a client of a real cluster would see them.

const kataRef = { ...kinds.kataConfig, name: "example-kataconfig" };
const NODE_UPDATE_MS = 60_000;

let twin: EmbeddedCluster;
let statuses: KataConfigStatus[];

beforeEach(async () => {
  twin = await EmbeddedCluster.open({ fixture: "two-workers", clock: "virtual", operators: { nodeUpdateMs: NODE_UPDATE_MS } });
  statuses = [];
  await twin.watch(kinds.kataConfig, (event) => {
    const status = (event.object as KataConfig).status;
    const last = statuses.at(-1);
    const shown = status && withoutTimes(status);
    if (shown && event.type !== "DELETED" && JSON.stringify(shown) !== JSON.stringify(last)) statuses.push(shown);
  });
});

afterEach(() => twin.close());

const nodeLabels = (name: string) => twin.get({ ...kinds.node, name }).then((n) => n?.metadata.labels ?? {});
const pool = (name: string) => twin.get<MachineConfigPool>({ ...kinds.machineConfigPool, name });
const condition = (p: MachineConfigPool | undefined, type: string) => p?.status?.conditions?.find((c) => c.type === type)?.status;

describe("KataConfig on the twin opened as the README documents it", () => {
  it("installs with the seed table 2.1's rows among upstream's statuses, and creates the RuntimeClass at the very end", async () => {
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await twin.advance(10 * NODE_UPDATE_MS);
    expect(rowsBetween(seedRows(statuses), installTable)).toHaveLength(1);
    const runtimeClass = await twin.get({ ...kinds.runtimeClass, name: "kata" });
    expect(runtimeClass).toMatchObject({ handler: "kata", overhead: { podFixed: { cpu: "250m", memory: "350Mi" } }, scheduling: { nodeSelector: { "node-role.kubernetes.io/kata-oc": "" } } });
    expect(await nodeLabels("master-0")).not.toHaveProperty("node-role.kubernetes.io/kata-oc");
  });

  it("removes with the seed table 2.2's rows among upstream's statuses, then the KataConfig and its RuntimeClass are gone", async () => {
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await twin.advance(10 * NODE_UPDATE_MS);
    const installedRows = statuses.length;
    await twin.delete(kataRef);
    await twin.advance(10 * NODE_UPDATE_MS);
    expect(rowsBetween(seedRows(statuses.slice(installedRows)), uninstallTable)).toHaveLength(2);
    expect(await twin.get(kataRef)).toBeUndefined();
    expect(await twin.get({ ...kinds.runtimeClass, name: "kata" })).toBeUndefined();
    expect(await pool("kata-oc")).toBeUndefined();
  });

  it("refuses a second KataConfig with upstream's message", async () => {
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await expect(twin.apply({ ...kataRef, metadata: { name: "second" }, spec: {} })).rejects.toThrow(KATA_DUPLICATE_MESSAGE);
  });
});

describe("the Machine Config Operator's pool status (status.go calculateStatus)", () => {
  it("writes counts and conditions on every change: Updating while a node rolls, Updated when all are done", async () => {
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await twin.advance(NODE_UPDATE_MS / 2);
    const rolling = await pool("kata-oc");
    expect(rolling?.status).toMatchObject({ machineCount: 2, updatedMachineCount: 0, readyMachineCount: 0, unavailableMachineCount: 1, degradedMachineCount: 0 });
    expect([condition(rolling, "Updating"), condition(rolling, "Updated"), condition(rolling, "Degraded")]).toEqual(["True", "False", "False"]);
    expect((await pool("worker"))?.status).toMatchObject({ machineCount: 0, updatedMachineCount: 0 });
    await twin.advance(2 * NODE_UPDATE_MS);
    const done = await pool("kata-oc");
    expect(done?.status).toMatchObject({ machineCount: 2, updatedMachineCount: 2, readyMachineCount: 2, unavailableMachineCount: 0, observedGeneration: done?.metadata.generation });
    expect(done?.status?.configuration?.name).toBe(done?.spec?.configuration?.name);
    expect([condition(done, "Updating"), condition(done, "Updated")]).toEqual(["False", "True"]);
  });

  it("reports a Degraded node as NodeDegraded and Degraded, and keeps Updating True meanwhile", async () => {
    await twin.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await twin.advance(NODE_UPDATE_MS / 2);
    await twin.patch({ ...kinds.node, name: "worker-1" }, { metadata: { annotations: { "machineconfiguration.openshift.io/state": "Degraded", "machineconfiguration.openshift.io/reason": "disk full", "twin.pulumi-cluster-runtime.dev/fault": "disk full" } } });
    await twin.advance(5 * NODE_UPDATE_MS);
    const degraded = await pool("kata-oc");
    expect(degraded?.status?.degradedMachineCount).toBe(1);
    expect(degraded?.status?.conditions?.find((c) => c.type === "NodeDegraded")).toMatchObject({ status: "True", reason: "1 nodes are reporting degraded status on sync", message: 'Node worker-1 is reporting: "disk full"' });
    expect([condition(degraded, "Degraded"), condition(degraded, "Updating")]).toEqual(["True", "True"]);
    // worker-0 is never started: the failing node uses up maxUnavailable.
    expect((await twin.get<Node>({ ...kinds.node, name: "worker-0" }))?.metadata.annotations?.["machineconfiguration.openshift.io/desiredConfig"]).toBe("rendered-worker-1");
  });
});

describe("the twin as code opens it", () => {
  let dir: string;
  beforeEach(() => void (dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcr-kata-twin-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("plays the operators and the webhook by default; operators: false gives a bare store", async () => {
    const bare = await EmbeddedCluster.open({ fixture: "two-workers", clock: "virtual", operators: false });
    await bare.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await bare.advance(10 * NODE_UPDATE_MS);
    expect((await bare.get<KataConfig>(kataRef))?.status).toBeUndefined();
    await expect(bare.apply({ ...kataRef, metadata: { name: "second" }, spec: {} })).resolves.toBeDefined();
    await bare.close();

    const played = await EmbeddedCluster.open({ fixture: "two-workers", stateFile: path.join(dir, "twin.json"), clock: "virtual" });
    await played.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    expect((await played.get<KataConfig>(kataRef))?.metadata.finalizers).toEqual(["kataconfiguration.openshift.io/finalizer"]);
    await expect(played.apply({ ...kataRef, metadata: { name: "second" }, spec: {} })).rejects.toThrow(KATA_DUPLICATE_MESSAGE);
    await played.close();
  });

  it("keeps the operator's work queue in the state file: reopening is not an operator restart", async () => {
    const stateFile = path.join(dir, "twin.json");
    const first = await EmbeddedCluster.open({ fixture: "two-workers", stateFile, clock: "virtual", operators: { nodeUpdateMs: NODE_UPDATE_MS } });
    await first.apply({ ...kataRef, metadata: { name: kataRef.name }, spec: {} });
    await first.advance(10 * NODE_UPDATE_MS);
    await first.apply({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "apps" }, spec: { runtimeClassName: "kata" } });
    await first.delete(kataRef);
    await first.advance(30 * 60_000); // blocked long enough for the back-off to be long
    await first.delete({ ...kinds.pod, namespace: "apps", name: "p" });
    await first.close();
    const saved = JSON.parse(fs.readFileSync(stateFile, "utf8")) as { controllers: Record<string, Record<string, { failures: number; retryAt: string }>> };
    expect(saved.controllers["kataconfig-operator"]?.["example-kataconfig"]?.failures).toBeGreaterThan(10);

    // A new process: the operator does not reconcile just because the twin was opened again.
    const second = await EmbeddedCluster.open({ stateFile, operators: { nodeUpdateMs: NODE_UPDATE_MS } });
    expect((await second.get<KataConfig>(kataRef))?.status?.conditions?.[0]?.reason).toBe("BlockedByExistingKataPods");
    await second.advance(17 * 60_000 + 3 * NODE_UPDATE_MS); // past the longest back-off, and the removal
    expect(await second.get<KataConfig>(kataRef)).toBeUndefined();
    await second.close();
  });

  it("refuses a fixture whose nodes belong to no MachineConfigPool, saying what OpenShift always has", async () => {
    const fixture = path.join(dir, "no-pools.yaml");
    const text = fs.readFileSync(path.join(__dirname, "../../fixtures/two-workers.yaml"), "utf8").split("\n---\n").filter((doc) => !doc.includes("kind: MachineConfigPool")).join("\n---\n");
    fs.writeFileSync(fixture, text);
    await expect(EmbeddedCluster.open({ fixture, clock: "virtual" })).rejects.toThrow(
      /no-pools\.yaml: document 1 \(line \d+, Node master-0\); .*document 3 \(line \d+, Node worker-1\): 3 nodes belong to no MachineConfigPool\./,
    );
    await expect(EmbeddedCluster.open({ fixture, clock: "virtual" })).rejects.toThrow(
      'An OpenShift cluster always has the pools master (nodeSelector matchLabels node-role.kubernetes.io/master: "") and worker (nodeSelector matchLabels node-role.kubernetes.io/worker: "")',
    );
    // Without the simulated operators there is nothing to object to.
    await expect(EmbeddedCluster.open({ fixture, clock: "virtual", operators: false }).then((t) => t.close())).resolves.toBeUndefined();
  });
});
