import { isDeepStrictEqual } from "node:util";
import type { Node, Pod, RuntimeClass } from "../k8s/core";
import { selectorMatches } from "../k8s/labels";
import { type Condition, findCondition, toKubeTime } from "../k8s/meta";
import { degradedNodes, deriveKataNodes, isKataLabelled, isWorker, transitionPending } from "./derive";
import {
  KATA_API_VERSION,
  KATA_ELIGIBLE_LABEL,
  KATA_FINALIZER,
  KATA_KIND,
  KATA_NODE_ROLE_LABEL,
  KATA_RUNTIME_CLASS,
  type KataConfig,
  type KataConfigStatus,
  type MachineConfigPool,
  PEER_PODS_RUNTIME_CLASS,
} from "./model";

// The KataConfig operator's next step, as a pure function of what it would read from the cluster.
// The caller (the twin's controller, or an operator process against a real API server) applies the
// returned actions and calls again until nothing is left to do.

export const IN_PROGRESS = "InProgress";
export const reasons = {
  installing: "Installing",
  updating: "Updating",
  uninstalling: "Uninstalling",
  failed: "Failed",
  blocked: "BlockedByExistingKataPods",
} as const;
export const messages = {
  installing: "Performing initial installation of kata on cluster",
  updating: "Adding and/or removing kata-enabled nodes",
  uninstalling: "Removing kata from cluster",
  blocked: `existing pods using "kata" RuntimeClass found. Please delete the pods manually for KataConfig deletion to proceed`,
  noEligibleNodes: "no Nodes with required labels found. Is NFD running?",
} as const;
/** Upstream re-checks a deletion blocked by kata pods this often. */
export const BLOCKED_RETRY_SECONDS = 15;

export interface KataOperatorInput {
  kataConfig: KataConfig;
  nodes: readonly Node[];
  pods: readonly Pod[];
  pools: readonly MachineConfigPool[];
  /** Names of the RuntimeClasses that exist in the cluster. */
  runtimeClasses: readonly string[];
  now: Date;
}

export interface KataOperatorStep {
  addFinalizer: boolean;
  removeFinalizer: boolean;
  labelNodes: string[];
  unlabelNodes: string[];
  /** Create the kata-oc MachineConfigPool (and the MachineConfig behind it). */
  createKataPool: boolean;
  deleteKataPool: boolean;
  createRuntimeClasses: RuntimeClass[];
  /** The status to write, when it differs from the current one. */
  status?: KataConfigStatus;
  /** Pods that block the removal, as namespace/name. */
  blockingPods: string[];
  /** A reconcile error the operator logs and retries on, without writing status. */
  error?: string;
  /** A re-check that no change of a watched object would trigger (blocked removal, no eligible nodes). */
  requeueAfterSeconds?: number;
}

export function kataOperatorStep(input: KataOperatorInput): KataOperatorStep {
  const step = emptyStep();
  const { kataConfig } = input;
  const finalizers = kataConfig.metadata.finalizers ?? [];
  const deleting = Boolean(kataConfig.metadata.deletionTimestamp);
  if (!finalizers.includes(KATA_FINALIZER)) {
    if (deleting) return step; // nothing of ours left to clean up
    step.addFinalizer = true;
  }
  const condition = inProgressCondition(kataConfig.status);
  const installRunning = condition?.status === "True" && (condition.reason === reasons.installing || condition.reason === reasons.updating);
  if (deleting && !installRunning) return reconcileRemoval(input, step);
  return reconcileInstallation(input, step, deleting);
}

