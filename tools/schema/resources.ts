import * as z from "zod";
import { clusterTargetSchema, providerConfigSchema } from "../../provider/cluster/target";
import { declaredMetaSchema } from "../../provider/k8s/meta";
import { kataConfigSpecSchema } from "../../provider/kata/model";
import { kataConfigStatusOutputSchema } from "../../provider/kata/outputs";
import { timeoutsSchema } from "../../provider/lifecycle/timeouts";
import { declaredMachineHealthCheckSpecSchema } from "../../provider/mhc/model";
import { machineHealthCheckStatusOutputSchema } from "../../provider/mhc/outputs";
import { evaluationSchema } from "../../provider/mhc/report-schema";

// Both resources' inputs and outputs as the models describe them: the one table that schema.json
// and the SDK's TypeScript types are generated from.

export const PACKAGE = "cluster-runtime";

export interface PropertyModel {
  schema: z.ZodType;
  /** The name of the property's type in schema.json and the SDK ("" for a scalar). */
  type: string;
  /** Its name in the TypeScript SDK when that differs (ClusterArgs: what a user passes as `cluster`). */
  sdkName?: string;
  description: string;
  secret?: boolean;
  /** An output that may be absent (otherwise every output is always present). */
  optional?: boolean;
}

export interface ResourceModel {
  name: string;
  description: string;
  inputs: Record<string, PropertyModel>;
  outputs: Record<string, PropertyModel>;
  requiredInputs: string[];
}

const common = {
  cluster: {
    schema: clusterTargetSchema,
    type: "Cluster",
    sdkName: "ClusterArgs",
    description: "Which cluster to act on: { embedded: {...} } for the embedded twin, or { kubeconfig, context }. Omitted: the ambient kubeconfig (KUBECONFIG, then ~/.kube/config).",
    secret: true,
  },
  timeouts: {
    schema: timeoutsSchema,
    type: "Timeouts",
    description: "Limits of the waits as Go durations (customTimeouts do not reach dynamic providers; with the provider plugin, these win over customTimeouts).",
  },
} satisfies Record<string, PropertyModel>;

export const resources: ResourceModel[] = [
  {
    name: "KataConfig",
    description:
      "OpenShift sandboxed containers' KataConfig (kataconfiguration.openshift.io/v1). `pulumi up` installs the Kata runtime on the selected workers and follows them node by node until the RuntimeClass exists; `pulumi destroy` follows the removal. A Degraded node or pods that block the removal fail the operation with what to do.",
    inputs: {
      metadata: { schema: declaredMetaSchema("Cluster"), type: "KataConfigMetadata", description: "The object's metadata (cluster-scoped). Default name: the resource's Pulumi name." },
      spec: { schema: kataConfigSpecSchema, type: "KataConfigSpec", description: "As upstream's KataConfig spec. Without kataConfigPoolSelector: every worker." },
      ...common,
    },
    outputs: {
      status: { schema: kataConfigStatusOutputSchema, type: "KataConfigStatus", description: "The operator's status: per-node progress, the InProgress condition, the RuntimeClasses." },
      runtimeClassName: { schema: z.string(), type: "", description: "\"kata\" once the RuntimeClass exists (\"\" before): give it to pods as spec.runtimeClassName." },
    },
    requiredInputs: [],
  },
  {
    name: "MachineHealthCheck",
    description:
      "Cluster API's MachineHealthCheck (cluster.x-k8s.io/v1beta1): when machines count as unhealthy and how many may be remediated at once. `pulumi up` applies it and reports what the health controller sees; `pulumi preview` shows what a policy change means for the machines that exist now.",
    inputs: {
      metadata: { schema: declaredMetaSchema("Namespaced"), type: "MachineHealthCheckMetadata", description: "The object's metadata. Default name: the resource's Pulumi name; default namespace: default." },
      spec: { schema: declaredMachineHealthCheckSpecSchema, type: "MachineHealthCheckSpec", description: "As Cluster API's MachineHealthCheck spec (v1beta1)." },
      ...common,
    },
    outputs: {
      status: { schema: machineHealthCheckStatusOutputSchema, type: "MachineHealthCheckStatus", description: "The controller's status: expectedMachines, currentHealthy, remediationsAllowed, targets, conditions." },
      report: {
        schema: evaluationSchema,
        type: "MachineHealthCheckReport",
        description: "What the health controller sees for the machines that exist now: each machine's verdict and why, whether remediation is short-circuited, who replaces what. Absent when the policy's Cluster cannot be found.",
        optional: true,
      },
    },
    requiredInputs: ["spec"],
  },
];

/**
 * The provider plugin's configuration: stack config `cluster-runtime:<key>` for the default provider, or
 * the inputs of an explicit `cluster-runtime` provider resource.
 */
export const providerConfig: Record<string, PropertyModel> = {
  kubeconfig: { schema: providerConfigSchema.shape.kubeconfig, type: "", description: providerConfigSchema.shape.kubeconfig.description ?? "", secret: true },
  context: { schema: providerConfigSchema.shape.context, type: "", description: providerConfigSchema.shape.context.description ?? "" },
  embedded: { schema: providerConfigSchema.shape.embedded, type: "ClusterEmbedded", description: providerConfigSchema.shape.embedded.description ?? "" },
};
