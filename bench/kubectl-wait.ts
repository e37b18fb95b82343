import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as yaml from "yaml";
import type { KubernetesCluster } from "../provider/cluster/kubernetes";
import { KATA_API_VERSION, KATA_KIND, type KataConfig } from "../provider/kata/model";
import { waitFor } from "../provider/lifecycle/wait";
import { DevCluster } from "../tools/dev-cluster/dev-cluster";
import { wallClockMs, type WriteRecord } from "../tools/dev-cluster/write-log";
import { KATA_URN, type PluginProcess, standInEngine, startPlugin } from "./plugin-process";
import { type Figure, median as medianOf } from "./timing";

// Three waits for the same KataConfig install on the dev cluster (a real kube-apiserver, the operator
// process writing the statuses), side by side in each run:
// - ours: the library's watch-driven wait (waitFor) until readyNodeCount reaches the node count;
// - kubectl: `kubectl wait --for=jsonpath=...` for the same;
// - the plugin: pulumi-resource-cluster-runtime's Create of the KataConfig, as the engine calls it,
//   which applies it and follows the install until it is done (each node installed, the pool
//   finished, the RuntimeClass there).
// Each run measures, from the moment the operator sent the status write that makes readyNodeCount
// reach the node count, how long until each returned, and how many API requests each made. kubectl's
// requests are its -v=6 request log lines (its discovery cache warmed by an unmeasured first run, as
// it would be for a user); ours are its client's count; the plugin's go through a proxy that counts
// them (plain HTTP to the proxy, which adds the TLS and the client certificate), split into those of
// the create up to its apply (the rights check, the look for a KataConfig of another stack, the
// watches and lists its wait starts with) and those after it (what the wait asks while it goes on).

const NODES = 2;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const WARMUP = 1;
const NODE_UPDATE_MS = 1500;
/** One more run whose wait lasts about two minutes, for the requests a long wait makes. */
const LONG_NODE_UPDATE_MS = 60_000;
const ref = { apiVersion: KATA_API_VERSION, kind: KATA_KIND, name: "example-kataconfig" };

interface Sample {
  oursMs: number;
  kubectlMs: number;
  pluginMs: number;
  oursRequests: number;
  kubectlRequests: number;
  /** The plugin's requests after its apply of the KataConfig: what its wait asks as it goes on. */
  pluginWaitRequests: number;
  /** All of the plugin's requests for the create. */
  pluginRequests: number;
  /** How long the final status write itself took (sent → confirmed). */
  writeMs: number;
  /** Whether kubectl was already watching when the status became final (it must be, for a fair race). */
  kubectlWatched: boolean;
  /** How long the whole wait lasted. */
  waitedMs: number;
}