function reconcileInstallation(input: KataOperatorInput, step: KataOperatorStep, deleting: boolean): KataOperatorStep {
  const { kataConfig, nodes, pools, now } = input;
  const status = kataConfig.status ?? {};
  const condition = inProgressCondition(status);
  const selected = selectedNodes(kataConfig, nodes);
  if (kataConfig.spec.checkNodeEligibility && selected.length === 0) {
    return { ...step, error: messages.noEligibleNodes, requeueAfterSeconds: 60 };
  }
  if (!condition) {
    // The first status comes before any node is touched: "initial installation", no nodes yet.
    step.createKataPool = !pools.some((p) => p.metadata.name === "kata-oc");
    step.status = {
      ...status,
      conditions: [inProgress("True", reasons.installing, messages.installing, now)],
      kataNodes: { nodeCount: 0, readyNodeCount: 0 },
    };
    return step;
  }
  const selectedNames = new Set(selected.map((n) => n.metadata.name ?? ""));
  step.labelNodes = selected.filter((n) => !isKataLabelled(n)).map(nameOf);
  step.unlabelNodes = nodes.filter((n) => isKataLabelled(n) && !selectedNames.has(nameOf(n))).map(nameOf);
  const labelsChange = step.labelNodes.length + step.unlabelNodes.length > 0;
  const kataNodes = deriveKataNodes({ kataConfig, nodes: withKataLabels(nodes, selectedNames, labelsChange), pools });
  const installedBefore = (status.runtimeClasses ?? []).length > 0;
  const runningReason = installedBefore ? reasons.updating : reasons.installing;
  const runningMessage = installedBefore ? messages.updating : messages.installing;
  const degraded = degradedNodes(nodes)[0];

  let next: Condition;
  if (degraded) {
    next = inProgress("True", reasons.failed, `Node ${degraded.name} Degraded: ${degraded.reason}`, now, condition);
  } else if (labelsChange || transitionPending(kataNodes)) {
    next = inProgress("True", runningReason, runningMessage, now, condition);
  } else {
    next = inProgress("False", "", "", now, condition);
  }
  const nextStatus: KataConfigStatus = { ...status, conditions: [next], kataNodes };

  // The RuntimeClass comes only after the condition has gone back to False: kata workloads can be
  // scheduled only once every selected node has kata.
  if (!deleting && condition.status === "False" && next.status === "False") {
    const wanted = wantedRuntimeClasses(kataConfig);
    step.createRuntimeClasses = wanted
      .filter((name) => !input.runtimeClasses.includes(name))
      .map((name) => runtimeClassFor(name, kataConfig));
    const have = status.runtimeClasses ?? [];
    if (wanted.some((name) => !have.includes(name))) nextStatus.runtimeClasses = [...new Set([...have, ...wanted])];
  }
  if (!sameStatus(status, nextStatus)) step.status = nextStatus;
  return step;
}

function reconcileRemoval(input: KataOperatorInput, step: KataOperatorStep): KataOperatorStep {
  const { kataConfig, nodes, pools, now } = input;
  const status = kataConfig.status ?? {};
  const condition = inProgressCondition(status);
  const labelled = nodes.filter(isKataLabelled);
  const removalStarted =
    condition?.reason === reasons.uninstalling || (condition?.reason === reasons.failed && labelled.length === 0);

  if (!removalStarted) {
    const blocking = blockingPods(input.pods, status.runtimeClasses);
    if (blocking.length > 0) {
      step.blockingPods = blocking;
      const next = inProgress("False", reasons.blocked, messages.blocked, now, condition);
      const nextStatus = { ...status, conditions: [next] };
      if (!sameStatus(status, nextStatus)) step.status = nextStatus;
      step.requeueAfterSeconds = BLOCKED_RETRY_SECONDS;
      return step;
    }
    // Nodes are unlabelled first, so nodeCount drops to 0 at once and every node waits to uninstall.
    step.unlabelNodes = labelled.map(nameOf);
  }
  const kataNodes = deriveKataNodes({ kataConfig, nodes: withKataLabels(nodes, new Set(), true), pools });
  const degraded = degradedNodes(nodes)[0];
  if (!degraded && !transitionPending(kataNodes) && step.unlabelNodes.length === 0) {
    step.deleteKataPool = pools.some((p) => p.metadata.name === "kata-oc");
    step.removeFinalizer = true;
    return step;
  }
  const next = degraded
    ? inProgress("True", reasons.failed, `Node ${degraded.name} Degraded: ${degraded.reason}`, now, condition)
    : inProgress("True", reasons.uninstalling, messages.uninstalling, now, condition);
  const nextStatus = { ...status, conditions: [next], kataNodes };
  if (!sameStatus(status, nextStatus)) step.status = nextStatus;
  return step;
}

