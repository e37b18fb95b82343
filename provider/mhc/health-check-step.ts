import { isDeepStrictEqual } from "node:util";
import { describeRef } from "../cluster/client";
import type { KubeObject, OwnerReference } from "../k8s/meta";
import { splitApiVersion } from "../k8s/api-types";
import { refTo, type ClusterAction } from "./actions";
import { sameConditions, sameV1Beta2Conditions, setCondition, setV1Beta2Condition, type V1Beta2Condition } from "./conditions";
import {
  evaluateInDetail,
  healthPolicyOf,
  machineHealthCheckStatus,
  pausedStatus,
  selectMachines,
  type Evaluation,
  type EvaluationInput,
} from "./evaluate";
import type { MachineHealth } from "./health";
import {
  annotationKeys,
  clusterApiVersion,
  conditionTypes,
  labelKeys,
  waitingForRemediationReason,
  type Machine,
  type MachineHealthCheck,
} from "./model";

export { planKubeadmControlPlaneRemediation, planMachineSetRemediation } from "./owner-remediation-step";

// The MachineHealthCheck controller's next reconcile, as Cluster API v1.10 does it
// (internal/controllers/machinehealthcheck/machinehealthcheck_controller.go `Reconcile`, `reconcile`,
// `patchUnhealthyTargets`, `patchHealthyTargets`), as plain actions:
// - paused: only the v1beta2 Paused condition;
// - the cluster-name label and the Cluster owner reference;
// - a reconcile error (maxUnhealthy unreadable): counts and targets, nothing else;
// - short-circuited: HealthCheckSucceeded on every healthy and unhealthy target, nothing more;
// - allowed: unhealthy targets marked (OwnerRemediated False, or an external remediation request),
//   then healthy ones (True; their remediation request deleted).
// Targets are handled in name order, which stands for upstream's random order (the informer cache's map).
// The owners' remediation (MachineSet, KubeadmControlPlane) is in owner-remediation-step.ts.

/** controller-runtime's default rate limiter caps its per-item exponential back-off at 1000 s. */
const SHORT_CIRCUIT_BACKOFF_CAP_S = 1000;

export interface MachineHealthCheckStepInput extends EvaluationInput {
  /** The object spec.remediationTemplate points at, if it exists. */
  remediationTemplate?: KubeObject;
  /** The external remediation requests that exist in the namespace (of the template's kind minus "Template"). */
  remediationRequests?: readonly KubeObject[];
}

export interface MachineHealthCheckStep {
  evaluation: Evaluation;
  actions: ClusterAction[];
  /** When to run the step again because a pending machine may have become unhealthy by then. */
  requeueAfterSeconds?: number;
  /** The error this reconcile ends with (status.observedGeneration is then left as it was). */
  error?: string;
}

