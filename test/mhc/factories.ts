import type { ObjectRef } from "../../provider/cluster/client";
import type { Node } from "../../provider/k8s/core";
import { toKubeTime, type Condition, type KubeObject, type OwnerReference } from "../../provider/k8s/meta";
import type { ClusterAction } from "../../provider/mhc/actions";
import {
  clusterApiVersion,
  controlPlaneApiVersion,
  type Cluster,
  type KubeadmControlPlane,
  type Machine,
  type MachineHealthCheck,
  type MachineSet,
} from "../../provider/mhc/model";
import { seedWorkersHealthCheck } from "../support/seed-tables";

// Small builders for the objects the MachineHealthCheck semantics read. Defaults describe the seed's
// world: cluster "capi-quickstart", workers labelled nodepool=nodepool-0, owned by MachineSet "workers",
// each with a Ready Node; the clock stands at NOW.

export const NOW = new Date("2025-03-01T12:00:00Z");
export const CLUSTER = "capi-quickstart";
export const NAMESPACE = "default";

/** A Kubernetes timestamp `seconds` before NOW. */
export function ago(seconds: number): string {
  return toKubeTime(new Date(NOW.getTime() - seconds * 1000));
}

export function cluster(options: { paused?: boolean; controlPlaneInitialized?: boolean | number; infrastructureReady?: boolean | number } = {}): Cluster {
  const condition = (type: string, value: boolean | number | undefined): Condition => ({
    type,
    status: value === false ? "False" : "True",
    lastTransitionTime: ago(typeof value === "number" ? value : 86_400),
  });
  return {
    apiVersion: clusterApiVersion,
    kind: "Cluster",
    metadata: { name: CLUSTER, namespace: NAMESPACE, uid: "cluster-uid" },
    spec: options.paused ? { paused: true } : {},
    status: {
      conditions: [
        condition("ControlPlaneInitialized", options.controlPlaneInitialized),
        condition("InfrastructureReady", options.infrastructureReady),
      ],
    },
  };
}

export function machineSetOwner(name = "workers"): OwnerReference {
  return { apiVersion: clusterApiVersion, kind: "MachineSet", name, uid: `${name}-uid`, controller: true };
}

export function controlPlaneOwner(name = "capi-quickstart-control-plane"): OwnerReference {
  return { apiVersion: controlPlaneApiVersion, kind: "KubeadmControlPlane", name, uid: `${name}-uid`, controller: true };
}

export interface MachineOptions {
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** The Node named in status.nodeRef; null for none. Defaults to the Machine's name. */
  nodeName?: string | null;
  createdSecondsAgo?: number;
  deleting?: boolean;
  failureReason?: string;
  failureMessage?: string;
  /** Owner references; defaults to MachineSet "workers". */
  owners?: OwnerReference[];
  conditions?: Condition[];
  uid?: string;
}

export function machine(name: string, options: MachineOptions = {}): Machine {
  const nodeName = options.nodeName === undefined ? name : options.nodeName;
  const status: NonNullable<Machine["status"]> = {};
  if (nodeName !== null) status.nodeRef = { apiVersion: "v1", kind: "Node", name: nodeName };
  if (options.failureReason !== undefined) status.failureReason = options.failureReason;
  if (options.failureMessage !== undefined) status.failureMessage = options.failureMessage;
  if (options.conditions) status.conditions = options.conditions;
  return {
    apiVersion: clusterApiVersion,
    kind: "Machine",
    metadata: {
      name,
      namespace: options.namespace ?? NAMESPACE,
      uid: options.uid ?? `${name}-uid`,
      creationTimestamp: ago(options.createdSecondsAgo ?? 3600),
      labels: options.labels ?? { "cluster.x-k8s.io/cluster-name": CLUSTER, nodepool: "nodepool-0" },
      ...(options.annotations ? { annotations: options.annotations } : {}),
      ...(options.deleting ? { deletionTimestamp: ago(1) } : {}),
      ownerReferences: options.owners ?? [machineSetOwner()],
    },
    spec: { clusterName: CLUSTER },
    status,
  };
}

export function controlPlaneMachine(name: string, options: MachineOptions = {}): Machine {
  return machine(name, {
    owners: [controlPlaneOwner()],
    labels: { "cluster.x-k8s.io/cluster-name": CLUSTER, "cluster.x-k8s.io/control-plane": "" },
    ...options,
  });
}

export interface NodeConditionOptions {
  type?: string;
  status: string;
  /** How long ago the condition took this status. */
  sinceSecondsAgo: number;
}

/** A Node; Ready True for a day unless conditions are given. */
export function node(name: string, conditions: NodeConditionOptions[] = [{ status: "True", sinceSecondsAgo: 86_400 }]): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name },
    status: {
      conditions: conditions.map((c) => ({ type: c.type ?? "Ready", status: c.status, lastTransitionTime: ago(c.sinceSecondsAgo) })),
    },
  };
}

