import { performance } from "node:perf_hooks";
import type { Fixture } from "../provider/cluster/twin";
import { EmbeddedCluster } from "../provider/wiring";
import type { KubeObject } from "../provider/k8s/meta";
import type { Figure } from "./timing";

// A whole KataConfig install and removal on the twin's virtual time, for clusters of N workers.
// Real time only: the virtual hours it covers (N node updates, one at a time) cost nothing.

const NODE_UPDATE_MS = 5 * 60_000;

function workers(count: number): Fixture {
  const objects: KubeObject[] = Array.from({ length: count }, (_, i) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: `worker-${String(i).padStart(5, "0")}`,
      labels: { "node-role.kubernetes.io/worker": "" },
      annotations: {
        "machineconfiguration.openshift.io/state": "Done",
        "machineconfiguration.openshift.io/currentConfig": "rendered-worker-1",
        "machineconfiguration.openshift.io/desiredConfig": "rendered-worker-1",
      },
    },
  }));
  // OpenShift always has the master and worker pools (with only worker and kata-oc, the operator
  // would take the cluster for a compact one once the workers moved to kata-oc).
  for (const pool of ["master", "worker"]) {
    objects.push({
      apiVersion: "machineconfiguration.openshift.io/v1",
      kind: "MachineConfigPool",
      metadata: { name: pool, labels: { [`pools.operator.machineconfiguration.openshift.io/${pool}`]: "" } },
      spec: {
        configuration: { name: `rendered-${pool}-1` },
        machineConfigSelector: { matchLabels: { "machineconfiguration.openshift.io/role": pool } },
        nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${pool}`]: "" } },
      },
    });
  }
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
  const figures: Figure[] = [];
  for (const size of [100, 1_000, 5_000]) {
    const { installMs, removeMs } = await installAndRemove(size);
    figures.push({ name: "twin KataConfig install", size, ms: Number(installMs.toFixed(1)) });
    figures.push({ name: "twin KataConfig removal", size, ms: Number(removeMs.toFixed(1)) });
  }
  return figures;
}
