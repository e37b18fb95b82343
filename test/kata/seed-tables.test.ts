import { describe, expect, it } from "vitest";
import { installTable, uninstallTable } from "../support/seed-tables";
import { World, withoutTimes, worker } from "./world";

// The seed document's tables 2.1 and 2.2 (two workers), replayed through the operator step and
// the kata-oc pool rollout. Every status the operator writes must be a row of the table, in order.

function installed(): World {
  const world = new World([worker("worker-0"), worker("worker-1")]);
  world.create();
  world.run();
  return world;
}

describe("seed table 2.1: installation on two workers", () => {
  it("writes exactly the table's statuses, in order", () => {
    const world = installed();
    expect(world.statuses.map(withoutTimes)).toEqual(installTable);
  });

  it("creates the RuntimeClass only after the condition went back to False", () => {
    const world = new World([worker("worker-0"), worker("worker-1")]);
    world.create();
    world.settle();
    expect(world.runtimeClasses).toEqual([]);
    world.run();
    expect(world.runtimeClasses).toEqual(["kata"]);
  });

  it("keeps at most one node installing at any time", () => {
    const world = installed();
    for (const status of world.statuses) expect(status.kataNodes?.installing?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it("takes one node update per node", () => {
    const world = new World([worker("worker-0"), worker("worker-1")]);
    const start = world.now.getTime();
    world.create();
    world.run();
    expect(world.now.getTime() - start).toBe(2 * 60_000);
  });
});

describe("seed table 2.2: removal from two workers", () => {
  it("writes exactly the table's statuses, in order, then lets the object go", () => {
    const world = installed();
    world.statuses = [];
    world.delete();
    world.run();
    expect(world.statuses.map(withoutTimes)).toEqual(uninstallTable);
    expect(world.kataConfig).toBeUndefined();
    expect(world.pools.map((p) => p.metadata.name)).toEqual(["worker"]);
    for (const node of world.nodes) expect(node.metadata.labels).not.toHaveProperty("node-role.kubernetes.io/kata-oc");
  });
});
