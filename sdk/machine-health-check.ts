import * as pulumi from "@pulumi/pulumi";
import type { Evaluation } from "../provider/mhc/evaluate";
import type { z } from "zod";
import type { declaredMachineHealthCheckSpecSchema, MachineHealthCheckStatus } from "../provider/mhc/model";
import { clusterInput, metadataWithName, MODULE, ownerKey } from "./common";
import { machineHealthCheckProvider } from "./provider-stubs";
import type { ClusterArgs, DeepInput, MetadataArgs, Timeouts } from "./types";

/** The spec as a user writes it: defaults (maxUnhealthy 100%, nodeStartupTimeout 10m) may be left out. */
export type MachineHealthCheckSpec = z.input<typeof declaredMachineHealthCheckSpecSchema>;

export interface MachineHealthCheckArgs {
  /** Default name: the resource's Pulumi name; default namespace: "default". */
  metadata?: DeepInput<MetadataArgs & { namespace?: string }>;
  /** As Cluster API's MachineHealthCheck spec (cluster.x-k8s.io/v1beta1). */
  spec: DeepInput<MachineHealthCheckSpec>;
  cluster?: DeepInput<ClusterArgs>;
  /** Default 5m each: how long to wait for the health controller to observe the policy. */
  timeouts?: DeepInput<Timeouts>;
}

/**
 * Cluster API's MachineHealthCheck: when machines count as unhealthy and how many may be remediated at
 * once. `pulumi up` applies it and reports what the health controller sees (`report`); `pulumi preview`
 * shows what a policy change means for the machines that exist now.
 */
export class MachineHealthCheck extends pulumi.dynamic.Resource {
  declare readonly metadata: pulumi.Output<MetadataArgs & { namespace?: string }>;
  declare readonly spec: pulumi.Output<MachineHealthCheckSpec>;
  /** The controller's status: expectedMachines, currentHealthy, remediationsAllowed, targets, conditions. */
  declare readonly status: pulumi.Output<MachineHealthCheckStatus>;
  /** The evaluation for the machines that exist now: per machine healthy/unhealthy/pending/skipped, why, and who replaces it. */
  declare readonly report: pulumi.Output<Evaluation>;

  constructor(name: string, args: MachineHealthCheckArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      machineHealthCheckProvider,
      name,
      {
        metadata: metadataWithName(args.metadata, name),
        spec: args.spec,
        cluster: clusterInput(args.cluster),
        timeouts: args.timeouts,
        owner: ownerKey("MachineHealthCheck", name),
        status: undefined,
        report: undefined,
      },
      opts,
      MODULE,
      "MachineHealthCheck",
    );
  }
}