export function planMachineHealthCheckStep(input: MachineHealthCheckStepInput): MachineHealthCheckStep {
  const mhc = input.machineHealthCheck;
  const now = input.now;
  const { evaluation, health: verdicts } = evaluateInDetail(input);
  const actions: ClusterAction[] = [];
  if (evaluation.paused) {
    const status = pausedStatus(mhc, input.cluster, now);
    if (!sameV1Beta2Conditions(status.v1beta2?.conditions, mhc.status?.v1beta2?.conditions)) {
      actions.push({ action: "patchStatus", ref: refTo(mhc), status, why: `${describeRef(refTo(mhc))} is paused` });
    }
    const why = evaluation.machines[0]?.message ?? "the Cluster or the MachineHealthCheck is paused";
    actions.push({ action: "report", ref: refTo(mhc), message: `Health check paused: ${why}` });
    return { evaluation, actions };
  }
  const policy = healthPolicyOf(mhc.spec);
  if ("error" in policy) {
    // Not even decoded upstream: nothing is written.
    return { evaluation, actions: [{ action: "report", ref: refTo(mhc), message: policy.error }], error: policy.error };
  }

  const ownership = ownershipPatch(mhc, input.cluster);
  if (ownership) actions.push(ownership);

  const selected = new Map<string, Machine>();
  for (const machine of selectMachines(mhc, input.machines)) selected.set(machine.metadata.name ?? "", machine);
  const healthy: Machine[] = [];
  const unhealthy: { machine: Machine; health: Extract<MachineHealth, { state: "unhealthy" }> }[] = [];
  for (const verdict of [...evaluation.machines].sort(byName)) {
    const machine = selected.get(verdict.name)!;
    if (verdict.state === "healthy") healthy.push(machine);
    const health = verdicts.get(verdict.name);
    if (health?.state === "unhealthy") unhealthy.push({ machine, health });
  }

  if (evaluation.error !== undefined) {
    pushStatus(actions, mhc, machineHealthCheckStatus(mhc, evaluation, now));
    actions.push({ action: "report", ref: refTo(mhc), message: evaluation.error });
    return { evaluation, actions, error: evaluation.error };
  }

  const patches = new MachinePatches(now);
  if (!evaluation.remediationAllowed) {
    for (const machine of healthy) patches.healthy(machine);
    for (const { machine, health } of unhealthy) patches.unhealthy(machine, health);
    patches.flush(actions);
    pushStatus(actions, mhc, machineHealthCheckStatus(mhc, evaluation, now));
    // Upstream requeues a short-circuited reconcile with a back-off that grows to at most 1000 s (not at the
    // pending machines' deadlines): the step asks for the earlier of the two.
    return { evaluation, actions, requeueAfterSeconds: Math.min(evaluation.requeueAfterSeconds ?? SHORT_CIRCUIT_BACKOFF_CAP_S, SHORT_CIRCUIT_BACKOFF_CAP_S) };
  }

  const errors: string[] = [];
  let mhcConditions = evaluation.conditions;
  const template = mhc.spec.remediationTemplate;
  const requests = new Map<string, KubeObject>();
  if (template) {
    const requestKind = (template.kind ?? "").replace(/Template$/, "");
    for (const request of input.remediationRequests ?? []) {
      if (request.kind === requestKind && request.metadata.name) requests.set(request.metadata.name, request);
    }
  }

  // patchUnhealthyTargets
  for (const { machine, health } of unhealthy) {
    const name = machine.metadata.name ?? "";
    if (template) {
      // An existing request ends the loop: this Machine and the ones after it are not patched.
      if (requests.has(name)) break;
      if (!input.remediationTemplate) {
        const message = templateNotFound(template, mhc);
        mhcConditions = setCondition(
          mhcConditions,
          { type: "ExternalRemediationTemplateAvailable", status: "False", severity: "Error", reason: "ExternalRemediationTemplateNotFound", message },
          now,
        );
        errors.push(`error retrieving remediation template ${template.kind ?? ""} ${JSON.stringify(template.name ?? "")} for machine ${JSON.stringify(name)}: ${message}`);
        break;
      }
      const request = remediationRequestFor(machine, input.remediationTemplate, mhc);
      if ("error" in request) {
        errors.push(`failed to create template for remediation request for machine ${JSON.stringify(name)}: ${request.error}`);
        break;
      }
      actions.push({ action: "create", object: request.object, why: `Machine ${name} is unhealthy (${health.reason}): external remediation requested` });
      patches.unhealthy(machine, health, { type: "ExternallyRemediated", status: "False", reason: waitingForRemediationReason });
    } else if (!machine.metadata.deletionTimestamp) {
      patches.unhealthy(machine, health, undefined, true);
      if (evaluation.machines.find((v) => v.name === name)?.remediatedBy === "none") {
        actions.push({
          action: "report",
          ref: refTo(machine),
          message: `Machine ${name} is unhealthy (${health.reason}) and stays marked, but nothing replaces it: only Machines owned by a MachineSet or a KubeadmControlPlane are remediated`,
        });
      }
    } else {
      patches.unhealthy(machine, health);
    }
  }

  // patchHealthyTargets
  for (const machine of healthy) {
    if (template) {
      // Without a request, upstream skips the Machine altogether (its HealthCheckSucceeded is not written).
      const request = requests.get(machine.metadata.name ?? "");
      if (!request) continue;
      if (!request.metadata.deletionTimestamp) actions.push({ action: "delete", ref: refTo(request), why: `Machine ${machine.metadata.name ?? ""} is healthy again` });
    }
    patches.healthy(machine);
  }
  patches.flush(actions);

  const status = machineHealthCheckStatus(mhc, { ...evaluation, conditions: mhcConditions }, now)!;
  if (errors.length > 0) {
    const { observedGeneration: _observed, ...rest } = status;
    pushStatus(actions, mhc, mhc.status?.observedGeneration !== undefined ? { ...rest, observedGeneration: mhc.status.observedGeneration } : rest);
    for (const error of errors) actions.push({ action: "report", ref: refTo(mhc), message: error });
    return { evaluation, actions, error: errors.join("; ") };
  }
  pushStatus(actions, mhc, status);
  return { evaluation, actions, ...(evaluation.requeueAfterSeconds !== undefined ? { requeueAfterSeconds: evaluation.requeueAfterSeconds } : {}) };
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function pushStatus(actions: ClusterAction[], mhc: MachineHealthCheck, status: MachineHealthCheck["status"] | undefined): void {
  if (status && !isDeepStrictEqual(status, mhc.status)) {
    actions.push({ action: "patchStatus", ref: refTo(mhc), status, why: `status of ${describeRef(refTo(mhc))}` });
  }
}

/** The Machine patches of one reconcile: HealthCheckSucceeded (v1beta1 and v1beta2), and the marks. */
class MachinePatches {
  private readonly patched: { machine: Machine; conditions: Machine["status"] }[] = [];
  constructor(private readonly now: Date) {}

  healthy(machine: Machine): void {
    const status = machine.status ?? {};
    const conditions = setCondition(status.conditions, { type: conditionTypes.healthCheckSucceeded, status: "True" }, this.now);
    const v1beta2 = setV1Beta2Condition(status.v1beta2?.conditions, { type: conditionTypes.healthCheckSucceeded, status: "True", reason: "HealthCheckSucceeded" }, machine.metadata.generation, this.now);
    this.patched.push({ machine, conditions: { ...status, conditions, v1beta2: { ...status.v1beta2, conditions: v1beta2 } } });
  }

  unhealthy(machine: Machine, health: Extract<MachineHealth, { state: "unhealthy" }>, externally?: { type: string; status: string; reason: string }, markForOwner = false): void {
    const status = machine.status ?? {};
    const generation = machine.metadata.generation;
    let conditions = setCondition(
      status.conditions,
      { type: conditionTypes.healthCheckSucceeded, status: "False", severity: "Warning", reason: health.reason, message: health.v1beta1Message },
      this.now,
    );
    let v1beta2: V1Beta2Condition[] = status.v1beta2?.conditions ?? [];
    if (health.v1beta2) {
      v1beta2 = setV1Beta2Condition(v1beta2, { type: conditionTypes.healthCheckSucceeded, status: "False", ...health.v1beta2 }, generation, this.now);
    }
    if (externally) v1beta2 = setV1Beta2Condition(v1beta2, externally, generation, this.now);
    if (markForOwner) {
      // Set the mark only when absent or after a finished remediation: an owner's remediation in progress is its own.
      const owned = status.conditions?.find((c) => c.type === conditionTypes.ownerRemediated);
      if (!owned || owned.status === "True") {
        conditions = setCondition(conditions, { type: conditionTypes.ownerRemediated, status: "False", severity: "Warning", reason: waitingForRemediationReason }, this.now);
      }
      const ownedV1Beta2 = v1beta2.find((c) => c.type === conditionTypes.ownerRemediated);
      if (!ownedV1Beta2 || ownedV1Beta2.status === "True") {
        v1beta2 = setV1Beta2Condition(v1beta2, { type: conditionTypes.ownerRemediated, status: "False", reason: waitingForRemediationReason, message: "Waiting for remediation" }, generation, this.now);
      }
    }
    this.patched.push({ machine, conditions: { ...status, conditions, v1beta2: { ...status.v1beta2, conditions: v1beta2 } } });
  }

  /** A status patch for each Machine whose conditions changed (upstream sends none otherwise). */
  flush(actions: ClusterAction[]): void {
    for (const { machine, conditions: status } of this.patched) {
      const before = machine.status;
      if (sameConditions(before?.conditions, status?.conditions) && sameV1Beta2Conditions(before?.v1beta2?.conditions, status?.v1beta2?.conditions)) continue;
      const verdict = status?.conditions?.find((c) => c.type === conditionTypes.healthCheckSucceeded);
      actions.push({
        action: "patchStatus",
        ref: refTo(machine),
        status: status as Record<string, unknown>,
        why: `health check of Machine ${machine.metadata.name ?? ""}: ${verdict?.status === "True" ? "healthy" : `unhealthy (${verdict?.reason ?? ""})`}`,
      });
    }
  }
}

/**
 * The controller labels the health check with its cluster and makes the Cluster an owner (upstream
 * `util.EnsureOwnerRef`: a reference to the same group, kind and name is replaced in place).
 */
function ownershipPatch(mhc: MachineHealthCheck, cluster: EvaluationInput["cluster"]): ClusterAction | undefined {
  const labelled = mhc.metadata.labels?.[labelKeys.clusterName] === mhc.spec.clusterName;
  const owners = mhc.metadata.ownerReferences ?? [];
  const clusterName = cluster.metadata.name ?? mhc.spec.clusterName;
  const wanted: OwnerReference = { apiVersion: clusterApiVersion, kind: "Cluster", name: clusterName, ...(cluster.metadata.uid ? { uid: cluster.metadata.uid } : {}) };
  const index = owners.findIndex((ref) => ref.kind === "Cluster" && ref.name === clusterName && splitApiVersion(ref.apiVersion).group === splitApiVersion(clusterApiVersion).group);
  const current = index >= 0 ? owners[index]! : undefined;
  const owned = current !== undefined && current.apiVersion === wanted.apiVersion && current.uid === wanted.uid && !current.controller && !current.blockOwnerDeletion;
  if (labelled && owned) return undefined;
  const metadata: Record<string, unknown> = {};
  if (!labelled) metadata.labels = { ...mhc.metadata.labels, [labelKeys.clusterName]: mhc.spec.clusterName };
  if (!owned) metadata.ownerReferences = index >= 0 ? owners.map((ref, i) => (i === index ? wanted : ref)) : [...owners, wanted];
  return { action: "patch", ref: refTo(mhc), patch: { metadata }, why: "the health check belongs to its Cluster" };
}

/** Upstream's error text when the template is missing (external.Get through the cache: the Kind stands for the resource). */
export function templateNotFound(template: NonNullable<MachineHealthCheck["spec"]["remediationTemplate"]>, mhc: MachineHealthCheck): string {
  const namespace = template.namespace ?? "";
  const { group } = splitApiVersion(template.apiVersion ?? "");
  const name = template.name ?? "";
  void mhc;
  return `failed to retrieve ${template.kind ?? ""} ${namespace ? `${namespace}/${name}` : name}: ${template.kind ?? ""}${group ? `.${group}` : ""} ${JSON.stringify(name)} not found`;
}

/**
 * The external remediation request for a machine (upstream external.GenerateTemplate): a copy of the
 * template's spec.template named after the Machine, in its namespace, owned by it.
 */
export function remediationRequestFor(machine: Machine, template: KubeObject, mhc: MachineHealthCheck): { object: KubeObject } | { error: string } {
  const source = (template.spec as { template?: Record<string, unknown> } | undefined)?.template;
  if (source === undefined || source === null || typeof source !== "object") {
    return { error: `missing Spec.Template on ${template.apiVersion}, Kind=${template.kind} ${JSON.stringify(template.metadata.name ?? "")}` };
  }
  const copy = structuredClone(source) as Record<string, unknown> & { metadata?: Record<string, unknown> };
  const { resourceVersion: _rv, finalizers: _f, uid: _uid, selfLink: _s, ...metadata } = (copy.metadata ?? {}) as Record<string, unknown>;
  const ref = mhc.spec.remediationTemplate!;
  const group = splitApiVersion(ref.apiVersion ?? "").group;
  const ownerRef = { apiVersion: clusterApiVersion, kind: "Machine", name: machine.metadata.name ?? "", ...(machine.metadata.uid ? { uid: machine.metadata.uid } : {}) };
  return {
    object: {
      ...copy,
      apiVersion: (copy.apiVersion as string | undefined) || template.apiVersion,
      kind: (copy.kind as string | undefined) || template.kind.replace(/Template$/, ""),
      metadata: {
        ...metadata,
        name: machine.metadata.name,
        namespace: machine.metadata.namespace ?? mhc.metadata.namespace,
        annotations: {
          ...(metadata.annotations as Record<string, string> | undefined),
          [annotationKeys.clonedFromName]: ref.name ?? "",
          [annotationKeys.clonedFromGroupKind]: group ? `${ref.kind}.${group}` : (ref.kind ?? ""),
        },
        labels: { ...(metadata.labels as Record<string, string> | undefined), [labelKeys.clusterName]: machine.spec?.clusterName ?? "" },
        ownerReferences: [ownerRef],
      },
    },
  };
}
