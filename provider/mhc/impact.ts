import type { Evaluation } from "./evaluate";
import { defaultMaxUnhealthy, type MachineHealthCheckSpec, parseUnhealthyRange, scaleMaxUnhealthy } from "./model";

// What a policy change means for the machines that exist now, in words, for `pulumi preview`:
//   maxUnhealthy 40% → 20%: 25 machines, limit 10 → 5, 3 unhealthy now: still allowed
//   capi-quickstart-nodepool-0-abcde: pending → unhealthy (UnhealthyNode)

type Policy = Pick<MachineHealthCheckSpec, "maxUnhealthy" | "unhealthyRange">;

export function describePolicyImpact(before: { spec: Policy; evaluation: Evaluation }, after: { spec: Policy; evaluation: Evaluation }): string[] {
  const lines = [gateLine(before, after)];
  const old = new Map(before.evaluation.machines.map((m) => [m.name, m]));
  for (const machine of after.evaluation.machines) {
    const was = old.get(machine.name);
    if (!was || was.state === machine.state) continue;
    lines.push(`${machine.name}: ${was.state} → ${machine.state}${machine.reason ? ` (${machine.reason})` : ""}`);
  }
  return lines;
}

function gateLine(before: { spec: Policy; evaluation: Evaluation }, after: { spec: Policy; evaluation: Evaluation }): string {
  const total = after.evaluation.expectedMachines;
  const notHealthy = total - after.evaluation.currentHealthy;
  const verdict = before.evaluation.remediationAllowed === after.evaluation.remediationAllowed
    ? after.evaluation.remediationAllowed ? "still allowed" : "still short-circuited"
    : after.evaluation.remediationAllowed ? "now allowed" : "now short-circuited: no machine would be remediated";
  return `${policyChange(before.spec, after.spec)}: ${total} machines, limit ${limitText(before.spec, before.evaluation.expectedMachines)} → ${limitText(after.spec, total)}, ${notHealthy} unhealthy now: ${verdict}`;
}

/** "maxUnhealthy 40% → 20%", or "maxUnhealthy 40% → unhealthyRange [1-3]" when the kind of limit changes. */
function policyChange(before: Policy, after: Policy): string {
  const [from, to] = [policyText(before), policyText(after)];
  const [fromField, toField] = [from.split(" ")[0], to.split(" ")[0]];
  return fromField === toField ? `${from} → ${to.slice(toField!.length + 1)}` : `${from} → ${to}`;
}

function policyText(spec: Policy): string {
  return spec.unhealthyRange !== undefined ? `unhealthyRange ${spec.unhealthyRange}` : `maxUnhealthy ${String(spec.maxUnhealthy ?? defaultMaxUnhealthy)}`;
}

/** The remediation limit in machines: "10", or "3-5" for a range. */
function limitText(spec: Policy, total: number): string {
  if (spec.unhealthyRange !== undefined) {
    const range = parseUnhealthyRange(spec.unhealthyRange);
    return "problem" in range ? spec.unhealthyRange : `${range.min}-${range.max}`;
  }
  const limit = scaleMaxUnhealthy(spec.maxUnhealthy ?? defaultMaxUnhealthy, total);
  return "value" in limit ? String(limit.value) : "?";
}
