import { deriveKataNodes } from "../provider/kata/derive";
import type { Node } from "../provider/k8s/core";
import type { MachineConfigPool } from "../provider/kata/model";
import { type Figure, timeInTurn } from "./timing";

// deriveKataNodes over clusters of workers in every state the status can show, the sizes in turn.

const states = [
  { labelled: true, state: "Done", current: "rendered-kata-oc-1" },
  { labelled: true, state: "Done", current: "rendered-worker-1" },
  { labelled: true, state: "Working", current: "rendered-worker-1" },
  { labelled: false, state: "Done", current: "rendered-worker-1" },
  { labelled: false, state: "Working", current: "rendered-kata-oc-1" },
];

function cluster(size: number): Node[] {
  return Array.from({ length: size }, (_, i) => {
    const s = states[i % states.length]!;
    return {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: `worker-${String(i).padStart(6, "0")}`,
        labels: { "node-role.kubernetes.io/worker": "", ...(s.labelled ? { "node-role.kubernetes.io/kata-oc": "" } : {}) },
        annotations: { "machineconfiguration.openshift.io/state": s.state, "machineconfiguration.openshift.io/currentConfig": s.current },
      },
    };
  });
}

const pools: MachineConfigPool[] = [
  { apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfigPool", metadata: { name: "worker" }, spec: { configuration: { name: "rendered-worker-1" } } },
  { apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfigPool", metadata: { name: "kata-oc" }, spec: { configuration: { name: "rendered-kata-oc-1" } } },
];

export async function run(): Promise<Figure[]> {
  const sizes = [1_000, 5_000, 10_000, 100_000];
  const clusters = sizes.map(cluster);
  const ms = timeInTurn(clusters.map((nodes) => () => deriveKataNodes({ nodes, pools })));
  return sizes.map((size, i) => ({ name: "deriveKataNodes", size, ms: ms[i]! }));
}
