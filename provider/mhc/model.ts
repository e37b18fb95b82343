import * as z from "zod";
import { kinds } from "../k8s/api-types";
import { type DurationRule, goDurationProblem, goDurationSchema } from "../k8s/duration";
import { isEmptySelector, labelSelectorSchema } from "../k8s/labels";
import { conditionSchema, declaredMetaSchema, objectMetaSchema } from "../k8s/meta";
import { quoted } from "../k8s/quote";

// Cluster API v1beta1 objects as JSON, with the upstream field names. Two kinds of schema live here:
// - "declared" schemas for what a user writes (strict, so typos are refused, every webhook rule checked);
// - loose schemas for objects read from a cluster (unknown fields kept, nothing refused that the
//   semantics do not read).

export const clusterApiVersion = kinds.cluster.apiVersion;
export const controlPlaneApiVersion = kinds.kubeadmControlPlane.apiVersion;

export const labelKeys = {
  clusterName: "cluster.x-k8s.io/cluster-name",
  controlPlane: "cluster.x-k8s.io/control-plane",
  controlPlaneName: "cluster.x-k8s.io/control-plane-name",
  machineSetName: "cluster.x-k8s.io/set-name",
} as const;

export const annotationKeys = {
  paused: "cluster.x-k8s.io/paused",
  skipRemediation: "cluster.x-k8s.io/skip-remediation",
  remediateMachine: "cluster.x-k8s.io/remediate-machine",
  clonedFromName: "cluster.x-k8s.io/cloned-from-name",
  clonedFromGroupKind: "cluster.x-k8s.io/cloned-from-groupkind",
} as const;

export const conditionTypes = {
  remediationAllowed: "RemediationAllowed",
  healthCheckSucceeded: "HealthCheckSucceeded",
  ownerRemediated: "OwnerRemediated",
  controlPlaneInitialized: "ControlPlaneInitialized",
  infrastructureReady: "InfrastructureReady",
} as const;

/** The OwnerRemediated False reason the health check marks unhealthy machines with. */
export const waitingForRemediationReason = "WaitingForRemediation";

export const defaultMaxUnhealthy = "100%";
export const defaultNodeStartupTimeout = "10m";
/** The webhook's floor for nodeStartupTimeout (0 is allowed: it disables the check). */
export const minNodeStartupTimeoutMs = 30_000;
export const maxUnhealthyConditions = 100;
export const maxClusterNameLength = 63;

/** Spec fields whose change the API refuses: a change means a new object. */
export const immutableSpecFields = ["clusterName"] as const;

// ---------------------------------------------------------------------------------------------
// Shared pieces

export const objectReferenceSchema = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});
export type ObjectReference = z.infer<typeof objectReferenceSchema>;

const conditionsSchema = z.array(conditionSchema);

/** status.v1beta2.conditions (metav1.Condition), which Cluster API v1.9+ writes beside the v1beta1 list. */
export const v1beta2ConditionSchema = z.looseObject({
  type: z.string(),
  status: z.string(),
  observedGeneration: z.number().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
});
export type V1Beta2Condition = z.infer<typeof v1beta2ConditionSchema>;
const v1beta2StatusSchema = z.looseObject({ conditions: z.array(v1beta2ConditionSchema).optional() });

// ---------------------------------------------------------------------------------------------
// Rules on single values. `check` refuses what the upstream webhook refuses and more (negative numbers,
// signed percentages, a range whose minimum exceeds its maximum); the evaluation reads objects from a
// cluster and never throws: it reports what upstream's controller does with them.

const percentPattern = /^[0-9]+%$/;
export const unhealthyRangePattern = /^\[[0-9]+-[0-9]+\]$/;
const maxUint32 = 4_294_967_295;

export type IntOrPercent = number | string;

