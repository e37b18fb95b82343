import { formatGoDuration, parseGoDuration } from "../k8s/duration";
import { selectorMatches } from "../k8s/labels";
import { hasAnnotation } from "../k8s/meta";
import type { Node } from "../k8s/core";
import { setCondition, setV1Beta2Condition } from "./conditions";
import { checkMachineHealth, clusterReadiness, hasKey, type HealthPolicy, type MachineHealth } from "./health";
import {
  annotationKeys,
  conditionTypes,
  defaultNodeStartupTimeout,
  labelKeys,
  type Cluster,
  type KubeadmControlPlane,
  type Machine,
  type MachineHealthCheck,
  type MachineHealthCheckStatus,
  type MachineSet,
} from "./model";
import { decideKubeadmControlPlaneRemediation, isEtcdManaged } from "./owner-remediation";
import { controllingOwner, isOwnedBy, remediatedBy } from "./owners";
import type { Evaluation, MachineVerdict, RemediationOutcome } from "./report-schema";
import { remediationGate } from "./short-circuit";

// What the MachineHealthCheck controller of Cluster API v1.10 sees for a set of objects at one instant
// (upstream internal/controllers/machinehealthcheck: `Reconcile`, `reconcile`, `needsRemediation`,
// `healthCheckTargets`, `isAllowedRemediation`). Pure: no I/O, time passed in. Linear in machines + nodes.
// It never throws on an object a cluster accepted: what upstream's reconcile fails on is reported in
// `error`, the way the controller leaves the object.

/** The Cluster API release whose semantics this evaluation follows (v1beta1 field names). */
export const CLUSTER_API_SEMANTICS = "v1.10";

export interface EvaluationInput {
  machineHealthCheck: MachineHealthCheck;
  cluster: Cluster;
  /** Machines of any namespace and cluster: the ones the health check selects are picked here. */
  machines: readonly Machine[];
  /** The workload cluster's Nodes. */
  nodes: readonly Node[];
  now: Date;
  /** The KubeadmControlPlanes, when known: the report then says what each does with its unhealthy Machines. */
  controlPlanes?: readonly KubeadmControlPlane[];
  /** The MachineSets, when known (a paused MachineSet remediates nothing). */
  machineSets?: readonly MachineSet[];
}

export type { Evaluation, MachineState, MachineVerdict, RemediationOutcome } from "./report-schema";

const defaultNamespace = "default";

/** The health policy of a spec with durations parsed as Go does, or why Go cannot read them. */
export function healthPolicyOf(spec: MachineHealthCheck["spec"]): HealthPolicy | { error: string } {
  // nodeStartupTimeout unset means 10m in the controller too; any value is used as is (the webhook's
  // floor of 30s is not the controller's).
  const startup = spec.nodeStartupTimeout ?? defaultNodeStartupTimeout;
  const startupMs = parseGoDuration(startup);
  if (startupMs === undefined) return { error: undecodable("spec.nodeStartupTimeout", startup) };
  const unhealthyConditions = [];
  for (const [i, c] of (spec.unhealthyConditions ?? []).entries()) {
    const timeoutMs = parseGoDuration(c.timeout);
    if (timeoutMs === undefined) return { error: undecodable(`spec.unhealthyConditions[${i}].timeout`, c.timeout) };
    unhealthyConditions.push({ type: c.type, status: c.status, timeoutMs, timeoutText: formatGoDuration(timeoutMs) });
  }
  return { nodeStartupTimeoutMs: startupMs, nodeStartupTimeoutText: formatGoDuration(startupMs), unhealthyConditions };
}

function undecodable(path: string, text: string): string {
  return `${path} is ${JSON.stringify(text)}, which is not a Go duration: Cluster API's controller cannot decode this MachineHealthCheck and never reconciles it`;
}

/** The machines the health check selects: its namespace, its selector, and the cluster-name label. */
export function selectMachines(mhc: MachineHealthCheck, machines: readonly Machine[]): Machine[] {
  const namespace = mhc.metadata.namespace ?? defaultNamespace;
  const clusterName = mhc.spec.clusterName;
  // Upstream `getMachinesFromMHC`: CloneSelectorAndAddLabel sets cluster-name=<clusterName> in matchLabels.
  const selector = { ...mhc.spec.selector, matchLabels: { ...mhc.spec.selector.matchLabels, [labelKeys.clusterName]: clusterName } };
  return machines.filter((m) => (m.metadata.namespace ?? defaultNamespace) === namespace && selectorMatches(selector, m.metadata.labels));
}

