import type * as pulumi from "@pulumi/pulumi";

/** Every level of a plain object type may be given as an Input (a value, a promise or an Output). */
export type DeepInput<T> = T extends (infer U)[]
  ? pulumi.Input<DeepInput<U>[]>
  : T extends object
    ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
    : pulumi.Input<T>;

/** The metadata a resource outputs: the name is always set (default: the resource's Pulumi name). */
export type WithName<M extends { name?: string }> = M & { name: string };