/**
 * maxUnhealthy scaled against the number of machines as upstream `intstr.GetScaledValueFromIntOrPercent`
 * (roundUp false) does: an int as is (negative included: it never allows remediation), a string
 * ending in "%" through strconv.Atoi (so "+10%" and "-10%" are read too), rounded down; anything else is
 * the error upstream returns, word for word.
 */
export function scaleMaxUnhealthy(value: IntOrPercent, total: number): { value: number } | { error: string } {
  if (typeof value === "number") {
    return Number.isInteger(value) ? { value } : { error: `invalid value for IntOrString: invalid type: neither int nor percentage` };
  }
  if (!value.endsWith("%")) return { error: "invalid value for IntOrString: invalid type: string is not a percentage" };
  const digits = value.slice(0, -1);
  const percent = goAtoi(digits);
  if (percent === undefined) {
    return { error: `invalid value for IntOrString: invalid value ${JSON.stringify(value)}: strconv.Atoi: parsing ${JSON.stringify(digits)}: invalid syntax` };
  }
  return { value: Math.floor((percent * total) / 100) };
}

/** strconv.Atoi's syntax: an optional sign and decimal digits. */
function goAtoi(text: string): number | undefined {
  return /^[+-]?[0-9]+$/.test(text) ? Number(text) : undefined;
}

/** "[3-5]" → { min: 3, max: 5 }, or a sentence saying what is wrong with it (for `check`). */
export function parseUnhealthyRange(text: string): { min: number; max: number } | { problem: string } {
  if (!unhealthyRangePattern.test(text)) {
    return { problem: `must look like "[min-max]" with whole numbers, like "[3-5]"; got ${quoted(text)}` };
  }
  const [min, max] = text.slice(1, -1).split("-").map(Number) as [number, number];
  if (min > maxUint32 || max > maxUint32) {
    return { problem: `both numbers must be at most ${maxUint32}; got ${JSON.stringify(text)}` };
  }
  if (min > max) {
    return { problem: `the minimum (${min}) must not be greater than the maximum (${max}); got ${JSON.stringify(text)}` };
  }
  return { min, max };
}

/**
 * unhealthyRange as upstream `getUnhealthyRange` reads it from a stored object (the CRD's pattern already
 * held): the first and last characters dropped, split on "-", strconv.ParseUint(s, 10, 32) on both; the
 * error upstream returns otherwise, word for word.
 */
export function readUnhealthyRange(text: string): { min: number; max: number } | { error: string } {
  const parts = text.slice(1, -1).split("-");
  const numbers: number[] = [];
  for (const part of parts.slice(0, 2)) {
    if (!/^[0-9]+$/.test(part)) return { error: `strconv.ParseUint: parsing ${JSON.stringify(part)}: invalid syntax` };
    const value = Number(part);
    if (value > maxUint32) return { error: `strconv.ParseUint: parsing ${JSON.stringify(part)}: value out of range` };
    numbers.push(value);
  }
  if (numbers.length < 2) return { error: `strconv.ParseUint: parsing "": invalid syntax` };
  const [min, max] = numbers as [number, number];
  if (max < min) return { error: `max value ${max} cannot be less than min value ${min} for unhealthyRange` };
  return { min, max };
}

const nodeStartupTimeoutRule: DurationRule = (ms) =>
  ms !== 0 && ms < minNodeStartupTimeoutMs ? "must be 0 (which turns the startup check off) or at least 30s" : undefined;

/** Why a nodeStartupTimeout value is refused, or undefined when it is accepted. */
export function nodeStartupTimeoutProblem(text: string): string | undefined {
  return goDurationProblem(text, nodeStartupTimeoutRule);
}

/** Why an unhealthy condition timeout is refused, or undefined when it is accepted. */
export function conditionTimeoutProblem(text: string): string | undefined {
  return goDurationProblem(text);
}

// ---------------------------------------------------------------------------------------------
// MachineHealthCheck as a user declares it

// Messages for missing fields and wrong types come from the parse-level error map in validate.ts,
// which knows each field's purpose; the rules below carry their own messages.