export function isPaused(mhc: MachineHealthCheck, cluster: Cluster): boolean {
  return cluster.spec?.paused === true || hasAnnotation(mhc, annotationKeys.paused);
}

function skipReason(machine: Machine): { reason: string; message: string } | undefined {
  // Upstream `shouldSkipRemediation`.
  const annotations = machine.metadata.annotations;
  if (annotations === undefined) return undefined;
  if (hasKey(annotations, annotationKeys.paused)) {
    return { reason: "MachinePaused", message: `Machine has the ${annotationKeys.paused} annotation` };
  }
  if (hasKey(annotations, annotationKeys.skipRemediation)) {
    return { reason: "SkipRemediation", message: `Machine has the ${annotationKeys.skipRemediation} annotation` };
  }
  return undefined;
}

/** The v1beta2 Paused condition's message (upstream util/paused `EnsurePausedCondition`). */
export function pausedMessage(mhc: MachineHealthCheck, cluster: Cluster): string {
  const why: string[] = [];
  if (cluster.spec?.paused === true) why.push("Cluster spec.paused is set to true");
  if (hasAnnotation(mhc, annotationKeys.paused)) why.push(`MachineHealthCheck has the ${annotationKeys.paused} annotation`);
  return why.join(", ");
}

function pausedEvaluation(input: EvaluationInput, selected: Machine[], hasTemplate: boolean): Evaluation {
  const why =
    input.cluster.spec?.paused === true
      ? { reason: "ClusterPaused", message: `Cluster ${input.cluster.metadata.name ?? ""} is paused (spec.paused)` }
      : { reason: "MachineHealthCheckPaused", message: `MachineHealthCheck has the ${annotationKeys.paused} annotation` };
  return {
    clusterApiVersion: CLUSTER_API_SEMANTICS,
    paused: true,
    expectedMachines: 0,
    currentHealthy: 0,
    remediationsAllowed: 0,
    remediationAllowed: false,
    targets: [],
    conditions: input.machineHealthCheck.status?.conditions ?? [],
    machines: selected.map((m) => ({
      name: m.metadata.name ?? "",
      state: "skipped",
      ...why,
      remediatedBy: remediatedBy(m.metadata, hasTemplate),
    })),
  };
}

export function evaluateMachineHealthCheck(input: EvaluationInput): Evaluation {
  return evaluateInDetail(input).evaluation;
}

/** The evaluation, with each target's whole health verdict (the conditions the controller writes need it). */
export function evaluateInDetail(input: EvaluationInput): { evaluation: Evaluation; health: Map<string, MachineHealth> } {
  const health = new Map<string, MachineHealth>();
  return { evaluation: evaluate(input, health), health };
}

