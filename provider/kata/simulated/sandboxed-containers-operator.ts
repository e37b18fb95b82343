import type { ClusterClient } from "../../cluster/client";
import { type Controller, type ControllerMemory, earlier, type ReconcileResult } from "../../cluster/controller";
import { kinds } from "../../k8s/api-types";
import type { KubeObject } from "../../k8s/meta";
import type { Node, Pod, RuntimeClass } from "../../k8s/core";
import { findCondition } from "../../k8s/meta";
import { isWorker } from "../derive";
import { isConvergedCluster, poolNamed } from "../machine-config";
import {
  type ContainerRuntimeConfig,
  CRIO_CONFIG,
  KATA_FINALIZER,
  KATA_NODE_ROLE_LABEL,
  KATA_POOL,
  type KataConfig,
  type MachineConfig,
  type MachineConfigPool,
  MASTER_POOL,
  MCO_STATE,
  WORKER_POOL,
} from "../model";
import { kataOperatorStep, type KataOperatorStep, kataSelectorMatcher, type ReconcileOutcome } from "../operator-step";

// A simulated sandboxed containers operator: the pure reconcile (operator-step.ts) applied through a
// ClusterClient, for the twin and the dev cluster's operator process, with the part of
// controller-runtime that decides when a reconcile runs. Nothing here runs against a real OpenShift
// cluster, where the real operator does this.
//
// When it reconciles, as upstream (openshift_controller.go SetupWithManager and its event handlers):
// - any change of the KataConfig (For() without predicates): a user's annotation, a finalizer;
// - a worker Node whose machine-config daemon state changed, or whose match against the kata selector
//   flipped (NodeEventHandler); not desiredConfig, currentConfig, readiness or cordoning;
// - a change of the kata-oc, worker or master pool's machine counts or of the status of its Updating
//   or Updated condition (McpEventHandler); not a pool's creation or deletion;
// - never a Pod or a RuntimeClass: deleting the pods that block a removal wakes nothing;
// - a retry: an erroring reconcile is retried after the rate limiter's back-off (5 ms doubling per
//   failure, at most 1000 s; controller-runtime ignores RequeueAfter when there is an error), and
//   the back-off resets only when a reconcile succeeds.
// The changes are found by comparing a digest of those facts with the one at the last reconcile.
// Unlike upstream, a node's creation or deletion always changes the digest, so it always counts.

/** controller-runtime's default per-item back-off (workqueue.DefaultControllerRateLimiter). */
export const BACKOFF_BASE_MS = 5;
export const BACKOFF_MAX_MS = 1_000_000;

export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** failures, BACKOFF_MAX_MS);
}

/** One KataConfig's place in the work queue. */
interface QueueEntry {
  /** Failures since the last success (ItemExponentialFailureRateLimiter's count). */
  failures: number;
  /** The earliest retry waiting in the delaying queue (ISO time). */
  retryAt?: string;
  /** The digest of what the event handlers watch, as of the last reconcile. */
  seen?: string;
}

export function kataOperatorController(): Controller & { memory: ControllerMemory } {
  const queue = new Map<string, QueueEntry>();
  return {
    name: "kataconfig-operator",
    watches: ["KataConfig", "Node", "MachineConfigPool"],
    memory: {
      save: () => (queue.size === 0 ? undefined : Object.fromEntries(queue)),
      restore: (saved) => {
        queue.clear();
        if (typeof saved !== "object" || saved === null) return;
        for (const [name, entry] of Object.entries(saved as Record<string, QueueEntry>)) {
          if (typeof entry?.failures === "number") queue.set(name, { ...entry });
        }
      },
    },
    async reconcile(client, now) {
      const result: ReconcileResult = { changed: false };
      const kataConfigs = await client.list<KataConfig>(kinds.kataConfig);
      for (const name of queue.keys()) if (!kataConfigs.some((k) => k.metadata.name === name)) queue.delete(name);
      if (kataConfigs.length === 0) return result;
      const [nodes, pools] = await Promise.all([client.list<Node>(kinds.node), client.list<MachineConfigPool>(kinds.machineConfigPool)]);
      for (const kataConfig of kataConfigs) {
        const name = kataConfig.metadata.name ?? "";
        const entry = queue.get(name) ?? { failures: 0 };
        queue.set(name, entry);
        const watched = watchedFacts(nodes, pools, kataConfig);
        const retryDue = entry.retryAt !== undefined && Date.parse(entry.retryAt) <= now.getTime();
        if (retryDue) delete entry.retryAt;
        if (retryDue || entry.seen !== digest(watched, kataConfig)) {
          const one = await reconcileKataConfig(client, kataConfig, nodes, pools, now);
          result.changed ||= one.changed;
          if (!one.written) {
            queue.delete(name); // the finalizer is gone, and the object with it
            continue;
          }
          settle(entry, one.outcome, now);
          // The operator's own writes to the KataConfig are events too, and enqueue another reconcile.
          // The twin runs it only when it can differ from this one: when what decides a reconcile's
          // path changed (the condition, the finalizer, waitingForMcoToStart, the RuntimeClasses), or
          // after an error, which the next reconcile repeats and counts once more in the back-off.
          if (one.written !== kataConfig && (one.outcome.kind === "error" || decidingFields(one.written) !== decidingFields(kataConfig))) {
            entry.seen = undefined;
            result.again = true;
          } else {
            entry.seen = digest(watched, one.written);
          }
        }
        if (entry.retryAt) result.wakeAt = earlier(result.wakeAt, new Date(entry.retryAt));
      }
      return result;
    },
  };
}