export async function run(): Promise<Figure[]> {
  const samples = await samplesOn(NODE_UPDATE_MS, WARMUP, RUNS);
  const [long] = process.env.BENCH_DEBUG ? samples : await samplesOn(LONG_NODE_UPDATE_MS, 1, 1);
  const of = (pick: (s: Sample) => number) => median(samples.map(pick));
  const [ours, theirs, plugin] = [of((s) => s.oursMs), of((s) => s.kubectlMs), of((s) => s.pluginMs)];
  console.log(`kubectl-wait: ${RUNS} runs (after ${WARMUP} warm-up), ${NODES} nodes, node update ${NODE_UPDATE_MS} ms; latency from the final status write, requests of each`);
  console.log("  run  ours ms  kubectl ms  plugin ms  ours req  kubectl req  plugin req (after apply + up to it)  final write ms  kubectl watched");
  samples.forEach((s, i) =>
    console.log(
      `  ${String(i + 1).padStart(3)}  ${s.oursMs.toFixed(1).padStart(7)}  ${s.kubectlMs.toFixed(1).padStart(10)}  ${s.pluginMs.toFixed(1).padStart(9)}  ${String(s.oursRequests).padStart(8)}  ${String(s.kubectlRequests).padStart(11)}  ${`${s.pluginWaitRequests} + ${s.pluginRequests - s.pluginWaitRequests}`.padStart(34)}  ${s.writeMs.toFixed(1).padStart(14)}  ${s.kubectlWatched}`,
    ),
  );
  console.log(`  median latency: ours ${ours} ms, kubectl ${theirs} ms, plugin ${plugin} ms; ours / kubectl ${(ours / theirs).toFixed(2)} (goal ≤ 0.5), plugin / kubectl ${(plugin / theirs).toFixed(2)}`);
  console.log(`  median requests: ours ${of((s) => s.oursRequests)}, kubectl ${of((s) => s.kubectlRequests)} (goal: ours ≤ kubectl), plugin's after its apply ${of((s) => s.pluginWaitRequests)} (its whole create ${of((s) => s.pluginRequests)})`);
  console.log(
    `  a ${(long!.waitedMs / 1000).toFixed(0)} s wait (node update ${LONG_NODE_UPDATE_MS / 1000} s): requests ours ${long!.oursRequests}, kubectl ${long!.kubectlRequests}, plugin's after its apply ${long!.pluginWaitRequests} (create ${long!.pluginRequests}); latency ours ${long!.oursMs} ms, kubectl ${long!.kubectlMs} ms, plugin ${long!.pluginMs} ms`,
  );
  return [
    { name: "wait latency after final status, ours", size: NODES, ms: ours },
    { name: "wait latency after final status, kubectl", size: NODES, ms: theirs },
    { name: "wait latency after final status, plugin", size: NODES, ms: plugin },
  ];
}

/** `runs` measured samples (after `warmup` unmeasured ones) on a dev cluster of its own. */
async function samplesOn(nodeUpdateMs: number, warmup: number, runs: number): Promise<Sample[]> {
  const cluster = await DevCluster.start({ fixture: "fixtures/two-workers.yaml", nodeUpdateMs });
  const cacheDir = mkdtempSync(join(tmpdir(), "kubectl-cache-"));
  const admin = await cluster.client();
  const proxy = await countingProxy(cluster.kubeconfigPath);
  const engine = await standInEngine();
  const plugin = await startPlugin(engine.address, cacheDir);
  const samples: Sample[] = [];
  try {
    for (let i = 0; i < warmup + runs; i++) {
      const sample = await once(cluster, admin, cacheDir, plugin, proxy);
      if (i >= warmup) samples.push(sample);
      if (i === warmup + runs - 1) break; // the cluster goes with what is on it
      await admin.delete(ref);
      await waitFor({ client: admin, ref, what: "the KataConfig to be removed", limitMs: 600_000, evaluate: (o) => (o ? { state: "waiting", progress: "still there" } : { state: "done", value: true }) });
    }
  } finally {
    plugin.stop();
    engine.stop();
    proxy.close();
    await admin.close();
    await cluster.stop({ removeState: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
  return samples;
}

async function once(cluster: DevCluster, admin: KubernetesCluster, cacheDir: string, plugin: PluginProcess, proxy: CountingProxy): Promise<Sample> {
  proxy.requests.length = 0;
  const inputs = { metadata: { name: ref.name }, spec: {}, cluster: { kubeconfig: proxy.kubeconfig }, timeouts: { create: "10m" } };
  const pluginDone = plugin.checkAndCreate(KATA_URN, inputs).then(() => wallClockMs());
  // kubectl wait refuses an object that does not exist: the others start once the plugin applied it.
  await waitFor({ client: admin, ref, what: "the plugin to apply the KataConfig", limitMs: 60_000, evaluate: (o) => (o ? { state: "done", value: true } : { state: "waiting", progress: "not yet" }) });
  const startedAt = wallClockMs();
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
  }).then(() => wallClockMs()); // when the wait has returned (its watch closed), as a caller sees it
  const [oursAt, kubectlResult, pluginAt] = await Promise.all([oursDone, kubectl, pluginDone]);
  const oursRequests = client.requestCount;
  await client.close();
  const final = finalWrite(cluster, startedAt);
  const applied = proxy.requests.findIndex((r) => r.method === "PATCH" && r.path.includes("/kataconfigs/"));
  if (process.env.BENCH_DEBUG) for (const r of proxy.requests.filter((q) => q.at > final.sentAt - 50)) console.log(`    ${(r.at - final.sentAt).toFixed(1)} → ${((r.done ?? NaN) - final.sentAt).toFixed(1)} ms ${r.method} ${r.path}`);
  if (process.env.BENCH_DEBUG) console.log(`    plugin answered ${(pluginAt - final.sentAt).toFixed(1)} ms; final write at ${final.sentAt.toFixed(1)}`);
  return {
    oursMs: oursAt - final.sentAt,
    kubectlMs: kubectlResult.exitedAt - final.sentAt,
    pluginMs: pluginAt - final.sentAt,
    oursRequests,
    kubectlRequests: kubectlResult.requests,
    pluginWaitRequests: applied < 0 ? proxy.requests.length : proxy.requests.length - applied - 1,
    pluginRequests: proxy.requests.length,
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
      if (watchStartedAt === undefined && /round_trippers\.go:\d+\] GET \S+[?&]watch=true/.test(log)) watchStartedAt = wallClockMs();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const exitedAt = wallClockMs();
      if (code !== 0) return reject(new Error(`kubectl wait exited with ${code}: ${log.split("\n").slice(-5).join(" | ")}`));
      const requests = log.split("\n").filter((line) => /round_trippers\.go:\d+\] (GET|POST|PUT|PATCH|DELETE) https?:\/\//.test(line)).length;
      resolve({ exitedAt, requests, ...(watchStartedAt !== undefined ? { watchStartedAt } : {}) });
    });
  });
}