function evaluate(input: EvaluationInput, health: Map<string, MachineHealth>): Evaluation {
  const mhc = input.machineHealthCheck;
  const hasTemplate = mhc.spec.remediationTemplate !== undefined;
  const selected = selectMachines(mhc, input.machines);
  if (isPaused(mhc, input.cluster)) return pausedEvaluation(input, selected, hasTemplate);

  const policy = healthPolicyOf(mhc.spec);
  if ("error" in policy) {
    return {
      ...pausedEvaluation(input, selected, hasTemplate),
      paused: false,
      machines: selected.map((m) => ({ name: m.metadata.name ?? "", state: "skipped", reason: "NotReconciled", message: policy.error, remediatedBy: remediatedBy(m.metadata, hasTemplate) })),
      error: policy.error,
    };
  }
  const readiness = clusterReadiness(input.cluster);
  const nowMs = input.now.getTime();
  const nodesByName = new Map<string, Node>();
  // Nodes are read only once the control plane is initialized (upstream gets no remote client before).
  for (const node of input.nodes) if (node.metadata.name !== undefined) nodesByName.set(node.metadata.name, node);

  const machines: MachineVerdict[] = [];
  const targets: string[] = [];
  let currentHealthy = 0;
  let unhealthy = 0;
  let requeueAfterSeconds: number | undefined;

  for (const machine of selected) {
    const name = machine.metadata.name ?? "";
    const owner = remediatedBy(machine.metadata, hasTemplate);
    const skipped = skipReason(machine);
    if (skipped) {
      machines.push({ name, state: "skipped", ...skipped, remediatedBy: owner });
      continue;
    }
    targets.push(name);
    const nodeName = machine.status?.nodeRef?.name;
    const node = nodeName === undefined ? undefined : nodesByName.get(nodeName);
    const result = checkMachineHealth(machine, node, policy, readiness, nowMs);
    health.set(name, result);
    const verdict: MachineVerdict = { name, state: result.state, remediatedBy: owner };
    if (result.state === "healthy") {
      currentHealthy++;
      if (result.message !== undefined) verdict.message = result.message;
    } else {
      if (result.state === "unhealthy") unhealthy++;
      verdict.reason = result.reason;
      verdict.message = result.message;
      if (result.state === "pending" && result.recheckAfterMs !== undefined) {
        // Whole seconds, rounded up: a recheck must not come before the timeout has run out.
        const seconds = Math.ceil(result.recheckAfterMs / 1000);
        verdict.recheckAfterSeconds = seconds;
        if (requeueAfterSeconds === undefined || seconds < requeueAfterSeconds) requeueAfterSeconds = seconds;
      }
    }
    machines.push(verdict);
  }
  targets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const expectedMachines = targets.length;
  const gate = remediationGate(mhc.spec, { expectedMachines, currentHealthy, unhealthy });
  const base = { clusterApiVersion: CLUSTER_API_SEMANTICS, paused: false, expectedMachines, currentHealthy, targets, machines };
  if ("error" in gate) {
    for (const verdict of machines) {
      if (verdict.state === "unhealthy") verdict.remediation = { outcome: "waits", message: `not marked for remediation: the health check's reconcile fails (${gate.error})` };
    }
    return {
      ...base,
      remediationsAllowed: mhc.status?.remediationsAllowed ?? 0,
      remediationAllowed: false,
      conditions: mhc.status?.conditions ?? [],
      error: gate.error,
    };
  }
  const conditions = setCondition(
    mhc.status?.conditions,
    gate.allowed
      ? { type: conditionTypes.remediationAllowed, status: "True" }
      : { type: conditionTypes.remediationAllowed, status: "False", severity: "Warning", reason: "TooManyUnhealthy", message: gate.message },
    input.now,
  );
  describeRemediation(input, selected, health, machines, gate.allowed ? undefined : gate.message);

  return {
    ...base,
    remediationsAllowed: gate.remediationsAllowed,
    remediationAllowed: gate.allowed,
    conditions,
    ...(requeueAfterSeconds !== undefined ? { requeueAfterSeconds } : {}),
  };
}

/** Fills `remediation` of each unhealthy verdict: what happens to it, as far as the objects tell. */
function describeRemediation(input: EvaluationInput, selected: Machine[], health: Map<string, MachineHealth>, verdicts: MachineVerdict[], shortCircuited: string | undefined): void {
  const mhc = input.machineHealthCheck;
  const byName = new Map(selected.map((m) => [m.metadata.name ?? "", m]));
  const template = mhc.spec.remediationTemplate;
  const kcpMachines = new Map<string, Machine[]>();
  for (const verdict of verdicts) {
    if (verdict.state !== "unhealthy") continue;
    const machine = byName.get(verdict.name)!;
    if (shortCircuited !== undefined) {
      verdict.remediation = { outcome: "waits", message: `not remediated while remediation is short-circuited: ${shortCircuited}` };
    } else if (template) {
      verdict.remediation = {
        outcome: "external",
        message: `a ${(template.kind ?? "").replace(/Template$/, "")} named ${verdict.name} is requested from template ${template.name ?? ""}; what happens next is up to its controller`,
      };
    } else if (machine.metadata.deletionTimestamp) {
      verdict.remediation = { outcome: "waits", message: "already being deleted: it is not marked for its owner" };
    } else if (verdict.remediatedBy === "none") {
      verdict.remediation = { outcome: "never", message: "marked OwnerRemediated False, but nothing replaces it: only Machines owned by a MachineSet or a KubeadmControlPlane are remediated" };
    } else if (verdict.remediatedBy === "MachineSet") {
      verdict.remediation = machineSetOutlook(input, machine);
    } else {
      const owner = controllingOwner(machine.metadata)!;
      const list = kcpMachines.get(owner.name) ?? [];
      list.push(machine);
      kcpMachines.set(owner.name, list);
    }
  }
  for (const [kcpName, marked] of kcpMachines) {
    const outlook = controlPlaneOutlook(input, kcpName, marked, health);
    for (const machine of marked) {
      const verdict = verdicts.find((v) => v.name === machine.metadata.name)!;
      verdict.remediation = outlook.get(machine.metadata.name ?? "")!;
    }
  }
}

