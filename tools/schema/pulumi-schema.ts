import { type JsonSchema, modelJsonSchema } from "../../provider/crds/json-schema";
import { PACKAGE, providerConfig, resources } from "./resources";
import { mustNotBeSet } from "./typescript-types";

// The Pulumi package schema (schema.json) of both resources, generated from the zod models:
// every nested object becomes a named type, descriptions come from the models' metadata.


type PropertySpec = Record<string, unknown>;
interface ObjectTypeSpec {
  type: "object";
  description?: string;
  properties: Record<string, PropertySpec>;
  required?: string[];
}

const ANY = { $ref: "pulumi.json#/Any" };

/** Collects the named object types while it converts JSON Schema nodes into property specs. */
class TypeCollector {
  readonly types: Record<string, ObjectTypeSpec> = {};

  property(node: JsonSchema, typeName: string, description = node.description): PropertySpec {
    const withDescription = (spec: PropertySpec) => (description ? { ...spec, description } : spec);
    const members = node.anyOf ?? node.oneOf;
    if (members) {
      if (members.every((m) => m.type === "object")) {
        // A union of objects (the cluster target) is one object type with every member's fields.
        return withDescription(this.objectType({ type: "object", properties: Object.assign({}, ...members.map((m) => m.properties ?? {})) }, typeName));
      }
      return withDescription({ oneOf: members.map((m) => this.property(m, typeName, undefined)) });
    }
    switch (node.type) {
      case "object":
        if (node.properties && Object.keys(node.properties).length > 0) return withDescription(this.objectType(node, typeName));
        if (node.additionalProperties && typeof node.additionalProperties === "object" && node.additionalProperties.type) {
          return withDescription({ type: "object", additionalProperties: this.property(node.additionalProperties, `${typeName}Value`, undefined) });
        }
        return withDescription(ANY);
      case "array":
        return withDescription({ type: "array", items: node.items ? this.property(node.items, singular(typeName), undefined) : ANY });
      case "string":
      case "boolean":
      case "integer":
      case "number":
        return withDescription({ type: node.type });
      default:
        return withDescription(ANY);
    }
  }

  private objectType(node: JsonSchema, typeName: string): PropertySpec {
    const properties: Record<string, PropertySpec> = {};
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      if (!mustNotBeSet(child)) properties[key] = this.property(child, `${typeName}${pascal(key)}`);
    }
    this.types[token(typeName)] = {
      type: "object",
      ...(node.description ? { description: node.description } : {}),
      properties,
      ...(node.required?.length ? { required: [...node.required] } : {}),
    };
    return { $ref: `#/types/${token(typeName)}` };
  }
}

export function pulumiPackageSchema(version: string): Record<string, unknown> {
  const collector = new TypeCollector();
  const resourceSpecs: Record<string, unknown> = {};
  for (const resource of resources) {
    const inputProperties: Record<string, PropertySpec> = {};
    for (const [key, input] of Object.entries(resource.inputs)) {
      inputProperties[key] = { ...collector.property(modelJsonSchema(input.schema), input.type), description: input.description, ...(input.secret ? { secret: true } : {}) };
    }
    const properties: Record<string, PropertySpec> = { ...inputProperties };
    for (const [key, output] of Object.entries(resource.outputs)) {
      const spec = collector.property(modelJsonSchema(output.schema, { io: "output" }), output.type);
      properties[key] = { ...spec, description: output.description };
    }
    resourceSpecs[token(resource.name)] = {
      description: resource.description,
      inputProperties,
      requiredInputs: resource.requiredInputs,
      properties,
      required: ["metadata", "spec", ...Object.entries(resource.outputs).filter(([, output]) => !output.optional).map(([key]) => key)],
    };
  }
  const configProperties: Record<string, PropertySpec> = {};
  for (const [key, variable] of Object.entries(providerConfig)) {
    configProperties[key] = { ...collector.property(modelJsonSchema(variable.schema), variable.type), description: variable.description, ...(variable.secret ? { secret: true } : {}) };
  }
  return {
    name: PACKAGE,
    displayName: "Cluster Runtime",
    version,
    description: "Pulumi resources for OpenShift sandboxed containers (KataConfig) and Cluster API health checks (MachineHealthCheck), with an embedded cluster twin.",
    keywords: ["pulumi", "kubernetes", "openshift", "kata", "cluster-api", "category/infrastructure"],
    license: "Apache-2.0",
    meta: { moduleFormat: "(.*)" },
    config: { variables: configProperties },
    types: sortKeys(collector.types),
    provider: {
      description: "The cluster-runtime provider plugin. Its configuration names the cluster of every resource that sets no `cluster` of its own.",
      inputProperties: configProperties,
      properties: configProperties,
    },
    resources: resourceSpecs,
    language: { nodejs: { packageName: "pulumi-cluster-runtime" } },
  };
}

function token(name: string): string {
  return `${PACKAGE}:index:${name}`;
}

function pascal(key: string): string {
  return key.replace(/(^|[^A-Za-z0-9])([A-Za-z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());
}

/** Item types of a list are named in the singular: UnhealthyConditions → UnhealthyCondition. */
function singular(name: string): string {
  return name.endsWith("ies") ? `${name.slice(0, -3)}y` : name.endsWith("s") ? name.slice(0, -1) : `${name}Item`;
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
