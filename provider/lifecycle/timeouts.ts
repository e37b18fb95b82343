import * as z from "zod";
import { goDurationSchema, parseGoDuration } from "../k8s/duration";

// customTimeouts never reach a dynamic provider, so every wait can take its limit from the inputs;
// the provider plugin is told the engine's customTimeouts too.

export const timeoutsSchema = z.strictObject({
  create: goDurationSchema().optional().meta({ description: "Limit of the wait after create (Go duration)." }),
  update: goDurationSchema().optional().meta({ description: "Limit of the wait after update (Go duration)." }),
  delete: goDurationSchema().optional().meta({ description: "Limit of the wait for the removal (Go duration)." }),
});
export type Timeouts = z.infer<typeof timeoutsSchema>;
export type Operation = keyof Timeouts;

/**
 * The time limit of an operation's wait: the resource's own `timeouts` input, else the engine's
 * customTimeouts (when the host is told them), else the resource's default.
 */
export function timeoutMs(timeouts: Timeouts | undefined, operation: Operation, fallback: string, engineMs?: number): number {
  const own = timeouts?.[operation];
  if (own !== undefined) return parseGoDuration(own) ?? 0;
  if (engineMs !== undefined && engineMs > 0) return engineMs;
  return parseGoDuration(fallback) ?? 0;
}
