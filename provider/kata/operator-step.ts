import { isDeepStrictEqual } from "node:util";
import type { Node, Pod, RuntimeClass } from "../k8s/core";
import { type LabelSelector, selectorMatcher, selectorMatches } from "../k8s/labels";
import { type Condition, controllerReference, findCondition, toKubeTime } from "../k8s/meta";
import { deriveStatus, isKataLabelled, isListedWorker, kataNodeLabel } from "./derive";
import { isConvergedCluster, isPoolUpdating, poolNamed } from "./machine-config";
import {
  type ContainerRuntimeConfig,
  CRIO_CONFIG,
  EXTENSION_MACHINE_CONFIG,
  KATA_API_VERSION,
  KATA_ELIGIBLE_LABEL,
  KATA_FINALIZER,
  KATA_KIND,
  KATA_NODE_ROLE_LABEL,
  KATA_POOL,
  KATA_RUNTIME_CLASS,
  type KataConfig,
  type KataConfigStatus,
  type MachineConfig,
  type MachineConfigPool,
  MASTER_POOL,
  MASTER_ROLE_LABEL,
  MCO_API_VERSION,
  MCO_ROLE_LABEL,
  PEER_PODS_RUNTIME_CLASS,
  poolLabel,
  WORKER_POOL,
} from "./model";
import { KATA_EXTENSION } from "./machine-config";

// One reconcile of the sandboxed containers operator (openshift/sandboxed-containers-operator @ d0632e5,
// controllers/openshift_controller.go), as a pure function of what it would read from its cache. The
// caller (the twin's simulated operator, or the dev cluster's operator process) applies the returned
// actions and treats the outcome the way controller-runtime does (an error: rate-limited retry).

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
  noEligibleNodes: "no Nodes with required labels found. Is NFD running?",
} as const;

/** listKataPods' error for a pod that uses one of the KataConfig's RuntimeClasses. */
export function blockedMessage(runtimeClassName: string): string {
  return `existing pods using "${runtimeClassName}" RuntimeClass found. Please delete the pods manually for KataConfig deletion to proceed`;
}

export interface KataOperatorInput {
  kataConfig: KataConfig;
  nodes: readonly Node[];
  /** Every pod in the cluster (the operator lists all namespaces), or why listing them failed. */
  pods: readonly Pod[] | { error: string };
  pools: readonly MachineConfigPool[];
  /** The MachineConfigs that exist (the extension one, and the rendered ones on a compact cluster). */
  machineConfigs: readonly MachineConfig[];
  /** ContainerRuntimeConfig kata-crio-config, when it exists. */
  crioConfig?: ContainerRuntimeConfig;
  /** Names of the RuntimeClasses that exist in the cluster. */
  runtimeClasses: readonly string[];
  now: Date;
}

/**
 * What Reconcile returned, as controller-runtime (v0.17 reconcileHandler) acts on it: an error is
 * retried with the rate limiter's back-off whatever RequeueAfter says; RequeueAfter alone is a timed
 * retry that resets the back-off; Requeue alone is rate-limited; nothing resets the back-off.
 */
export type ReconcileOutcome =
  | { kind: "done" }
  | { kind: "error"; message: string }
  | { kind: "requeueAfter"; seconds: number }
  | { kind: "requeue" };

export type CrioConfigAction = { create: ContainerRuntimeConfig } | { setLogLevel: string } | { delete: true };

export interface KataOperatorStep {
  addFinalizer: boolean;
  removeFinalizer: boolean;
  labelNodes: string[];
  unlabelNodes: string[];
  /** The extension MachineConfig, when it does not exist yet (createMc). */
  createMachineConfig?: MachineConfig;
  deleteMachineConfig?: string;
  /** The kata-oc MachineConfigPool, when it does not exist yet (newMCPforCR). */
  createKataPool?: MachineConfigPool;
  deleteKataPool: boolean;
  createRuntimeClasses: RuntimeClass[];
  /** processLogLevel on install, removeLogLevel at the end of the removal. */
  crioConfig?: CrioConfigAction;
  /** The status to write, when it differs from the current one. */
  status?: KataConfigStatus;
  /** The pod that blocks the removal, as namespace/name (upstream names its RuntimeClass only). */
  blockingPod?: string;
  outcome: ReconcileOutcome;
}

