import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type ClusterArgs, KataConfig, MachineHealthCheck } from "pulumi-cluster-runtime";

// The one Pulumi program the e2e tests run, copied into each test's own directory. Like the
// quickstart: a KataConfig on the two-workers twin and the workers MachineHealthCheck on the capi
// twin. settings.json (written by the test) says which of the two exist and on which twin state;
// maxUnhealthy and the KataConfig's logLevel come from the stack config so tests change them the way
// a user would.

export type EmbeddedArgs = Extract<ClusterArgs, { embedded: unknown }>["embedded"];

export interface ProgramSettings {
  kataConfig?: EmbeddedArgs;
  machineHealthCheck?: EmbeddedArgs;
}

const settings = JSON.parse(fs.readFileSync(path.join(__dirname, "settings.json"), "utf8")) as ProgramSettings;
const config = new pulumi.Config();

const kata =
  settings.kataConfig &&
  new KataConfig("sandboxed", {
    metadata: { name: "example-kataconfig" },
    spec: { logLevel: (config.get("logLevel") ?? "info") as "info" },
    cluster: { embedded: settings.kataConfig },
    timeouts: { create: "60m", delete: "60m" },
  });

const workers =
  settings.machineHealthCheck &&
  new MachineHealthCheck("workers", {
    metadata: { name: "capi-quickstart-node-unhealthy-5m", namespace: "default" },
    spec: {
      clusterName: "capi-quickstart",
      maxUnhealthy: config.get("maxUnhealthy") ?? "40%",
      nodeStartupTimeout: "10m",
      selector: { matchLabels: { nodepool: "nodepool-0" } },
      unhealthyConditions: [
        { type: "Ready", status: "Unknown", timeout: "300s" },
        { type: "Ready", status: "False", timeout: "300s" },
      ],
    },
    cluster: { embedded: settings.machineHealthCheck },
  });

export const kataNodes = kata?.status.kataNodes;
export const inProgress = kata?.status.conditions.apply((c) => c[0]);
export const runtimeClass = kata?.runtimeClassName;
export const workersRemediation = workers?.report;
