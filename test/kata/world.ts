import type { Node, Pod } from "../../provider/k8s/core";
import {
  KATA_FINALIZER,
  KATA_NODE_ROLE_LABEL,
  type KataConfig,
  type KataConfigStatus,
  type MachineConfigPool,
  MCO_CURRENT_CONFIG,
  MCO_REASON,
  MCO_STATE,
  WORKER_ROLE_LABEL,
} from "../../provider/kata/model";
import { kataOperatorStep } from "../../provider/kata/operator-step";
import { rolloutStep } from "../../provider/kata/rollout-step";

// A minimal cluster for replaying the operator step and the pool rollout without the twin:
// plain arrays, actions applied in place, every status the operator writes recorded.

export const NODE_UPDATE_MS = 60_000;

export function worker(name: string, labels: Record<string, string> = {}): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { [WORKER_ROLE_LABEL]: "", ...labels },
      annotations: { [MCO_STATE]: "Done", [MCO_CURRENT_CONFIG]: "rendered-worker-1" },
    },
  };
}

export function pool(name: string, config: string): MachineConfigPool {
  return { apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfigPool", metadata: { name }, spec: { configuration: { name: config } } };
}

export function kataPod(namespace: string, name: string): Pod {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec: { runtimeClassName: "kata" }, status: { phase: "Running" } };
}

export class World {
  now = new Date("2026-01-01T00:00:00Z");
  kataConfig: KataConfig | undefined;
  pools: MachineConfigPool[] = [pool("worker", "rendered-worker-1")];
  pods: Pod[] = [];
  runtimeClasses: string[] = [];
  statuses: KataConfigStatus[] = [];
  lastBlockingPods: string[] = [];

  constructor(public nodes: Node[]) {}

  create(spec: KataConfig["spec"] = {}): void {
    this.kataConfig = { apiVersion: "kataconfiguration.openshift.io/v1", kind: "KataConfig", metadata: { name: "example-kataconfig", uid: "u-1" }, spec };
  }

  delete(): void {
    this.kataConfig!.metadata.deletionTimestamp = this.now.toISOString();
  }

  node(name: string): Node {
    return this.nodes.find((n) => n.metadata.name === name)!;
  }

  degrade(name: string, reason: string): void {
    Object.assign(this.node(name).metadata.annotations!, { [MCO_STATE]: "Degraded", [MCO_REASON]: reason });
  }

  /** Run the operator and the pools until neither has anything left to do now; return the next wake-up. */
  settle(): number | undefined {
    for (let round = 0; round < 100; round++) {
      const operatorChanged = this.operator();
      const rollout = this.rollout();
      if (!operatorChanged && !rollout.changed) return rollout.wakeAt;
    }
    throw new Error("no quiescence after 100 rounds");
  }

  /** Move time forward through every wake-up until nothing is pending or the limit is reached. */
  run(limitMs = 3_600_000): void {
    const end = this.now.getTime() + limitMs;
    for (let wake = this.settle(); wake !== undefined && wake <= end; wake = this.settle()) {
      this.now = new Date(wake);
    }
  }

  private operator(): boolean {
    const kc = this.kataConfig;
    if (!kc) return false;
    const step = kataOperatorStep({ kataConfig: kc, nodes: this.nodes, pods: this.pods, pools: this.pools, runtimeClasses: this.runtimeClasses, now: this.now });
    let changed = false;
    if (step.addFinalizer) {
      kc.metadata.finalizers = [...(kc.metadata.finalizers ?? []), KATA_FINALIZER];
      changed = true;
    }
    if (step.createKataPool) {
      this.pools.push(pool("kata-oc", "rendered-kata-oc-1"));
      changed = true;
    }
    for (const name of step.labelNodes) this.node(name).metadata.labels![KATA_NODE_ROLE_LABEL] = "";
    for (const name of step.unlabelNodes) delete this.node(name).metadata.labels![KATA_NODE_ROLE_LABEL];
    changed ||= step.labelNodes.length + step.unlabelNodes.length > 0;
    for (const rc of step.createRuntimeClasses) this.runtimeClasses.push(rc.metadata.name!);
    changed ||= step.createRuntimeClasses.length > 0;
    if (step.status) {
      kc.status = step.status;
      this.statuses.push(structuredClone(step.status));
      changed = true;
    }
    this.lastBlockingPods = step.blockingPods;
    if (step.deleteKataPool) {
      this.pools = this.pools.filter((p) => p.metadata.name !== "kata-oc");
      changed = true;
    }
    if (step.removeFinalizer) {
      this.kataConfig = undefined;
      this.runtimeClasses = [];
      changed = true;
    }
    return changed;
  }

  private rollout(): { changed: boolean; wakeAt?: number } {
    let changed = false;
    let wakeAt: number | undefined;
    for (const p of this.pools) {
      const step = rolloutStep({ pool: p, nodes: this.nodes, now: this.now, nodeUpdateMs: NODE_UPDATE_MS });
      for (const patch of step.patches) {
        const annotations = this.node(patch.node).metadata.annotations!;
        for (const [key, value] of Object.entries(patch.annotations)) {
          if (value === null) delete annotations[key];
          else annotations[key] = value;
        }
        changed = true;
      }
      if (step.wakeAt) wakeAt = Math.min(wakeAt ?? Infinity, step.wakeAt.getTime());
    }
    return { changed, ...(wakeAt !== undefined ? { wakeAt } : {}) };
  }
}

/** A status without timestamps, compared field by field with the seed's tables. */
export function withoutTimes(status: KataConfigStatus): KataConfigStatus {
  return {
    ...status,
    conditions: status.conditions?.map(({ lastTransitionTime: _ignored, ...rest }) => rest),
  };
}
