import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { TwinCluster, ObjectStore, StateFile } from "../provider/cluster/twin";
import type { KubeObject } from "../provider/k8s/meta";

// How the embedded twin scales with the number of objects. The store alone is what controllers hit on
// every pass; the state-file numbers are per whole transaction, because every call reads and rewrites
// the file (one JSON document), so they grow with the size of the cluster.

export interface BenchResult {
  name: string;
  size: number;
  ms: number;
}

const start = new Date("2025-01-01T00:00:00Z");

function node(i: number, generation = 0): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: `node-${i}`,
      labels: { "kubernetes.io/hostname": `node-${i}`, pool: `pool-${i % 10}` },
      annotations: { "machineconfiguration.openshift.io/state": "Done", revision: String(generation) },
    },
    spec: { providerID: `twin:///node-${i}`, unschedulable: generation % 2 === 1 },
  };
}

async function time(name: string, size: number, body: () => unknown): Promise<BenchResult> {
  const began = performance.now();
  await body();
  return { name, size, ms: Math.round((performance.now() - began) * 100) / 100 };
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const nodes = { apiVersion: "v1", kind: "Node" };

  for (const size of [100, 1_000, 5_000]) {
    const store = new ObjectStore(() => start);
    results.push(await time("twin store: apply (create)", size, () => {
      for (let i = 0; i < size; i++) store.apply(node(i));
    }));
    results.push(await time("twin store: apply (update spec)", size, () => {
      for (let i = 0; i < size; i++) store.apply(node(i, 1));
    }));
    results.push(await time("twin store: list all", size, () => store.list(nodes)));
    results.push(await time("twin store: list by label selector (1 in 10)", size, () =>
      store.list(nodes, { labelSelector: { matchLabels: { pool: "pool-3" } } }),
    ));

    const cluster = await TwinCluster.open({ startTime: start });
    results.push(await time("embedded twin in memory: apply, one transaction each", size, async () => {
      for (let i = 0; i < size; i++) await cluster.apply(node(i));
    }));
    results.push(await time("embedded twin in memory: list by label selector", size, () =>
      cluster.list(nodes, { labelSelector: { matchLabels: { pool: "pool-3" } } }),
    ));

    const dir = mkdtempSync(join(tmpdir(), "twin-bench-"));
    try {
      const file = new StateFile(join(dir, "twin.json"));
      const state = { time: start.toISOString(), clock: { mode: "virtual" as const }, schedule: [], ...store.dump() };
      results.push(await time("state file: write (temp file, fsync, rename)", size, () => file.write(state)));
      results.push(await time("state file: read and validate", size, () => file.read()));
      if (size <= 1_000) {
        // Each call locks, re-reads only if another process wrote, runs, and rewrites the whole file.
        const filed = await TwinCluster.open({ startTime: start, stateFile: join(dir, "filed.json") });
        results.push(await time("embedded twin with state file: apply, one transaction each", size, async () => {
          for (let i = 0; i < size; i++) await filed.apply(node(i));
        }));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

if (require.main === module) {
  run().then(
    (results) => console.table(results),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
