import { formatGoDuration, parseGoDuration } from "../k8s/duration";
import { hasAnnotation, toKubeTime, type Condition } from "../k8s/meta";
import { conditionIs, type ConditionUpdate, type V1Beta2ConditionUpdate } from "./conditions";
import { timeMs } from "./health";
import { annotationKeys, conditionTypes, type KubeadmControlPlane, type Machine } from "./model";

// What the owners of marked Machines decide, as Cluster API v1.10 decides it, without acting: the
// KubeadmControlPlane (controlplane/kubeadm/internal/controllers/remediation.go `reconcileUnhealthyMachines`)
// and the MachineSet (internal/controllers/machineset/machineset_controller.go `reconcileUnhealthyMachines`).
// Pure. The steps (owner-remediation-step.ts) turn a decision into writes for the twin; the report
// (evaluate.ts) turns it into words.
//
// One input of the KubeadmControlPlane cannot be read from objects: the workload cluster's etcd members.
// `etcd: "unknown"` (the report) says so instead of deciding; `etcd: "simulated"` (the twin, which has no
// etcd) projects the members from the control plane Machines with a Node, healthy unless their
// EtcdMemberHealthy condition is not True (or, with no such condition, their health check failed).

export const kcpAnnotations = {
  /** On the KubeadmControlPlane while a remediation's replacement is not created yet (JSON RemediationData). */
  remediationInProgress: "controlplane.cluster.x-k8s.io/remediation-in-progress",
  /** On the replacement Machine: the RemediationData of the remediation it completes. */
  remediationFor: "controlplane.cluster.x-k8s.io/remediation-for",
} as const;

export const kcpMessages = {
  tooFewReplicas: "KubeadmControlPlane can't remediate if current replicas are less or equal to 1",
  provisioning: "KubeadmControlPlane waiting for control plane machine provisioning to complete before triggering remediation",
  deletionInProgress: "KubeadmControlPlane waiting for control plane machine deletion to complete before triggering remediation",
  etcdQuorum: "KubeadmControlPlane can't remediate this machine because this could result in etcd loosing quorum",
  noLeader: "A control plane machine needs remediation, but there is no healthy machine to forward etcd leadership to. Skipping remediation",
  retryPeriod: (period: string) => `KubeadmControlPlane can't remediate this machine because the operation already failed in the latest ${period} (RetryPeriod)`,
  maxRetry: (count: number) => `KubeadmControlPlane can't remediate this machine because the operation already failed ${count} times (MaxRetry)`,
} as const;

/** Upstream's RemediationData (JSON in the two annotations). */
export interface RemediationData {
  machine: string;
  timestamp: string;
  retryCount: number;
}

export type OwnerDecision =
  /** Nothing marked for this owner. */
  | { kind: "none" }
  /** Delete `machine`; write the conditions on it first (MachineSet) or after (KubeadmControlPlane). */
  | { kind: "remediate"; machines: Machine[]; v1beta1: ConditionUpdate; v1beta2: V1Beta2ConditionUpdate; inProgress?: RemediationData; removeInProgress?: boolean }
  /** Leave it marked; write why on the picked Machine (when upstream does). */
  | { kind: "wait"; machine: Machine; message: string; v1beta1?: ConditionUpdate; v1beta2?: V1Beta2ConditionUpdate; removeInProgress?: boolean }
  /** Upstream returns without writing anything (the picked Machine is deleting, another remediation is in progress). */
  | { kind: "quiet"; machine: Machine; message: string }
  /** The report cannot tell: the decision rests on the etcd members. */
  | { kind: "unknown"; machine: Machine; message: string };

export interface KubeadmControlPlaneDecisionInput {
  kcp: KubeadmControlPlane;
  /** The Machines the KubeadmControlPlane owns, deleting ones included. */
  machines: readonly Machine[];
  now: Date;
  etcd: "unknown" | "simulated";
}

