import type { Node } from "../provider/k8s/core";
import { evaluateMachineHealthCheck } from "../provider/mhc";
import type { Cluster, Machine, MachineHealthCheck } from "../provider/mhc/model";
import { type Figure, timeInTurn } from "./timing";
import { seedWorkersHealthCheck } from "../test/support/seed-tables";

// How long evaluateMachineHealthCheck takes over 1k, 10k and 100k machines with their Nodes.
// Goal: under 50 ms at 10,000 machines, growing linearly. Figures are medians, the sizes run in turn.

const now = new Date("2025-03-01T12:00:00Z");
const iso = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000).toISOString().replace(".000Z", "Z");

const cluster: Cluster = {
  apiVersion: "cluster.x-k8s.io/v1beta1",
  kind: "Cluster",
  metadata: { name: "bench", namespace: "default" },
  spec: {},
  status: {
    conditions: [
      { type: "ControlPlaneInitialized", status: "True", lastTransitionTime: iso(86_400) },
      { type: "InfrastructureReady", status: "True", lastTransitionTime: iso(86_400) },
    ],
  },
};

const healthCheck: MachineHealthCheck = {
  apiVersion: "cluster.x-k8s.io/v1beta1",
  kind: "MachineHealthCheck",
  metadata: { name: "bench", namespace: "default", generation: 1 },
  spec: { ...seedWorkersHealthCheck.spec, clusterName: "bench", selector: { matchLabels: { nodepool: "pool-0" } } },
};

/** A fleet with a realistic mix: mostly healthy, some unhealthy, pending, Node-less, skipped, and other pools. */
export function buildFleet(size: number): { machines: Machine[]; nodes: Node[] } {
  const machines: Machine[] = [];
  const nodes: Node[] = [];
  for (let i = 0; i < size; i++) {
    const name = `machine-${i}`;
    const kind = i % 20;
    const hasNode = kind !== 3;
    machines.push({
      apiVersion: "cluster.x-k8s.io/v1beta1",
      kind: "Machine",
      metadata: {
        name,
        namespace: "default",
        creationTimestamp: iso(kind === 3 ? 120 : 7200),
        labels: { "cluster.x-k8s.io/cluster-name": "bench", nodepool: kind === 4 ? "pool-1" : "pool-0" },
        ...(kind === 5 ? { annotations: { "cluster.x-k8s.io/skip-remediation": "" } } : {}),
        ownerReferences: [{ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineSet", name: "ms", controller: true }],
      },
      spec: { clusterName: "bench" },
      status: hasNode ? { nodeRef: { kind: "Node", name } } : {},
    });
    if (!hasNode || kind === 6) continue; // kind 6: Node gone
    const ready = kind === 1 ? { status: "False", ago: 900 } : kind === 2 ? { status: "Unknown", ago: 60 } : { status: "True", ago: 86_400 };
    nodes.push({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name },
      status: {
        conditions: [
          { type: "MemoryPressure", status: "False", lastTransitionTime: iso(86_400) },
          { type: "Ready", status: ready.status, lastTransitionTime: iso(ready.ago) },
        ],
      },
    });
  }
  return { machines, nodes };
}

export async function run(): Promise<Figure[]> {
  const sizes = [1_000, 10_000, 100_000];
  const fleets = sizes.map(buildFleet);
  const ms = timeInTurn(fleets.map(({ machines, nodes }) => () => evaluateMachineHealthCheck({ machineHealthCheck: healthCheck, cluster, machines, nodes, now })), 7, 2);
  return sizes.map((size, i) => ({ name: "evaluateMachineHealthCheck", size, ms: ms[i]! }));
}
