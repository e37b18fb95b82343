import { type CheckFailure, validate, type Validated } from "../lifecycle/check-failures";
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

/** The fields of each object, for "did you mean ...?" on a typo. */
const knownFields: Record<string, string[]> = {
  "": ["apiVersion", "kind", "metadata", "spec"],
  metadata: ["name", "namespace", "labels", "annotations"],
  spec: ["clusterName", "selector", "unhealthyConditions", "maxUnhealthy", "unhealthyRange", "nodeStartupTimeout", "remediationTemplate"],
  "spec.unhealthyConditions[]": ["type", "status", "timeout"],
  "spec.remediationTemplate": ["apiVersion", "kind", "name", "namespace", "uid", "resourceVersion", "fieldPath"],
};

/**
 * Validate a MachineHealthCheck as declared ({ apiVersion?, kind?, metadata?, spec }), applying the
 * defaults the upstream webhook applies to the spec (maxUnhealthy 100%, nodeStartupTimeout 10m).
 */
export function validateMachineHealthCheck(input: unknown): Validated<DeclaredMachineHealthCheck> {
  return validate(declaredMachineHealthCheckSchema, input, { purposes: fieldPurpose, knownFields });
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
