import type { ClusterClient } from "../cluster/client";
import { type ClusterTarget, defaultStateFile, type EmbeddedTarget, isEmbedded, type KubeconfigTarget, resolveFixture } from "../cluster/target";
import { parseGoDuration } from "../k8s/duration";
import { EmbeddedCluster } from "./embedded-cluster";
import { defaultTimings } from "./simulated-operators";

// One place that turns a resource's `cluster` input into a ClusterClient.

/** The twin's time runs this much faster than the wall clock unless the target says otherwise. */
export const DEFAULT_TIME_SCALE = 60;

export interface ConnectOptions {
  /** Where a kubeconfig in the target came from, for messages (default: the resource's input). */
  kubeconfigSource?: string;
}

export async function connect(target: ClusterTarget | undefined, options: ConnectOptions = {}): Promise<ClusterClient> {
  if (isEmbedded(target)) return openTwin(target.embedded);
  // Loaded only when a real cluster is chosen: the twin path needs no Kubernetes client.
  const kubernetes = await import("../cluster/kubernetes");
  return kubernetes.openKubernetesCluster(target as KubeconfigTarget | undefined, options.kubeconfigSource ? { kubeconfigSource: options.kubeconfigSource } : {});
}

export function openTwin(target: EmbeddedTarget): Promise<EmbeddedCluster> {
  const nodeUpdateMs = target.nodeUpdateTime ? (parseGoDuration(target.nodeUpdateTime) ?? defaultTimings.nodeUpdateMs) : defaultTimings.nodeUpdateMs;
  return EmbeddedCluster.open({
    ...(target.fixture ? { fixture: resolveFixture(target.fixture) } : {}),
    stateFile: target.stateFile ?? defaultStateFile(target),
    clock: target.virtualTime ? "virtual" : { scale: target.timeScale ?? DEFAULT_TIME_SCALE },
    operators: { nodeUpdateMs },
  });
}