/** Machines with HealthCheckSucceeded False and OwnerRemediated False (upstream `IsUnhealthyAndOwnerRemediated`). */
export function isMarkedForOwner(machine: Machine): boolean {
  const conditions = machine.status?.conditions;
  return conditionIs(conditions, conditionTypes.healthCheckSucceeded, "False") && conditionIs(conditions, conditionTypes.ownerRemediated, "False");
}

/** Upstream's cleanup: a Machine healthy again (not deleting) drops an OwnerRemediated False nobody acted on. */
export function isHealthyAgain(machine: Machine): boolean {
  if (machine.metadata.deletionTimestamp) return false;
  const conditions = machine.status?.conditions;
  return conditionIs(conditions, conditionTypes.healthCheckSucceeded, "True") && conditionIs(conditions, conditionTypes.ownerRemediated, "False");
}

export function isHealthyAgainV1Beta2(machine: Machine): boolean {
  if (machine.metadata.deletionTimestamp) return false;
  const conditions = machine.status?.v1beta2?.conditions;
  return conditionIs(conditions, conditionTypes.healthCheckSucceeded, "True") && conditionIs(conditions, conditionTypes.ownerRemediated, "False");
}

/** Upstream `ControlPlane.IsEtcdManaged`: no clusterConfiguration, or one without etcd.external. */
export function isEtcdManaged(kcp: KubeadmControlPlane): boolean {
  const configuration = kcp.spec.kubeadmConfigSpec?.clusterConfiguration;
  return configuration === undefined || configuration.etcd?.external === undefined || configuration.etcd.external === null;
}

type WaitDecision = Extract<OwnerDecision, { kind: "wait" }>;

const wait = (machine: Machine, message: string, v1beta2Reason: string, v1beta2Message = message, v1beta1Reason = "WaitingForRemediation", severity = "Warning"): WaitDecision => ({
  kind: "wait",
  machine,
  message,
  v1beta1: { type: conditionTypes.ownerRemediated, status: "False", reason: v1beta1Reason, severity, message },
  v1beta2: { type: conditionTypes.ownerRemediated, status: "False", reason: v1beta2Reason, message: v1beta2Message },
});

