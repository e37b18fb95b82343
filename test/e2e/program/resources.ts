import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { KataConfig, MachineHealthCheck } from "pulumi-cluster-runtime";

// The other program the e2e tests run, for the fault scenarios: the resources settings.json lists,
// with their inputs as given (bad ones included: they go through `as never`, as a JavaScript program
// or a YAML program could pass them). A resource with kubeconfigFromConfig takes its cluster from
// the stack's secret config "kubeconfig", the way examples/openshift does.

export interface ResourceSetting {
  kind: "KataConfig" | "MachineHealthCheck";
  name: string;
  args: Record<string, unknown>;
  kubeconfigFromConfig?: boolean;
}

const settings = JSON.parse(fs.readFileSync(path.join(__dirname, "settings.json"), "utf8")) as { resources: ResourceSetting[] };
const config = new pulumi.Config();

export const resources = Object.fromEntries(
  settings.resources.map((setting) => {
    const args = { ...setting.args, ...(setting.kubeconfigFromConfig ? { cluster: { kubeconfig: config.requireSecret("kubeconfig") } } : {}) };
    if (setting.kind === "KataConfig") {
      const kata = new KataConfig(setting.name, args as never);
      return [setting.name, { readyNodeCount: kata.status.kataNodes.readyNodeCount, nodeCount: kata.status.kataNodes.nodeCount, runtimeClass: kata.runtimeClassName }];
    }
    const mhc = new MachineHealthCheck(setting.name, args as never);
    return [setting.name, { currentHealthy: mhc.report.apply((r) => r?.currentHealthy ?? -1) }];
  }),
);
