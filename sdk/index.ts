// pulumi-cluster-runtime: Pulumi resources for OpenShift sandboxed containers and Cluster API health
// checks, and the documented functions behind them.

export { KataConfig, type KataConfigArgs, type KataConfigCondition, type KataConfigStatusOutput } from "./kata-config";
export { MachineHealthCheck, type MachineHealthCheckArgs, type MachineHealthCheckSpec } from "./machine-health-check";
export type { ClusterArgs, DeepInput, MetadataArgs, Timeouts } from "./types";
export { deriveKataNodes, type DeriveKataNodesInput } from "../provider/kata/derive";
export { evaluateMachineHealthCheck, type Evaluation, type EvaluationInput, type MachineVerdict, type MachineState } from "../provider/mhc/evaluate";
export { EmbeddedCluster, type EmbeddedClusterOptions } from "../provider/wiring/embedded-cluster";