/** Upstream KCP `reconcileUnhealthyMachines`, from the choice of the Machine to the delete. */
export function decideKubeadmControlPlaneRemediation(input: KubeadmControlPlaneDecisionInput): OwnerDecision {
  const { kcp, machines, now } = input;
  const toRemediate = machines.filter(isMarkedForOwner); // deleting Machines included, paused ones too
  if (toRemediate.length === 0) return { kind: "none" };
  const etcdManaged = isEtcdManaged(kcp);
  const machine = pickControlPlaneMachine(toRemediate, etcdManaged);
  const name = machine.metadata.name ?? "";
  if (machine.metadata.deletionTimestamp) return { kind: "quiet", machine, message: `Machine ${name} is already being deleted` };

  let removeInProgress = false;
  const inProgressText = kcp.metadata.annotations?.[kcpAnnotations.remediationInProgress];
  if (inProgressText !== undefined) {
    const inProgress = parseRemediationData(inProgressText);
    if (!inProgress) return { kind: "quiet", machine, message: `the ${kcpAnnotations.remediationInProgress} annotation cannot be read: KubeadmControlPlane fails its reconcile` };
    const stale = machines.some((m) => timeMs(m.metadata.creationTimestamp) > timeMs(inProgress.timestamp));
    if (!stale) return { kind: "quiet", machine, message: `another remediation (of Machine ${inProgress.machine}) is in progress` };
    removeInProgress = true;
  }

  // checkRetryLimits
  const retry = checkRetryLimits(machine, kcp, now);
  if ("wait" in retry) return { ...retry.wait, removeInProgress };

  if (kcp.status?.initialized === true) {
    if (machines.length <= 1) return { ...wait(machine, kcpMessages.tooFewReplicas, "CannotBeRemediated"), removeInProgress };
    const healthy = machines.filter((m) => !conditionIs(m.status?.conditions, conditionTypes.healthCheckSucceeded, "False"));
    if (healthy.some((m) => !m.status?.nodeRef)) {
      return { ...wait(machine, kcpMessages.provisioning, "RemediationDeferred", kcpMessages.provisioning.replace("control plane machine", "control plane Machine")), removeInProgress };
    }
    if (machines.some((m) => m.metadata.deletionTimestamp)) {
      return { ...wait(machine, kcpMessages.deletionInProgress, "RemediationDeferred", kcpMessages.deletionInProgress.replace("control plane machine", "control plane Machine")), removeInProgress };
    }
    if (etcdManaged) {
      const projection = projectEtcdAfterRemoving(machine, machines);
      if (input.etcd === "unknown") {
        return {
          kind: "unknown",
          machine,
          message: `KubeadmControlPlane deletes it only if etcd keeps quorum without its member; the etcd members are not visible here (projected from the control plane Machines: ${projection.safe ? "quorum kept" : "quorum lost"}, ${projection.healthy}/${projection.total} members healthy after removal)`,
        };
      }
      if (!projection.safe) {
        return { ...wait(machine, kcpMessages.etcdQuorum, "CannotBeRemediated", kcpMessages.etcdQuorum.replace("this machine", "this Machine")), removeInProgress };
      }
      const leader = newest(healthy);
      if (!leader) {
        return {
          ...wait(machine, kcpMessages.noLeader, "CannotBeRemediated", "KubeadmControlPlane can't remediate this Machine because there is no healthy Machine to forward etcd leadership to", "RemediationFailed"),
          removeInProgress,
        };
      }
    }
  }

  return {
    kind: "remediate",
    machines: [machine],
    // After the delete: OwnerRemediated False/RemediationInProgress (no message), v1beta2 MachineDeleting.
    v1beta1: { type: conditionTypes.ownerRemediated, status: "False", reason: "RemediationInProgress", severity: "Warning" },
    v1beta2: { type: conditionTypes.ownerRemediated, status: "False", reason: "MachineDeleting", message: "Machine is deleting" },
    inProgress: retry.data,
    removeInProgress,
  };
}

/** Upstream `getMachineToBeRemediated` / `pickMachineToBeRemediated`: the "most broken" first. */
export function pickControlPlaneMachine(machines: readonly Machine[], etcdManaged: boolean): Machine {
  const conditionTypesInOrder = [
    ...(etcdManaged ? ["EtcdMemberHealthy", "EtcdPodHealthy"] : []),
    "APIServerPodHealthy",
    "ControllerManagerPodHealthy",
    "SchedulerPodHealthy",
  ];
  const first = (a: Machine, b: Machine): number => {
    const byFlag = (has: (m: Machine) => boolean) => (has(a) === has(b) ? 0 : has(a) ? -1 : 1);
    const byAnnotation = byFlag((m) => hasAnnotation(m, annotationKeys.remediateMachine));
    if (byAnnotation) return byAnnotation;
    const byNode = byFlag((m) => !m.status?.nodeRef);
    if (byNode) return byNode;
    for (const type of conditionTypesInOrder) {
      const byCondition = byFlag((m) => !conditionIs(m.status?.conditions, type, "True"));
      if (byCondition) return byCondition;
    }
    const age = timeMs(a.metadata.creationTimestamp) - timeMs(b.metadata.creationTimestamp);
    if (age) return age;
    const [x, y] = [a.metadata.name ?? "", b.metadata.name ?? ""];
    return x < y ? -1 : x > y ? 1 : 0;
  };
  return machines.slice().sort(first)[0]!;
}

