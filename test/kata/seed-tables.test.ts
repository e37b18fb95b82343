import { afterEach, describe, expect, it } from "vitest";
import { installTable, rowsBetween, seedRows, uninstallTable, upstreamInstallStatuses, upstreamUninstallStatuses } from "../support/seed-tables";
import { NODE_UPDATE_MS, World, withoutTimes, worker } from "./world";

// The seed document's tables 2.1 and 2.2 (two workers), replayed through the simulated operator
// and Machine Config Operator. Every status the operator writes is upstream's, in order, and the
// seed's rows are among them, in order; the rows between them are the ones upstream writes that the
// seed does not show.

// worker-1 is the older node, so the MCO takes it first, as the seed shows.
const seedNodes = () => [worker("worker-0", {}, "2024-05-06T09:05:00Z"), worker("worker-1", {}, "2024-05-06T09:02:00Z")];

let world: World;
afterEach(() => world?.close());

async function installed(): Promise<World> {
  world = await World.open(seedNodes());
  await world.create();
  await world.run();
  return world;
}

describe("seed table 2.1: installation on two workers", () => {
  it("writes upstream's statuses in order, and the seed's rows are among them in order", async () => {
    await installed();
    const statuses = world.statuses.map(withoutTimes);
    expect(statuses).toEqual(upstreamInstallStatuses);
    expect(rowsBetween(seedRows(statuses), installTable)).toEqual([
      { conditions: installTable[3]!.conditions, kataNodes: { nodeCount: 2, readyNodeCount: 1, installed: ["worker-1"], waitingToInstall: ["worker-0"] } },
    ]);
  });

  it("creates the RuntimeClass in the write that sets InProgress False, not before", async () => {
    await installed();
    const first = world.statuses.findIndex((s) => s.runtimeClasses?.includes("kata"));
    expect(world.statuses[first]?.conditions?.[0]).toMatchObject({ status: "False", reason: "" });
    expect(world.statuses.slice(0, first).every((s) => s.conditions?.[0]?.status === "True")).toBe(true);
    expect(await world.runtimeClasses()).toEqual(["kata"]);
  });

  it("keeps at most one node unavailable at any time", async () => {
    await installed();
    for (const status of world.statuses) expect(status.kataNodes?.installing?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it("takes one node update per node", async () => {
    world = await World.open(seedNodes());
    const start = world.now.getTime();
    await world.create();
    await world.run(2 * NODE_UPDATE_MS - 1);
    expect((await world.kataConfig())?.status?.runtimeClasses).toBeUndefined();
    await world.run(1);
    expect((await world.kataConfig())?.status?.runtimeClasses).toEqual(["kata"]);
    expect(world.now.getTime() - start).toBe(2 * NODE_UPDATE_MS);
  });
});

describe("seed table 2.2: removal from two workers", () => {
  it("writes upstream's statuses in order, the seed's rows among them, then lets the object go", async () => {
    await installed();
    world.statuses = [];
    await world.delete();
    await world.run();
    const statuses = world.statuses.map(withoutTimes);
    // The first status is the deletion itself (deletionTimestamp set): the installed one, unchanged.
    expect(statuses.slice(1)).toEqual(upstreamUninstallStatuses);
    expect(rowsBetween(seedRows(statuses.slice(1)), uninstallTable)).toEqual([
      { conditions: uninstallTable[0]!.conditions, kataNodes: { nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] } },
      { conditions: uninstallTable[0]!.conditions, kataNodes: { nodeCount: 0, readyNodeCount: 0, waitingToUninstall: ["worker-0"] } },
    ]);
    expect(await world.kataConfig()).toBeUndefined();
    expect(await world.pool("kata-oc")).toBeUndefined();
    for (const name of ["worker-0", "worker-1"]) expect((await world.node(name)).metadata.labels).not.toHaveProperty("node-role.kubernetes.io/kata-oc");
  });
});
