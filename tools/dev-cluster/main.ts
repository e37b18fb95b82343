import * as yaml from "yaml";
import { customResourceDefinitions } from "../../provider/crds";
import { parseGoDuration } from "../../provider/k8s/duration";
import { DevCluster } from "./dev-cluster";

// The dev cluster from the command line:
//
//   tsx tools/dev-cluster/main.ts start [--fixture fixtures/two-workers.yaml | none] [--state-dir .state/dev-cluster]
//                                       [--node-update-time 10s] [--node-startup-time 10s] [--capi twin|upstream]
//   tsx tools/dev-cluster/main.ts stop   [--state-dir .state/dev-cluster]
//   tsx tools/dev-cluster/main.ts status [--state-dir .state/dev-cluster]
//   tsx tools/dev-cluster/main.ts crds     (the generated CRDs as YAML, e.g. for kubectl apply -f -)
//
// `start` prints KUBECONFIG=<path> on a line of its own once everything is ready, and leaves etcd,
// kube-apiserver and the operator running in the background (pids and logs in the state dir).

const DEFAULT_STATE_DIR = ".state/dev-cluster";

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`--${name} needs a value`);
  return value;
}

function duration(name: string, fallback: string): number {
  const text = option(name, fallback);
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < 0) throw new Error(`--${name} must be a Go duration such as 10s or 1m; got "${text}"`);
  return ms;
}

async function main(): Promise<void> {
  const command = process.argv[2];
  const stateDir = option("state-dir", DEFAULT_STATE_DIR);
  const log = (line: string) => process.stderr.write(`[dev-cluster] ${line}\n`);
  switch (command) {
    case "start": {
      const fixture = option("fixture", "fixtures/two-workers.yaml");
      const capi = option("capi", "twin");
      if (capi !== "twin" && capi !== "upstream") throw new Error(`--capi must be twin (the simulated controllers) or upstream (Cluster API v1.10's own, tools/capi); got "${capi}"`);
      const cluster = await DevCluster.start({
        capi,
        stateDir,
        fixture: fixture === "none" ? undefined : fixture,
        nodeUpdateMs: duration("node-update-time", "10s"),
        nodeStartupMs: duration("node-startup-time", "10s"),
        detached: true,
        log,
      });
      log(`ready: ${cluster.server}; logs in ${cluster.stateDir}; stop with: tsx tools/dev-cluster/main.ts stop --state-dir ${stateDir}`);
      process.stdout.write(`KUBECONFIG=${cluster.kubeconfigPath}\n`);
      return;
    }
    case "stop": {
      const cluster = DevCluster.attach(stateDir);
      await cluster.stop();
      log(`stopped the dev cluster of ${cluster.stateDir}`);
      return;
    }
    case "status": {
      const cluster = DevCluster.attach(stateDir);
      const running = cluster.running();
      const capiState = cluster.capi === "upstream" ? ` capi-health-manager=${running.capiManager ? "up" : "down"}` : "";
      process.stdout.write(`${cluster.server} etcd=${running.etcd ? "up" : "down"} kube-apiserver=${running.apiServer ? "up" : "down"} operator=${running.operator ? "up" : "down"}${capiState}\n`);
      process.stdout.write(`KUBECONFIG=${cluster.kubeconfigPath}\n`);
      return;
    }
    case "crds":
      process.stdout.write(customResourceDefinitions().map((crd) => `---\n${yaml.stringify(crd)}`).join(""));
      return;
    default:
      throw new Error(`usage: tsx tools/dev-cluster/main.ts start|stop|status|crds [--state-dir ${DEFAULT_STATE_DIR}] (got ${command ?? "no command"})`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`[dev-cluster] ${(error as Error).message}\n`);
    process.exit(1);
  },
);
