import * as pulumi from "@pulumi/pulumi";
import { ownerKeyOf } from "../provider/lifecycle/inputs";
import type { ClusterArgs } from "./types.generated";
import type { DeepInput, WithName } from "./types";

/** The resource's Pulumi name is the object's name unless the user sets one. */
export function metadataWithName<M extends { name?: string }>(metadata: DeepInput<M> | undefined, name: string): pulumi.Output<WithName<M>> {
  return pulumi.output(metadata ?? {}).apply((m) => ({ ...m, name: (m as { name?: string }).name ?? name }) as WithName<M>);
}

/** A cluster given by kubeconfig is a secret, in the inputs and so in the outputs and state. */
export function clusterInput(cluster: DeepInput<ClusterArgs> | undefined): pulumi.Input<ClusterArgs> | undefined {
  if (cluster === undefined) return undefined;
  // Whatever a JavaScript or YAML program passes (a number, a string) reaches check, which says what is wrong.
  return pulumi.output(cluster).apply((c) => (c && typeof c === "object" && "kubeconfig" in c && c.kubeconfig ? pulumi.secret(c) : c) as ClusterArgs);
}

/** Which stack made an object: lets an interrupted run take over its own object, and only that. */
export function ownerKey(kind: string, name: string): string {
  return ownerKeyOf(pulumi.getProject(), pulumi.getStack(), kind, name);
}

export const MODULE = "cluster-runtime";