export function kataOperatorStep(input: KataOperatorInput): KataOperatorStep {
  const step = emptyStep();
  const { kataConfig } = input;
  // Reconcile: the removal waits while an installation or an update runs (isInstalling, isUpdating).
  if (kataConfig.metadata.deletionTimestamp && !installOrUpdateRunning(kataConfig.status)) {
    if (!hasFinalizer(kataConfig)) return step; // the API server has let it go already
    return processDeleteRequest(input, step);
  }
  return processInstallRequest(input, step);
}

/** processKataConfigInstallRequest, then Reconcile's status write and processLogLevel. */
function processInstallRequest(input: KataOperatorInput, step: KataOperatorStep): KataOperatorStep {
  const { kataConfig, nodes, pools, machineConfigs, now } = input;
  const spec = kataConfig.spec ?? {};
  // checkNodeEligibility runs before anything is written: no finalizer, no status, back-off retries.
  if (spec.checkNodeEligibility && !spec.enablePeerPods && !nodes.some((n) => n.metadata.labels?.[KATA_ELIGIBLE_LABEL] === "true")) {
    return { ...step, outcome: { kind: "error", message: messages.noEligibleNodes } };
  }
  const converged = isConvergedCluster(pools);
  const machinePool = converged ? MASTER_POOL : KATA_POOL;
  const status = workingCopy(kataConfig.status);
  step.addFinalizer = !hasFinalizer(kataConfig);

  // createMc: only a freshly created extension MachineConfig means "initial installation".
  const mcExists = machineConfigs.some((mc) => mc.metadata.name === EXTENSION_MACHINE_CONFIG);
  if (!mcExists) {
    step.createMachineConfig = extensionMachineConfig(machinePool, kataConfig);
    setInProgress(status, "True", reasons.installing, messages.installing, now);
  }
  const mcoUpdating = isPoolUpdating(pools, machinePool) || (!converged && isPoolUpdating(pools, WORKER_POOL));

  let view: readonly Node[] = nodes;
  if (!converged) {
    // updateNodeLabels: workers that match get the kata-oc role, labelled ones that no longer match lose it.
    const matches = kataSelectorMatcher(kataConfig, false);
    for (const node of nodes) {
      if (!isListedWorker(node)) continue;
      const matching = matches(node);
      if (matching && !isKataLabelled(node)) step.labelNodes.push(nameOf(node));
      if (!matching && isKataLabelled(node)) step.unlabelNodes.push(nameOf(node));
    }
    if (step.labelNodes.length + step.unlabelNodes.length > 0) {
      view = withKataLabels(nodes, step.labelNodes, step.unlabelNodes);
      if (!mcoUpdating) status.waitingForMcoToStart = true;
    }
    if (!poolNamed(pools, KATA_POOL)) step.createKataPool = kataPool();
  } else if (!mcExists) {
    status.waitingForMcoToStart = true;
  }

  // Updating only from False: a condition that is Installing or Failed stays as it is.
  if (mcoUpdating && findCondition(status.conditions, IN_PROGRESS)?.status === "False") {
    setInProgress(status, "True", reasons.updating, messages.updating, now);
  }
  // Waiting for the MCO to pick up the labels: the status is written with the old kataNodes.
  if (!mcoUpdating && status.waitingForMcoToStart) return finishInstall(input, step, status, converged);
  status.waitingForMcoToStart = false;

  updateStatus(status, view, pools, machineConfigs, now);
  if (!mcoUpdating) {
    // The MCO is done: back to False, and the RuntimeClass in the same status write.
    setInProgress(status, "False", "", "", now);
    createRuntimeClass(step, status, input, KATA_RUNTIME_CLASS, converged);
    // With peer pods, after the PodVM image steps (not modelled): enablePeerPodsMiscConfigs.
    if (spec.enablePeerPods) createRuntimeClass(step, status, input, PEER_PODS_RUNTIME_CLASS, converged);
  }
  return finishInstall(input, step, status, converged);
}

/** Reconcile after an install request that returned no error: write the status, then processLogLevel. */
function finishInstall(input: KataOperatorInput, step: KataOperatorStep, status: KataConfigStatus, converged: boolean): KataOperatorStep {
  if (!isDeepStrictEqual(status, input.kataConfig.status)) step.status = status;
  step.crioConfig = processLogLevel(input.kataConfig, input.crioConfig, converged);
  return step;
}

