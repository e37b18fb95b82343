import { describeRef } from "../cluster/client";
import type { KubeObject } from "../k8s/meta";
import { refTo, type ClusterAction } from "./actions";
import { sameConditions, setCondition, type ConditionUpdate } from "./conditions";
import {
  evaluateMachineHealthCheck,
  machineHealthCheckStatus,
  selectMachines,
  type Evaluation,
  type EvaluationInput,
  type MachineVerdict,
} from "./evaluate";
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

// The MachineHealthCheck controller's next step: mark machines (HealthCheckSucceeded on every checked
// machine with a verdict, OwnerRemediated False on unhealthy ones when remediation is allowed, or an
// external remediation request with a remediationTemplate) and write its own status. The owners'
// remediation (MachineSet, KubeadmControlPlane) is in owner-remediation.ts.

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
}

export function planMachineHealthCheckStep(input: MachineHealthCheckStepInput): MachineHealthCheckStep {
  const mhc = input.machineHealthCheck;
  const evaluation = evaluateMachineHealthCheck(input);
  const requeue = evaluation.requeueAfterSeconds !== undefined ? { requeueAfterSeconds: evaluation.requeueAfterSeconds } : {};
  if (evaluation.paused) {
    const why = evaluation.machines[0]?.message ?? "the Cluster or the MachineHealthCheck is paused";
    return { evaluation, actions: [{ action: "report", ref: refTo(mhc), message: `Health check paused: ${why}` }] };
  }

  const actions: ClusterAction[] = [];
  const ownership = ownershipPatch(mhc, input.cluster);
  if (ownership) actions.push(ownership);

  const byName = new Map<string, Machine>();
  for (const machine of selectMachines(mhc, input.machines)) byName.set(machine.metadata.name ?? "", machine);
  const requestKind = mhc.spec.remediationTemplate?.kind?.replace(/Template$/, "");
  const requests = new Map<string, KubeObject>();
  for (const request of input.remediationRequests ?? []) {
    if (request.kind === requestKind && request.metadata.name) requests.set(request.metadata.name, request);
  }
  let mhcConditions = evaluation.conditions;

  for (const verdict of evaluation.machines) {
    const machine = byName.get(verdict.name);
    if (!machine || (verdict.state !== "healthy" && verdict.state !== "unhealthy")) continue;
    let conditions = setCondition(machine.status?.conditions, healthCheckCondition(verdict), input.now);

    if (verdict.state === "healthy") {
      const request = requests.get(verdict.name);
      if (mhc.spec.remediationTemplate && request && !request.metadata.deletionTimestamp) {
        actions.push({ action: "delete", ref: refTo(request), why: `Machine ${verdict.name} is healthy again` });
      }
    } else if (evaluation.remediationAllowed) {
      if (mhc.spec.remediationTemplate) {
        if (!requests.has(verdict.name)) {
          if (input.remediationTemplate) {
            actions.push({
              action: "create",
              object: remediationRequestFor(machine, input.remediationTemplate, mhc),
              why: `Machine ${verdict.name} is unhealthy (${verdict.reason}): external remediation requested`,
            });
          } else {
            const missing = `${mhc.spec.remediationTemplate.kind} ${mhc.spec.remediationTemplate.name} not found`;
            mhcConditions = setCondition(
              mhcConditions,
              { type: "ExternalRemediationTemplateAvailable", status: "False", severity: "Error", reason: "ExternalRemediationTemplateNotFound", message: missing },
              input.now,
            );
            actions.push({ action: "report", ref: refTo(machine), message: `Machine ${verdict.name} is unhealthy but its remediation template ${missing}` });
          }
        }
      } else {
        // Set the mark only when absent or after a finished remediation: an owner's remediation in progress is its own.
        const owned = machine.status?.conditions?.find((c) => c.type === conditionTypes.ownerRemediated);
        if (!owned || owned.status === "True") {
          conditions = setCondition(
            conditions,
            { type: conditionTypes.ownerRemediated, status: "False", severity: "Warning", reason: waitingForRemediationReason },
            input.now,
          );
        }
        if (verdict.remediatedBy === "none") {
          actions.push({
            action: "report",
            ref: refTo(machine),
            message: `Machine ${verdict.name} is unhealthy (${verdict.reason}) and stays marked, but nothing replaces it: only Machines owned by a MachineSet or a KubeadmControlPlane are remediated`,
          });
        }
      }
    }

    if (!sameConditions(machine.status?.conditions, conditions)) {
      actions.push({
        action: "patchStatus",
        ref: refTo(machine),
        status: { ...machine.status, conditions },
        why: `health check of Machine ${verdict.name}: ${verdict.state}${verdict.reason ? ` (${verdict.reason})` : ""}`,
      });
    }
  }

  const status = machineHealthCheckStatus(mhc, { ...evaluation, conditions: mhcConditions });
  if (status && JSON.stringify(status) !== JSON.stringify(mhc.status)) {
    actions.push({ action: "patchStatus", ref: refTo(mhc), status, why: `status of ${describeRef(refTo(mhc))}` });
  }
  return { evaluation, actions, ...requeue };
}