/** What controller-runtime does with a reconcile's result (reconcileHandler). */
function settle(entry: QueueEntry, outcome: ReconcileOutcome, now: Date): void {
  const retry = (ms: number) => {
    const at = now.getTime() + ms;
    // The delaying queue keeps the earlier of two waits for the same item.
    if (entry.retryAt === undefined || at < Date.parse(entry.retryAt)) entry.retryAt = new Date(at).toISOString();
  };
  switch (outcome.kind) {
    case "error":
    case "requeue":
      retry(backoffMs(entry.failures));
      entry.failures++;
      return;
    case "requeueAfter":
      entry.failures = 0;
      retry(outcome.seconds * 1000);
      return;
    case "done":
      entry.failures = 0;
  }
}

/**
 * What the event handlers look at: each worker's daemon state and kata-selector match, and the
 * relevant pools' counts and Updating/Updated statuses. A pool that does not exist reads as one with
 * an empty status, so that creating it is no event.
 */
function watchedFacts(nodes: readonly Node[], pools: readonly MachineConfigPool[], kataConfig: KataConfig): string {
  const matches = kataSelectorMatcher(kataConfig, isConvergedCluster(pools));
  // Two characters per worker, in the cluster's (name) order, then hashed: cheap enough to do for
  // every node change on clusters of thousands of nodes.
  let facts = "";
  for (const node of nodes) {
    if (!isWorker(node)) continue;
    facts += stateLetter(node.metadata.annotations?.[MCO_STATE]) + (matches(node) ? "1" : "0");
  }
  const parts = [`${facts.length / 2}:${fnv1a(facts)}:${fnv1a(facts, 0x01234567)}`];
  for (const name of [KATA_POOL, WORKER_POOL, MASTER_POOL]) {
    const status = poolNamed(pools, name)?.status;
    const condition = (type: string) => findCondition(status?.conditions, type)?.status ?? "<missing>";
    parts.push(`${name}|${status?.machineCount ?? 0}|${status?.readyMachineCount ?? 0}|${status?.updatedMachineCount ?? 0}|${status?.degradedMachineCount ?? 0}|${condition("Updating")}|${condition("Updated")}`);
  }
  return parts.join(";");
}

function stateLetter(state: string | undefined): string {
  switch (state) {
    case "Done":
      return "D";
    case "Working":
      return "W";
    case "Degraded":
      return "G";
    case "Unreconcilable":
      return "U";
    case undefined:
      return "-";
    default:
      return "?";
  }
}

