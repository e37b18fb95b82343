import type * as pulumi from "@pulumi/pulumi";

/** Every level of a plain object type may be given as an Input (a value, a promise or an Output). */
export type DeepInput<T> = T extends (infer U)[]
  ? pulumi.Input<DeepInput<U>[]>
  : T extends object
    ? pulumi.Input<{ [K in keyof T]: DeepInput<T[K]> }>
    : pulumi.Input<T>;

/** Which cluster a resource acts on. Omitted: the ambient kubeconfig (KUBECONFIG, then ~/.kube/config). */
export type ClusterArgs =
  | {
      /** The embedded cluster twin: a local stand-in for trying things without a cluster. */
      embedded: {
        /** Multi-document YAML of the cluster's objects; the package ships fixtures/two-workers.yaml and fixtures/capi-quickstart.yaml. */
        fixture?: string;
        /** Where the twin keeps its state between runs (default .state/twin/<fixture>.json). */
        stateFile?: string;
        /** How much faster than the wall clock the twin's time runs (default 60). */
        timeScale?: number;
        /** Time moves only while a resource waits, so installs finish at once (tests, CI). */
        virtualTime?: boolean;
        /** How long the twin takes to move one node to a new machine config (Go duration). */
        nodeUpdateTime?: string;
      };
    }
  | {
      /** Kubeconfig contents; stored as a secret. */
      kubeconfig?: string;
      context?: string;
    };

/** Time limits of the waits, as Go durations ("60m"). customTimeouts do not reach dynamic providers. */
export interface Timeouts {
  create?: string;
  update?: string;
  delete?: string;
}

export interface MetadataArgs {
  /** Default: the resource's Pulumi name. */
  name?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
