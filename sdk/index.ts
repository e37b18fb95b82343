// pulumi-cluster-runtime: Pulumi resources for OpenShift sandboxed containers and Cluster API health
// checks, and the documented functions behind them. Internals (models, messages, label keys, the
// provider's handlers) are not part of this API.

export { KataConfig } from "./kata-config";
export { MachineHealthCheck } from "./machine-health-check";
export type {
  ClusterArgs,
  KataConfigArgs,
  KataConfigMetadata,
  KataConfigSpec,
  KataConfigStatus,
  MachineHealthCheckArgs,
  MachineHealthCheckMetadata,
  MachineHealthCheckReport,
  MachineHealthCheckSpec,
  MachineHealthCheckStatus,
  Timeouts,
} from "./types.generated";
export type { DeepInput, WithName } from "./types";
export { deriveKataNodes, type DeriveKataNodesInput } from "../provider/kata/derive";
export { evaluateMachineHealthCheck, type Evaluation, type EvaluationInput, type MachineState, type MachineVerdict } from "../provider/mhc/evaluate";
export { EmbeddedCluster, type EmbeddedClusterOptions } from "../provider/wiring/embedded-cluster";