/** 32-bit FNV-1a (with another offset basis for a second, independent hash). */
function fnv1a(text: string, basis = 0x811c9dc5): number {
  let hash = basis;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** What of the KataConfig itself steers a reconcile (kataNodes and times do not). */
function decidingFields(kataConfig: KataConfig): string {
  const condition = findCondition(kataConfig.status?.conditions, "InProgress");
  return JSON.stringify([
    condition?.status,
    condition?.reason,
    kataConfig.status?.waitingForMcoToStart,
    kataConfig.status?.runtimeClasses,
    kataConfig.metadata.finalizers,
    kataConfig.metadata.deletionTimestamp,
  ]);
}

function digest(watched: string, kataConfig: KubeObject): string {
  return `${kataConfig.metadata.resourceVersion ?? ""}:${watched}`;
}

/**
 * One reconcile, applied in upstream's order. Returns the KataConfig as last written (undefined once
 * the finalizer is gone), or the object unchanged when nothing was written to it.
 */
async function reconcileKataConfig(
  client: ClusterClient,
  stored: KataConfig,
  nodes: readonly Node[],
  pools: readonly MachineConfigPool[],
  now: Date,
): Promise<{ written: KataConfig | undefined; outcome: ReconcileOutcome; changed: boolean }> {
  const kataConfig = { ...stored, spec: stored.spec ?? {} };
  const deleting = Boolean(kataConfig.metadata.deletionTimestamp);
  const [machineConfigs, crioConfig, runtimeClasses, pods] = await Promise.all([
    client.list<MachineConfig>(kinds.machineConfig),
    client.get<ContainerRuntimeConfig>({ ...kinds.containerRuntimeConfig, name: CRIO_CONFIG }),
    client.list<RuntimeClass>(kinds.runtimeClass),
    deleting ? listPods(client) : Promise.resolve([] as Pod[]),
  ]);
  const step = kataOperatorStep({
    kataConfig,
    nodes,
    pods,
    pools,
    machineConfigs,
    ...(crioConfig ? { crioConfig } : {}),
    runtimeClasses: runtimeClasses.map((rc) => rc.metadata.name ?? ""),
    now,
  });
  const ref = { ...kinds.kataConfig, name: kataConfig.metadata.name };
  let written: KataConfig | undefined = stored;
  if (step.addFinalizer) written = await client.patch<KataConfig>(ref, { metadata: { finalizers: [...(kataConfig.metadata.finalizers ?? []), KATA_FINALIZER] } });
  if (step.createMachineConfig) await client.apply(step.createMachineConfig);
  for (const name of step.labelNodes) await client.patch({ ...kinds.node, name }, { metadata: { labels: { [KATA_NODE_ROLE_LABEL]: "" } } });
  for (const name of step.unlabelNodes) await client.patch({ ...kinds.node, name }, { metadata: { labels: { [KATA_NODE_ROLE_LABEL]: null } } });
  if (step.deleteMachineConfig) await client.delete({ ...kinds.machineConfig, name: step.deleteMachineConfig });
  if (step.createKataPool) await client.apply(step.createKataPool);
  for (const runtimeClass of step.createRuntimeClasses) await client.apply(runtimeClass);
  if (step.status) written = await client.patchStatus<KataConfig>(ref, step.status);
  const crio = step.crioConfig;
  const crioRef = { ...kinds.containerRuntimeConfig, name: CRIO_CONFIG };
  if (crio && "create" in crio) await client.apply(crio.create);
  if (crio && "setLogLevel" in crio) await client.patch(crioRef, { spec: { containerRuntimeConfig: { logLevel: crio.setLogLevel } } });
  if (step.deleteKataPool) await client.delete({ ...kinds.machineConfigPool, name: KATA_POOL });
  if (crio && "delete" in crio) await client.delete(crioRef);
  if (step.removeFinalizer) {
    await client.patch(ref, { metadata: { finalizers: (kataConfig.metadata.finalizers ?? []).filter((f) => f !== KATA_FINALIZER) } });
    written = undefined;
  }
  return { written, outcome: step.outcome, changed: changedAnything(step) };
}

function changedAnything(step: KataOperatorStep): boolean {
  return (
    step.addFinalizer ||
    step.removeFinalizer ||
    step.labelNodes.length + step.unlabelNodes.length + step.createRuntimeClasses.length > 0 ||
    Boolean(step.createMachineConfig ?? step.deleteMachineConfig ?? step.createKataPool ?? step.status ?? step.crioConfig) ||
    step.deleteKataPool
  );
}

/** listKataPods lists every pod; a failure is the operator's to report (failed to list kata pods). */
async function listPods(client: ClusterClient): Promise<Pod[] | { error: string }> {
  try {
    return await client.list<Pod>(kinds.pod);
  } catch (error) {
    return { error: (error as Error).message };
  }
}
