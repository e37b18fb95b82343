import * as z from "zod";
import { quoted } from "./quote";

// Label selectors (metav1.LabelSelector) and label syntax, as the API server validates them.

const nameSegment = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why a label key is invalid, or undefined when it is valid ("prefix/name", prefix optional). */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !dnsSubdomain.test(prefix))) {
    return `label key ${quoted(key)} has an invalid prefix: it must be a DNS subdomain of at most 253 characters`;
  }
  if (name.length === 0 || name.length > 63 || !nameSegment.test(name)) {
    return `label key ${quoted(key)} is invalid: the name part must be 1 to 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Why a label value is invalid, or undefined when it is valid (empty is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63 || !nameSegment.test(value)) {
    return `label value ${quoted(value)} is invalid: at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

export const labelMapSchema = z.record(z.string(), z.string()).superRefine((labels, ctx) => {
  for (const [key, value] of Object.entries(labels)) {
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: [key] });
  }
});

/** The API server's limit on all of an object's annotations together (keys and values). */
export const TOTAL_ANNOTATION_BYTES = 256 * 1024;

export const annotationMapSchema = z.record(z.string(), z.string()).superRefine((annotations, ctx) => {
  let total = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const problem = labelKeyProblem(key)?.replace(/^label key/, "annotation key");
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: [key] });
    total += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  if (total > TOTAL_ANNOTATION_BYTES) {
    ctx.addIssue({ code: "custom", message: `must be at most ${TOTAL_ANNOTATION_BYTES} bytes in total (keys and values), as the API server requires; got ${total}` });
  }
});

export const selectorOperators = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

export const labelSelectorRequirementSchema = z
  .object({
    key: z.string().min(1, "key must not be empty").meta({ description: "The label key the requirement is about." }),
    operator: z
      .enum(selectorOperators, {
        error: `operator must be one of ${selectorOperators.join(", ")}`,
      })
      .meta({ description: "In, NotIn (values needed), Exists or DoesNotExist (no values)." }),
    values: z.array(z.string()).optional().meta({ description: "The label values for In and NotIn." }),
  })
  .superRefine((req, ctx) => {
    const problem = labelKeyProblem(req.key);
    if (problem) ctx.addIssue({ code: "custom", message: problem, path: ["key"] });
    // The API server holds each value to the label value syntax: "a,b" or "x)" would break the selector.
    req.values?.forEach((value, i) => {
      const valueProblem = labelValueProblem(value);
      if (valueProblem) ctx.addIssue({ code: "custom", message: valueProblem, path: ["values", i] });
    });
    const count = req.values?.length ?? 0;
    if ((req.operator === "In" || req.operator === "NotIn") && count === 0) {
      ctx.addIssue({
        code: "custom",
        message: `values must not be empty when operator is ${req.operator}`,
        path: ["values"],
      });
    }
    if ((req.operator === "Exists" || req.operator === "DoesNotExist") && count > 0) {
      ctx.addIssue({
        code: "custom",
        message: `values must be empty when operator is ${req.operator}`,
        path: ["values"],
      });
    }
  });

export const labelSelectorSchema = z.object({
  matchLabels: labelMapSchema.optional().meta({ description: "Labels an object must carry, each with exactly this value." }),
  matchExpressions: z.array(labelSelectorRequirementSchema).optional().meta({ description: "Requirements an object's labels must all meet." }),
});

export type LabelSelector = z.infer<typeof labelSelectorSchema>;
export type LabelSelectorRequirement = z.infer<typeof labelSelectorRequirementSchema>;

export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return (
    !selector ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)
  );
}

/**
 * Whether labels satisfy the selector. An empty selector matches everything, as
 * metav1.LabelSelectorAsSelector does; callers that must refuse empty selectors check first.
 */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const req of selector?.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(have, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case "In":
        if (!present || !values.includes(have[req.key]!)) return false;
        break;
      case "NotIn":
        if (present && values.includes(have[req.key]!)) return false;
        break;
      case "Exists":
        if (!present) return false;
        break;
      case "DoesNotExist":
        if (present) return false;
        break;
    }
  }
  return true;
}

/**
 * selectorMatches with the selector read once: for matching one selector against many objects
 * (every node of a cluster, on every controller pass).
 */
export function selectorMatcher(selector: LabelSelector | undefined): (labels: Record<string, string> | undefined) => boolean {
  const equal = Object.entries(selector?.matchLabels ?? {});
  const expressions = selector?.matchExpressions ?? [];
  if (equal.length === 0 && expressions.length === 0) return () => true;
  if (expressions.length === 0 && equal.length === 1) {
    const [[key, value]] = equal as [[string, string]];
    return (labels) => labels !== undefined && labels[key] === value;
  }
  if (expressions.length === 0) {
    return (labels) => {
      if (!labels) return false;
      for (const [key, value] of equal) if (labels[key] !== value) return false;
      return true;
    };
  }
  return (labels) => selectorMatches(selector, labels);
}