/** Upstream `checkRetryLimits`: the RemediationData to record, or why KubeadmControlPlane waits. */
function checkRetryLimits(machine: Machine, kcp: KubeadmControlPlane, now: Date): { data: RemediationData } | { wait: WaitDecision } {
  const data: RemediationData = { machine: machine.metadata.name ?? "", timestamp: toKubeTime(now), retryCount: 0 };
  const lastText = machine.metadata.annotations?.[kcpAnnotations.remediationFor];
  if (lastText === undefined) return { data };
  const last = parseRemediationData(lastText);
  if (!last) return { data };
  const strategy = kcp.spec.remediationStrategy;
  const minHealthyMs = (strategy?.minHealthyPeriod !== undefined ? parseGoDuration(strategy.minHealthyPeriod) : undefined) ?? 3_600_000;
  const retryMs = (strategy?.retryPeriod !== undefined ? parseGoDuration(strategy.retryPeriod) : undefined) ?? 0;
  const lastMs = last.timestamp ? timeMs(last.timestamp) : now.getTime() - 2 * Math.max(minHealthyMs, retryMs);
  if (!(lastMs + minHealthyMs > now.getTime())) return { data };
  data.retryCount = last.retryCount;
  if (lastMs + retryMs > now.getTime()) {
    const message = kcpMessages.retryPeriod(formatGoDuration(retryMs));
    return { wait: wait(machine, message, "RemediationDeferred") };
  }
  if (strategy?.maxRetry !== undefined && data.retryCount >= strategy.maxRetry) {
    const message = kcpMessages.maxRetry(strategy.maxRetry);
    return { wait: wait(machine, message, "CannotBeRemediated") };
  }
  data.retryCount++;
  return { data };
}

export function parseRemediationData(text: string): RemediationData | undefined {
  try {
    const value = JSON.parse(text) as Partial<RemediationData>;
    return { machine: String(value.machine ?? ""), timestamp: String(value.timestamp ?? ""), retryCount: Number(value.retryCount ?? 0) };
  } catch {
    return undefined;
  }
}

/**
 * Upstream `canSafelyRemoveEtcdMember` on members projected from the Machines (one per control plane
 * Machine with a Node): the target cluster without the remediated Machine's member keeps quorum when
 * its healthy members are at least total/2 + 1.
 */
export function projectEtcdAfterRemoving(machine: Machine, machines: readonly Machine[]): { safe: boolean; total: number; healthy: number } {
  const removed = machine.status?.nodeRef?.name;
  const members = machines.filter((m) => m.status?.nodeRef?.name !== undefined && m.status.nodeRef.name !== removed);
  const healthy = members.filter((m) => simulatedEtcdMemberHealthy(m.status?.conditions)).length;
  const total = members.length;
  return { safe: healthy >= Math.floor(total / 2) + 1, total, healthy };
}

function simulatedEtcdMemberHealthy(conditions: readonly Condition[] | undefined): boolean {
  const etcd = conditions?.find((c) => c.type === "EtcdMemberHealthy");
  if (etcd) return etcd.status === "True";
  return !conditionIs(conditions, conditionTypes.healthCheckSucceeded, "False");
}

function newest(machines: readonly Machine[]): Machine | undefined {
  return machines.slice().sort((a, b) => timeMs(b.metadata.creationTimestamp) - timeMs(a.metadata.creationTimestamp))[0];
}

/**
 * Upstream MachineSet `reconcileUnhealthyMachines` for a MachineSet outside a MachineDeployment rollout:
 * every marked Machine that is not deleting (paused ones included), OwnerRemediated True written before
 * the delete. MachineDeployment revision and maxInFlight, and the preflight checks, are not modelled.
 */
export function decideMachineSetRemediation(machines: readonly Machine[]): OwnerDecision {
  const toRemediate = machines.filter((m) => isMarkedForOwner(m) && !m.metadata.deletionTimestamp);
  if (toRemediate.length === 0) return { kind: "none" };
  return {
    kind: "remediate",
    machines: toRemediate,
    v1beta1: { type: conditionTypes.ownerRemediated, status: "True" },
    v1beta2: { type: conditionTypes.ownerRemediated, status: "False", reason: "MachineDeleting", message: "Machine is deleting" },
  };
}
