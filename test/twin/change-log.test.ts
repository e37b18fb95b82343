import { describe, expect, it } from "vitest";
import type { Controller } from "../../provider/cluster/controller";
import { TwinCluster, type Fixture } from "../../provider/cluster/twin";
import { kinds } from "../../provider/k8s/api-types";
import type { Node } from "../../provider/k8s/core";
import type { KubeObject } from "../../provider/k8s/meta";
import { KATA_POOL, MCO_REASON, MCO_STATE, ZONE_LABEL } from "../../provider/kata/model";
import { NODE_FAULT_ANNOTATION } from "../../provider/kata/rollout-step";
import { simulatedOperators } from "../../provider/wiring";
import { kataPod, kataRef, KATA_NAME, master, pool, worker } from "../kata/world";
import { Dice, seededRandom } from "../support/random";

// The twin tells each controller what changed since its last pass, and the simulated operators keep
// indexes of the nodes up to date from that alone. Here the same random story (installs, selector
// and log level changes, Degraded and NotReady nodes, nodes coming and going, paused pools, kata pods,
// removals) plays on two twins: one as users get it, one whose controllers are told nothing and
// read every object on every pass. Every write to every object must be the same, in the same order.

const NODE_UPDATE_MS = 60_000;
const start = new Date("2026-01-01T00:00:00Z");
const watched = [kinds.node, kinds.kataConfig, kinds.machineConfigPool, kinds.machineConfig, kinds.containerRuntimeConfig, kinds.runtimeClass];

function cluster(dice: Dice): KubeObject[] {
  const nodes: Node[] = [master("master-0"), master("master-1")];
  for (let i = 0; i < 12; i++) {
    const labels: Record<string, string> = {};
    if (dice.chance(0.7)) labels[ZONE_LABEL] = dice.pick(["zone-a", "zone-b"]);
    if (dice.chance(0.5)) labels.tier = dice.pick(["a", "b"]);
    nodes.push(worker(`worker-${String(i).padStart(2, "0")}`, labels, `2024-05-0${dice.int(1, 9)}T09:00:00Z`));
  }
  return [...nodes, pool("master"), pool("worker", { maxUnavailable: dice.pick([1, 2, "25%"]) })];
}

/** One step of the story, the same on any twin given the same dice. */
async function act(twin: TwinCluster, dice: Dice, step: number): Promise<string> {
  const nodeName = `worker-${String(dice.int(0, 13)).padStart(2, "0")}`;
  const node = { ...kinds.node, name: nodeName };
  const choice = dice.weighted<string>([
    ["create", 3],
    ["spec", 3],
    ["delete", 1],
    ["degrade", 2],
    ["fix", 2],
    ["not-ready", 1],
    ["ready", 1],
    ["add-node", 1],
    ["remove-node", 1],
    ["pause", 1],
    ["pod", 1],
    ["wait", 5],
  ]);
  const spec = () => ({
    ...(dice.chance(0.4) ? { kataConfigPoolSelector: { matchLabels: { tier: dice.pick(["a", "b"]) } } } : {}),
    ...(dice.chance(0.4) ? { logLevel: dice.pick(["info", "debug"]) } : {}),
  });
  switch (choice) {
    case "create":
    case "spec":
      await twin.apply({ ...kataRef, metadata: { name: KATA_NAME }, spec: spec() });
      break;
    case "delete":
      await twin.delete(kataRef);
      break;
    case "degrade": {
      const reason = dice.pick(["disk full", "cannot drain"]);
      await twin.patch(node, { metadata: { annotations: { [MCO_STATE]: "Degraded", [MCO_REASON]: reason, [NODE_FAULT_ANNOTATION]: reason } } });
      break;
    }
    case "fix":
      await twin.patch(node, { metadata: { annotations: { [NODE_FAULT_ANNOTATION]: null } } });
      break;
    case "not-ready":
    case "ready":
      await twin.patchStatus(node, { conditions: [{ type: "Ready", status: choice === "ready" ? "True" : "False" }] });
      break;
    case "add-node":
      await twin.apply(worker(`worker-${String(dice.int(12, 13)).padStart(2, "0")}`, { [ZONE_LABEL]: "zone-a" }));
      break;
    case "remove-node":
      await twin.delete(node);
      break;
    case "pause":
      await twin.patch({ ...kinds.machineConfigPool, name: KATA_POOL }, { spec: { paused: dice.chance(0.5) } });
      break;
    case "pod": {
      const { status: _status, ...pod } = kataPod("default", `pod-${step}`);
      if (dice.chance(0.5)) await twin.apply(pod as KubeObject);
      else for (const p of await twin.list(kinds.pod)) await twin.delete({ ...kinds.pod, namespace: p.metadata.namespace, name: p.metadata.name });
      break;
    }
  }
  await twin.advance(dice.int(0, 6) * NODE_UPDATE_MS + dice.int(0, 3) * 1000);
  return choice;
}

/** Every write the twin's watchers see, without uids (each twin draws its own). */
async function play(seed: number, tellChanges: boolean): Promise<string[]> {
  const setup = new Dice(seededRandom(seed));
  const objects = cluster(setup);
  const fixture: Fixture = { source: `seed ${seed}`, objects: objects.map((object, i) => ({ object, where: `object ${i}` })), events: [] };
  const simulated = simulatedOperators({ nodeUpdateMs: NODE_UPDATE_MS });
  const controllers = tellChanges ? simulated.controllers : simulated.controllers.map(readingEverything);
  const twin = await TwinCluster.open({ fixture, clock: "virtual", startTime: start, controllers, admission: simulated.admission, log: () => {} });
  const seen: string[] = [];
  for (const kind of watched) {
    await twin.watch(kind, (event) => seen.push(`${event.type} ${JSON.stringify(event.object, (key, value: unknown) => (key === "uid" ? undefined : value))}`));
  }
  const dice = new Dice(seededRandom(seed * 7919));
  for (let step = 0; step < 60; step++) {
    const choice = await act(twin, dice, step).catch((error: unknown) => `refused: ${(error as Error).message.replace(/[0-9a-f-]{36}/g, "<uid>")}`);
    seen.push(`step ${step}: ${choice}`);
  }
  await twin.advance(60 * NODE_UPDATE_MS);
  await twin.close();
  return seen;
}

/** The controller as an operator process runs it: told nothing, it reads everything on every pass. */
function readingEverything(controller: Controller): Controller {
  return { ...controller, reconcile: (client, now) => controller.reconcile(client, now) };
}

describe("controllers told what changed", () => {
  it.each([1, 2, 3, 4])("write what they write when they read everything on every pass (seed %i)", async (seed) => {
    const told = await play(seed, true);
    const reading = await play(seed, false);
    expect(told.length).toBeGreaterThan(200);
    expect(told).toEqual(reading);
  });
});
