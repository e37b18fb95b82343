import type { Node, Pod } from "../../provider/k8s/core";
import type { KubeObject } from "../../provider/k8s/meta";
import type { Fixture } from "../../provider/cluster/twin";
import { kinds } from "../../provider/k8s/api-types";
import {
  type KataConfig,
  type KataConfigStatus,
  type MachineConfigPool,
  MCO_CURRENT_CONFIG,
  MCO_DESIRED_CONFIG,
  MCO_REASON,
  MCO_STATE,
  WORKER_ROLE_LABEL,
} from "../../provider/kata/model";
import { NODE_FAULT_ANNOTATION } from "../../provider/kata/rollout-step";
import { EmbeddedCluster } from "../../provider/wiring";

// A small OpenShift cluster in an in-memory twin on virtual time, for replaying what the operator
// and the Machine Config Operator do: nodes and the master and worker pools, every status the
// operator writes recorded in order.

export const NODE_UPDATE_MS = 60_000;
export const KATA_NAME = "example-kataconfig";
export const kataRef = { ...kinds.kataConfig, name: KATA_NAME };

/** A worker, up to date with the worker pool; `created` orders it for the MCO (older first). */
export function worker(name: string, labels: Record<string, string> = {}, created = "2024-05-06T09:00:00Z"): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      creationTimestamp: created,
      labels: { [WORKER_ROLE_LABEL]: "", "kubernetes.io/hostname": name, ...labels },
      annotations: { [MCO_STATE]: "Done", [MCO_CURRENT_CONFIG]: "rendered-worker-1", [MCO_DESIRED_CONFIG]: "rendered-worker-1", [MCO_REASON]: "" },
    },
    status: { conditions: [{ type: "Ready", status: "True" }] },
  };
}

export function master(name: string, labels: Record<string, string> = {}): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { "node-role.kubernetes.io/master": "", "kubernetes.io/hostname": name, ...labels },
      annotations: { [MCO_STATE]: "Done", [MCO_CURRENT_CONFIG]: "rendered-master-1", [MCO_DESIRED_CONFIG]: "rendered-master-1", [MCO_REASON]: "" },
    },
    status: { conditions: [{ type: "Ready", status: "True" }] },
  };
}

/** One of OpenShift's own pools: its nodes by role label, its MachineConfigs by role, a rendered config. */
export function pool(name: "master" | "worker", spec: Record<string, unknown> = {}): MachineConfigPool {
  return {
    apiVersion: "machineconfiguration.openshift.io/v1",
    kind: "MachineConfigPool",
    metadata: { name, labels: { [`pools.operator.machineconfiguration.openshift.io/${name}`]: "" } },
    spec: {
      configuration: { name: `rendered-${name}-1` },
      machineConfigSelector: { matchLabels: { "machineconfiguration.openshift.io/role": name } },
      nodeSelector: { matchLabels: { [`node-role.kubernetes.io/${name}`]: "" } },
      ...spec,
    },
  };
}

export function kataPod(namespace: string, name: string, runtimeClassName = "kata", phase = "Running"): Pod {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec: { runtimeClassName }, status: { phase } };
}

export class World {
  /** Every distinct status the KataConfig had, in order. */
  statuses: KataConfigStatus[] = [];

  private constructor(readonly twin: EmbeddedCluster) {}

  /** A twin with these nodes and, unless given, the master and worker pools. */
  static async open(nodes: Node[], others: KubeObject[] = [pool("master"), pool("worker")]): Promise<World> {
    const objects = [...nodes, ...others];
    const fixture: Fixture = { source: "test world", objects: objects.map((object, i) => ({ object, where: `object ${i}` })), events: [] };
    const twin = await EmbeddedCluster.open({ fixture, clock: "virtual", startTime: new Date("2026-01-01T00:00:00Z"), operators: { nodeUpdateMs: NODE_UPDATE_MS } });
    const world = new World(twin);
    await twin.watch(kinds.kataConfig, (event) => {
      const status = (event.object as KataConfig).status;
      if (event.type === "DELETED" || !status) return;
      if (JSON.stringify(status) !== JSON.stringify(world.statuses.at(-1))) world.statuses.push(structuredClone(status));
    });
    return world;
  }

  get now(): Date {
    return this.twin.clock.now();
  }

  async create(spec: KataConfig["spec"] = {}): Promise<void> {
    await this.twin.apply({ ...kataRef, metadata: { name: KATA_NAME }, spec });
  }

  async setSpec(spec: KataConfig["spec"]): Promise<void> {
    await this.twin.apply({ ...kataRef, metadata: { name: KATA_NAME }, spec });
  }

  async delete(): Promise<void> {
    await this.twin.delete(kataRef);
  }

  /** Let time pass (default: long enough for any rollout here). */
  async run(ms = 60 * 60_000): Promise<void> {
    await this.twin.advance(ms);
  }

  /** A pod as written, status (phase) included. */
  async addPod(pod: Pod): Promise<void> {
    const { status, ...rest } = pod;
    await this.twin.apply(rest as KubeObject);
    if (status) await this.twin.patchStatus({ ...kinds.pod, namespace: pod.metadata.namespace, name: pod.metadata.name }, status);
  }

  /** The machine-config daemon fails on the node, with a reason, until fix(). */
  async degrade(name: string, reason: string): Promise<void> {
    await this.twin.patch({ ...kinds.node, name }, { metadata: { annotations: { [MCO_STATE]: "Degraded", [MCO_REASON]: reason, [NODE_FAULT_ANNOTATION]: reason } } });
  }

  /** The cause is fixed: the daemon's next attempt succeeds (the node stays Degraded until it is done). */
  async fix(name: string): Promise<void> {
    await this.twin.patch({ ...kinds.node, name }, { metadata: { annotations: { [NODE_FAULT_ANNOTATION]: null } } });
  }

  async kataConfig(): Promise<KataConfig | undefined> {
    return this.twin.get<KataConfig>(kataRef);
  }

  async node(name: string): Promise<Node> {
    return (await this.twin.get<Node>({ ...kinds.node, name }))!;
  }

  async pool(name: string): Promise<MachineConfigPool | undefined> {
    return this.twin.get<MachineConfigPool>({ ...kinds.machineConfigPool, name });
  }

  async runtimeClasses(): Promise<string[]> {
    return (await this.twin.list(kinds.runtimeClass)).map((rc) => rc.metadata.name ?? "").sort();
  }

  close(): Promise<void> {
    return this.twin.close();
  }
}

/** A status without timestamps, compared field by field with the seed's tables. */
export function withoutTimes(status: KataConfigStatus): KataConfigStatus {
  return {
    ...status,
    conditions: status.conditions?.map(({ lastTransitionTime: _ignored, ...rest }) => rest),
  };
}

/** The InProgress condition without its time. */
export function conditionOf(status: KataConfigStatus | undefined): { status: string; reason?: string; message?: string } | undefined {
  const c = status?.conditions?.find((x) => x.type === "InProgress");
  return c && { status: c.status, reason: c.reason, message: c.message };
}
