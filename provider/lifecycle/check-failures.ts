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
  return failuresOfIssues(error.issues, prefix);
}

function failuresOfIssues(issues: readonly z.core.$ZodIssue[], prefix: string): CheckFailure[] {
  return issues.flatMap((issue): CheckFailure[] => {
    if (issue.code === "invalid_union") {
      // Report the problems of the alternative the input was meant to be (the one whose own keys
      // it uses), not only "must be one of": { embedded: { timeScale: 0 } } is about timeScale.
      const meant = issue.errors.filter((alternative) => !alternative.some((i) => i.code === "unrecognized_keys" && i.path.length === 0));
      if (meant.length === 1) return failuresOfIssues(meant[0]!.map((i) => ({ ...i, path: [...issue.path, ...i.path] })), prefix);
    }
    // zod's default wording is for developers; say the same in the user's terms.
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ property: propertyPath([...issue.path, key], prefix), reason: "is not a known property (check the spelling)" }));
    }
    const property = propertyPath(issue.path, prefix);
    if (issue.code === "invalid_type" && issue.message.startsWith("Invalid input")) {
      const received = /received (\w+)/.exec(issue.message)?.[1] ?? "something else";
      const expected = typeWords(issue.expected);
      return [{ property, reason: received === "undefined" ? `is required (${expected})` : `must be ${expected}, not ${typeWords(received)}` }];
    }
    return [{ property, reason: issue.message }];
  });
}

function typeWords(expected: string): string {
  const words: Record<string, string> = { string: "a string", number: "a number", boolean: "true or false", object: "an object", array: "a list", int: "a whole number" };
  return words[expected] ?? expected;
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
