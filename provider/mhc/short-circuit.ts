import { defaultMaxUnhealthy, parseUnhealthyRange, scaleMaxUnhealthy, type MachineHealthCheckSpec } from "./model";

// Short-circuiting: whether remediation may happen given how many targets are not healthy.
// The count is expectedMachines - currentHealthy, so pending, deleting and Node-less machines count too.

export interface RemediationGate {
  allowed: boolean;
  /** maxUnhealthy - count (or max - count with a range); 0 when not allowed. */
  remediationsAllowed: number;
  /** The RemediationAllowed False message, when not allowed. */
  message?: string;
}

export interface GateCounts {
  expectedMachines: number;
  currentHealthy: number;
  /** Machines judged unhealthy (not pending): the "unhealthy" figure of upstream's message. */
  unhealthy: number;
}

/** Throws on a spec the webhook would have refused: evaluation is not the place to validate. */
export function remediationGate(spec: Pick<MachineHealthCheckSpec, "maxUnhealthy" | "unhealthyRange">, counts: GateCounts): RemediationGate {
  const count = counts.expectedMachines - counts.currentHealthy;
  if (spec.unhealthyRange !== undefined) {
    const range = parseUnhealthyRange(spec.unhealthyRange);
    if ("problem" in range) throw new Error(`spec.unhealthyRange ${range.problem}`);
    const allowed = count >= range.min && count <= range.max;
    return allowed
      ? { allowed, remediationsAllowed: range.max - count }
      : {
          allowed,
          remediationsAllowed: 0,
          message: `Remediation is not allowed, the number of not started or unhealthy machines does not fall within the range (total: ${counts.expectedMachines}, unhealthy: ${counts.unhealthy}, unhealthyRange: ${spec.unhealthyRange})`,
        };
  }
  const maxUnhealthy = spec.maxUnhealthy ?? defaultMaxUnhealthy;
  const limit = scaleMaxUnhealthy(maxUnhealthy, counts.expectedMachines);
  if (limit === undefined) {
    throw new Error(`spec.maxUnhealthy must be a whole number or a percentage ending in "%"; got ${JSON.stringify(maxUnhealthy)}`);
  }
  const allowed = count <= limit;
  return allowed
    ? { allowed, remediationsAllowed: limit - count }
    : {
        allowed,
        remediationsAllowed: 0,
        message: `Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: ${counts.expectedMachines}, unhealthy: ${counts.unhealthy}, maxUnhealthy: ${String(maxUnhealthy)})`,
      };
}
