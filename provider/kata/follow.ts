import type { Node, Pod } from "../k8s/core";
import { degradedNodes } from "./derive";
import { currentConfig, isConvergedCluster, isPoolUpdating, mcdState, poolConditionTrue, poolNamed } from "./machine-config";
import {
  type ContainerRuntimeConfig,
  KATA_ELIGIBLE_LABEL,
  KATA_FINALIZER,
  KATA_POOL,
  type KataConfig,
  type MachineConfigPool,
  MASTER_POOL,
  WORKER_POOL,
} from "./model";
import { blockingPods, inProgressCondition, installOrUpdateRunning, reasons, selectedNodes, wantedRuntimeClasses } from "./operator-step";
import { generatedCrioMachineConfigName } from "./render-step";

// What the handlers conclude from what they read, as pure functions: whether an install (or an
// update) is done, failed or still going, and what a removal waits for. They judge by the nodes and
// the pools, not by the InProgress condition alone, because upstream's condition lags behind them:
// Failed stays after the node is fixed until the whole rollout ends, BlockedByExistingKataPods stays
// after the pods are gone until the operator happens to look again, and InProgress False is what a
// log level change shows until the Machine Config Operator starts rolling it out.

/** How long a new KataConfig may go without a finalizer or a status before the operator counts as missing. */
export const NO_OPERATOR_GRACE_MS = 2 * 60_000;

/** What an install or update must see before it is done. */
export interface InstallExpectation {
  /** The CRI-O log level the nodes must end up with (spec.logLevel, default info). */
  logLevel: string;
  /** The kata pool's rendered config before a change that must re-render it (a new log level); undefined when none is expected. */
  renderedBefore?: string;
  /** When the object was applied (cluster time, ms). */
  appliedAt: number;
}

export interface InstallView {
  kataConfig: KataConfig;
  nodes: readonly Node[];
  pools: readonly MachineConfigPool[];
  crioConfig?: ContainerRuntimeConfig;
  /** RuntimeClasses that exist in the cluster. */
  runtimeClasses: readonly string[];
  now: number;
}

export type Judgement =
  | { state: "done" }
  | { state: "failed"; message: string }
  | { state: "waiting"; progress: string; recheckAfterMs?: number; note?: string };

/** The pool that carries kata: kata-oc, or master on a compact cluster. */
export function kataPoolName(pools: readonly MachineConfigPool[]): string {
  return isConvergedCluster(pools) ? MASTER_POOL : KATA_POOL;
}

/** Whether applying `spec` will make the MCO render a new config for the kata pool (a new CRI-O log level). */
export function expectation(spec: KataConfig["spec"] | undefined, pools: readonly MachineConfigPool[], crioConfig: ContainerRuntimeConfig | undefined, appliedAt: number): InstallExpectation {
  const logLevel = spec?.logLevel || "info";
  const current = crioConfig?.spec?.containerRuntimeConfig?.logLevel;
  const changes = crioConfig ? current !== logLevel : logLevel !== "info";
  const rendered = poolNamed(pools, kataPoolName(pools))?.spec?.configuration?.name;
  return { logLevel, appliedAt, ...(changes && rendered ? { renderedBefore: rendered } : {}) };
}

export function judgeInstall(view: InstallView, expected: InstallExpectation, summary: string): Judgement {
  const { kataConfig, nodes, pools, now } = view;
  const spec = kataConfig.spec ?? {};
  const id = kataConfig.metadata.name;
  const status = kataConfig.status;

  // Nothing from the operator yet: a failing eligibility check writes nothing either.
  if (!status && !(kataConfig.metadata.finalizers ?? []).includes(KATA_FINALIZER)) {
    if (spec.checkNodeEligibility && !spec.enablePeerPods && !nodes.some((n) => n.metadata.labels?.[KATA_ELIGIBLE_LABEL] === "true")) {
      return { state: "failed", message: noEligibleNodeMessage(id, "no node in the cluster has") };
    }
    const waited = now - expected.appliedAt;
    if (waited >= NO_OPERATOR_GRACE_MS) return { state: "failed", message: noOperatorMessage(id, waited) };
    return { state: "waiting", progress: "waiting for the sandboxed containers operator to take the KataConfig", recheckAfterMs: NO_OPERATOR_GRACE_MS - waited };
  }

  // A node that is Degraded now fails the wait once the operator has reported it; one that was
  // Degraded before does not, even though the condition still says Failed.
  const condition = inProgressCondition(status);
  const degraded = failingNodes(nodes, kataConfig);
  if (degraded.length > 0) return { state: "failed", message: degradedMessage(id, degraded, "up") };
  const staleFailure =
    condition?.reason === reasons.failed
      ? `InProgress still says Failed (${condition.message}): upstream keeps that until the whole rollout is over; no node is Degraded now, so the rollout goes on`
      : undefined;

  if (spec.checkNodeEligibility && (kataConfig.metadata.finalizers ?? []).length > 0 && selectedNodes(kataConfig, nodes, pools).length === 0 && !status?.waitingForMcoToStart) {
    return { state: "failed", message: noEligibleNodeMessage(id, "none of the workers the selector picks has") };
  }
  if (installDone(view, expected)) return { state: "done" };
  return { state: "waiting", progress: staleFailure ? `${summary} (${staleFailure})` : summary, ...(staleFailure ? { note: staleFailure } : {}) };
}

