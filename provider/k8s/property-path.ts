import type * as z from "zod";

// Property paths as users and the API server write them: spec.unhealthyConditions[0].timeout, and
// keys that are not identifiers in brackets: matchLabels["cluster.x-k8s.io/cluster-name"].

export function propertyPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(String(part))) out += out === "" ? String(part) : `.${String(part)}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

/** "metadata.labels.app: must be ..." for each zod issue, joined with "; ". */
export function formatIssues(error: z.ZodError, prefix = ""): string {
  return error.issues.map((issue) => `${propertyPath(issue.path, prefix) || "(top level)"}: ${issue.message}`).join("; ");
}