/** The seed's worker health check, with spec fields replaced by `spec`. */
export function mhc(spec: Partial<MachineHealthCheck["spec"]> = {}, metadata: Partial<MachineHealthCheck["metadata"]> = {}): MachineHealthCheck {
  return {
    apiVersion: clusterApiVersion,
    kind: "MachineHealthCheck",
    metadata: { name: seedWorkersHealthCheck.name, namespace: NAMESPACE, generation: 1, ...metadata },
    spec: { ...structuredClone(seedWorkersHealthCheck.spec), clusterName: CLUSTER, ...spec },
  };
}

/** `total` worker Machines with Nodes, of which the first `unhealthy` have had Ready False for 10 minutes. */
export function fleet(total: number, unhealthy: number): { machines: Machine[]; nodes: Node[] } {
  const machines: Machine[] = [];
  const nodes: Node[] = [];
  for (let i = 0; i < total; i++) {
    const name = `worker-${String(i).padStart(3, "0")}`;
    machines.push(machine(name));
    nodes.push(node(name, i < unhealthy ? [{ status: "False", sinceSecondsAgo: 600 }] : undefined));
  }
  return { machines, nodes };
}

export function machineSet(options: { name?: string; replicas?: number; paused?: boolean } = {}): MachineSet {
  const name = options.name ?? "workers";
  return {
    apiVersion: clusterApiVersion,
    kind: "MachineSet",
    metadata: { name, namespace: NAMESPACE, uid: `${name}-uid`, ...(options.paused ? { annotations: { "cluster.x-k8s.io/paused": "" } } : {}) },
    spec: {
      clusterName: CLUSTER,
      replicas: options.replicas ?? 3,
      selector: { matchLabels: { nodepool: "nodepool-0" } },
      template: {
        metadata: { labels: { "cluster.x-k8s.io/cluster-name": CLUSTER, nodepool: "nodepool-0" } },
        spec: {
          clusterName: CLUSTER,
          version: "v1.31.0",
          bootstrap: { configRef: { apiVersion: "bootstrap.cluster.x-k8s.io/v1beta1", kind: "KubeadmConfigTemplate", name: "workers-bootstrap" } },
          infrastructureRef: { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "DockerMachineTemplate", name: "workers-infra" },
        },
      },
    },
  };
}

export function kubeadmControlPlane(options: { replicas?: number; initialized?: boolean; annotations?: Record<string, string>; remediationStrategy?: KubeadmControlPlane["spec"]["remediationStrategy"]; externalEtcd?: boolean } = {}): KubeadmControlPlane {
  const name = "capi-quickstart-control-plane";
  return {
    apiVersion: controlPlaneApiVersion,
    kind: "KubeadmControlPlane",
    metadata: { name, namespace: NAMESPACE, uid: `${name}-uid`, labels: { "cluster.x-k8s.io/cluster-name": CLUSTER }, ...(options.annotations ? { annotations: options.annotations } : {}) },
    spec: {
      replicas: options.replicas ?? 3,
      version: "v1.31.0",
      machineTemplate: {
        infrastructureRef: { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "DockerMachineTemplate", name: "cp-infra" },
      },
      ...(options.remediationStrategy ? { remediationStrategy: options.remediationStrategy } : {}),
      ...(options.externalEtcd ? { kubeadmConfigSpec: { clusterConfiguration: { etcd: { external: { endpoints: ["https://etcd:2379"] } } } } } : {}),
    },
    status: { initialized: options.initialized ?? true },
  };
}

/** Names that count up: "<prefix>00001", "<prefix>00002", ... */
export function countingNames(): (prefix: string) => string {
  let next = 0;
  return (prefix) => `${prefix}${String(++next).padStart(5, "0")}`;
}

/** A store of objects by kind/namespace/name that actions can be applied to, for whole sequences. */
export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();

  constructor(objects: KubeObject[] = []) {
    for (const object of objects) this.put(object);
  }

  private key(ref: ObjectRef): string {
    return `${ref.kind}/${ref.namespace ?? NAMESPACE}/${ref.name ?? ""}`;
  }

  put(object: KubeObject): void {
    this.objects.set(this.key({ ...object, name: object.metadata.name, namespace: object.metadata.namespace }), object);
  }

  get<T>(kind: string, name: string): T | undefined {
    return this.objects.get(this.key({ apiVersion: "", kind, name })) as T | undefined;
  }

  list<T>(kind: string): T[] {
    return [...this.objects.values()].filter((o) => o.kind === kind) as T[];
  }

  /** Applies actions the way a client would; deletion of a Machine is immediate (no finalizers). */
  apply(actions: ClusterAction[]): void {
    for (const action of actions) {
      if (action.action === "create") this.put(action.object);
      else if (action.action === "delete") this.objects.delete(this.key(action.ref));
      else if (action.action === "patchStatus" || action.action === "patch") {
        const key = this.key(action.ref);
        const current = this.objects.get(key);
        if (!current) throw new Error(`no object ${key}`);
        if (action.action === "patchStatus") this.objects.set(key, { ...current, status: action.status });
        else {
          const metadata = (action.patch.metadata ?? {}) as Record<string, unknown>;
          this.objects.set(key, { ...current, metadata: { ...current.metadata, ...metadata } });
        }
      }
    }
  }
}
