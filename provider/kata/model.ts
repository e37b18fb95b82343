import * as z from "zod";
import { kinds } from "../k8s/api-types";
import { labelSelectorSchema } from "../k8s/labels";
import { conditionSchema, declaredMetaSchema, objectMetaSchema } from "../k8s/meta";

// KataConfig (kataconfiguration.openshift.io/v1, cluster-scoped) with upstream's JSON field names.

export const KATA_API_VERSION = kinds.kataConfig.apiVersion;
export const KATA_KIND = kinds.kataConfig.kind;
export const KATA_FINALIZER = "kataconfiguration.openshift.io/finalizer";
/** The label the operator puts on selected workers; the kata-oc MachineConfigPool selects by it. */
export const KATA_NODE_ROLE_LABEL = "node-role.kubernetes.io/kata-oc";
export const WORKER_ROLE_LABEL = "node-role.kubernetes.io/worker";
/** Node Feature Discovery's label that checkNodeEligibility requires. */
export const KATA_ELIGIBLE_LABEL = "feature.node.kubernetes.io/runtime.kata";
export const KATA_POOL = "kata-oc";
export const WORKER_POOL = "worker";
export const MASTER_POOL = "master";
export const MASTER_ROLE_LABEL = "node-role.kubernetes.io/master";
export const KATA_RUNTIME_CLASS = "kata";
export const PEER_PODS_RUNTIME_CLASS = "kata-remote";
/** The MachineConfig that adds the kata extension to the pool's nodes (upstream extension_mc_name). */
export const EXTENSION_MACHINE_CONFIG = "50-enable-sandboxed-containers-extension";
/** The ContainerRuntimeConfig that carries spec.logLevel to CRI-O (upstream container_runtime_config_name). */
export const CRIO_CONFIG = "kata-crio-config";
/** The label a pool carries so that a ContainerRuntimeConfig can select it: `pools.operator.machineconfiguration.openshift.io/<pool>`. */
export const poolLabel = (pool: string) => `pools.operator.machineconfiguration.openshift.io/${pool}`;
/** The role a MachineConfig is for; pools select MachineConfigs by it. */
export const MCO_ROLE_LABEL = "machineconfiguration.openshift.io/role";
/** The MCO rolls nodes out zone by zone (node_controller.go sortNodeList). */
export const ZONE_LABEL = "topology.kubernetes.io/zone";

export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "panic"] as const;

export const kataConfigSpecSchema = z.strictObject({
  kataConfigPoolSelector: labelSelectorSchema.optional().meta({ description: "Which worker nodes get kata (labels of the Node objects). Unset: every worker." }),
  checkNodeEligibility: z.boolean({ error: "must be true or false" }).optional().meta({ description: "Only nodes that Node Feature Discovery labelled feature.node.kubernetes.io/runtime.kata=true. Default false." }),
  logLevel: z
    .enum(logLevels, { error: `must be one of the CRI-O log levels: ${logLevels.join(", ")}` })
    .optional()
    .meta({ description: `CRI-O log level on the kata nodes: ${logLevels.join(", ")}. Default info.` }),
  enablePeerPods: z.boolean({ error: "must be true or false" }).optional().meta({ description: "Also create the kata-remote RuntimeClass (peer pods). Default false." }),
});
export type KataConfigSpec = z.infer<typeof kataConfigSpecSchema>;

export const kataNodesSchema = z.object({
  nodeCount: z.number().int().meta({ description: "Nodes selected for kata (labelled kata-oc); 0 as soon as removal starts." }),
  readyNodeCount: z.number().int().meta({ description: "Nodes with kata installed." }),
  waitingToInstall: z.array(z.string()).optional(),
  installing: z.array(z.string()).optional(),
  installed: z.array(z.string()).optional(),
  failedToInstall: z.array(z.string()).optional(),
  waitingToUninstall: z.array(z.string()).optional(),
  uninstalling: z.array(z.string()).optional(),
  failedToUninstall: z.array(z.string()).optional(),
});
export type KataNodes = z.infer<typeof kataNodesSchema>;
export type KataNodeList = Exclude<keyof KataNodes, "nodeCount" | "readyNodeCount">;
export const kataNodeLists: readonly KataNodeList[] = [
  "waitingToInstall",
  "installing",
  "installed",
  "failedToInstall",
  "waitingToUninstall",
  "uninstalling",
  "failedToUninstall",
];

