import { crdDefinitions, customResourceDefinition, type CustomResourceDefinition } from "./definitions";

// CustomResourceDefinitions generated from the zod models, for an API server that has none of the
// operators installed (the dev cluster, tests).

export { crdDefinitions, customResourceDefinition, objectSchema, type CrdDefinition, type CustomResourceDefinition, type PrinterColumn } from "./definitions";
export { isLooseObject, isMap, modelJsonSchema, type JsonSchema, type ModelSchemaOptions } from "./json-schema";
export { toStructural, type StructuralSchema } from "./structural";

export function customResourceDefinitions(): CustomResourceDefinition[] {
  return crdDefinitions.map(customResourceDefinition);
}
