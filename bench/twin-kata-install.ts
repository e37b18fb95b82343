import { performance } from "node:perf_hooks";
import type { Fixture } from "../provider/cluster/twin";
import { EmbeddedCluster } from "../provider/wiring";
import { openshiftPools, workerNodes } from "../test/support/openshift-fixture";
import { type Figure, median } from "./timing";

// A whole KataConfig install and removal on the twin's virtual time, for clusters of N workers.
// Real time only: the virtual hours it covers (N node updates, one at a time) cost nothing. The sizes
// run in turn, round after round, so that a busy machine slows them alike; the figures are medians,
// and what counts is how they grow: 5,000 against 500 workers is 10 when the twin is linear.

const NODE_UPDATE_MS = 5 * 60_000;
const SIZES = [500, 1_000, 5_000, 10_000];
const ROUNDS = 3;
/** The goals: 5,000 workers installed and removed in under 5 s; 5,000 / 500 at most 12. */
const GOAL_5000_MS = 5_000;
const GOAL_RATIO = 12;

function workers(count: number): Fixture {
  const objects = [...workerNodes(count, 5), ...openshiftPools()];
  return { source: `${count} workers`, objects: objects.map((object, i) => ({ object, where: `object ${i}` })), events: [] };
}

async function installAndRemove(count: number): Promise<{ installMs: number; removeMs: number }> {
  const twin = await EmbeddedCluster.open({ fixture: workers(count), clock: "virtual", operators: { nodeUpdateMs: NODE_UPDATE_MS } });
  const ref = { apiVersion: "kataconfiguration.openshift.io/v1", kind: "KataConfig", name: "bench" };
  const span = (count + 1) * NODE_UPDATE_MS;
  let start = performance.now();
  await twin.apply({ ...ref, metadata: { name: "bench" }, spec: {} });
  await twin.advance(span);
  const installed = (await twin.get(ref))?.status as { kataNodes?: { readyNodeCount: number } } | undefined;
  if (installed?.kataNodes?.readyNodeCount !== count) throw new Error(`install did not finish: ${JSON.stringify(installed?.kataNodes).slice(0, 200)}`);
  const installMs = performance.now() - start;
  start = performance.now();
  await twin.delete(ref);
  await twin.advance(span);
  if (await twin.get(ref)) throw new Error("removal did not finish");
  const removeMs = performance.now() - start;
  await twin.close();
  return { installMs, removeMs };
}

export async function run(): Promise<Figure[]> {
  const install = new Map<number, number[]>(SIZES.map((size) => [size, []]));
  const removal = new Map<number, number[]>(SIZES.map((size) => [size, []]));
  await installAndRemove(SIZES[0]!); // warm up the JIT
  for (let round = 0; round < ROUNDS; round++) {
    for (const size of SIZES) {
      const { installMs, removeMs } = await installAndRemove(size);
      install.get(size)!.push(installMs);
      removal.get(size)!.push(removeMs);
    }
  }
  const total = (size: number) => median(install.get(size)!) + median(removal.get(size)!);
  console.log(`twin-kata-install: median of ${ROUNDS} rounds, the sizes in turn in each, node update ${NODE_UPDATE_MS / 60_000} min of virtual time`);
  console.log("  workers  install ms  removal ms   total ms  total / 500's");
  for (const size of SIZES) {
    console.log(`  ${String(size).padStart(7)}  ${median(install.get(size)!).toFixed(0).padStart(10)}  ${median(removal.get(size)!).toFixed(0).padStart(10)}  ${total(size).toFixed(0).padStart(9)}  ${(total(size) / total(500)).toFixed(1).padStart(13)}`);
  }
  const ratio = total(5_000) / total(500);
  console.log(`  5,000 workers: ${(total(5_000) / 1000).toFixed(2)} s (goal < ${GOAL_5000_MS / 1000} s); 5,000 / 500: ${ratio.toFixed(1)} (linear 10, goal ≤ ${GOAL_RATIO}); 10,000 / 5,000: ${(total(10_000) / total(5_000)).toFixed(1)} (linear 2)`);
  return SIZES.flatMap((size) => [
    { name: "twin KataConfig install", size, ms: Number(median(install.get(size)!).toFixed(1)) },
    { name: "twin KataConfig removal", size, ms: Number(median(removal.get(size)!).toFixed(1)) },
  ]);
}
