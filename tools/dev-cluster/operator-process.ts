import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClusterClient } from "../../provider/cluster/client";
import type { Controller } from "../../provider/cluster/controller";
import { openKubernetesCluster } from "../../provider/cluster/kubernetes";
import { kinds } from "../../provider/k8s/api-types";
import { MACHINE_HEALTH_CHECK_CONTROLLER, type OperatorTimings, simulatedOperators } from "../../provider/wiring";
import { ControllerLoop } from "./controller-loop";
import { ownerReferenceCollector } from "./garbage-collector";
import { recordWrites } from "./write-log";
import { workloadAccessController } from "./workload-kubeconfig";

// The dev cluster's operator process: the twin's controllers (KataConfig operator, Machine Config
// Operator rollout, Cluster API's health check, owner remediation and infrastructure) plus garbage
// collection by owner reference, run against the API server through the Kubernetes backend.
//
//   tsx tools/dev-cluster/operator-process.ts --kubeconfig <file> --state-dir <dir> [--node-update-ms 3000] [--node-startup-ms 3000]
//                                             [--capi twin|upstream]

export interface OperatorSettings extends OperatorTimings {
  /**
   * "upstream": Cluster API's own MachineHealthCheck controller runs beside this process (tools/capi), so
   * the twin's is left out, and every Cluster gets the kubeconfig Secret upstream reads its Nodes through.
   */
  capi?: "twin" | "upstream";
  /** The kubeconfig (YAML) the workload kubeconfig Secrets hold, with capi "upstream". */
  kubeconfig?: string;
}

export function devClusterControllers(settings: OperatorSettings): Controller[] {
  // The twin's operators, plus what kube-controller-manager would do here: the RuntimeClasses a
  // deleted KataConfig owned go with it, and so do the MachineConfigs of a deleted pool or
  // ContainerRuntimeConfig.
  const simulated = simulatedOperators(settings).controllers;
  const collector = ownerReferenceCollector([kinds.runtimeClass, kinds.machineConfig]);
  if (settings.capi !== "upstream") return [...simulated, collector];
  return [...simulated.filter((c) => c.name !== MACHINE_HEALTH_CHECK_CONTROLLER), workloadAccessController(settings.kubeconfig ?? ""), collector];
}

export const watchedKinds = [
  kinds.kataConfig,
  kinds.node,
  kinds.pod,
  kinds.machineConfigPool,
  kinds.machineConfig,
  kinds.containerRuntimeConfig,
  kinds.runtimeClass,
  kinds.cluster,
  kinds.machine,
  kinds.machineSet,
  kinds.machineHealthCheck,
  kinds.kubeadmControlPlane,
];

export async function runOperator(client: ClusterClient, settings: OperatorSettings, log: (message: string) => void): Promise<ControllerLoop> {
  const runner = new ControllerLoop({ client, controllers: devClusterControllers(settings), watch: watchedKinds, log });
  await runner.start();
  return runner;
}

function argument(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`operator: --${name} is required`);
  return value;
}

async function main(): Promise<void> {
  const log = (message: string) => process.stdout.write(`${new Date().toISOString()} ${message}\n`);
  const stateDir = argument("state-dir");
  const kubeconfig = readFileSync(argument("kubeconfig"), "utf8");
  const capi = argument("capi", "twin");
  if (capi !== "twin" && capi !== "upstream") throw new Error(`operator: --capi must be twin or upstream; got ${capi}`);
  const settings: OperatorSettings = { nodeUpdateMs: Number(argument("node-update-ms", "3000")), nodeStartupMs: Number(argument("node-startup-ms", "3000")), capi, kubeconfig };
  const client = await openKubernetesCluster(
    { kubeconfig },
    { fieldManager: "pulumi-cluster-runtime-operator", log, unreachableLimitMs: 120_000 },
  );
  const runner = await runOperator(recordWrites(client, join(stateDir, "operator-writes.jsonl")), settings, log);
  log(`operator running on ${client.description}: node update ${settings.nodeUpdateMs} ms, node start-up ${settings.nodeStartupMs} ms, Cluster API health check: ${capi === "upstream" ? "upstream's (tools/capi)" : "the twin's"}`);
  writeFileSync(join(stateDir, "operator.ready"), `${process.pid}\n`);
  const stop = async () => {
    await runner.stop();
    await client.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`operator failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
