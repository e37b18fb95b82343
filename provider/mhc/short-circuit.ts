import { readUnhealthyRange, scaleMaxUnhealthy, type MachineHealthCheckSpec } from "./model";

// Short-circuiting: whether remediation may happen given how many targets are not healthy.
// Upstream machinehealthcheck_controller.go `isAllowedRemediation`, `getUnhealthyRange`, `getMaxUnhealthy`.
// The count is expectedMachines - currentHealthy, so pending, deleting and Node-less machines count too.

export type RemediationGate =
  | {
      allowed: boolean;
      /** maxUnhealthy - count (or max - count with a range); 0 when not allowed. */
      remediationsAllowed: number;
      /** The RemediationAllowed False message, when not allowed. */
      message?: string;
    }
  /**
   * Upstream cannot tell (a missing maxUnhealthy, a string without "%", a range whose minimum exceeds its
   * maximum): its reconcile fails with this error every time, after writing the counts and targets but no
   * condition and no observedGeneration, and it marks no Machine.
   */
  | { error: string };

export interface GateCounts {
  expectedMachines: number;
  currentHealthy: number;
  /** Machines judged unhealthy (not pending): the "unhealthy" figure of upstream's message. */
  unhealthy: number;
}

export function remediationGate(spec: Pick<MachineHealthCheckSpec, "maxUnhealthy" | "unhealthyRange">, counts: GateCounts): RemediationGate {
  const count = counts.expectedMachines - counts.currentHealthy;
  if (spec.unhealthyRange !== undefined) {
    const range = readUnhealthyRange(spec.unhealthyRange);
    if ("error" in range) return { error: `error checking if remediation is allowed: ${range.error}` };
    const allowed = count >= range.min && count <= range.max;
    return allowed
      ? { allowed, remediationsAllowed: range.max - count }
      : {
          allowed,
          remediationsAllowed: 0,
          message: `Remediation is not allowed, the number of not started or unhealthy machines does not fall within the range (total: ${counts.expectedMachines}, unhealthy: ${counts.unhealthy}, unhealthyRange: ${spec.unhealthyRange})`,
        };
  }
  // The v1.10 controller does not default maxUnhealthy (its webhook does): without it, every reconcile fails.
  if (spec.maxUnhealthy === undefined) return { error: "error checking if remediation is allowed: spec.maxUnhealthy must be set" };
  const limit = scaleMaxUnhealthy(spec.maxUnhealthy, counts.expectedMachines);
  if ("error" in limit) return { error: `error checking if remediation is allowed: ${limit.error}` };
  const allowed = count <= limit.value;
  return allowed
    ? { allowed, remediationsAllowed: limit.value - count }
    : {
        allowed,
        remediationsAllowed: 0,
        message: `Remediation is not allowed, the number of not started or unhealthy machines exceeds maxUnhealthy (total: ${counts.expectedMachines}, unhealthy: ${counts.unhealthy}, maxUnhealthy: ${String(spec.maxUnhealthy)})`,
      };
}