/** processKataConfigDeleteRequest. */
function processDeleteRequest(input: KataOperatorInput, step: KataOperatorStep): KataOperatorStep {
  const { kataConfig, nodes, pools, machineConfigs, now } = input;
  const status = workingCopy(kataConfig.status);
  const converged = isConvergedCluster(pools);

  // listKataPods, on every pass while the finalizer is there, whatever the pods' phase.
  const blocking = listKataPods(input.pods, status.runtimeClasses);
  if (blocking) {
    setInProgress(status, "False", reasons.blocked, blocking.message, now);
    if (!isDeepStrictEqual(status, kataConfig.status)) step.status = status;
    return { ...step, ...(blocking.pod ? { blockingPod: blocking.pod } : {}), outcome: { kind: "error", message: blocking.message } };
  }

  // unlabelNodes: every node the kata selector matches (any role) loses the kata-oc label.
  const selector = kataSelector(kataConfig, converged);
  step.unlabelNodes = nodes.filter((n) => isKataLabelled(n) && selectorMatches(selector, n.metadata.labels)).map(nameOf);
  setInProgress(status, "True", reasons.uninstalling, messages.uninstalling, now);
  const mcExists = machineConfigs.some((mc) => mc.metadata.name === EXTENSION_MACHINE_CONFIG);
  if (mcExists) step.deleteMachineConfig = EXTENSION_MACHINE_CONFIG;
  if ((converged && mcExists) || (!converged && step.unlabelNodes.length > 0)) status.waitingForMcoToStart = true;

  // The nodes go back to their target pool: worker (master on a compact cluster); only it is watched.
  const mcoUpdating = isPoolUpdating(pools, converged ? MASTER_POOL : WORKER_POOL);
  if (!mcoUpdating && status.waitingForMcoToStart) return writeStatus(step, status, kataConfig);
  status.waitingForMcoToStart = false;
  const view = step.unlabelNodes.length > 0 ? withKataLabels(nodes, [], step.unlabelNodes) : nodes;
  updateStatus(status, view, pools, machineConfigs, now);
  if (mcoUpdating) return writeStatus(step, status, kataConfig);

  // Done: the pool, the CRI-O config and the finalizer go. The status written after removing the
  // finalizer never lands (the object is gone), so the last one persisted is the last "Uninstalling".
  step.deleteKataPool = !converged && poolNamed(pools, KATA_POOL) !== undefined;
  if (input.crioConfig) step.crioConfig = { delete: true };
  step.removeFinalizer = true;
  return step;
}

function writeStatus(step: KataOperatorStep, status: KataConfigStatus, kataConfig: KataConfig): KataOperatorStep {
  if (!isDeepStrictEqual(status, kataConfig.status)) step.status = status;
  return step;
}

/**
 * updateStatus: kataNodes from the nodes, and Failed for each node the daemon reports Degraded (set
 * once per such node, so the last one listed is named).
 */
function updateStatus(status: KataConfigStatus, nodes: readonly Node[], pools: readonly MachineConfigPool[], machineConfigs: readonly MachineConfig[], now: Date): void {
  const { kataNodes, degraded } = deriveStatus({ nodes, pools, machineConfigs });
  status.kataNodes = kataNodes;
  for (const node of degraded) setInProgress(status, "True", reasons.failed, `Node ${node.name} Degraded: ${node.reason}`, now);
}

/** listKataPods: the first pod whose runtimeClassName is one of status.runtimeClasses, any phase. */
function listKataPods(pods: KataOperatorInput["pods"], runtimeClasses: readonly string[] | undefined): { message: string; pod?: string } | undefined {
  if (!Array.isArray(pods)) return { message: `failed to list kata pods: ${(pods as { error: string }).error}` };
  const classes = new Set(runtimeClasses ?? []);
  const pod = (pods as readonly Pod[]).find((p) => p.spec?.runtimeClassName !== undefined && classes.has(p.spec.runtimeClassName));
  if (!pod) return undefined;
  return { message: blockedMessage(pod.spec!.runtimeClassName!), pod: `${pod.metadata.namespace ?? "default"}/${pod.metadata.name}` };
}

