import { toKubeTime, type Condition } from "../k8s/meta";

// Cluster API v1beta1 conditions on Machines and MachineHealthChecks: type, status, severity, reason,
// message, lastTransitionTime. Functions return new arrays; inputs are never changed.

export interface ConditionUpdate {
  type: string;
  status: string;
  severity?: string;
  reason?: string;
  message?: string;
}

/**
 * The conditions with `update` set: lastTransitionTime is kept while the status stays the same (a
 * transition is a change of status) and set to `now` otherwise. Other conditions keep their place.
 */
export function setCondition(conditions: readonly Condition[] | undefined, update: ConditionUpdate, now: Date): Condition[] {
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === update.type);
  const existing = index >= 0 ? list[index] : undefined;
  const lastTransitionTime =
    existing && existing.status === update.status && existing.lastTransitionTime ? existing.lastTransitionTime : toKubeTime(now);
  const next: Condition = { ...withoutUndefined(update), lastTransitionTime };
  if (index < 0) return [...list, next];
  const copy = list.slice();
  copy[index] = next;
  return copy;
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** Whether two condition lists say the same thing (order included), so that unchanged status is not rewritten. */
export function sameConditions(a: readonly Condition[] | undefined, b: readonly Condition[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  return left.every((c, i) => {
    const d = right[i]!;
    return (
      c.type === d.type &&
      c.status === d.status &&
      (c.reason ?? "") === (d.reason ?? "") &&
      (c.message ?? "") === (d.message ?? "") &&
      (c.severity ?? "") === (d.severity ?? "") &&
      c.lastTransitionTime === d.lastTransitionTime
    );
  });
}

export function conditionIs(conditions: readonly Condition[] | undefined, type: string, status: string): boolean {
  return conditions?.find((c) => c.type === type)?.status === status;
}

function withoutUndefined(value: ConditionUpdate): ConditionUpdate {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as ConditionUpdate;
}
