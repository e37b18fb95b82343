import * as z from "zod";
import { conditionSchema, objectMetaSchema } from "./meta";

// The parts of core Kubernetes objects that the semantics read.

export const nodeSchema = z.looseObject({
  apiVersion: z.literal("v1").default("v1"),
  kind: z.literal("Node").default("Node"),
  metadata: objectMetaSchema,
  spec: z.looseObject({ unschedulable: z.boolean().optional() }).optional(),
  status: z.looseObject({ conditions: z.array(conditionSchema).optional() }).optional(),
});
export type Node = z.infer<typeof nodeSchema>;

export const podSchema = z.looseObject({
  apiVersion: z.literal("v1").default("v1"),
  kind: z.literal("Pod").default("Pod"),
  metadata: objectMetaSchema,
  spec: z.looseObject({ runtimeClassName: z.string().optional(), nodeName: z.string().optional() }).optional(),
  status: z.looseObject({ phase: z.string().optional() }).optional(),
});
export type Pod = z.infer<typeof podSchema>;

export const runtimeClassSchema = z.looseObject({
  apiVersion: z.literal("node.k8s.io/v1").default("node.k8s.io/v1"),
  kind: z.literal("RuntimeClass").default("RuntimeClass"),
  metadata: objectMetaSchema,
  handler: z.string(),
  overhead: z.looseObject({ podFixed: z.record(z.string(), z.string()).optional() }).optional(),
  scheduling: z.looseObject({ nodeSelector: z.record(z.string(), z.string()).optional() }).optional(),
});
export type RuntimeClass = z.infer<typeof runtimeClassSchema>;