interface CountingProxy {
  /** A kubeconfig (YAML) that sends a client through the proxy. */
  kubeconfig: string;
  requests: Array<{ method: string; path: string; at: number; done?: number }>;
  close(): void;
}

/**
 * Plain HTTP on loopback to the dev cluster's API server, as its admin (the TLS and the client
 * certificate added here), counting every request; watches stream through as they come.
 */
async function countingProxy(kubeconfigPath: string): Promise<CountingProxy> {
  const config = yaml.parse(readFileSync(kubeconfigPath, "utf8")) as {
    clusters: Array<{ cluster: { server: string; "certificate-authority-data": string } }>;
    users: Array<{ user: { "client-certificate-data": string; "client-key-data": string } }>;
  };
  const { server, "certificate-authority-data": ca } = config.clusters[0]!.cluster;
  const { "client-certificate-data": cert, "client-key-data": key } = config.users[0]!.user;
  const decode = (data: string) => Buffer.from(data, "base64");
  const agent = new https.Agent({ ca: decode(ca), cert: decode(cert), key: decode(key), keepAlive: true });
  const requests: CountingProxy["requests"] = [];
  const proxy = http.createServer((request, response) => {
    const record: CountingProxy["requests"][number] = { method: request.method ?? "", path: request.url ?? "", at: wallClockMs() };
    requests.push(record);
    response.on("finish", () => (record.done = wallClockMs()));
    const upstream = https.request(new URL(request.url ?? "/", server), { method: request.method, headers: { ...request.headers, host: new URL(server).host }, agent }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on("error", () => response.destroy());
    // A client gone before the answer (a closed watch) ends the upstream request; a finished one leaves its socket to the pool.
    response.on("close", () => {
      if (!response.writableFinished) upstream.destroy();
    });
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const port = (proxy.address() as { port: number }).port;
  const kubeconfig = yaml.stringify({
    apiVersion: "v1",
    kind: "Config",
    // Plain HTTP on loopback: the client wants to be told that no TLS is meant.
    clusters: [{ name: "proxy", cluster: { server: `http://127.0.0.1:${port}`, "insecure-skip-tls-verify": true } }],
    users: [{ name: "proxy", user: {} }],
    contexts: [{ name: "proxy", context: { cluster: "proxy", user: "proxy" } }],
    "current-context": "proxy",
  });
  return {
    kubeconfig,
    requests,
    close: () => {
      proxy.closeAllConnections();
      proxy.close();
      agent.destroy();
    },
  };
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
