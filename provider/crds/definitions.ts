import type * as z from "zod";
import { type ApiType, apiTypes } from "../k8s/api-types";
import type { KubeObject } from "../k8s/meta";
import { containerRuntimeConfigSchema, kataConfigSchema, machineConfigPoolSchema, machineConfigSchema } from "../kata/model";
import { clusterSchema, kubeadmControlPlaneSchema, machineHealthCheckSchema, machineSchema, machineSetSchema } from "../mhc/model";
import { modelJsonSchema } from "./json-schema";
import { toStructural, type StructuralSchema } from "./structural";

// The CustomResourceDefinitions of the kinds the operators own, generated from the zod models that
// read them (the loose "as read from a cluster" schemas: the API server keeps what we do not model).

export interface PrinterColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  priority?: number;
}

export interface CrdDefinition {
  /** Group, version, kind, plural and scope, from the project's one table of API types. */
  type: ApiType;
  shortNames?: string[];
  categories?: string[];
  /** The model of a whole object (apiVersion, kind, metadata, spec, status). */
  schema: z.ZodType;
  printerColumns?: PrinterColumn[];
}

const age: PrinterColumn = { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" };
const capi: Pick<CrdDefinition, "categories"> = { categories: ["cluster-api"] };

export const crdDefinitions: CrdDefinition[] = [
  {
    type: apiTypes.kataConfig,
    schema: kataConfigSchema,
    // As upstream's CRD: kubectl get kataconfig shows the rollout at a glance.
    printerColumns: [
      { name: "InProgress", type: "string", jsonPath: '.status.conditions[?(@.type=="InProgress")].status' },
      { name: "Completed", type: "integer", jsonPath: ".status.kataNodes.readyNodeCount" },
      { name: "Total", type: "integer", jsonPath: ".status.kataNodes.nodeCount" },
      age,
    ],
  },
  {
    type: apiTypes.machineConfigPool,
    shortNames: ["mcp"],
    schema: machineConfigPoolSchema,
    printerColumns: [
      { name: "Config", type: "string", jsonPath: ".spec.configuration.name" },
      { name: "MachineCount", type: "integer", jsonPath: ".status.machineCount" },
      { name: "UpdatedMachineCount", type: "integer", jsonPath: ".status.updatedMachineCount" },
      { name: "DegradedMachineCount", type: "integer", jsonPath: ".status.degradedMachineCount" },
      age,
    ],
  },
  {
    type: apiTypes.machineConfig,
    shortNames: ["mc"],
    schema: machineConfigSchema,
    printerColumns: [age],
  },
  {
    type: apiTypes.containerRuntimeConfig,
    shortNames: ["ctrcfg"],
    schema: containerRuntimeConfigSchema,
    printerColumns: [age],
  },
  {
    ...capi,
    type: apiTypes.cluster,
    shortNames: ["cl"],
    schema: clusterSchema,
    printerColumns: [{ name: "Paused", type: "boolean", jsonPath: ".spec.paused" }, age],
  },
  {
    ...capi,
    type: apiTypes.machine,
    shortNames: ["ma"],
    schema: machineSchema,
    printerColumns: [
      { name: "Cluster", type: "string", jsonPath: ".spec.clusterName" },
      { name: "NodeName", type: "string", jsonPath: ".status.nodeRef.name" },
      { name: "Phase", type: "string", jsonPath: ".status.phase" },
      age,
    ],
  },
  {
    ...capi,
    type: apiTypes.machineSet,
    shortNames: ["ms"],
    schema: machineSetSchema,
    printerColumns: [
      { name: "Cluster", type: "string", jsonPath: ".spec.clusterName" },
      { name: "Desired", type: "integer", jsonPath: ".spec.replicas" },
      { name: "Replicas", type: "integer", jsonPath: ".status.replicas" },
      age,
    ],
  },
  {
    ...capi,
    type: apiTypes.machineHealthCheck,
    shortNames: ["mhc", "mhcs"],
    schema: machineHealthCheckSchema,
    printerColumns: [
      { name: "Cluster", type: "string", jsonPath: ".spec.clusterName" },
      { name: "ExpectedMachines", type: "integer", jsonPath: ".status.expectedMachines" },
      { name: "MaxUnhealthy", type: "string", jsonPath: ".spec.maxUnhealthy" },
      { name: "CurrentHealthy", type: "integer", jsonPath: ".status.currentHealthy" },
      age,
    ],
  },
  {
    ...capi,
    type: apiTypes.kubeadmControlPlane,
    shortNames: ["kcp"],
    schema: kubeadmControlPlaneSchema,
    printerColumns: [
      { name: "Desired", type: "integer", jsonPath: ".spec.replicas" },
      { name: "Version", type: "string", jsonPath: ".spec.version" },
      age,
    ],
  },
];

/** A CustomResourceDefinition (apiextensions.k8s.io/v1) as JSON. */
export interface CustomResourceDefinition extends KubeObject {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string };
  spec: Record<string, unknown>;
}

export function customResourceDefinition(definition: CrdDefinition): CustomResourceDefinition {
  const { type, shortNames, categories, printerColumns } = definition;
  const { group, version, kind, plural } = type;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), ...(shortNames ? { shortNames } : {}), ...(categories ? { categories } : {}) },
      scope: type.namespaced ? "Namespaced" : "Cluster",
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: { openAPIV3Schema: objectSchema(definition.schema) },
          ...(printerColumns ? { additionalPrinterColumns: printerColumns } : {}),
        },
      ],
    },
  };
}

/**
 * The root of a CRD schema: the API server owns apiVersion, kind and metadata (it allows no rules on
 * metadata beyond name), so only spec and status come from the model.
 */
export function objectSchema(model: z.ZodType): StructuralSchema {
  const json = modelJsonSchema(model);
  const properties: Record<string, StructuralSchema> = {
    apiVersion: { type: "string" },
    kind: { type: "string" },
    metadata: { type: "object" },
  };
  for (const field of ["spec", "status"]) {
    const node = json.properties?.[field];
    if (node) properties[field] = toStructural(node);
  }
  const required = (json.required ?? []).filter((name) => name === "spec");
  return { type: "object", properties, ...(required.length > 0 ? { required } : {}) };
}
