import { randomUUID } from "node:crypto";
import { toKubeTime, type KubeObject } from "../../provider/k8s/meta";
import { workloadKubeconfigSecret } from "../../tools/dev-cluster/workload-kubeconfig";
import type { MachineScenario, Scenario } from "./generator";

// A scenario as Kubernetes objects, in its own namespace, sent as Cluster API's webhooks would leave
// them (none run here): Machines with spec.clusterName equal to their cluster-name label, durations as
// written. Every object carries the batch label, for cleaning up.

export const BATCH_LABEL = "differential.cluster-runtime.test/batch";
export const CLUSTER_NAME = "cluster";
export const MHC_NAME = "mhc";
export const TEMPLATE_NAME = "tpl";
export const REMEDIATION_GROUP = "remediation.cluster-runtime.test";
export const REMEDIATION_VERSION = `${REMEDIATION_GROUP}/v1alpha1`;
const CAPI = "cluster.x-k8s.io/v1beta1";

export interface ScenarioObjects {
  namespace: string;
  cluster: KubeObject;
  secret: KubeObject;
  nodes: KubeObject[];
  machines: KubeObject[];
  /** Machines to delete once written (a finalizer keeps them, deleting). */
  deleting: string[];
  template?: KubeObject;
  requests: KubeObject[];
  mhc: KubeObject;
}

/** Objects of a scenario; `at` is the time offsets count from. */
export function scenarioObjects(scenario: Scenario, batch: string, at: Date, kubeconfig: string): ScenarioObjects {
  const namespace = `mhc-${scenario.id}`;
  const time = (offset: number) => toKubeTime(new Date(at.getTime() + offset * 1000));
  const labels = { [BATCH_LABEL]: batch };
  const meta = (name: string) => ({ name, namespace, labels: { ...labels } });

  const clusterConditions = [
    ...(scenario.cluster.controlPlaneInitialized ? [{ type: "ControlPlaneInitialized", status: scenario.cluster.controlPlaneInitialized.status, lastTransitionTime: time(scenario.cluster.controlPlaneInitialized.since) }] : []),
    { type: "InfrastructureReady", status: scenario.cluster.infrastructureReady.status, lastTransitionTime: time(scenario.cluster.infrastructureReady.since) },
  ];
  const cluster: KubeObject = {
    apiVersion: CAPI,
    kind: "Cluster",
    metadata: meta(CLUSTER_NAME),
    spec: scenario.cluster.paused ? { paused: true } : {},
    // status.infrastructureReady (the field) lets ClusterCache connect; the conditions are the scenario's.
    status: { infrastructureReady: true, conditions: clusterConditions },
  };
  const secret = workloadKubeconfigSecret({ name: CLUSTER_NAME, namespace }, kubeconfig);
  secret.metadata.labels = { ...secret.metadata.labels, ...labels };

  const nodes: KubeObject[] = [];
  const machines: KubeObject[] = [];
  const requests: KubeObject[] = [];
  for (const m of scenario.machines) {
    const nodeName = `${namespace}-${m.name}`;
    if (m.node.kind === "ready") {
      nodes.push({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: nodeName, labels: { ...labels } },
        status: { conditions: m.node.conditions.map((c) => ({ type: c.type, status: c.status, reason: "Scenario", message: "", lastTransitionTime: time(c.since), lastHeartbeatTime: time(0) })) },
      });
    }
    machines.push(machineObject(m, namespace, labels, m.node.kind === "ready" ? nodeName : m.node.kind === "missing" ? `${nodeName}-gone` : undefined, time));
    if (m.existingRequest) {
      requests.push({ apiVersion: REMEDIATION_VERSION, kind: "ExampleRemediation", metadata: meta(m.name), spec: { strategy: "reboot" } });
    }
  }

  const template: KubeObject | undefined =
    scenario.mhc.template === "exists"
      ? {
          apiVersion: REMEDIATION_VERSION,
          kind: "ExampleRemediationTemplate",
          metadata: meta(TEMPLATE_NAME),
          spec: { template: { metadata: { labels: { "remediation.example/kind": "reboot" }, annotations: { "remediation.example/by": "test" } }, spec: { strategy: "reboot", retries: 2 } } },
        }
      : scenario.mhc.template === "without-spec-template"
        ? { apiVersion: REMEDIATION_VERSION, kind: "ExampleRemediationTemplate", metadata: meta(TEMPLATE_NAME), spec: { note: "no template" } }
        : undefined;

  const spec: Record<string, unknown> = {
    clusterName: CLUSTER_NAME,
    selector: scenario.mhc.selector,
    ...(scenario.mhc.unhealthyConditions.length > 0 ? { unhealthyConditions: scenario.mhc.unhealthyConditions } : {}),
    ...(scenario.mhc.maxUnhealthy !== undefined ? { maxUnhealthy: scenario.mhc.maxUnhealthy } : {}),
    ...(scenario.mhc.unhealthyRange !== undefined ? { unhealthyRange: scenario.mhc.unhealthyRange } : {}),
    ...(scenario.mhc.nodeStartupTimeout !== undefined ? { nodeStartupTimeout: scenario.mhc.nodeStartupTimeout } : {}),
    ...(scenario.mhc.template ? { remediationTemplate: { apiVersion: REMEDIATION_VERSION, kind: "ExampleRemediationTemplate", name: TEMPLATE_NAME, namespace } } : {}),
  };
  const mhc: KubeObject = {
    apiVersion: CAPI,
    kind: "MachineHealthCheck",
    metadata: { ...meta(MHC_NAME), ...(scenario.mhc.paused ? { annotations: { "cluster.x-k8s.io/paused": "" } } : {}) },
    spec,
  };
  return { namespace, cluster, secret, nodes, machines, deleting: scenario.machines.filter((m) => m.deleting).map((m) => m.name), ...(template ? { template } : {}), requests, mhc };
}