function machineSetOutlook(input: EvaluationInput, machine: Machine): { outcome: RemediationOutcome; message: string } {
  const owner = controllingOwner(machine.metadata)!;
  const ms = input.machineSets?.find((s) => s.metadata.name === owner.name && (s.metadata.namespace ?? defaultNamespace) === (machine.metadata.namespace ?? defaultNamespace));
  if (ms && (hasAnnotation(ms, annotationKeys.paused) || input.cluster.spec?.paused === true)) {
    return { outcome: "waits", message: `MachineSet ${owner.name} is paused: it remediates nothing until it is unpaused` };
  }
  return {
    outcome: "remediated",
    message: `MachineSet ${owner.name} deletes it; its replacement is created once it is gone (MachineDeployment maxInFlight and rollout, and the MachineSet preflight checks, are not evaluated here)`,
  };
}

/**
 * What a KubeadmControlPlane does with its Machines once this health check has marked them: upstream's
 * decision on the Machines as they will be (HealthCheckSucceeded and OwnerRemediated set as the check sets
 * them), with the etcd members unknown.
 */
function controlPlaneOutlook(input: EvaluationInput, kcpName: string, marked: Machine[], health: Map<string, MachineHealth>): Map<string, { outcome: RemediationOutcome; message: string }> {
  const result = new Map<string, { outcome: RemediationOutcome; message: string }>();
  const namespace = marked[0]!.metadata.namespace ?? defaultNamespace;
  const kcp = input.controlPlanes?.find((k) => k.metadata.name === kcpName && (k.metadata.namespace ?? defaultNamespace) === namespace);
  if (!kcp) {
    for (const m of marked) result.set(m.metadata.name ?? "", { outcome: "unknown", message: `KubeadmControlPlane ${kcpName} was not read: whether and when it remediates this Machine is not known` });
    return result;
  }
  if (hasAnnotation(kcp, annotationKeys.paused) || input.cluster.spec?.paused === true) {
    for (const m of marked) result.set(m.metadata.name ?? "", { outcome: "waits", message: `KubeadmControlPlane ${kcpName} is paused: it remediates nothing until it is unpaused` });
    return result;
  }
  const owned = input.machines
    .filter((m) => (m.metadata.namespace ?? defaultNamespace) === namespace && isOwnedBy(m.metadata, { kind: "KubeadmControlPlane", name: kcpName, uid: kcp.metadata.uid }))
    .map((m) => projectMarks(m, health.get(m.metadata.name ?? ""), marked.includes(m)));
  const decision = decideKubeadmControlPlaneRemediation({ kcp, machines: owned, now: input.now, etcd: "unknown" });
  const picked = decision.kind === "none" ? undefined : decision.kind === "remediate" ? decision.machines[0] : decision.machine;
  const pickedName = picked?.metadata.name;
  for (const m of marked) {
    const name = m.metadata.name ?? "";
    if (name !== pickedName) {
      result.set(name, { outcome: "waits", message: `KubeadmControlPlane ${kcpName} remediates one Machine at a time${pickedName ? `; ${pickedName} goes first` : ""}` });
      continue;
    }
    switch (decision.kind) {
      case "remediate":
        result.set(name, {
          outcome: "remediated",
          message: kcp.status?.initialized === true
            ? `KubeadmControlPlane ${kcpName} deletes it${isEtcdManaged(kcp) ? "" : " (external etcd)"}, then creates a replacement`
            : `KubeadmControlPlane ${kcpName} deletes it, then creates a replacement: the control plane is not initialized (status.initialized), so no replica, provisioning or etcd check applies`,
        });
        break;
      case "wait":
      case "quiet":
        result.set(name, { outcome: "waits", message: `KubeadmControlPlane ${kcpName} waits: ${decision.message}` });
        break;
      case "unknown":
        result.set(name, { outcome: "unknown", message: decision.message });
        break;
    }
  }
  return result;
}

