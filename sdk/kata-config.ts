import * as pulumi from "@pulumi/pulumi";
import type { KataConfigSpec, KataNodes } from "../provider/kata/model";
import { clusterInput, metadataWithName, MODULE, ownerKey } from "./common";
import { kataConfigProvider } from "./provider-stubs";
import type { ClusterArgs, DeepInput, MetadataArgs, Timeouts } from "./types";

export interface KataConfigArgs {
  /** Default name: the resource's Pulumi name. A KataConfig is cluster-scoped: no namespace. */
  metadata?: DeepInput<MetadataArgs>;
  /** As upstream's KataConfig spec. No kataConfigPoolSelector: every worker. */
  spec?: DeepInput<KataConfigSpec>;
  cluster?: DeepInput<ClusterArgs>;
  /** Default 60m each: installs and removals take tens of minutes on real clusters. */
  timeouts?: DeepInput<Timeouts>;
}

/** The InProgress condition as the outputs carry it. */
export interface KataConfigCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** The operator's status as an output: every field present (empty lists and zero counts before any progress). */
export interface KataConfigStatusOutput {
  kataNodes: KataNodes;
  conditions: KataConfigCondition[];
  runtimeClasses: string[];
}

/**
 * OpenShift sandboxed containers' KataConfig. `pulumi up` installs the Kata runtime on the selected
 * workers and follows them node by node until the RuntimeClass exists; `pulumi destroy` follows the
 * removal. A Degraded node or pods that block the removal fail the operation with what to do.
 */
export class KataConfig extends pulumi.dynamic.Resource {
  declare readonly metadata: pulumi.Output<MetadataArgs>;
  declare readonly spec: pulumi.Output<KataConfigSpec>;
  /** The operator's status: kataNodes (per-node progress), the InProgress condition, runtimeClasses. */
  declare readonly status: pulumi.Output<KataConfigStatusOutput>;
  /** "kata" once the RuntimeClass exists: give it to pods as spec.runtimeClassName. */
  declare readonly runtimeClassName: pulumi.Output<string>;

  constructor(name: string, args: KataConfigArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(
      kataConfigProvider,
      name,
      {
        metadata: metadataWithName(args.metadata, name),
        spec: args.spec ?? {},
        cluster: clusterInput(args.cluster),
        timeouts: args.timeouts,
        owner: ownerKey("KataConfig", name),
        status: undefined,
        runtimeClassName: undefined,
      },
      opts,
      MODULE,
      "KataConfig",
    );
  }
}
