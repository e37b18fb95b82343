import * as pulumi from "@pulumi/pulumi";
import { clusterInput, metadataWithName, MODULE, ownerKey } from "./common";
import { kataConfigProvider } from "./provider-stubs";
import type { KataConfigArgs, KataConfigMetadata, KataConfigSpec, KataConfigStatus } from "./types.generated";
import type { WithName } from "./types";

/**
 * OpenShift sandboxed containers' KataConfig. `pulumi up` installs the Kata runtime on the selected
 * workers and follows them node by node until the RuntimeClass exists; `pulumi destroy` follows the
 * removal. A Degraded node or pods that block the removal fail the operation with what to do.
 */
export class KataConfig extends pulumi.dynamic.Resource {
  declare readonly metadata: pulumi.Output<WithName<KataConfigMetadata>>;
  declare readonly spec: pulumi.Output<KataConfigSpec>;
  /** The operator's status: kataNodes (per-node progress), the InProgress condition, runtimeClasses; every field present. */
  declare readonly status: pulumi.Output<KataConfigStatus>;
  /** "kata" once the RuntimeClass exists ("" before): give it to pods as spec.runtimeClassName. */
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