/** Pods whose runtimeClassName is one of the given RuntimeClasses, whatever their phase, as namespace/name. */
export function blockingPods(pods: readonly Pod[], runtimeClasses: readonly string[] | undefined): string[] {
  const classes = new Set(runtimeClasses ?? []);
  return pods
    .filter((p) => classes.has(p.spec?.runtimeClassName ?? ""))
    .map((p) => `${p.metadata.namespace ?? "default"}/${p.metadata.name}`)
    .sort();
}

/** processLogLevel: the CRI-O log level goes through ContainerRuntimeConfig kata-crio-config. */
function processLogLevel(kataConfig: KataConfig, existing: ContainerRuntimeConfig | undefined, converged: boolean): CrioConfigAction | undefined {
  const desired = kataConfig.spec?.logLevel || "info";
  if (!existing) return desired === "info" ? undefined : { create: crioConfigFor(desired, converged) };
  // Only the level is ever updated; going back to info updates it rather than deleting the object.
  return existing.spec?.containerRuntimeConfig?.logLevel === desired ? undefined : { setLogLevel: desired };
}

/** makeContainerRuntimeConfig: selects the kata pool by its label (the master pool on a compact cluster). */
export function crioConfigFor(logLevel: string, converged: boolean): ContainerRuntimeConfig {
  return {
    apiVersion: MCO_API_VERSION,
    kind: "ContainerRuntimeConfig",
    metadata: { name: CRIO_CONFIG },
    spec: {
      machineConfigPoolSelector: { matchLabels: { [poolLabel(converged ? MASTER_POOL : KATA_POOL)]: "" } },
      containerRuntimeConfig: { logLevel },
    },
  };
}

/**
 * getKataConfigNodeSelectorAsLabelSelector: the user's selector (none: every worker) plus the NFD
 * label when checkNodeEligibility is set; the master role on a compact cluster, where the user's
 * selector is ignored.
 */
export function kataSelector(kataConfig: KataConfig, converged: boolean): LabelSelector {
  if (converged) return { matchLabels: { [MASTER_ROLE_LABEL]: "" } };
  const selector: LabelSelector = structuredClone(kataConfig.spec?.kataConfigPoolSelector ?? {});
  if (kataConfig.spec?.checkNodeEligibility) selector.matchLabels = { ...(selector.matchLabels ?? {}), [KATA_ELIGIBLE_LABEL]: "true" };
  return selector;
}

/** Whether a node matches the kata selector (nodeMatchesKataSelector), the selector read once. */
export function kataSelectorMatcher(kataConfig: KataConfig, converged: boolean): (node: Node) => boolean {
  const matches = selectorMatcher(kataSelector(kataConfig, converged));
  return (node) => matches(node.metadata.labels);
}

/** The nodes that get kata: the workers the kata selector picks (on a compact cluster, the masters). */
export function selectedNodes(kataConfig: KataConfig, nodes: readonly Node[], pools: readonly MachineConfigPool[] = []): Node[] {
  const converged = isConvergedCluster(pools);
  const selector = kataSelector(kataConfig, converged);
  return nodes.filter((n) => isListedWorker(n) && selectorMatches(selector, n.metadata.labels));
}

export function inProgressCondition(status: KataConfigStatus | undefined): Condition | undefined {
  return findCondition(status?.conditions, IN_PROGRESS);
}

/** InProgress True with Installing or Updating: a removal waits for it (isInstalling, isUpdating). */
export function installOrUpdateRunning(status: KataConfigStatus | undefined): boolean {
  const condition = inProgressCondition(status);
  return condition?.status === "True" && (condition.reason === reasons.installing || condition.reason === reasons.updating);
}

export function wantedRuntimeClasses(kataConfig: KataConfig): string[] {
  return kataConfig.spec?.enablePeerPods ? [KATA_RUNTIME_CLASS, PEER_PODS_RUNTIME_CLASS] : [KATA_RUNTIME_CLASS];
}

/**
 * createRuntimeClass: handler = name, overhead 250m / 350Mi, scheduled on the kata nodes, owned by
 * the KataConfig (controller reference), never updated once it exists.
 */
