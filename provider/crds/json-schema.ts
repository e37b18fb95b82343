import * as z from "zod";

// The zod models as JSON Schema (OpenAPI 3.0 flavour: `nullable`, no $ref), the one conversion that
// every generated artefact starts from: the CustomResourceDefinitions here, and the Pulumi package
// schema. Consumers reshape the result for their own rules; they never read the zod internals.

/** A JSON Schema node as z.toJSONSchema writes it (the fields any consumer reads, plus the rest). */
export interface JsonSchema {
  type?: "object" | "array" | "string" | "number" | "integer" | "boolean" | "null";
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  /** `{}` (or true) for a loose object, false for a strict one, a schema for a map. */
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  nullable?: boolean;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  [keyword: string]: unknown;
}

export interface ModelSchemaOptions {
  /**
   * "input" (default): what may be written (fields with defaults are optional); "output": what a
   * parse returns (defaults filled in).
   */
  io?: "input" | "output";
}

/** A zod model as one self-contained JSON Schema tree (shared parts inlined, so no $ref or $defs). */
export function modelJsonSchema(schema: z.ZodType, options: ModelSchemaOptions = {}): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: "openapi-3.0",
    io: options.io ?? "input",
    reused: "inline",
    cycles: "throw",
    // Refinements and transforms have no JSON Schema form: the shape is described, the rule is not.
    unrepresentable: "any",
  }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** Whether a node describes an object that keeps fields it does not list (a zod looseObject). */
export function isLooseObject(node: JsonSchema): boolean {
  const extra = node.additionalProperties;
  return extra === true || (typeof extra === "object" && Object.keys(extra).length === 0);
}

/** Whether a node is a map (string keys to values of one schema) rather than a record of named fields. */
export function isMap(node: JsonSchema): node is JsonSchema & { additionalProperties: JsonSchema } {
  const extra = node.additionalProperties;
  return typeof extra === "object" && Object.keys(extra).length > 0 && Object.keys(node.properties ?? {}).length === 0;
}