/**
 * Done: the operator says so (InProgress False, no reason, not waiting for the MCO, RuntimeClasses
 * listed and present), every selected worker is installed, and the kata pool has finished: updated,
 * its status caught up with its generation, every selected node Done on the pool's config, and that
 * config renders the log level asked for.
 */
function installDone(view: InstallView, expected: InstallExpectation): boolean {
  const { kataConfig, nodes, pools, crioConfig } = view;
  const status = kataConfig.status;
  const condition = inProgressCondition(status);
  if (condition?.status !== "False" || condition.reason || status?.waitingForMcoToStart) return false;
  const wanted = wantedRuntimeClasses(kataConfig);
  if (!wanted.every((name) => status?.runtimeClasses?.includes(name) && view.runtimeClasses.includes(name))) return false;
  const selected = selectedNodes(kataConfig, nodes, pools);
  const installed = new Set(status?.kataNodes?.installed ?? []);
  if (selected.length !== installed.size || !selected.every((n) => installed.has(n.metadata.name ?? ""))) return false;

  const poolName = kataPoolName(pools);
  const pool = poolNamed(pools, poolName);
  if (!pool) return selected.length === 0;
  const target = pool.spec?.configuration?.name;
  if (!target || !poolConditionTrue(pool, "Updated") || isPoolUpdating(pools, poolName)) return false;
  if ((pool.status?.observedGeneration ?? 0) < (pool.metadata.generation ?? 1) || pool.status?.configuration?.name !== target) return false;
  if (poolName === KATA_POOL && isPoolUpdating(pools, WORKER_POOL)) return false;
  if (!selected.every((n) => mcdState(n) === "Done" && currentConfig(n) === target)) return false;
  if (expected.renderedBefore !== undefined && target === expected.renderedBefore) return false;
  return crioConfigApplied(crioConfig, pool, expected.logLevel);
}

/** The CRI-O log level has made it into the pool's config (or is the default and was never set). */
function crioConfigApplied(crioConfig: ContainerRuntimeConfig | undefined, pool: MachineConfigPool, logLevel: string): boolean {
  if (!crioConfig) return logLevel === "info";
  if (crioConfig.spec?.containerRuntimeConfig?.logLevel !== logLevel) return false;
  if ((crioConfig.status?.observedGeneration ?? 0) < (crioConfig.metadata.generation ?? 1)) return false;
  const generated = generatedCrioMachineConfigName(pool.metadata.name ?? "");
  return (pool.spec?.configuration?.source ?? []).some((s) => s.name === generated);
}

export type RemovalJudgement =
  | { state: "done" }
  | { state: "failed"; message: string }
  | { state: "waiting"; progress: string }
  /** The condition says blocked but nothing blocks any more: ask the operator to look again. */
  | { state: "nudge"; line: string };

export interface RemovalView {
  kataConfig: KataConfig;
  nodes: readonly Node[];
  pods: readonly Pod[];
}

/** What a removal waits for, or why it cannot go on. */
export function judgeRemoval(view: RemovalView, summary: string, alreadyNudged: boolean): RemovalJudgement {
  const { kataConfig, nodes, pods } = view;
  const id = kataConfig.metadata.name;
  const condition = inProgressCondition(kataConfig.status);
  if (condition?.reason === reasons.blocked) {
    const classes = kataConfig.status?.runtimeClasses ?? [];
    const blocking = blockingPods(pods, classes);
    if (blocking.length > 0) return { state: "failed", message: blockedMessage(id, blocking, pods, classes) };
    if (!alreadyNudged) {
      return {
        state: "nudge",
        line:
          `the operator still reports ${reasons.blocked}, but no pod uses ${classList(classes)} any more; it does not watch pods and ` +
          `retries a blocked removal only after a back-off of up to 16m40s, so it was asked to look again now (annotation ${RECONCILE_REQUESTED_ANNOTATION})`,
      };
    }
    return { state: "waiting", progress: `waiting for the operator to look again (no pod blocks the removal any more); ${summary}` };
  }
  const degraded = failingNodes(nodes, kataConfig);
  if (degraded.length > 0) return { state: "failed", message: degradedMessage(id, degraded, "destroy") };
  if (installOrUpdateRunning(kataConfig.status)) {
    const running = condition?.reason === reasons.installing ? "installation" : "update";
    return { state: "waiting", progress: `removal waits for the ${running} to finish; ${summary}` };
  }
  if (condition?.reason === reasons.failed) {
    return { state: "waiting", progress: `${summary} (InProgress still says Failed from earlier; no node is Degraded now)` };
  }
  return { state: "waiting", progress: summary };
}

