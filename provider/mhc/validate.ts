import type { z } from "zod";
import type { CheckFailure, Validated } from "../lifecycle/check-failures";
import { formatGoDuration, parseGoDuration } from "../k8s/duration";
import {
  declaredMachineHealthCheckSchema,
  labelKeys,
  type DeclaredMachineHealthCheck,
  type MachineHealthCheckSpec,
} from "./model";

// Check-time validation of a MachineHealthCheck as the user declared it: every rule of the upstream
// webhook and CRD, reported as Pulumi property paths with sentences that name the rule.

/** What each field is for, keyed by its path with array indexes written as []. Used in "is required" messages. */
const fieldPurpose: Record<string, string> = {
  spec: "the health check policy (clusterName, selector, unhealthyConditions, ...)",
  "spec.clusterName": "the name of the Cluster whose Machines this health check watches",
  "spec.selector": 'a label selector that picks the Machines to check, like { matchLabels: { nodepool: "nodepool-0" } }',
  "spec.unhealthyConditions[].type": 'the Node condition type to watch, like "Ready"',
  "spec.unhealthyConditions[].status": 'the condition status that counts as unhealthy, like "False" or "Unknown"',
  "spec.unhealthyConditions[].timeout": 'how long the condition must last before the Machine is unhealthy, like "300s" or "5m"',
  "spec.remediationTemplate.apiVersion": "the API version of the remediation template",
  "spec.remediationTemplate.kind": "the kind of the remediation template",
  "spec.remediationTemplate.name": "the name of the remediation template",
};

/** "spec.selector.matchLabels[\"cluster.x-k8s.io/cluster-name\"]": keys that are not identifiers get brackets. */
export function formatPropertyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(String(part))) out += out === "" ? String(part) : `.${String(part)}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

function purposeKey(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === "number" ? "[]" : `.${String(part)}`)).join("").replace(/^\./, "").replace(/\.\[\]/g, "[]");
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return JSON.stringify(value);
}

const expectedText: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  object: "an object",
  array: "a list",
  boolean: "true or false",
  string: "a string",
};

/** Friendly text for the issues whose schema carries no message of its own. */
const parseErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type") {
    const purpose = fieldPurpose[purposeKey(issue.path ?? [])];
    if (issue.input === undefined) return purpose ? `is required: ${purpose}` : "is required";
    const expected = expectedText[issue.expected] ?? `a ${issue.expected}`;
    return `must be ${expected}${purpose ? ` (${purpose})` : ""}; got ${describeType(issue.input)}`;
  }
  if (issue.code === "invalid_value" && issue.values.length > 0) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}; got ${describeType(issue.input)}`;
  }
  return undefined;
};

/** The known fields of the object at a path, to suggest a fix for a typo. */
function knownFieldsAt(path: readonly PropertyKey[]): string[] {
  const key = purposeKey(path);
  const shapes: Record<string, string[]> = {
    "": ["apiVersion", "kind", "metadata", "spec"],
    metadata: ["name", "namespace", "labels", "annotations"],
    spec: ["clusterName", "selector", "unhealthyConditions", "maxUnhealthy", "unhealthyRange", "nodeStartupTimeout", "remediationTemplate"],
    "spec.unhealthyConditions[]": ["type", "status", "timeout"],
    "spec.remediationTemplate": ["apiVersion", "kind", "name", "namespace", "uid", "resourceVersion", "fieldPath"],
  };
  return shapes[key] ?? [];
}

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

function unknownFieldFailure(path: readonly PropertyKey[], key: string): CheckFailure {
  const known = knownFieldsAt(path);
  const closest = known
    .map((name) => ({ name, distance: editDistance(key, name) }))
    .sort((a, b) => a.distance - b.distance)[0];
  const hint =
    closest && closest.distance <= Math.max(2, Math.floor(key.length / 3))
      ? `; did you mean "${closest.name}"?`
      : known.length > 0
        ? `; the known fields are ${known.join(", ")}`
        : "";
  return { property: formatPropertyPath([...path, key]), reason: `is not a known field${hint}` };
}

function failuresOf(error: z.ZodError): CheckFailure[] {
  const failures: CheckFailure[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) failures.push(unknownFieldFailure(issue.path, key));
    } else {
      failures.push({ property: formatPropertyPath(issue.path), reason: issue.message });
    }
  }
  return failures;
}

/**
 * Validate a MachineHealthCheck as declared ({ apiVersion?, kind?, metadata?, spec }), applying the
 * defaults the upstream webhook applies to the spec (maxUnhealthy 100%, nodeStartupTimeout 10m).
 */
export function validateMachineHealthCheck(input: unknown): Validated<DeclaredMachineHealthCheck> {
  const result = declaredMachineHealthCheckSchema.safeParse(input, { error: parseErrorMap });
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, failures: failuresOf(result.error) };
}

/** Failures for an update that the API would refuse: clusterName cannot change. */
export function validateMachineHealthCheckUpdate(
  previous: { spec: Pick<MachineHealthCheckSpec, "clusterName"> },
  next: { spec: Pick<MachineHealthCheckSpec, "clusterName"> },
): CheckFailure[] {
  if (previous.spec.clusterName === next.spec.clusterName) return [];
  return [
    {
      property: "spec.clusterName",
      reason: `cannot change from ${JSON.stringify(previous.spec.clusterName)} to ${JSON.stringify(next.spec.clusterName)}: the field is immutable, so the MachineHealthCheck must be replaced`,
    },
  ];
}

/**
 * The object as the API server stores it after the upstream defaulting webhook: the cluster-name label on the
 * MachineHealthCheck, the remediation template's namespace, and durations in Go's canonical form
 * ("300s" is stored as "5m0s"), so that a diff against what was read back compares like with like.
 */
export function storedForm(mhc: DeclaredMachineHealthCheck): DeclaredMachineHealthCheck {
  const spec = mhc.spec;
  const namespace = mhc.metadata?.namespace;
  return {
    ...mhc,
    metadata: {
      ...mhc.metadata,
      labels: { ...mhc.metadata?.labels, [labelKeys.clusterName]: spec.clusterName },
    },
    spec: {
      ...spec,
      nodeStartupTimeout: canonicalDuration(spec.nodeStartupTimeout),
      ...(spec.unhealthyConditions
        ? { unhealthyConditions: spec.unhealthyConditions.map((c) => ({ ...c, timeout: canonicalDuration(c.timeout) })) }
        : {}),
      ...(spec.remediationTemplate
        ? {
            remediationTemplate: {
              ...spec.remediationTemplate,
              ...(spec.remediationTemplate.namespace === undefined && namespace !== undefined ? { namespace } : {}),
            },
          }
        : {}),
    },
  };
}

/** Go's time.Duration.String of a duration string: "300s" → "5m0s"; unparsable text is returned as is. */
export function canonicalDuration(text: string): string {
  const ms = parseGoDuration(text);
  return ms === undefined ? text : formatGoDuration(ms);
}
