// pulumi-cluster-runtime: Pulumi resources for OpenShift sandboxed containers and Cluster API health
// checks, with the models, semantics and embedded cluster twin behind them.

export { KataConfig, type KataConfigArgs, type KataConfigCondition, type KataConfigStatusOutput } from "./kata-config";
export { MachineHealthCheck, type MachineHealthCheckArgs, type MachineHealthCheckSpec } from "./machine-health-check";
export type { ClusterArgs, DeepInput, MetadataArgs, Timeouts } from "./types";
export * from "../provider";
