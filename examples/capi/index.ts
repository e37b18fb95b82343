import * as pulumi from "@pulumi/pulumi";
import { MachineHealthCheck } from "pulumi-cluster-runtime";

// The seed's two MachineHealthChecks on a Cluster API management cluster: workers of nodepool-0
// (at most 40% remediated at once) and the KubeadmControlPlane's machines. Point it at a real
// management cluster with `pulumi config set --secret kubeconfig ...`, or at the embedded twin
// with `pulumi config set embedded true`.

const config = new pulumi.Config();
const kubeconfig = config.getSecret("kubeconfig");
const cluster = config.getBoolean("embedded")
  ? { embedded: { fixture: "fixtures/capi-quickstart.yaml" } }
  : kubeconfig
    ? { kubeconfig, context: config.get("context") }
    : undefined;

const unhealthyConditions = [
  { type: "Ready", status: "Unknown", timeout: "300s" },
  { type: "Ready", status: "False", timeout: "300s" },
];

const workers = new MachineHealthCheck("workers", {
  metadata: { name: "capi-quickstart-node-unhealthy-5m", namespace: "default" },
  spec: {
    clusterName: "capi-quickstart",
    maxUnhealthy: config.get("maxUnhealthy") ?? "40%",
    nodeStartupTimeout: "10m",
    selector: { matchLabels: { nodepool: "nodepool-0" } },
    unhealthyConditions,
  },
  cluster,
});

const controlPlane = new MachineHealthCheck("control-plane", {
  metadata: { name: "capi-quickstart-kcp-unhealthy-5m", namespace: "default" },
  spec: {
    clusterName: "capi-quickstart",
    maxUnhealthy: "100%",
    selector: { matchLabels: { "cluster.x-k8s.io/control-plane": "" } },
    unhealthyConditions,
  },
  cluster,
});

export const workersRemediation = workers.report;
export const controlPlaneRemediation = controlPlane.report;
