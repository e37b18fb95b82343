import * as pulumi from "@pulumi/pulumi";
import { KataConfig, MachineHealthCheck } from "pulumi-cluster-runtime";

// The quickstart: both resources on the embedded cluster twin, so it runs on any machine.
//  - an OpenShift cluster with the seed's two workers: KataConfig installs kata node by node;
//  - a Cluster API management cluster (capi-quickstart: 3 control-plane machines, a MachineSet of 6):
//    the seed's two MachineHealthChecks.
// The twin's time runs 60 times faster than the wall clock (a node update takes 5 minutes of twin
// time, 5 seconds here).

const config = new pulumi.Config();
const openshift = { embedded: { fixture: "fixtures/two-workers.yaml" } };
const management = { embedded: { fixture: "fixtures/capi-quickstart.yaml" } };

const kata = new KataConfig("sandboxed", {
  metadata: { name: "example-kataconfig" },
  spec: { logLevel: "info" }, // no kataConfigPoolSelector: every worker
  cluster: openshift,
  timeouts: { create: "60m", delete: "60m" },
});

const unhealthyConditions = [
  { type: "Ready", status: "Unknown", timeout: "300s" },
  { type: "Ready", status: "False", timeout: "300s" },
];

const workers = new MachineHealthCheck("workers", {
  metadata: { name: "capi-quickstart-node-unhealthy-5m", namespace: "default" },
  spec: {
    clusterName: "capi-quickstart",
    maxUnhealthy: config.get("maxUnhealthy") ?? "40%", // `pulumi config set maxUnhealthy 20%` to preview a change
    nodeStartupTimeout: "10m",
    selector: { matchLabels: { nodepool: "nodepool-0" } },
    unhealthyConditions,
  },
  cluster: management,
});

const controlPlane = new MachineHealthCheck("control-plane", {
  metadata: { name: "capi-quickstart-kcp-unhealthy-5m", namespace: "default" },
  spec: {
    clusterName: "capi-quickstart",
    maxUnhealthy: "100%",
    selector: { matchLabels: { "cluster.x-k8s.io/control-plane": "" } },
    unhealthyConditions,
  },
  cluster: management,
});

export const kataNodes = kata.status.kataNodes;
export const ready = kata.status.kataNodes.readyNodeCount;
export const inProgress = kata.status.conditions.apply((c) => c?.[0]);
export const runtimeClass = kata.runtimeClassName;
export const workersRemediation = workers.report;
export const controlPlaneRemediation = controlPlane.report;
