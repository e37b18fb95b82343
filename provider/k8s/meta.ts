import * as z from "zod";
import { annotationMapSchema, labelMapSchema } from "./labels";

// ObjectMeta and conditions: the parts the semantics read. Schemas are loose (unknown fields kept),
// because objects read from a cluster carry far more than we model.

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const objectNameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(253, "must be at most 253 characters")
  .regex(dnsSubdomain, "must be a DNS subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit");

export const namespaceNameSchema = z
  .string()
  .min(1, "must not be empty")
  .max(63, "must be at most 63 characters")
  .regex(dnsLabel, "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit");

export const ownerReferenceSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  uid: z.string().optional(),
  controller: z.boolean().optional(),
  blockOwnerDeletion: z.boolean().optional(),
});
export type OwnerReference = z.infer<typeof ownerReferenceSchema>;

export const objectMetaSchema = z.looseObject({
  name: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z.array(ownerReferenceSchema).optional(),
});
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

/** The metadata a user may set on a resource they declare (validated strictly). */
export function declaredMetaSchema(scope: "Cluster" | "Namespaced") {
  return z.object({
    name: objectNameSchema.optional().meta({ description: "The object's name. Default: the resource's Pulumi name." }),
    namespace: scope === "Namespaced"
      ? namespaceNameSchema.optional().meta({ description: "The object's namespace. Default: default." })
      : z.undefined({ error: "must not be set: the object is cluster-scoped" }).optional(),
    labels: labelMapSchema.optional().meta({ description: "Labels of the object." }),
    annotations: annotationMapSchema.optional().meta({ description: "Annotations of the object." }),
  });
}

export const conditionSchema = z.looseObject({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string().optional(),
  severity: z.string().optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

/** A condition with exactly the fields we model (none of the ones we do not), for typed outputs. */
export const conditionFieldsSchema = z.object({
  type: z.string().meta({ description: "The condition's type." }),
  status: z.string().meta({ description: '"True", "False" or "Unknown".' }),
  severity: z.string().optional().meta({ description: "Cluster API's severity of a False condition: Error, Warning or Info." }),
  reason: z.string().optional().meta({ description: "A CamelCase word for why." }),
  message: z.string().optional().meta({ description: "The controller's message." }),
  lastTransitionTime: z.string().optional().meta({ description: "When the status (or, for Cluster API, the reason or message) last changed (RFC 3339)." }),
});

/** A condition as a resource output: every field present ("" when the controller wrote none). */
export const conditionOutputSchema = z.object({
  type: z.string().meta({ description: "The condition's type." }),
  status: z.string().meta({ description: '"True", "False" or "Unknown".' }),
  reason: z.string().default("").meta({ description: "A CamelCase word for why; \"\" when none." }),
  message: z.string().default("").meta({ description: "The controller's message; \"\" when none." }),
  lastTransitionTime: z.string().default("").meta({ description: "When the condition last changed (RFC 3339)." }),
});
export type ConditionOutput = z.output<typeof conditionOutputSchema>;

/** Any Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export function hasAnnotation(obj: { metadata?: ObjectMeta }, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj.metadata?.annotations ?? {}, key);
}

export function findCondition<C extends { type: string }>(conditions: C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Kubernetes timestamps have second precision (RFC 3339, "Z"). */
export function toKubeTime(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** The owner reference a controller puts on what it creates (controllerutil.SetControllerReference). */
export function controllerReference(owner: { apiVersion: string; kind: string; metadata: ObjectMeta }): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? "",
    ...(owner.metadata.uid ? { uid: owner.metadata.uid } : {}),
    controller: true,
    blockOwnerDeletion: true,
  };
}