/** A required string; `what` says what it is, in the refusal and as its description. */
const nonEmptyString = (what: string) => z.string().min(1, { error: `must not be empty: ${what}` }).meta({ description: `${what[0]!.toUpperCase()}${what.slice(1)}.` });

const maxUnhealthyProblem = (issue: { input?: unknown }) =>
  `must be a whole number or a percentage ending in "%", like 2 or "40%"; got ${quoted(issue.input)}`;

export const maxUnhealthySchema = z.union(
  [
    z.int({ error: maxUnhealthyProblem }).min(0, { error: maxUnhealthyProblem }),
    z.string({ error: maxUnhealthyProblem }).regex(percentPattern, { error: maxUnhealthyProblem }),
  ],
  { error: maxUnhealthyProblem },
);

export const declaredUnhealthyConditionSchema = z.strictObject({
  type: nonEmptyString('the Node condition type to watch, like "Ready"'),
  status: nonEmptyString('the condition status that counts as unhealthy, like "False" or "Unknown"'),
  timeout: goDurationSchema().meta({ description: 'How long the condition must last before the machine is unhealthy (Go duration: "300s", "5m").' }),
}).meta({ description: "A Node condition that, held for its timeout, makes the machine unhealthy. Conditions are OR-ed." });

export const declaredRemediationTemplateSchema = z.strictObject({
  apiVersion: nonEmptyString('the API version of the remediation template, like "infrastructure.cluster.x-k8s.io/v1beta1"'),
  kind: nonEmptyString('the kind of the remediation template, like "Metal3RemediationTemplate"'),
  name: nonEmptyString("the name of the remediation template"),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

export const declaredMachineHealthCheckSpecSchema = z
  .strictObject({
    clusterName: nonEmptyString("the name of the Cluster whose Machines this health check watches").max(
      maxClusterNameLength,
      { error: (issue) => `must be at most ${maxClusterNameLength} characters; got ${String(issue.input).length}` },
    ).meta({ description: "The Cluster whose machines are checked (1 to 63 characters). Changing it replaces the MachineHealthCheck." }),
    selector: labelSelectorSchema.refine((selector) => !isEmptySelector(selector), {
      error: "must not be empty: an empty selector would pick every Machine of the cluster; add matchLabels or matchExpressions",
    }).meta({ description: "Which Machines are checked (non-empty label selector, in the MachineHealthCheck's namespace)." }),
    unhealthyConditions: z
      .array(declaredUnhealthyConditionSchema)
      .max(maxUnhealthyConditions, {
        error: (issue) =>
          `must have at most ${maxUnhealthyConditions} conditions; got ${(issue.input as unknown[]).length}`,
      })
      .optional()
      .meta({ description: "Node conditions that make a machine unhealthy when held for their timeout (at most 100)." }),
    maxUnhealthy: maxUnhealthySchema.default(defaultMaxUnhealthy).meta({ description: 'Remediation happens only while at most this many checked machines are not healthy: a number, or a percentage like "40%" (rounded down). Default "100%".' }),
    unhealthyRange: z
      .string()
      .superRefine((text, ctx) => {
        const parsed = parseUnhealthyRange(text);
        if ("problem" in parsed) ctx.addIssue({ code: "custom", message: parsed.problem });
      })
      .optional()
      .meta({ description: 'Remediation happens only while the number of not-healthy machines is within this range, like "[3-5]"; takes precedence over maxUnhealthy.' }),
    nodeStartupTimeout: goDurationSchema(nodeStartupTimeoutRule).default(defaultNodeStartupTimeout).meta({ description: 'How long a machine may go without a Node before it is unhealthy (Go duration, 0 disables, else at least 30s). Default "10m".' }),
    remediationTemplate: declaredRemediationTemplateSchema.optional().meta({ description: "External remediation: a template in the same namespace; a remediation request named after the machine is created instead of replacing it." }),
  })
  .superRefine(
    (spec, ctx) => {
      // Runs even when other fields failed, so that every problem shows at once.
      const named = (spec.selector as { matchLabels?: Record<string, unknown> } | undefined)?.matchLabels?.[labelKeys.clusterName];
      if (named !== undefined && typeof spec.clusterName === "string" && named !== spec.clusterName) {
        ctx.addIssue({
          code: "custom",
          path: ["selector", "matchLabels", labelKeys.clusterName],
          message: `must equal spec.clusterName (${JSON.stringify(spec.clusterName)}); got ${JSON.stringify(named)}. Leave this label out: the controller adds it`,
        });
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );

export const declaredMachineHealthCheckSchema = z
  .strictObject({
    apiVersion: z.literal(clusterApiVersion, { error: `must be "${clusterApiVersion}"` }).default(clusterApiVersion),
    kind: z.literal("MachineHealthCheck", { error: 'must be "MachineHealthCheck"' }).default("MachineHealthCheck"),
    metadata: declaredMetaSchema("Namespaced").strict().optional(),
    spec: declaredMachineHealthCheckSpecSchema,
  })
  .superRefine(
    (mhc, ctx) => {
      const namespace = mhc.metadata?.namespace;
      const spec = mhc.spec as { remediationTemplate?: { namespace?: unknown } } | undefined;
      const templateNamespace = spec?.remediationTemplate?.namespace;
      if (typeof namespace === "string" && typeof templateNamespace === "string" && templateNamespace !== namespace) {
        ctx.addIssue({
          code: "custom",
          path: ["spec", "remediationTemplate", "namespace"],
          message: `must match metadata.namespace (${JSON.stringify(namespace)}): the remediation template must live in the MachineHealthCheck's namespace; got ${JSON.stringify(templateNamespace)}`,
        });
      }
    },
    { when: (payload) => typeof payload.value === "object" && payload.value !== null },
  );
export type DeclaredMachineHealthCheck = z.infer<typeof declaredMachineHealthCheckSchema>;

// ---------------------------------------------------------------------------------------------
// Objects read from a cluster

export const unhealthyConditionSchema = z.looseObject({ type: z.string(), status: z.string(), timeout: z.string() });
export type UnhealthyCondition = z.infer<typeof unhealthyConditionSchema>;

export const machineHealthCheckSpecSchema = z.looseObject({
  clusterName: z.string(),
  selector: labelSelectorSchema,
  unhealthyConditions: z.array(unhealthyConditionSchema).optional(),
  maxUnhealthy: z.union([z.number(), z.string()]).optional(),
  unhealthyRange: z.string().optional(),
  nodeStartupTimeout: z.string().optional(),
  remediationTemplate: objectReferenceSchema.optional(),
});
export type MachineHealthCheckSpec = z.infer<typeof machineHealthCheckSpecSchema>;

export const machineHealthCheckStatusSchema = z.looseObject({
  expectedMachines: z.number().optional(),
  currentHealthy: z.number().optional(),
  remediationsAllowed: z.number().optional(),
  observedGeneration: z.number().optional(),
  targets: z.array(z.string()).optional(),
  conditions: conditionsSchema.optional(),
  v1beta2: v1beta2StatusSchema.optional(),
});
export type MachineHealthCheckStatus = z.infer<typeof machineHealthCheckStatusSchema>;

export const machineHealthCheckSchema = z.looseObject({
  apiVersion: z.string().default(clusterApiVersion),
  kind: z.literal("MachineHealthCheck").default("MachineHealthCheck"),
  metadata: objectMetaSchema,
  spec: machineHealthCheckSpecSchema,
  status: machineHealthCheckStatusSchema.optional(),
});
export type MachineHealthCheck = z.infer<typeof machineHealthCheckSchema>;

export const machineSpecSchema = z.looseObject({
  clusterName: z.string().optional(),
  version: z.string().optional(),
  providerID: z.string().optional(),
  bootstrap: z.looseObject({ configRef: objectReferenceSchema.optional(), dataSecretName: z.string().optional() }).optional(),
  infrastructureRef: objectReferenceSchema.optional(),
});
export type MachineSpec = z.infer<typeof machineSpecSchema>;

export const machineSchema = z.looseObject({
  apiVersion: z.string().default(clusterApiVersion),
  kind: z.literal("Machine").default("Machine"),
  metadata: objectMetaSchema,
  spec: machineSpecSchema.optional(),
  status: z
    .looseObject({
      nodeRef: objectReferenceSchema.optional(),
      failureReason: z.string().optional(),
      failureMessage: z.string().optional(),
      phase: z.string().optional(),
      conditions: conditionsSchema.optional(),
      v1beta2: v1beta2StatusSchema.optional(),
    })
    .optional(),
});
export type Machine = z.infer<typeof machineSchema>;

export const machineTemplateSchema = z.looseObject({
  metadata: z
    .looseObject({
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
  spec: machineSpecSchema.optional(),
});

export const machineSetSchema = z.looseObject({
  apiVersion: z.string().default(clusterApiVersion),
  kind: z.literal("MachineSet").default("MachineSet"),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    clusterName: z.string().optional(),
    replicas: z.number().optional(),
    selector: labelSelectorSchema.optional(),
    template: machineTemplateSchema.optional(),
  }),
  status: z.looseObject({ replicas: z.number().optional(), conditions: conditionsSchema.optional(), v1beta2: v1beta2StatusSchema.optional() }).optional(),
});
export type MachineSet = z.infer<typeof machineSetSchema>;

export const kubeadmControlPlaneSchema = z.looseObject({
  apiVersion: z.string().default(controlPlaneApiVersion),
  kind: z.literal("KubeadmControlPlane").default("KubeadmControlPlane"),
  metadata: objectMetaSchema,
  spec: z.looseObject({
    replicas: z.number().optional(),
    version: z.string().optional(),
    machineTemplate: z
      .looseObject({
        metadata: machineTemplateSchema.shape.metadata,
        infrastructureRef: objectReferenceSchema.optional(),
      })
      .optional(),
    /** Retry limits of KCP remediation (Go durations; maxRetry a count). */
    remediationStrategy: z
      .looseObject({ maxRetry: z.number().optional(), retryPeriod: z.string().optional(), minHealthyPeriod: z.string().optional() })
      .optional(),
    /** Only clusterConfiguration.etcd.external is read: with it, etcd is not managed by the control plane. */
    kubeadmConfigSpec: z
      .looseObject({
        clusterConfiguration: z.looseObject({ etcd: z.looseObject({ external: z.unknown().optional() }).optional() }).optional(),
      })
      .optional(),
  }),
  status: z
    .looseObject({
      /** True once the control plane has been initialized (the first Machine's kubeadm init is done). */
      initialized: z.boolean().optional(),
      conditions: conditionsSchema.optional(),
      v1beta2: v1beta2StatusSchema.optional(),
    })
    .optional(),
});
export type KubeadmControlPlane = z.infer<typeof kubeadmControlPlaneSchema>;

export const clusterSchema = z.looseObject({
  apiVersion: z.string().default(clusterApiVersion),
  kind: z.literal("Cluster").default("Cluster"),
  metadata: objectMetaSchema,
  spec: z.looseObject({ paused: z.boolean().optional() }).optional(),
  status: z
    .looseObject({
      /** The field (not the condition) ClusterCache waits for before it connects to the workload cluster. */
      infrastructureReady: z.boolean().optional(),
      conditions: conditionsSchema.optional(),
      v1beta2: v1beta2StatusSchema.optional(),
    })
    .optional(),
});
export type Cluster = z.infer<typeof clusterSchema>;