/** A Machine with HealthCheckSucceeded (and, when marked, OwnerRemediated) as the health check will set them. */
function projectMarks(machine: Machine, health: MachineHealth | undefined, marked: boolean): Machine {
  let conditions = machine.status?.conditions ?? [];
  const now = new Date(0); // lastTransitionTime plays no part in the owners' decisions
  if (health?.state === "healthy") conditions = setCondition(conditions, { type: conditionTypes.healthCheckSucceeded, status: "True" }, now);
  if (health?.state === "unhealthy") conditions = setCondition(conditions, { type: conditionTypes.healthCheckSucceeded, status: "False", reason: health.reason }, now);
  if (marked && !conditions.some((c) => c.type === conditionTypes.ownerRemediated && c.status === "False")) {
    conditions = setCondition(conditions, { type: conditionTypes.ownerRemediated, status: "False", reason: "WaitingForRemediation" }, now);
  }
  return { ...machine, status: { ...machine.status, conditions } };
}

/**
 * The status block the controller writes for this evaluation (upstream's deferred patch in `Reconcile`),
 * or undefined when the health check is paused (upstream then writes only its Paused condition: see
 * `pausedStatus`). On a reconcile error it writes the counts and targets, no condition, no observedGeneration.
 */
export function machineHealthCheckStatus(mhc: MachineHealthCheck, evaluation: Evaluation, now: Date): MachineHealthCheckStatus | undefined {
  if (evaluation.paused) return undefined;
  const { targets: _targets, ...previous } = mhc.status ?? {};
  const counts = {
    expectedMachines: evaluation.expectedMachines,
    currentHealthy: evaluation.currentHealthy,
    // Upstream omits an empty list (omitempty).
    ...(evaluation.targets.length > 0 ? { targets: evaluation.targets } : {}),
  };
  const notPaused = setV1Beta2Condition(mhc.status?.v1beta2?.conditions, { type: "Paused", status: "False", reason: "NotPaused" }, mhc.metadata.generation, now);
  if (evaluation.error !== undefined) {
    return { ...previous, ...counts, v1beta2: { ...mhc.status?.v1beta2, conditions: notPaused } };
  }
  const allowed = evaluation.conditions.find((c) => c.type === conditionTypes.remediationAllowed);
  const v1beta2 = setV1Beta2Condition(
    notPaused,
    evaluation.remediationAllowed
      ? { type: conditionTypes.remediationAllowed, status: "True", reason: "RemediationAllowed" }
      : { type: conditionTypes.remediationAllowed, status: "False", reason: "TooManyUnhealthy", message: allowed?.message ?? "" },
    mhc.metadata.generation,
    now,
  );
  return {
    ...previous,
    ...counts,
    remediationsAllowed: evaluation.remediationsAllowed,
    ...(mhc.metadata.generation !== undefined ? { observedGeneration: mhc.metadata.generation } : {}),
    conditions: evaluation.conditions,
    v1beta2: { ...mhc.status?.v1beta2, conditions: v1beta2 },
  };
}

/** The status of a paused health check: upstream sets only the v1beta2 Paused condition, counts left as they were. */
export function pausedStatus(mhc: MachineHealthCheck, cluster: Cluster, now: Date): MachineHealthCheckStatus {
  const conditions = setV1Beta2Condition(mhc.status?.v1beta2?.conditions, { type: "Paused", status: "True", reason: "Paused", message: pausedMessage(mhc, cluster) }, mhc.metadata.generation, now);
  return { ...mhc.status, v1beta2: { ...mhc.status?.v1beta2, conditions } };
}