/**
 * The nodes that make a wait fail: Degraded now, once the operator has reported a failure (Failed,
 * or a failed list: it does within a reconcile once the MCO works on the nodes); Unreconcilable ones
 * at once, as upstream's status never lists them.
 */
function failingNodes(nodes: readonly Node[], kataConfig: KataConfig): ReturnType<typeof degradedNodes> {
  const degraded = degradedNodes(nodes);
  const status = kataConfig.status;
  const reported =
    inProgressCondition(status)?.reason === reasons.failed ||
    (status?.kataNodes?.failedToInstall?.length ?? 0) + (status?.kataNodes?.failedToUninstall?.length ?? 0) > 0;
  return degraded.filter((d) => reported || d.state === "Unreconcilable");
}

/** The annotation the handler changes so that the operator reconciles at once (any change of the KataConfig does). */
export const RECONCILE_REQUESTED_ANNOTATION = "pulumi-cluster-runtime.dev/reconcile-requested";

function classList(classes: readonly string[]): string {
  return classes.length === 1 ? `the ${classes[0]} RuntimeClass` : `the RuntimeClasses ${classes.join(", ")}`;
}

function blockedMessage(id: string | undefined, blocking: string[], pods: readonly Pod[], classes: readonly string[]): string {
  const commands = blocking.map((p) => `kubectl delete pod -n ${p.split("/")[0]} ${p.split("/")[1]}`).join("; ");
  const finished = pods.filter((p) => blocking.includes(`${p.metadata.namespace ?? "default"}/${p.metadata.name}`) && (p.status?.phase === "Succeeded" || p.status?.phase === "Failed"));
  const note = finished.length > 0 ? ` Pods that have finished block it too (${finished.map((p) => `${p.metadata.name}: ${p.status?.phase}`).join(", ")}).` : "";
  const kata = classes.length === 1 && classes[0] === "kata" ? "the kata RuntimeClass" : classList(classes);
  return (
    `KataConfig ${id}: removal of kata is blocked by pods that use ${kata}: ${blocking.join(", ")}. ` +
    `Delete them (${commands}) and run pulumi destroy again; the resource stays in the stack until then.${note}`
  );
}

function degradedMessage(id: string | undefined, degraded: ReturnType<typeof degradedNodes>, command: "up" | "destroy"): string {
  const first = degraded[0]!;
  const others = degraded.length > 1 ? ` (also failing: ${degraded.slice(1).map((d) => d.name).join(", ")})` : "";
  const what = command === "up" ? "" : "removal failed: ";
  return (
    `KataConfig ${id}: ${what}Node ${first.name} ${first.state ?? "Degraded"}: ${first.reason}${others}. Fix the node; the machine-config daemon then retries, ` +
    `and the node stays Degraded until that attempt is done (oc get node ${first.name} -o jsonpath='{.metadata.annotations.machineconfiguration\\.openshift\\.io/state}'). ` +
    `Then run pulumi ${command} again: it follows the rest of the rollout.`
  );
}

function noEligibleNodeMessage(id: string | undefined, which: string): string {
  return (
    `KataConfig ${id}: checkNodeEligibility leaves no node: ${which} the label ${KATA_ELIGIBLE_LABEL}=true, which Node Feature Discovery ` +
    `sets on nodes that can run kata. The operator retries this forever ("no Nodes with required labels found. Is NFD running?"). ` +
    `Install and configure Node Feature Discovery, label the nodes, or set checkNodeEligibility to false.`
  );
}

function noOperatorMessage(id: string | undefined, waitedMs: number): string {
  return (
    `KataConfig ${id}: no finalizer and no status after ${Math.round(waitedMs / 1000)}s: the sandboxed containers operator does not seem to be running. ` +
    `Install OpenShift sandboxed containers (Operator Hub) or check its pod (oc get pods -n openshift-sandboxed-containers-operator), then run pulumi up again.`
  );
}
