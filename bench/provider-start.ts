import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { providerProto, toStruct } from "../provider/plugin/rpc";
import { KATA_URN, standInEngine, startPlugin } from "./plugin-process";
import { type Figure, median } from "./timing";

// What a provider process pays before it answers the engine's first call, against Node's own start-up
// (`node -e 0`, spawn to exit):
// - the dynamic provider: loading "pulumi-cluster-runtime/provider" as the serialized provider does,
//   and answering one check of a KataConfig on the twin (spawn to exit);
// - the plugin, started as its launcher starts it (node bin/plugin/main.js <engine>): spawn
//   to the answer of GetSchema and then of one Check of a KataConfig on the twin, the calls the
//   engine makes first.
// Measured side by side, alternating, in one run, so that a busy machine slows all alike; the figures
// that count are the ratios (goal ≤ 2). Run `npm run build` first: the package is loaded as a program
// loads it, built.

const RUNS = 21;
const programDir = path.join(__dirname, "..", "examples", "quickstart");
const node = process.execPath;
const kataInputs = { metadata: { name: "k" }, spec: { logLevel: "info" }, cluster: { embedded: { fixture: "two-workers" } } };

const check = `
  const { providers } = require("pulumi-cluster-runtime/provider");
  providers.kataConfig.check({}, ${JSON.stringify(kataInputs)}).then((result) => {
    if (result.failures.length) throw new Error(JSON.stringify(result.failures));
  });`;

/** Spawn to exit. */
function timeExit(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(node, args, { cwd: programDir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} failed: ${result.stderr}`);
  return performance.now() - start;
}

/** Spawn to the answer of GetSchema, then of a Check; the plugin is stopped afterwards (not timed). */
async function timePlugin(engineAddress: string): Promise<number> {
  const start = performance.now();
  const plugin = await startPlugin(engineAddress, programDir);
  try {
    await plugin.call("getSchema", new providerProto.GetSchemaRequest());
    const request = new providerProto.CheckRequest().setUrn(KATA_URN).setOlds(toStruct({})).setNews(toStruct(kataInputs));
    const response = await plugin.call<InstanceType<typeof providerProto.CheckResponse>>("check", request);
    if (response.getFailuresList().length) throw new Error(`the plugin's check failed: ${response.getFailuresList().map((f) => f.getReason()).join("; ")}`);
    return performance.now() - start;
  } finally {
    plugin.stop();
  }
}

export async function run(): Promise<Figure[]> {
  const engine = await standInEngine();
  try {
    const variants: Record<string, () => Promise<number>> = {
      "node -e 0": async () => timeExit(["-e", "0"]),
      "dynamic provider: require + one twin check": async () => timeExit(["-e", check]),
      "plugin: start to GetSchema + one twin Check": () => timePlugin(engine.address),
    };
    for (const measure of Object.values(variants)) await measure(); // warm the disk and Node's compile cache
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
    for (let i = 0; i < RUNS; i++) for (const [name, measure] of Object.entries(variants)) times[name]!.push(await measure());
    const medians = Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
    const base = medians["node -e 0"]!;
    console.log(`provider-start: median of ${RUNS} alternating runs from ${programDir} (goal: each ≤ 2x node -e 0)`);
    for (const [name, ms] of Object.entries(medians)) console.log(`  ${name.padEnd(46)} ${ms.toFixed(1).padStart(7)} ms  ${(ms / base).toFixed(2)}x node -e 0`);
    return Object.entries(medians).map(([name, ms]) => ({ name, size: 1, ms: Number(ms.toFixed(1)) }));
  } finally {
    engine.stop();
  }
}
