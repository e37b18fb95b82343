import { toKubeTime, type Condition } from "../k8s/meta";
import type { V1Beta2Condition } from "./model";

// Cluster API v1.10's two condition lists on Machines and MachineHealthChecks, as its setters keep them.
// Functions return new arrays; inputs are never changed.
//
// - status.conditions (v1beta1 clusterv1.Condition: type, status, severity, reason, message,
//   lastTransitionTime): upstream util/conditions/setter.go `Set`.
// - status.v1beta2.conditions (metav1.Condition: type, status, observedGeneration, reason, message,
//   lastTransitionTime): upstream util/conditions/v1beta2/setter.go `Set`.

export interface ConditionUpdate {
  type: string;
  status: string;
  severity?: string;
  reason?: string;
  message?: string;
}

export type { V1Beta2Condition };

export interface V1Beta2ConditionUpdate {
  type: string;
  status: string;
  reason: string;
  message?: string;
}

/**
 * The v1beta1 conditions with `update` set, as upstream `conditions.Set`: lastTransitionTime is kept
 * while type, status, reason, severity and message all stay the same, and set to `now` (whole seconds)
 * on any change; the list is then sorted, Ready first and the others by type. Empty strings are left
 * out, as the API's omitempty fields are.
 */
export function setCondition(conditions: readonly Condition[] | undefined, update: ConditionUpdate, now: Date): Condition[] {
  const list = conditions ?? [];
  const next = withoutEmpty(update);
  const index = list.findIndex((c) => c.type === update.type);
  const existing = index >= 0 ? list[index] : undefined;
  // Unchanged: nothing is written, so the list keeps its order (upstream's patch helper sends no change, and
  // sorts only the lists it changes).
  if (existing && hasSameState(existing, next) && existing.lastTransitionTime) return list.slice();
  const lastTransitionTime = toKubeTime(now);
  const updated: Condition = { ...next, lastTransitionTime };
  const copy = list.slice();
  if (index < 0) copy.push(updated);
  else copy[index] = updated;
  return copy.sort(v1beta1Order);
}

/** Upstream `conditions.Delete`: the list without that type, order kept (Delete does not sort). */
export function removeCondition<C extends { type: string }>(conditions: readonly C[] | undefined, type: string): C[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Upstream `conditions.HasSameState`: type, status, reason, severity and message. */
export function hasSameState(a: ConditionUpdate, b: ConditionUpdate): boolean {
  return (
    a.type === b.type &&
    a.status === b.status &&
    (a.reason ?? "") === (b.reason ?? "") &&
    (a.severity ?? "") === (b.severity ?? "") &&
    (a.message ?? "") === (b.message ?? "")
  );
}

/** Upstream `lexicographicLess`: Ready first, then by type in byte order. */
function v1beta1Order(a: { type: string }, b: { type: string }): number {
  if (a.type === b.type) return 0;
  if (a.type === "Ready") return -1;
  if (b.type === "Ready") return 1;
  return a.type < b.type ? -1 : 1;
}

/**
 * The v1beta2 conditions with `update` set, as upstream `v1beta2conditions.Set`: observedGeneration is the
 * object's generation; lastTransitionTime moves only when the status changes (meta.SetStatusCondition);
 * the list is re-sorted in upstream's default order only when something changed.
 */
export function setV1Beta2Condition(
  conditions: readonly V1Beta2Condition[] | undefined,
  update: V1Beta2ConditionUpdate,
  generation: number | undefined,
  now: Date,
): V1Beta2Condition[] {
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === update.type);
  const existing = index >= 0 ? list[index] : undefined;
  const next: V1Beta2Condition = {
    type: update.type,
    status: update.status,
    ...(generation ? { observedGeneration: generation } : {}),
    reason: update.reason,
    // metav1.Condition's message has no omitempty: an empty one is written as "".
    message: update.message ?? "",
    lastTransitionTime: existing && existing.status === update.status && existing.lastTransitionTime ? existing.lastTransitionTime : toKubeTime(now),
  };
  if (existing && sameV1Beta2(existing, next)) return list.slice();
  const copy = list.slice();
  if (index < 0) copy.push(next);
  else copy[index] = next;
  // sort.SliceStable in upstream: a stable sort, as Array.prototype.sort is.
  return copy.sort(v1beta2Order);
}

function sameV1Beta2(a: V1Beta2Condition, b: V1Beta2Condition): boolean {
  return (
    a.type === b.type &&
    a.status === b.status &&
    (a.reason ?? "") === (b.reason ?? "") &&
    (a.message ?? "") === (b.message ?? "") &&
    (a.observedGeneration ?? 0) === (b.observedGeneration ?? 0) &&
    a.lastTransitionTime === b.lastTransitionTime
  );
}

// Upstream util/conditions/v1beta2/sort.go `order`; a type not in the list takes the slot of the
// readiness and availability gates ("").
const v1beta2TypeOrder = [
  "Available", "Ready", "UpToDate", "RemoteConnectionProbe", "BootstrapConfigReady", "InfrastructureReady",
  "ControlPlaneInitialized", "ControlPlaneAvailable", "WorkersAvailable", "CertificatesAvailable", "Initialized",
  "EtcdClusterHealthy", "ControlPlaneComponentsHealthy", "NodeHealthy", "NodeReady", "EtcdPodHealthy",
  "EtcdMemberHealthy", "APIServerPodHealthy", "ControllerManagerPodHealthy", "SchedulerPodHealthy",
  "HealthCheckSucceeded", "OwnerRemediated", "TopologyReconciled", "RollingOut", "Remediating", "ScalingDown",
  "ScalingUp", "MachinesReady", "ControlPlaneMachinesReady", "WorkerMachinesReady", "MachinesUpToDate",
  "ControlPlaneMachinesUpToDate", "WorkerMachinesUpToDate", "", "Paused", "Deleting",
];
const v1beta2Rank = new Map(v1beta2TypeOrder.map((type, i) => [type, i]));

/** Upstream `defaultSortLessFunc`. */
function v1beta2Order(a: { type: string }, b: { type: string }): number {
  const gates = v1beta2Rank.get("")!;
  const ra = v1beta2Rank.get(a.type) ?? gates;
  const rb = v1beta2Rank.get(b.type) ?? gates;
  if (ra !== rb) return ra - rb;
  return a.type === b.type ? 0 : a.type < b.type ? -1 : 1;
}

/** Whether two condition lists say the same thing (order and lastTransitionTime included), so that unchanged status is not rewritten. */
export function sameConditions(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  return left.every((c, i) => {
    const d = right[i]!;
    return hasSameState(c, d) && c.lastTransitionTime === d.lastTransitionTime;
  });
}

export function sameV1Beta2Conditions(a: readonly V1Beta2Condition[] | undefined, b: readonly V1Beta2Condition[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  return left.length === right.length && left.every((c, i) => sameV1Beta2(c, right[i]!));
}

export function conditionIs(conditions: readonly { type: string; status: string }[] | undefined, type: string, status: string): boolean {
  return conditions?.find((c) => c.type === type)?.status === status;
}

function withoutEmpty(value: ConditionUpdate): ConditionUpdate {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== "")) as unknown as ConditionUpdate;
}
