import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubernetesCluster } from "../provider/cluster/kubernetes";
import { KATA_API_VERSION, KATA_KIND, type KataConfig } from "../provider/kata/model";
import { waitFor } from "../provider/lifecycle/wait";
import { DevCluster } from "../tools/dev-cluster/dev-cluster";
import type { WriteRecord } from "../tools/dev-cluster/write-log";
import { type Figure, median as medianOf } from "./timing";

// Our watch-driven wait against `kubectl wait --for=jsonpath=...`, on the dev cluster (a real
// kube-apiserver, the operator process writing the statuses). Both start at the same moment, right
// after the KataConfig is applied; each run measures, from the moment the operator sent the status
// write that makes readyNodeCount reach the node count, how long until each wait returned, and how
// many API requests each made. kubectl's requests are its -v=6 request log lines; its discovery
// cache is warmed by an unmeasured first run, as it would be for a user.

const NODES = 2;
const RUNS = 5;
const WARMUP = 1;
const NODE_UPDATE_MS = 1500;
/** One more run whose wait lasts about two minutes, for the requests a long wait makes. */
const LONG_NODE_UPDATE_MS = 60_000;
const ref = { apiVersion: KATA_API_VERSION, kind: KATA_KIND, name: "example-kataconfig" };

interface Sample {
  oursMs: number;
  kubectlMs: number;
  oursRequests: number;
  kubectlRequests: number;
  /** How long the final status write itself took (sent → confirmed). */
  writeMs: number;
  /** Whether kubectl was already watching when the status became final (it must be, for a fair race). */
  kubectlWatched: boolean;
  /** How long the whole wait lasted. */
  waitedMs: number;
}

export async function run(): Promise<Figure[]> {
  const samples = await samplesOn(NODE_UPDATE_MS, WARMUP, RUNS);
  const [long] = await samplesOn(LONG_NODE_UPDATE_MS, 1, 1);
  const ours = median(samples.map((s) => s.oursMs));
  const theirs = median(samples.map((s) => s.kubectlMs));
  const oursRequests = median(samples.map((s) => s.oursRequests));
  const kubectlRequests = median(samples.map((s) => s.kubectlRequests));
  console.log(`kubectl-wait: ${RUNS} runs (after ${WARMUP} warm-up), ${NODES} nodes, node update ${NODE_UPDATE_MS} ms`);
  console.log("  run  ours ms  kubectl ms  ours req  kubectl req  final write ms  kubectl watched");
  samples.forEach((s, i) =>
    console.log(`  ${String(i + 1).padStart(3)}  ${s.oursMs.toFixed(1).padStart(7)}  ${s.kubectlMs.toFixed(1).padStart(10)}  ${String(s.oursRequests).padStart(8)}  ${String(s.kubectlRequests).padStart(11)}  ${s.writeMs.toFixed(1).padStart(14)}  ${s.kubectlWatched}`),
  );
  console.log(`  median latency: ours ${ours} ms, kubectl ${theirs} ms, ratio ${(ours / theirs).toFixed(3)} (goal ≤ 1.0)`);
  console.log(`  median requests: ours ${oursRequests}, kubectl ${kubectlRequests} (goal: ours ≤ kubectl + 2)`);
  console.log(`  a ${((long!.waitedMs) / 1000).toFixed(0)} s wait (node update ${LONG_NODE_UPDATE_MS / 1000} s): requests ours ${long!.oursRequests}, kubectl ${long!.kubectlRequests}; latency ours ${long!.oursMs} ms, kubectl ${long!.kubectlMs} ms`);
  return [
    { name: "wait latency after final status, ours", size: NODES, ms: ours },
    { name: "wait latency after final status, kubectl", size: NODES, ms: theirs },
  ];
}

