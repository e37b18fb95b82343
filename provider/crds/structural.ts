import { isLooseObject, isMap, type JsonSchema } from "./json-schema";

// JSON Schema → a Kubernetes structural schema (apiextensions.k8s.io/v1 openAPIV3Schema). The API
// server refuses: nodes without a type, anyOf/oneOf that carry types, additionalProperties beside
// properties or set to false, $ref. Loose objects keep unknown fields (x-kubernetes-preserve-unknown-fields),
// number-or-string unions become x-kubernetes-int-or-string, other unions are kept untyped.

export type StructuralSchema = Record<string, unknown>;

/** Keywords copied as they are (each valid on a structural node of its type). */
const KEPT = [
  "description",
  "enum",
  "default",
  "nullable",
  "format",
  "pattern",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
] as const;

const PRESERVE = "x-kubernetes-preserve-unknown-fields";
const INT_OR_STRING = "x-kubernetes-int-or-string";

export function toStructural(node: JsonSchema): StructuralSchema {
  if (node.$ref !== undefined) throw new Error("toStructural: $ref is not allowed in a CRD schema; convert with reused: \"inline\"");
  const branches = node.anyOf ?? node.oneOf;
  if (branches) return union(node, branches);
  if (node.allOf) {
    const parts = [withoutJunctors(node), ...node.allOf];
    const objects = parts.some((p) => p.type === "object" || p.properties);
    return toStructural(objects ? parts.reduce((a, b) => mergeObjects(a, b, "all")) : Object.assign({}, ...parts));
  }

  const out: StructuralSchema = {};
  if (node.type && node.type !== "null") out.type = node.type;
  for (const keyword of KEPT) if (node[keyword] !== undefined) out[keyword] = node[keyword];
  if (node.const !== undefined && out.enum === undefined) out.enum = [node.const];
  // Integers zod gives safe-integer bounds that say nothing to a reader; int64 is the API's own range.
  if (node.type === "integer") dropSafeIntegerBounds(out);

  switch (node.type) {
    case "object":
      return object(node, out);
    case "array":
      out.items = node.items ? toStructural(node.items) : { [PRESERVE]: true };
      return out;
    case undefined:
      // z.unknown()/z.any(): anything goes, kept as written.
      return { ...pick(out, ["description", "default", "nullable"]), [PRESERVE]: true };
    default:
      return out;
  }
}

function object(node: JsonSchema, out: StructuralSchema): StructuralSchema {
  const properties = Object.entries(node.properties ?? {});
  if (properties.length > 0) {
    out.properties = Object.fromEntries(properties.map(([name, child]) => [name, toStructural(child)]));
    const required = (node.required ?? []).filter((name) => name in (node.properties ?? {}));
    if (required.length > 0) out.required = required;
  }
  if (isMap(node)) out.additionalProperties = toStructural(node.additionalProperties);
  // A loose object, or named fields plus a catch-all (the API server allows only one of the two).
  else if (isLooseObject(node) || (typeof node.additionalProperties === "object" && properties.length > 0)) out[PRESERVE] = true;
  else if (properties.length === 0 && node.additionalProperties === undefined) out[PRESERVE] = true; // z.object({}) of unknown shape
  return out;
}

function union(node: JsonSchema, branches: JsonSchema[]): StructuralSchema {
  const meaningful = branches.filter((b) => b.type !== "null");
  const nullable = node.nullable === true || meaningful.length < branches.length || meaningful.some((b) => b.nullable);
  const base: StructuralSchema = pick(node as StructuralSchema, ["description", "default"]);
  if (nullable) base.nullable = true;
  const types = new Set(meaningful.map((b) => b.type));
  if (meaningful.length === 1) return { ...toStructural({ ...withoutJunctors(node), ...meaningful[0] }), ...base };
  if (types.has("string") && (types.has("integer") || types.has("number")) && [...types].every((t) => t === "string" || t === "integer" || t === "number")) {
    return { ...base, [INT_OR_STRING]: true };
  }
  if (types.size === 1 && !types.has(undefined)) {
    const [type] = types;
    if (type === "object") {
      const [first, ...rest] = meaningful as [JsonSchema, ...JsonSchema[]];
      return { ...toStructural(rest.reduce((a, b) => mergeObjects(a, b, "any"), first)), ...base };
    }
    const enums = meaningful.every((b) => Array.isArray(b.enum)) ? meaningful.flatMap((b) => b.enum ?? []) : undefined;
    return { ...base, type, ...(enums ? { enum: [...new Set(enums)] } : {}) };
  }
  return { ...base, [PRESERVE]: true };
}

/**
 * Two object schemas as one: every property of either; required where both require it ("any": one of
 * them holds) or where either does ("all": both hold).
 */
function mergeObjects(a: JsonSchema, b: JsonSchema, mode: "any" | "all"): JsonSchema {
  const properties: Record<string, JsonSchema> = { ...(a.properties ?? {}) };
  for (const [name, schema] of Object.entries(b.properties ?? {})) {
    const existing = properties[name];
    properties[name] = existing ? { [mode === "any" ? "anyOf" : "allOf"]: [existing, schema] } : schema;
  }
  const required =
    mode === "any"
      ? (a.required ?? []).filter((name) => (b.required ?? []).includes(name))
      : [...new Set([...(a.required ?? []), ...(b.required ?? [])])];
  const loose = isLooseObject(a) || isLooseObject(b);
  return { ...a, type: "object", properties, required, ...(loose ? { additionalProperties: {} } : { additionalProperties: undefined }) };
}

function withoutJunctors(node: JsonSchema): JsonSchema {
  const { anyOf: _a, oneOf: _o, allOf: _l, ...rest } = node;
  return rest;
}

function pick(source: StructuralSchema, keys: string[]): StructuralSchema {
  return Object.fromEntries(keys.filter((k) => source[k] !== undefined).map((k) => [k, source[k]]));
}

function dropSafeIntegerBounds(out: StructuralSchema): void {
  if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
  if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
}