function healthCheckCondition(verdict: MachineVerdict): ConditionUpdate {
  if (verdict.state === "healthy") return { type: conditionTypes.healthCheckSucceeded, status: "True" };
  return {
    type: conditionTypes.healthCheckSucceeded,
    status: "False",
    severity: "Warning",
    reason: verdict.reason,
    message: verdict.message,
  };
}

/** The controller labels the health check with its cluster and makes the Cluster its owner. */
function ownershipPatch(mhc: MachineHealthCheck, cluster: EvaluationInput["cluster"]): ClusterAction | undefined {
  const labelled = mhc.metadata.labels?.[labelKeys.clusterName] === mhc.spec.clusterName;
  const owners = mhc.metadata.ownerReferences ?? [];
  const owned = owners.some((ref) => ref.kind === "Cluster" && ref.name === cluster.metadata.name);
  if (labelled && owned) return undefined;
  const metadata: Record<string, unknown> = {};
  if (!labelled) metadata.labels = { ...mhc.metadata.labels, [labelKeys.clusterName]: mhc.spec.clusterName };
  if (!owned) {
    const ref = { apiVersion: clusterApiVersion, kind: "Cluster", name: cluster.metadata.name ?? mhc.spec.clusterName };
    metadata.ownerReferences = [...owners, cluster.metadata.uid ? { ...ref, uid: cluster.metadata.uid } : ref];
  }
  return { action: "patch", ref: refTo(mhc), patch: { metadata }, why: "the health check belongs to its Cluster" };
}

/** The external remediation request for a machine: named after it, spec from the template, owned by the Machine. */
export function remediationRequestFor(machine: Machine, template: KubeObject, mhc: MachineHealthCheck): KubeObject {
  const templateSpec = (template.spec as { template?: { spec?: unknown; metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } } | undefined)
    ?.template;
  const group = template.apiVersion.includes("/") ? template.apiVersion.slice(0, template.apiVersion.indexOf("/")) : "";
  const ownerRef = { apiVersion: clusterApiVersion, kind: "Machine", name: machine.metadata.name ?? "" };
  return {
    apiVersion: template.apiVersion,
    kind: template.kind.replace(/Template$/, ""),
    metadata: {
      name: machine.metadata.name,
      namespace: machine.metadata.namespace ?? mhc.metadata.namespace,
      labels: { ...templateSpec?.metadata?.labels, [labelKeys.clusterName]: mhc.spec.clusterName },
      annotations: {
        ...templateSpec?.metadata?.annotations,
        [annotationKeys.clonedFromName]: template.metadata.name ?? "",
        [annotationKeys.clonedFromGroupKind]: group ? `${template.kind}.${group}` : template.kind,
      },
      ownerReferences: [machine.metadata.uid ? { ...ownerRef, uid: machine.metadata.uid } : ownerRef],
    },
    spec: templateSpec?.spec ?? {},
  };
}
