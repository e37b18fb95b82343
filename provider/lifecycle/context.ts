import type { ClusterClient } from "../cluster/client";
import type { ClusterTarget } from "../cluster/target";

// What a host gives the handlers for one call. The dynamic provider host and the provider plugin
// serve the same handlers; they differ in how a cluster is reached, where progress goes, and whether
// the engine can cancel an operation or set its time limit.

export interface Progress {
  /** A line about the resource: "applied; following the nodes", "InProgress True (Installing)". Always shown. */
  line(text: string): void;
  /**
   * A line about one of many items: "worker-1: installing (0/2 ready)". The handlers' progress holds
   * some back when there are many (lifecycle/progress-budget); `important` ones (a failure) always pass.
   */
  item?(text: string, important?: boolean): void;
  /** What the resource waits for now, replaced by the next status (a host without such a channel drops it). */
  status?(text: string): void;
}

export interface HandlerContext {
  /** Open the resource's cluster (the wiring decides the backend). */
  connect(target: ClusterTarget | undefined): Promise<ClusterClient>;
  /** Where the progress of the resource named `resource` ("KataConfig example") goes. */
  progress(resource: string): Progress;
  /** Aborted when the engine cancels the operation: waits stop at once. */
  signal?: AbortSignal;
  /** The engine's time limit for this operation (customTimeouts), when the host is told one. */
  timeoutMs?: number;
}