export function runtimeClassFor(name: string, kataConfig: KataConfig, converged = false): RuntimeClass {
  return {
    apiVersion: "node.k8s.io/v1",
    kind: "RuntimeClass",
    metadata: {
      name,
      ownerReferences: [controllerReference({ ...kataConfig, apiVersion: KATA_API_VERSION, kind: KATA_KIND })],
    },
    handler: name,
    overhead: { podFixed: { cpu: "250m", memory: "350Mi" } },
    scheduling: { nodeSelector: { [kataNodeLabel(converged)]: "" } },
  };
}

function createRuntimeClass(step: KataOperatorStep, status: KataConfigStatus, input: KataOperatorInput, name: string, converged: boolean): void {
  if (!input.runtimeClasses.includes(name)) step.createRuntimeClasses.push(runtimeClassFor(name, input.kataConfig, converged));
  if (!status.runtimeClasses?.includes(name)) status.runtimeClasses = [...(status.runtimeClasses ?? []), name];
}

/** newMCForCR: the kata extension for the pool's role, labelled with the KataConfig's name. */
export function extensionMachineConfig(machinePool: string, kataConfig: KataConfig): MachineConfig {
  return {
    apiVersion: MCO_API_VERSION,
    kind: "MachineConfig",
    metadata: { name: EXTENSION_MACHINE_CONFIG, labels: { [MCO_ROLE_LABEL]: machinePool, app: kataConfig.metadata.name ?? "" } },
    spec: { extensions: [KATA_EXTENSION], config: { ignition: { version: "3.2.0" } } },
  };
}

/**
 * newMCPforCR: the kata-oc pool takes the nodes with the kata-oc role and renders the worker's
 * MachineConfigs plus its own; its label lets a ContainerRuntimeConfig select it.
 */
export function kataPool(): MachineConfigPool {
  return {
    apiVersion: MCO_API_VERSION,
    kind: "MachineConfigPool",
    metadata: { name: KATA_POOL, labels: { [poolLabel(KATA_POOL)]: "" } },
    spec: {
      machineConfigSelector: { matchExpressions: [{ key: MCO_ROLE_LABEL, operator: "In", values: [KATA_POOL, WORKER_POOL] }] },
      nodeSelector: { matchLabels: { [KATA_NODE_ROLE_LABEL]: "" } },
    },
  };
}

/**
 * The InProgress setters (retrieveInProgressConditionForChange and its callers): every call stamps
 * lastTransitionTime with now, even when nothing else changes, so upstream's time means "last set".
 */
function setInProgress(status: KataConfigStatus, value: "True" | "False", reason: string, message: string, now: Date): void {
  const next: Condition = { type: IN_PROGRESS, status: value, reason, message, lastTransitionTime: toKubeTime(now) };
  const conditions = status.conditions ?? [];
  const at = conditions.findIndex((c) => c.type === IN_PROGRESS);
  status.conditions = at < 0 ? [...conditions, next] : conditions.map((c, i) => (i === at ? next : c));
}

/**
 * The in-memory status a reconcile starts from: the stored one; kataNodes is a struct, always there.
 * A shallow copy: every change replaces a field whole.
 */
function workingCopy(status: KataConfigStatus | undefined): KataConfigStatus {
  return { ...(status ?? {}), kataNodes: status?.kataNodes ?? { nodeCount: 0, readyNodeCount: 0 }, waitingForMcoToStart: status?.waitingForMcoToStart ?? false };
}

function hasFinalizer(kataConfig: KataConfig): boolean {
  return (kataConfig.metadata.finalizers ?? []).includes(KATA_FINALIZER);
}

/** Nodes as they will be once the operator's label changes are applied. */
function withKataLabels(nodes: readonly Node[], label: readonly string[], unlabel: readonly string[]): Node[] {
  const add = new Set(label);
  const remove = new Set(unlabel);
  return nodes.map((n) => {
    const name = nameOf(n);
    if (!add.has(name) && !remove.has(name)) return n;
    const labels = { ...(n.metadata.labels ?? {}) };
    if (add.has(name)) labels[KATA_NODE_ROLE_LABEL] = "";
    else delete labels[KATA_NODE_ROLE_LABEL];
    return { ...n, metadata: { ...n.metadata, labels } };
  });
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
    deleteKataPool: false,
    createRuntimeClasses: [],
    outcome: { kind: "done" },
  };
}
