import type { Node } from "../k8s/core";
import { annotationKeys, conditionTypes, labelKeys, type Cluster, type Machine } from "./model";

// The health of one Machine, as the upstream controller judges it (machinehealthcheck_targets.go).
// Times are milliseconds since the epoch; a missing timestamp counts as the distant past, as Go's zero time does.

export interface NodeConditionRule {
  type: string;
  status: string;
  timeoutMs: number;
  /** The timeout as Go prints it ("5m0s"), for messages. */
  timeoutText: string;
}

export interface HealthPolicy {
  /** 0 turns the startup check off. */
  nodeStartupTimeoutMs: number;
  nodeStartupTimeoutText: string;
  unhealthyConditions: NodeConditionRule[];
}

/** What the check reads from the Cluster, computed once per evaluation. */
export interface ClusterReadiness {
  controlPlaneInitialized: boolean;
  controlPlaneInitializedAtMs: number | undefined;
  infrastructureReady: boolean;
  infrastructureReadyAtMs: number | undefined;
}

/** What upstream writes on the Machine for an unhealthy verdict: the v1beta1 and v1beta2 HealthCheckSucceeded False. */
export interface UnhealthyConditions {
  /** The v1beta1 message; "" (left out of the object) for NodeNotFound. */
  v1beta1Message: string;
  /** The v1beta2 condition; none for MachineHasFailure (upstream sets none, so the old one stays). */
  v1beta2?: { reason: string; message: string };
}

export type MachineHealth =
  | { state: "healthy"; message?: string }
  | ({ state: "unhealthy"; reason: string; message: string } & UnhealthyConditions)
  /** Not healthy yet not unhealthy: counted against maxUnhealthy, never marked. */
  | { state: "pending"; reason: string; message: string; recheckAfterMs?: number };

/** Upstream's unhealthy reasons (HealthCheckSucceeded False). */
export const unhealthyReasons = {
  remediateAnnotation: "HasRemediateMachineAnnotation",
  machineFailure: "MachineHasFailure",
  nodeNotFound: "NodeNotFound",
  nodeStartupTimeout: "NodeStartupTimeout",
  unhealthyNode: "UnhealthyNode",
} as const;

/** Our reasons for machines that are neither healthy nor unhealthy (upstream gives them none). */
export const pendingReasons = {
  waitingForNode: "WaitingForNode",
  nodeConditionPending: "UnhealthyConditionPending",
  clusterNotReady: "ClusterNotReady",
  deleting: "MachineDeleting",
} as const;

const second = 1000;

export function timeMs(text: string | undefined): number {
  if (!text) return 0;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? 0 : ms;
}

export function clusterReadiness(cluster: Cluster): ClusterReadiness {
  const conditions = cluster.status?.conditions ?? [];
  const find = (type: string) => conditions.find((c) => c.type === type);
  const controlPlane = find(conditionTypes.controlPlaneInitialized);
  const infrastructure = find(conditionTypes.infrastructureReady);
  return {
    controlPlaneInitialized: controlPlane?.status === "True",
    controlPlaneInitializedAtMs: controlPlane?.status === "True" ? timeMs(controlPlane.lastTransitionTime) : undefined,
    infrastructureReady: infrastructure?.status === "True",
    infrastructureReadyAtMs: infrastructure?.status === "True" ? timeMs(infrastructure.lastTransitionTime) : undefined,
  };
}

/** Whether the record has the key (presence is what counts for these labels and annotations). */
export function hasKey(record: Record<string, string> | undefined, key: string): boolean {
  return record !== undefined && Object.prototype.hasOwnProperty.call(record, key);
}

export function isControlPlaneMachine(machine: Machine): boolean {
  return hasKey(machine.metadata.labels, labelKeys.controlPlane);
}

/**
 * Upstream's checks, first match wins: remediate-machine annotation, failureReason/failureMessage, Node gone,
 * then (only once the Cluster's control plane is initialized and its infrastructure ready) Node startup timeout
 * and the unhealthy Node conditions. `node` is the Node named by status.nodeRef, undefined if there is none.
 */
