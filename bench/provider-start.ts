import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import * as path from "node:path";
import type { Figure } from "./timing";

// What a provider process pays before it answers the engine's first call: Node's own start-up
// (`node -e 0`), against loading "pulumi-cluster-runtime/provider" as the dynamic provider does and
// answering one check of a KataConfig on the twin. Measured side by side, alternating, in one run, so
// that a busy machine slows both alike; the figure that counts is the ratio (goal ≤ 2). Run `npm run
// build` first: the package is loaded as a program loads it, built.

const RUNS = 21;
const programDir = path.join(__dirname, "..", "examples", "quickstart");
const node = process.execPath;

const check = `
  const { providers } = require("pulumi-cluster-runtime/provider");
  const result = providers.kataConfig.check({}, { metadata: { name: "k" }, spec: { logLevel: "info" }, cluster: { embedded: { fixture: "two-workers" } } });
  if (result.failures.length) throw new Error(JSON.stringify(result.failures));`;

const variants: Record<string, string[]> = {
  "node -e 0": ["-e", "0"],
  "require provider + one twin check": ["-e", check],
};

function timeOnce(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(node, args, { cwd: programDir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${result.stderr}`);
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.floor(sorted.length / 2)]!.toFixed(1));
}

export async function run(): Promise<Figure[]> {
  for (const args of Object.values(variants)) timeOnce(args); // warm the disk and Node's compile cache
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (let i = 0; i < RUNS; i++) for (const [name, args] of Object.entries(variants)) times[name]!.push(timeOnce(args));
  const medians = Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
  const base = medians["node -e 0"]!;
  console.log(`provider-start: median of ${RUNS} alternating runs from ${programDir}`);
  for (const [name, ms] of Object.entries(medians)) console.log(`  ${name.padEnd(36)} ${String(ms).padStart(7)} ms  ${(ms / base).toFixed(2)}x node -e 0`);
  return Object.entries(medians).map(([name, ms]) => ({ name, size: 1, ms }));
}
