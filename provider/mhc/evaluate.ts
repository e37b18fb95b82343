import { formatGoDuration, parseGoDuration } from "../k8s/duration";
import { selectorMatches } from "../k8s/labels";
import { hasAnnotation } from "../k8s/meta";
import type { Node } from "../k8s/core";
import { setCondition } from "./conditions";
import { checkMachineHealth, clusterReadiness, hasKey, type HealthPolicy } from "./health";
import {
  annotationKeys,
  conditionTypes,
  conditionTimeoutProblem,
  defaultNodeStartupTimeout,
  labelKeys,
  nodeStartupTimeoutProblem,
  type Cluster,
  type Machine,
  type MachineHealthCheck,
  type MachineHealthCheckStatus,
} from "./model";
import { remediatedBy } from "./owners";
import type { Evaluation, MachineVerdict } from "./report-schema";
import { remediationGate } from "./short-circuit";

// What the MachineHealthCheck controller sees for a set of objects at one instant. Pure: no I/O,
// time passed in. Linear in machines + nodes.

export interface EvaluationInput {
  machineHealthCheck: MachineHealthCheck;
  cluster: Cluster;
  /** Machines of any namespace and cluster: the ones the health check selects are picked here. */
  machines: readonly Machine[];
  /** The workload cluster's Nodes. */
  nodes: readonly Node[];
  now: Date;
}

export type { Evaluation, MachineState, MachineVerdict } from "./report-schema";

const defaultNamespace = "default";

/** The health policy of a spec with durations parsed; throws on values the webhook would have refused. */
export function healthPolicyOf(spec: MachineHealthCheck["spec"]): HealthPolicy {
  const startup = spec.nodeStartupTimeout ?? defaultNodeStartupTimeout;
  const startupProblem = nodeStartupTimeoutProblem(startup);
  if (startupProblem) throw new Error(`spec.nodeStartupTimeout ${startupProblem}`);
  const startupMs = parseGoDuration(startup)!;
  return {
    nodeStartupTimeoutMs: startupMs,
    nodeStartupTimeoutText: formatGoDuration(startupMs),
    unhealthyConditions: (spec.unhealthyConditions ?? []).map((c, i) => {
      const problem = conditionTimeoutProblem(c.timeout);
      if (problem) throw new Error(`spec.unhealthyConditions[${i}].timeout ${problem}`);
      const timeoutMs = parseGoDuration(c.timeout)!;
      return { type: c.type, status: c.status, timeoutMs, timeoutText: formatGoDuration(timeoutMs) };
    }),
  };
}

/** The machines the health check selects: its namespace, its selector, and the cluster-name label. */
export function selectMachines(mhc: MachineHealthCheck, machines: readonly Machine[]): Machine[] {
  const namespace = mhc.metadata.namespace ?? defaultNamespace;
  const clusterName = mhc.spec.clusterName;
  return machines.filter(
    (m) =>
      (m.metadata.namespace ?? defaultNamespace) === namespace &&
      m.metadata.labels?.[labelKeys.clusterName] === clusterName &&
      selectorMatches(mhc.spec.selector, m.metadata.labels),
  );
}

export function isPaused(mhc: MachineHealthCheck, cluster: Cluster): boolean {
  return cluster.spec?.paused === true || hasAnnotation(mhc, annotationKeys.paused);
}

function skipReason(machine: Machine): { reason: string; message: string } | undefined {
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

function pausedEvaluation(input: EvaluationInput, selected: Machine[], hasTemplate: boolean): Evaluation {
  const why =
    input.cluster.spec?.paused === true
      ? { reason: "ClusterPaused", message: `Cluster ${input.cluster.metadata.name ?? ""} is paused (spec.paused)` }
      : { reason: "MachineHealthCheckPaused", message: `MachineHealthCheck has the ${annotationKeys.paused} annotation` };
  return {
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
  const mhc = input.machineHealthCheck;
  const hasTemplate = mhc.spec.remediationTemplate !== undefined;
  const selected = selectMachines(mhc, input.machines);
  if (isPaused(mhc, input.cluster)) return pausedEvaluation(input, selected, hasTemplate);

  const policy = healthPolicyOf(mhc.spec);
  const readiness = clusterReadiness(input.cluster);
  const nowMs = input.now.getTime();
  const nodesByName = new Map<string, Node>();
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
    const health = checkMachineHealth(machine, node, policy, readiness, nowMs);
    const verdict: MachineVerdict = { name, state: health.state, remediatedBy: owner };
    if (health.state === "healthy") {
      currentHealthy++;
      if (health.message !== undefined) verdict.message = health.message;
    } else {
      if (health.state === "unhealthy") unhealthy++;
      verdict.reason = health.reason;
      verdict.message = health.message;
      if (health.state === "pending" && health.recheckAfterMs !== undefined) {
        // Whole seconds, rounded up: a recheck must not come before the timeout has run out.
        const seconds = Math.ceil(health.recheckAfterMs / 1000);
        verdict.recheckAfterSeconds = seconds;
        if (requeueAfterSeconds === undefined || seconds < requeueAfterSeconds) requeueAfterSeconds = seconds;
      }
    }
    machines.push(verdict);
  }
  targets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  const expectedMachines = targets.length;
  const gate = remediationGate(mhc.spec, { expectedMachines, currentHealthy, unhealthy });
  const conditions = setCondition(
    mhc.status?.conditions,
    gate.allowed
      ? { type: conditionTypes.remediationAllowed, status: "True" }
      : {
          type: conditionTypes.remediationAllowed,
          status: "False",
          severity: "Warning",
          reason: "TooManyUnhealthy",
          message: gate.message,
        },
    input.now,
  );

  return {
    paused: false,
    expectedMachines,
    currentHealthy,
    remediationsAllowed: gate.remediationsAllowed,
    remediationAllowed: gate.allowed,
    targets,
    conditions,
    machines,
    ...(requeueAfterSeconds !== undefined ? { requeueAfterSeconds } : {}),
  };
}

/**
 * The status block the controller writes for this evaluation, or undefined when the health check is paused
 * (upstream returns before touching the object).
 */
export function machineHealthCheckStatus(mhc: MachineHealthCheck, evaluation: Evaluation): MachineHealthCheckStatus | undefined {
  if (evaluation.paused) return undefined;
  return {
    ...mhc.status,
    expectedMachines: evaluation.expectedMachines,
    currentHealthy: evaluation.currentHealthy,
    remediationsAllowed: evaluation.remediationsAllowed,
    ...(mhc.metadata.generation !== undefined ? { observedGeneration: mhc.metadata.generation } : {}),
    targets: evaluation.targets,
    conditions: evaluation.conditions,
  };
}