/** Workers the KataConfig selects (all workers without a selector; NFD-eligible ones if asked). */
export function selectedNodes(kataConfig: KataConfig, nodes: readonly Node[]): Node[] {
  const selector = kataConfig.spec.kataConfigPoolSelector;
  return nodes.filter(
    (n) =>
      isWorker(n) &&
      (!selector || selectorMatches(selector, n.metadata.labels)) &&
      (!kataConfig.spec.checkNodeEligibility || n.metadata.labels?.[KATA_ELIGIBLE_LABEL] === "true"),
  );
}

/** Running pods whose runtimeClassName is one of the KataConfig's RuntimeClasses, as namespace/name. */
export function blockingPods(pods: readonly Pod[], runtimeClasses: readonly string[] | undefined): string[] {
  const kataClasses = new Set(runtimeClasses?.length ? runtimeClasses : [KATA_RUNTIME_CLASS]);
  return pods
    .filter((p) => kataClasses.has(p.spec?.runtimeClassName ?? ""))
    .filter((p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed")
    .map((p) => `${p.metadata.namespace ?? "default"}/${p.metadata.name}`)
    .sort();
}

export function inProgressCondition(status: KataConfigStatus | undefined): Condition | undefined {
  return findCondition(status?.conditions, IN_PROGRESS);
}

export function wantedRuntimeClasses(kataConfig: KataConfig): string[] {
  return kataConfig.spec.enablePeerPods ? [KATA_RUNTIME_CLASS, PEER_PODS_RUNTIME_CLASS] : [KATA_RUNTIME_CLASS];
}

/** The RuntimeClass the operator creates, owned by the KataConfig so it goes away with it. */
export function runtimeClassFor(name: string, kataConfig: KataConfig): RuntimeClass {
  const peerPods = name === PEER_PODS_RUNTIME_CLASS;
  return {
    apiVersion: "node.k8s.io/v1",
    kind: "RuntimeClass",
    metadata: {
      name,
      ownerReferences: [
        {
          apiVersion: KATA_API_VERSION,
          kind: KATA_KIND,
          name: kataConfig.metadata.name ?? "",
          ...(kataConfig.metadata.uid ? { uid: kataConfig.metadata.uid } : {}),
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    handler: name,
    ...(peerPods
      ? {}
      : {
          overhead: { podFixed: { cpu: "250m", memory: "350Mi" } },
          scheduling: { nodeSelector: { [KATA_NODE_ROLE_LABEL]: "" } },
        }),
  };
}

function inProgress(status: "True" | "False", reason: string, message: string, now: Date, previous?: Condition): Condition {
  // As meta.SetStatusCondition: the transition time moves only when the status does.
  const lastTransitionTime =
    previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : toKubeTime(now);
  return { type: IN_PROGRESS, status, reason, message, lastTransitionTime };
}

/** Nodes as they will be once the operator's label changes are applied. */
function withKataLabels(nodes: readonly Node[], selected: ReadonlySet<string>, apply: boolean): Node[] {
  if (!apply) return [...nodes];
  return nodes.map((n) => {
    const want = selected.has(nameOf(n));
    if (want === isKataLabelled(n)) return n;
    const labels = { ...(n.metadata.labels ?? {}) };
    if (want) labels[KATA_NODE_ROLE_LABEL] = "";
    else delete labels[KATA_NODE_ROLE_LABEL];
    return { ...n, metadata: { ...n.metadata, labels } };
  });
}

function sameStatus(a: KataConfigStatus, b: KataConfigStatus): boolean {
  return isDeepStrictEqual(a, b);
}

function nameOf(node: Node): string {
  return node.metadata.name ?? "";
}

function emptyStep(): KataOperatorStep {
  return {
    addFinalizer: false,
    removeFinalizer: false,
    labelNodes: [],
    unlabelNodes: [],
    createKataPool: false,
    deleteKataPool: false,
    createRuntimeClasses: [],
    blockingPods: [],
  };
}