export function checkMachineHealth(
  machine: Machine,
  node: Node | undefined,
  policy: HealthPolicy,
  cluster: ClusterReadiness,
  nowMs: number,
): MachineHealth {
  const nodeName = machine.status?.nodeRef?.name;
  // Nodes live in the workload cluster, which upstream cannot reach before its control plane is initialized.
  const canSeeNodes = cluster.controlPlaneInitialized;
  const seenNode = canSeeNodes ? node : undefined;

  // Upstream machinehealthcheck_targets.go `needsRemediation`, in its order.
  if (hasKey(machine.metadata.annotations, annotationKeys.remediateMachine)) {
    const message = "Marked for remediation via remediate-machine annotation";
    return {
      state: "unhealthy",
      reason: unhealthyReasons.remediateAnnotation,
      message,
      v1beta1Message: message,
      v1beta2: { reason: "HasRemediateAnnotation", message: `Health check failed: marked for remediation via ${annotationKeys.remediateMachine} annotation` },
    };
  }
  // A pointer test in Go: an empty string counts.
  const failureReason = machine.status?.failureReason;
  if (failureReason !== undefined && failureReason !== null) {
    const message = `FailureReason: ${failureReason}`;
    return { state: "unhealthy", reason: unhealthyReasons.machineFailure, message, v1beta1Message: message };
  }
  const failureMessage = machine.status?.failureMessage;
  if (failureMessage !== undefined && failureMessage !== null) {
    const message = `FailureMessage: ${failureMessage}`;
    return { state: "unhealthy", reason: unhealthyReasons.machineFailure, message, v1beta1Message: message };
  }
  if (canSeeNodes && nodeName !== undefined && node === undefined) {
    // v1beta1 has no message for this reason; the report borrows the v1beta2 one.
    return {
      state: "unhealthy",
      reason: unhealthyReasons.nodeNotFound,
      message: `Node ${nodeName} has been deleted`,
      v1beta1Message: "",
      v1beta2: { reason: "NodeDeleted", message: `Health check failed: Node ${nodeName} has been deleted` },
    };
  }

  // Upstream does not penalize Machines while the Cluster is not ready; the first control plane
  // Machine is the exception, so that it can be remediated.
  if (!cluster.controlPlaneInitialized && !isControlPlaneMachine(machine)) {
    return notCheckedYet(machine, seenNode, "the Cluster's control plane is not initialized yet");
  }
  if (!cluster.infrastructureReady) {
    return notCheckedYet(machine, seenNode, "the Cluster's infrastructure is not ready yet");
  }

  if (seenNode === undefined) return checkNodeStartup(machine, policy, cluster, nowMs);

  const conditions = seenNode.status?.conditions ?? [];
  let recheckAfterMs: number | undefined;
  let pendingMessage: string | undefined;
  for (const rule of policy.unhealthyConditions) {
    const condition = conditions.find((c) => c.type === rule.type);
    if (!condition || condition.status !== rule.status) continue;
    const since = timeMs(condition.lastTransitionTime);
    if (since + rule.timeoutMs < nowMs) {
      const message = `Condition ${rule.type} on node is reporting status ${rule.status} for more than ${rule.timeoutText}`;
      return {
        state: "unhealthy",
        reason: unhealthyReasons.unhealthyNode,
        message,
        v1beta1Message: message,
        v1beta2: {
          reason: unhealthyReasons.unhealthyNode,
          message: `Health check failed: Condition ${rule.type} on Node is reporting status ${rule.status} for more than ${rule.timeoutText}`,
        },
      };
    }
    const next = rule.timeoutMs - (nowMs - since) + second;
    if (next > 0 && (recheckAfterMs === undefined || next < recheckAfterMs)) {
      recheckAfterMs = next;
      pendingMessage = `Condition ${rule.type} on node is reporting status ${rule.status}; the Machine becomes unhealthy if that lasts more than ${rule.timeoutText}`;
    }
  }
  if (recheckAfterMs !== undefined) {
    return { state: "pending", reason: pendingReasons.nodeConditionPending, message: pendingMessage!, recheckAfterMs };
  }
  return healthyUnlessDeleting(machine);
}

function checkNodeStartup(machine: Machine, policy: HealthPolicy, cluster: ClusterReadiness, nowMs: number): MachineHealth {
  const timeout = policy.nodeStartupTimeoutMs;
  if (timeout === 0) {
    return {
      state: "pending",
      reason: pendingReasons.waitingForNode,
      message: "Machine has no Node yet; nodeStartupTimeout is 0, so it is not remediated for that",
    };
  }
  // The latest of: Machine creation, the Cluster's ControlPlaneInitialized and InfrastructureReady, the Machine's
  // InfrastructureReady (each only when True).
  let startedAt = timeMs(machine.metadata.creationTimestamp);
  for (const at of [cluster.controlPlaneInitializedAtMs, cluster.infrastructureReadyAtMs]) {
    if (at !== undefined && at > startedAt) startedAt = at;
  }
  const machineInfra = machine.status?.conditions?.find((c) => c.type === conditionTypes.infrastructureReady);
  if (machineInfra?.status === "True") startedAt = Math.max(startedAt, timeMs(machineInfra.lastTransitionTime));

  if (startedAt + timeout < nowMs) {
    const message = `Node failed to report startup in ${policy.nodeStartupTimeoutText}`;
    return {
      state: "unhealthy",
      reason: unhealthyReasons.nodeStartupTimeout,
      message,
      v1beta1Message: message,
      v1beta2: { reason: unhealthyReasons.nodeStartupTimeout, message: `Health check failed: ${message}` },
    };
  }
  return {
    state: "pending",
    reason: pendingReasons.waitingForNode,
    message: `Waiting for the Node to report startup; unhealthy if it has not within ${policy.nodeStartupTimeoutText}`,
    recheckAfterMs: timeout - (nowMs - startedAt) + second,
  };
}

function notCheckedYet(machine: Machine, node: Node | undefined, why: string): MachineHealth {
  if (node === undefined) {
    return { state: "pending", reason: pendingReasons.clusterNotReady, message: `Health not checked: ${why}` };
  }
  const result = healthyUnlessDeleting(machine);
  return result.state === "healthy" ? { state: "healthy", message: `Node conditions not checked: ${why}` } : result;
}

function healthyUnlessDeleting(machine: Machine): MachineHealth {
  if (machine.metadata.deletionTimestamp) {
    return { state: "pending", reason: pendingReasons.deleting, message: "Machine is being deleted" };
  }
  return { state: "healthy" };
}
