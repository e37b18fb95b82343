import * as pulumi from "@pulumi/pulumi";
import { clusterInput, metadataWithName, MODULE, ownerKey } from "./common";
import { machineHealthCheckProvider } from "./provider-stubs";
import type { MachineHealthCheckArgs, MachineHealthCheckMetadata, MachineHealthCheckReport, MachineHealthCheckSpec, MachineHealthCheckStatus } from "./types.generated";
import type { WithName } from "./types";

/**
 * Cluster API's MachineHealthCheck: when machines count as unhealthy and how many may be remediated at
 * once. `pulumi up` applies it and reports what the health controller sees (`report`); `pulumi preview`
 * shows what a policy change means for the machines that exist now.
 */
export class MachineHealthCheck extends pulumi.dynamic.Resource {
  declare readonly metadata: pulumi.Output<WithName<MachineHealthCheckMetadata>>;
  declare readonly spec: pulumi.Output<MachineHealthCheckSpec>;
  /** The controller's status: expectedMachines, currentHealthy, remediationsAllowed, targets, conditions; every field present. */
  declare readonly status: pulumi.Output<MachineHealthCheckStatus>;
  /**
   * What the health controller sees for the machines that exist now: per machine healthy, unhealthy,
   * pending or skipped, why, and who replaces it. Undefined when the policy's Cluster cannot be found.
   */
  declare readonly report: pulumi.Output<MachineHealthCheckReport | undefined>;

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
