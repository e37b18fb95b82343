import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KataConfig } from "pulumi-cluster-runtime";

// A real OpenShift cluster: install kata on the workers, then run a workload in the sandbox.
// The kubeconfig comes from the stack's config (`pulumi config set --secret kubeconfig ...`) or,
// when unset, from the ambient KUBECONFIG / ~/.kube/config.

const config = new pulumi.Config();
const kubeconfig = config.getSecret("kubeconfig");
const cluster = kubeconfig ? { kubeconfig, context: config.get("context") } : undefined;

const kata = new KataConfig("sandboxed", {
  metadata: { name: "example-kataconfig" },
  spec: {
    logLevel: "info",
    kataConfigPoolSelector: { matchLabels: { "custom-kata-pool": "true" } },
  },
  cluster,
  timeouts: { create: "90m", delete: "60m" },
});

export const ready = kata.status.kataNodes.readyNodeCount;
export const runtimeClass = kata.runtimeClassName;

// The Deployment needs the Kubernetes provider plugin; leave it out where it cannot be installed.
if (config.getBoolean("deployWorkload") ?? true) {
  const provider = kubeconfig ? new k8s.Provider("cluster", { kubeconfig }) : undefined;
  const labels = { app: "sandboxed-nginx" };
  new k8s.apps.v1.Deployment(
    "sandboxed-nginx",
    {
      spec: {
        selector: { matchLabels: labels },
        replicas: 1,
        template: {
          metadata: { labels },
          spec: {
            runtimeClassName: kata.runtimeClassName, // waits for the RuntimeClass to exist
            containers: [{ name: "nginx", image: "nginx:1.27", ports: [{ containerPort: 80 }] }],
          },
        },
      },
    },
    { provider },
  );
}
