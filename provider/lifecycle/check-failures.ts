import type { z } from "zod";

/** One refused input, as the Pulumi engine shows it: the property path and the rule it broke. */
export interface CheckFailure {
  property: string;
  reason: string;
}

/** "spec.unhealthyConditions[0].timeout" from a zod issue path. */
export function propertyPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

export function checkFailuresOf(error: z.ZodError, prefix = ""): CheckFailure[] {
  return error.issues.map((issue) => ({ property: propertyPath(issue.path, prefix), reason: issue.message }));
}

export type Validated<T> = { ok: true; value: T } | { ok: false; failures: CheckFailure[] };

/** Parse with a schema and report failures as property paths instead of throwing. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, prefix = ""): Validated<z.infer<S>> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, failures: checkFailuresOf(result.error, prefix) };
}

/** One line per failure, for error messages outside the engine's check path. */
export function describeFailures(failures: CheckFailure[]): string {
  return failures.map((f) => `${f.property}: ${f.reason}`).join("\n");
}
