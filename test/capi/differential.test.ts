import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubernetesCluster } from "../../provider/cluster/kubernetes";
import { DevCluster } from "../../tools/dev-cluster/dev-cluster";
import { repoRoot } from "../../tools/dev-cluster/binaries";
import { cleanUp, runBatch, type ScenarioResult } from "./batch";
import { generateScenarios, seedScenarios, type Scenario } from "./generator";
import { remediationCrds } from "./objects";

// The MachineHealthCheck semantics against the judge: Cluster API v1.10.10's own MachineHealthCheck
// controller (tools/capi) on a real kube-apiserver. Every scenario is applied, the controller's writes
// are read back once it has settled, and compared with what evaluateMachineHealthCheck and our
// controller step say for the same objects at the same time (compare.ts). Every disagreement fails the
// test: it is a bug in our code until shown otherwise (and, if it ever is, the README names it with its
// reason; none does today). The comparison is left in .state/capi-differential.json.

const SEED = Number(process.env.MHC_DIFFERENTIAL_SEED ?? 20251130);
const GENERATED = Number(process.env.MHC_DIFFERENTIAL_CASES ?? 220);
const BATCH_SIZE = 40;

const scenarios: Scenario[] = [...seedScenarios(), ...generateScenarios(SEED, GENERATED)];
const results: ScenarioResult[] = [];
let cluster: DevCluster;
let client: KubernetesCluster;
let failed = false;

beforeAll(async () => {
  cluster = await DevCluster.start({ capi: "upstream", operator: false, log: (line) => process.stderr.write(`[dev-cluster] ${line}\n`) });
  client = await cluster.client({ fieldManager: "mhc-differential" });
  for (const crd of remediationCrds()) await client.apply(crd);
  await waitForCrds(client);
});

afterAll(async () => {
  await client?.close();
  await cluster?.stop({ removeState: !failed });
  if (failed && cluster) process.stderr.write(`[dev-cluster] logs kept in ${cluster.stateDir} (capi-manager.log)\n`);
});

describe(`MachineHealthCheck against Cluster API v1.10.10's controller (${scenarios.length} scenarios, seed ${SEED})`, () => {
  const batches: Scenario[][] = [];
  for (let i = 0; i < scenarios.length; i += BATCH_SIZE) batches.push(scenarios.slice(i, i + BATCH_SIZE));

  it.each(batches.map((batch, i) => [i + 1, batch] as const))("batch %i agrees with the real controller", async (index, batch) => {
    const batchResults = await runBatch({ client, kubeconfig: readFileSync(cluster.kubeconfigPath, "utf8"), batch: String(index), scenarios: batch, log: (l) => process.stderr.write(`[differential] ${l}\n`) });
    results.push(...batchResults);
    await cleanUp(client, String(index));
    const disagreeing = batchResults.filter((r) => r.disagreements.length > 0);
    if (disagreeing.length > 0) failed = true;
    expect(disagreeing.map(describeResult)).toEqual([]);
    expect(batchResults).toHaveLength(batch.length);
  });

  it("agrees on every scenario, the seed's worked examples among them", () => {
    const agreeing = results.filter((r) => r.disagreements.length === 0).length;
    const summary = `${agreeing}/${results.length} scenarios agree (seed ${SEED}; ${seedScenarios().length} of them the seed's worked examples)`;
    process.stderr.write(`[differential] ${summary}\n`);
    const dir = join(repoRoot, ".state");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "capi-differential.json"), `${JSON.stringify({ summary, seed: SEED, results: results.map((r) => ({ id: r.scenario.id, title: r.scenario.title, disagreements: r.disagreements })) }, null, 2)}\n`);
    expect(results).toHaveLength(scenarios.length);
    expect(results.filter((r) => r.scenario.id.startsWith("seed-"))).toHaveLength(seedScenarios().length);
    expect(agreeing).toBe(results.length);
  });
});

function describeResult(result: ScenarioResult): string {
  const lines = result.disagreements.map((d) => `  ${d.what}:\n    ours:     ${JSON.stringify(d.ours)}\n    upstream: ${JSON.stringify(d.upstream)}`);
  return `${result.scenario.id} (${result.scenario.title}):\n${lines.join("\n")}\n  scenario: ${JSON.stringify(result.scenario)}`;
}

async function waitForCrds(c: KubernetesCluster): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await c.list({ apiVersion: "remediation.cluster-runtime.test/v1alpha1", kind: "ExampleRemediation" });
      await c.list({ apiVersion: "remediation.cluster-runtime.test/v1alpha1", kind: "ExampleRemediationTemplate" });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}
