import type * as z from "zod";
import { propertyPath } from "../k8s/property-path";
import { clipped, quoted } from "../k8s/quote";

// Validation failures in the user's terms: the property path as Pulumi shows it and a sentence that
// names the rule. One wording for every resource; a resource adds what its fields are for.

/** One refused input, as the Pulumi engine shows it: the property path and the rule it broke. */
export interface CheckFailure {
  property: string;
  reason: string;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; failures: CheckFailure[] };

/** What a resource tells about its fields, for "is required" sentences and typo hints. */
export interface FieldGuide {
  /** What each field is for, keyed by path with list indexes as []: "spec.unhealthyConditions[].timeout". */
  purposes?: Record<string, string>;
  /** The fields an object has, keyed the same way ("" for the top): "did you mean ...?" for a typo. */
  knownFields?: Record<string, string[]>;
}

/**
 * Parse with a schema; report every broken rule as a property path and a sentence instead of throwing.
 * Without zod's compiled fast path: a provider process checks a resource's inputs a few times, and
 * compiling the fast path of every object schema costs a first check more than it ever saves.
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, guide: FieldGuide = {}): Validated<z.infer<S>> {
  const result = schema.safeParse(input, { error: (issue) => friendlyMessage(issue, guide), jitless: true });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, failures: failuresOfIssues(result.error.issues, guide) };
}

/**
 * The failures as the engine should get them: the property path leads the reason and the property
 * field stays empty. The engine prints a failure's property as "property <p> value <v>", looking <p> up
 * among the top-level inputs: a nested path shows as "value {<nil>}", and a top-level one prints the
 * whole value, a secret kubeconfig or a pasted megabyte included. Each line is cut to a readable length.
 */
export function failuresForEngine(failures: CheckFailure[]): CheckFailure[] {
  return failures.map((f) => ({ property: "", reason: clipped(f.property ? `${f.property}: ${f.reason}` : f.reason) }));
}

/** One line per failure, for error messages outside the engine's check path. */
export function describeFailures(failures: CheckFailure[]): string {
  return failures.map((f) => `${f.property}: ${f.reason}`).join("\n");
}

function failuresOfIssues(issues: readonly z.core.$ZodIssue[], guide: FieldGuide): CheckFailure[] {
  return issues.flatMap((issue): CheckFailure[] => {
    if (issue.code === "invalid_union") {
      // Report the problems of the alternative the input was meant to be (the one whose own keys
      // it uses), not only "must be one of": { embedded: { timeScale: 0 } } is about timeScale.
      const meant = issue.errors.filter((alternative) => !alternative.some((i) => i.code === "unrecognized_keys" && i.path.length === 0));
      if (meant.length === 1) return failuresOfIssues(meant[0]!.map((i) => ({ ...i, path: [...issue.path, ...i.path] })), guide);
    }
    if (issue.code === "unrecognized_keys") return issue.keys.map((key) => unknownFieldFailure(issue.path, key, guide));
    return [{ property: propertyPath(issue.path), reason: issue.message }];
  });
}

const expectedText: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  object: "an object",
  record: "an object",
  array: "a list",
  boolean: "true or false",
  string: "a string",
};

/** zod's default wording is for developers; the issues whose schema carries no message of its own get ours. */
function friendlyMessage(issue: z.core.$ZodRawIssue, guide: FieldGuide): string | undefined {
  if (issue.code === "invalid_type") {
    const purpose = guide.purposes?.[purposeKey(issue.path ?? [])];
    if (issue.input === undefined) return purpose ? `is required: ${purpose}` : "is required";
    const expected = expectedText[issue.expected] ?? `a ${issue.expected}`;
    return `must be ${expected}${purpose ? ` (${purpose})` : ""}; got ${describeValue(issue.input)}`;
  }
  if (issue.code === "invalid_value" && issue.values.length > 0) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}; got ${describeValue(issue.input)}`;
  }
  return undefined;
}

function unknownFieldFailure(path: readonly PropertyKey[], key: string, guide: FieldGuide): CheckFailure {
  const known = guide.knownFields?.[purposeKey(path)] ?? [];
  const closest = known.map((name) => ({ name, distance: editDistance(key, name) })).sort((a, b) => a.distance - b.distance)[0];
  const hint =
    closest && closest.distance <= Math.max(2, Math.floor(key.length / 3))
      ? `; did you mean "${closest.name}"?`
      : known.length > 0
        ? `; the known fields are ${known.join(", ")}`
        : " (check the spelling)";
  return { property: propertyPath([...path, key]), reason: `is not a known field${hint}` };
}

function purposeKey(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === "number" ? "[]" : `.${String(part)}`)).join("").replace(/^\./, "").replace(/\.\[\]/g, "[]");
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return quoted(value);
}

/** Case-insensitive Levenshtein distance, for typo hints. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
