import { z } from "zod";
import { parseGoDuration } from "../k8s/duration";

// customTimeouts never reach a dynamic provider, so every wait takes its limit from the inputs.

export const goDurationSchema = z.string().refine((text) => (parseGoDuration(text) ?? -1) >= 0, {
  error: (issue) => `must be a Go duration such as "300s", "5m" or "1h30m"; got ${JSON.stringify(issue.input)}`,
});

export const timeoutsSchema = z.strictObject({
  create: goDurationSchema.optional().meta({ description: "Limit of the wait after create (Go duration)." }),
  update: goDurationSchema.optional().meta({ description: "Limit of the wait after update (Go duration)." }),
  delete: goDurationSchema.optional().meta({ description: "Limit of the wait for the removal (Go duration)." }),
});
export type Timeouts = z.infer<typeof timeoutsSchema>;
export type Operation = keyof Timeouts;

export function timeoutMs(timeouts: Timeouts | undefined, operation: Operation, fallback: string): number {
  return parseGoDuration(timeouts?.[operation] ?? fallback) ?? 0;
}