/** `runs` measured samples (after `warmup` unmeasured ones) on a dev cluster of its own. */
async function samplesOn(nodeUpdateMs: number, warmup: number, runs: number): Promise<Sample[]> {
  const cluster = await DevCluster.start({ fixture: "fixtures/two-workers.yaml", nodeUpdateMs });
  const cacheDir = mkdtempSync(join(tmpdir(), "kubectl-cache-"));
  const admin = await cluster.client();
  const samples: Sample[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const sample = await once(cluster, admin, cacheDir);
      if (i >= warmup) samples.push(sample);
      await admin.delete(ref);
      await waitFor({ client: admin, ref, what: "the KataConfig to be removed", limitMs: 600_000, evaluate: (o) => (o ? { state: "waiting", progress: "still there" } : { state: "done", value: true }) });
    }
  } finally {
    await admin.close();
    await cluster.stop({ removeState: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
  return samples;
}

async function once(cluster: DevCluster, admin: KubernetesCluster, cacheDir: string): Promise<Sample> {
  await admin.apply({ apiVersion: KATA_API_VERSION, kind: KATA_KIND, metadata: { name: ref.name }, spec: {} });
  const startedAt = Date.now();
  const kubectl = runKubectl(cluster, cacheDir);
  // A client of its own, so that its request count is the wait's alone.
  const client = await cluster.client();
  const oursDone = waitFor({
    client,
    ref,
    what: `readyNodeCount to reach ${NODES}`,
    limitMs: 600_000,
    evaluate: (object) => {
      const ready = (object as KataConfig | undefined)?.status?.kataNodes?.readyNodeCount;
      return ready === NODES ? { state: "done", value: true } : { state: "waiting", progress: `readyNodeCount ${ready}` };
    },
  }).then(() => Date.now()); // when the wait has returned (its watch closed), as a caller sees it
  const [oursAt, kubectlResult] = await Promise.all([oursDone, kubectl]);
  const oursRequests = client.requestCount;
  await client.close();
  const final = finalWrite(cluster, startedAt);
  return {
    oursMs: oursAt - final.sentAt,
    kubectlMs: kubectlResult.exitedAt - final.sentAt,
    oursRequests,
    kubectlRequests: kubectlResult.requests,
    waitedMs: oursAt - startedAt,
    writeMs: final.doneAt - final.sentAt,
    kubectlWatched: kubectlResult.watchStartedAt !== undefined && kubectlResult.watchStartedAt < final.sentAt,
  };
}

function runKubectl(cluster: DevCluster, cacheDir: string): Promise<{ exitedAt: number; requests: number; watchStartedAt?: number }> {
  return new Promise((resolve, reject) => {
    const args = ["--kubeconfig", cluster.kubeconfigPath, "--cache-dir", cacheDir, "-v=6", "wait", `kataconfig/${ref.name}`, `--for=jsonpath={.status.kataNodes.readyNodeCount}=${NODES}`, "--timeout=600s"];
    const child = spawn("kubectl", args, { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    let watchStartedAt: number | undefined;
    child.stderr.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (watchStartedAt === undefined && /round_trippers\.go:\d+\] GET \S+[?&]watch=true/.test(log)) watchStartedAt = Date.now();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const exitedAt = Date.now();
      if (code !== 0) return reject(new Error(`kubectl wait exited with ${code}: ${log.split("\n").slice(-5).join(" | ")}`));
      const requests = log.split("\n").filter((line) => /round_trippers\.go:\d+\] (GET|POST|PUT|PATCH|DELETE) https?:\/\//.test(line)).length;
      resolve({ exitedAt, requests, ...(watchStartedAt !== undefined ? { watchStartedAt } : {}) });
    });
  });
}

/** The operator's status write that first made readyNodeCount reach the node count in this run. */
function finalWrite(cluster: DevCluster, since: number): WriteRecord {
  const records = readFileSync(cluster.operatorWrites, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as WriteRecord);
  const final = records.find(
    (r) => r.op === "patchStatus" && r.ref.kind === KATA_KIND && r.sentAt >= since && (r.status as KataConfig["status"])?.kataNodes?.readyNodeCount === NODES,
  );
  if (!final) throw new Error("the operator's write log has no final status for this run");
  return final;
}

function median(values: number[]): number {
  return Number(medianOf(values).toFixed(1));
}

if (require.main === module) {
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