export const kataConfigStatusSchema = z.looseObject({
  kataNodes: kataNodesSchema.optional().meta({ description: "Per-node progress: counts and the node lists (waitingToInstall, installing, installed, failedToInstall, waitingToUninstall, uninstalling, failedToUninstall)." }),
  conditions: z.array(conditionSchema).optional().meta({ description: "The InProgress condition: Installing, Updating, Uninstalling, Failed (Node <name> Degraded: <reason>), BlockedByExistingKataPods, or False with empty reason when done." }),
  runtimeClasses: z.array(z.string()).optional().meta({ description: "RuntimeClasses the operator created (kata; kata-remote with peer pods)." }),
  waitingForMcoToStart: z.boolean().optional().meta({ description: "True while the operator waits for the Machine Config Operator to start on a change it made (nodes labelled or unlabelled); kataNodes is not updated meanwhile." }),
});
export type KataConfigStatus = z.infer<typeof kataConfigStatusSchema>;

export const kataConfigSchema = z.looseObject({
  apiVersion: z.literal(KATA_API_VERSION).default(KATA_API_VERSION),
  kind: z.literal(KATA_KIND).default(KATA_KIND),
  metadata: objectMetaSchema,
  spec: kataConfigSpecSchema.default({}),
  status: kataConfigStatusSchema.optional(),
});
export type KataConfig = z.infer<typeof kataConfigSchema>;

/** What a user declares: metadata they may set and the spec, refused strictly. */
export const kataConfigDeclarationSchema = z.object({
  metadata: declaredMetaSchema("Cluster").optional(),
  spec: kataConfigSpecSchema.optional(),
});
export type KataConfigDeclaration = z.infer<typeof kataConfigDeclarationSchema>;

// The Machine Config Operator's objects, with the fields the operator, the rollout and the handlers read.
export const MCO_API_VERSION = kinds.machineConfigPool.apiVersion;
const configurationSchema = z.looseObject({
  name: z.string().optional(),
  source: z.array(z.looseObject({ apiVersion: z.string().optional(), kind: z.string().optional(), name: z.string().optional() })).optional(),
});
export const machineConfigPoolSchema = z.looseObject({
  apiVersion: z.literal(MCO_API_VERSION).default(MCO_API_VERSION),
  kind: z.literal("MachineConfigPool").default("MachineConfigPool"),
  metadata: objectMetaSchema,
  spec: z
    .looseObject({
      configuration: configurationSchema.optional(),
      machineConfigSelector: labelSelectorSchema.optional(),
      nodeSelector: labelSelectorSchema.optional(),
      maxUnavailable: z.union([z.number(), z.string()]).optional(),
      paused: z.boolean().optional(),
    })
    .optional(),
  status: z
    .looseObject({
      observedGeneration: z.number().int().optional(),
      configuration: configurationSchema.optional(),
      machineCount: z.number().int().optional(),
      updatedMachineCount: z.number().int().optional(),
      readyMachineCount: z.number().int().optional(),
      unavailableMachineCount: z.number().int().optional(),
      degradedMachineCount: z.number().int().optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});
export type MachineConfigPool = z.infer<typeof machineConfigPoolSchema>;

export const machineConfigSchema = z.looseObject({
  apiVersion: z.literal(MCO_API_VERSION).default(MCO_API_VERSION),
  kind: z.literal("MachineConfig").default("MachineConfig"),
  metadata: objectMetaSchema,
  spec: z
    .looseObject({
      extensions: z.array(z.string()).optional(),
      config: z.looseObject({}).optional(),
    })
    .optional(),
});
export type MachineConfig = z.infer<typeof machineConfigSchema>;

export const containerRuntimeConfigSchema = z.looseObject({
  apiVersion: z.literal(MCO_API_VERSION).default(MCO_API_VERSION),
  kind: z.literal("ContainerRuntimeConfig").default("ContainerRuntimeConfig"),
  metadata: objectMetaSchema,
  spec: z
    .looseObject({
      machineConfigPoolSelector: labelSelectorSchema.optional(),
      containerRuntimeConfig: z.looseObject({ logLevel: z.string().optional() }).optional(),
    })
    .optional(),
  status: z.looseObject({ observedGeneration: z.number().int().optional(), conditions: z.array(conditionSchema).optional() }).optional(),
});
export type ContainerRuntimeConfig = z.infer<typeof containerRuntimeConfigSchema>;

/** Annotations the machine-config daemon writes on each Node. */
export const MCO_STATE = "machineconfiguration.openshift.io/state";
export const MCO_CURRENT_CONFIG = "machineconfiguration.openshift.io/currentConfig";
export const MCO_DESIRED_CONFIG = "machineconfiguration.openshift.io/desiredConfig";
export const MCO_REASON = "machineconfiguration.openshift.io/reason";