function machineObject(m: MachineScenario, namespace: string, labels: Record<string, string>, nodeRef: string | undefined, time: (offset: number) => string): KubeObject {
  const clusterName = m.clusterLabel === "own" ? CLUSTER_NAME : "other-cluster";
  const owner =
    m.owner === "MachineSet"
      ? { apiVersion: CAPI, kind: "MachineSet", name: "workers", uid: randomUUID(), controller: true, blockOwnerDeletion: true }
      : m.owner === "KubeadmControlPlane"
        ? { apiVersion: "controlplane.cluster.x-k8s.io/v1beta1", kind: "KubeadmControlPlane", name: "control-plane", uid: randomUUID(), controller: true, blockOwnerDeletion: true }
        : m.owner === "other"
          ? { apiVersion: "apps/v1", kind: "ReplicaSet", name: "something", uid: randomUUID(), controller: true }
          : undefined;
  const conditions = [
    ...(m.infrastructureReady ? [{ type: "InfrastructureReady", status: m.infrastructureReady.status, lastTransitionTime: time(m.infrastructureReady.since) }] : []),
    ...m.prior.map((c) => ({
      type: c.type,
      status: c.status,
      ...(c.severity ? { severity: c.severity } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      lastTransitionTime: time(c.since),
    })),
  ];
  return {
    apiVersion: CAPI,
    kind: "Machine",
    metadata: {
      name: m.name,
      namespace,
      labels: {
        ...labels,
        "cluster.x-k8s.io/cluster-name": clusterName,
        pool: m.pool,
        ...(m.controlPlane ? { "cluster.x-k8s.io/control-plane": "" } : {}),
      },
      ...(m.annotations.length > 0 ? { annotations: Object.fromEntries(m.annotations.map((a) => [a, ""])) } : {}),
      ...(owner ? { ownerReferences: [owner] } : {}),
      ...(m.deleting ? { finalizers: ["differential.cluster-runtime.test/hold"] } : {}),
    },
    spec: {
      clusterName,
      bootstrap: { dataSecretName: `${m.name}-bootstrap` },
      infrastructureRef: { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "DockerMachine", name: m.name, namespace },
    },
    status: {
      ...(nodeRef ? { nodeRef: { apiVersion: "v1", kind: "Node", name: nodeRef } } : {}),
      ...(m.failureReason !== undefined ? { failureReason: m.failureReason } : {}),
      ...(m.failureMessage !== undefined ? { failureMessage: m.failureMessage } : {}),
      ...(conditions.length > 0 ? { conditions } : {}),
    },
  };
}

/** The two CRDs external remediation needs in the test: a template kind and the request kind it makes. */
export function remediationCrds(): KubeObject[] {
  const crd = (kind: string, plural: string): KubeObject => ({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${REMEDIATION_GROUP}` },
    spec: {
      group: REMEDIATION_GROUP,
      scope: "Namespaced",
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  });
  return [crd("ExampleRemediationTemplate", "exampleremediationtemplates"), crd("ExampleRemediation", "exampleremediations")];
}
