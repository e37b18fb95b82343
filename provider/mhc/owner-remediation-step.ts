import { hasAnnotation, toKubeTime, type KubeObject, type OwnerReference } from "../k8s/meta";
import { refTo, type ClusterAction, type NameGenerator } from "./actions";
import { removeCondition, sameConditions, sameV1Beta2Conditions, setCondition, setV1Beta2Condition, type ConditionUpdate, type V1Beta2ConditionUpdate } from "./conditions";
import {
  annotationKeys,
  conditionTypes,
  labelKeys,
  type Cluster,
  type KubeadmControlPlane,
  type Machine,
  type MachineSet,
  type ObjectReference,
} from "./model";
import {
  decideKubeadmControlPlaneRemediation,
  decideMachineSetRemediation,
  isHealthyAgain,
  isHealthyAgainV1Beta2,
  kcpAnnotations,
  kcpMessages,
  type OwnerDecision,
} from "./owner-remediation";
import { isOwnedBy } from "./owners";

// What the owners of marked Machines do, simulated for the twin and the dev cluster: the decision is
// upstream's (owner-remediation.ts), the writes are the ones upstream makes. Pure: time and names are passed in.
//
// MachineSet: every marked Machine that is not deleting, OwnerRemediated True first, then the delete; the
// replacement comes in a later step, once the deleted Machine is gone (upstream `syncReplicas` counts
// deleting Machines). MachineDeployment revision and maxInFlight, and preflight checks, are not modelled.
// KubeadmControlPlane: one Machine at a time (upstream `reconcileUnhealthyMachines`), the etcd members
// simulated from the control plane Machines (this is a simulation: a real KCP asks etcd); after the delete
// OwnerRemediated False/RemediationInProgress; the replacement, created once the Machine is gone, carries
// the remediation-for annotation. The infrastructure and bootstrap templates are not cloned: the new
// Machine's references name the objects the clone would create.

export interface OwnerRemediationInput<Owner> {
  owner: Owner;
  /** Machines of the owner's namespace; the ones the owner controls are picked here. */
  machines: readonly Machine[];
  cluster: Cluster;
  now: Date;
  generateName: NameGenerator;
}

export interface OwnerRemediationStep {
  actions: ClusterAction[];
  /** Machines deleted by this step. */
  remediated: string[];
  /** Machines created by this step. */
  created: string[];
}

export { kcpMessages };

type OwnerKind = "MachineSet" | "KubeadmControlPlane";
type Owner = MachineSet | KubeadmControlPlane;

export function planMachineSetRemediation(input: OwnerRemediationInput<MachineSet>): OwnerRemediationStep {
  return planRemediation(input, "MachineSet", (owned) => decideMachineSetRemediation(owned), (name) => machineFromMachineSet(input.owner, input.cluster, name, input.now));
}

export function planKubeadmControlPlaneRemediation(input: OwnerRemediationInput<KubeadmControlPlane>): OwnerRemediationStep {
  const kcp = input.owner;
  return planRemediation(
    input,
    "KubeadmControlPlane",
    (owned) => decideKubeadmControlPlaneRemediation({ kcp, machines: owned, now: input.now, etcd: "simulated" }),
    (name) => machineFromControlPlane(kcp, input.cluster, name, input.now),
  );
}

function planRemediation(
  input: OwnerRemediationInput<Owner>,
  kind: OwnerKind,
  decide: (owned: Machine[]) => OwnerDecision,
  newMachine: (name: string) => KubeObject,
): OwnerRemediationStep {
  const { owner, cluster, now } = input;
  const ownerRef = refTo(owner);
  const ownerName = `${kind} ${owner.metadata.name ?? ""}`;
  const step: OwnerRemediationStep = { actions: [], remediated: [], created: [] };
  if (cluster.spec?.paused === true || hasAnnotation(owner, annotationKeys.paused)) {
    step.actions.push({ action: "report", ref: ownerRef, message: `${ownerName} is paused: its marked Machines are not remediated` });
    return step;
  }

  const namespace = owner.metadata.namespace ?? "default";
  let owned = input.machines.filter(
    (m) => (m.metadata.namespace ?? "default") === namespace && isOwnedBy(m.metadata, { kind, name: owner.metadata.name, uid: owner.metadata.uid }),
  );

  // A Machine healthy again drops a mark that was never acted on (both condition lists, each on its own).
  owned = owned.map((machine) => {
    const v1beta1 = isHealthyAgain(machine);
    const v1beta2 = isHealthyAgainV1Beta2(machine);
    if (!v1beta1 && !v1beta2) return machine;
    const status = {
      ...machine.status,
      ...(v1beta1 ? { conditions: removeCondition(machine.status?.conditions, conditionTypes.ownerRemediated) } : {}),
      ...(v1beta2 ? { v1beta2: { ...machine.status?.v1beta2, conditions: removeCondition(machine.status?.v1beta2?.conditions, conditionTypes.ownerRemediated) } } : {}),
    };
    step.actions.push(statusPatch(machine, status, "healthy again: remediation mark removed"));
    return { ...machine, status };
  });

  const decision = decide(owned);
  const ownerAnnotations: Record<string, string | null> = {};
  switch (decision.kind) {
    case "none":
      break;
    case "quiet":
      step.actions.push({ action: "report", ref: refTo(decision.machine), message: `Machine ${decision.machine.metadata.name ?? ""} is marked for remediation but ${ownerName} waits: ${decision.message}` });
      break;
    case "unknown":
      // Only the report decides "unknown"; a simulation always knows its etcd.
      step.actions.push({ action: "report", ref: refTo(decision.machine), message: decision.message });
      break;
    case "wait": {
      const machine = decision.machine;
      const status = withOwnerConditions(machine, decision.v1beta1, decision.v1beta2, now);
      if (status) step.actions.push(statusPatch(machine, status, decision.message));
      step.actions.push({ action: "report", ref: refTo(machine), message: `Machine ${machine.metadata.name ?? ""} is marked for remediation but ${ownerName} waits: ${decision.message}` });
      if (decision.removeInProgress) ownerAnnotations[kcpAnnotations.remediationInProgress] = null;
      break;
    }
    case "remediate":
      for (const machine of decision.machines) {
        const name = machine.metadata.name ?? "";
        // Written before the delete (MachineSet does so; KCP writes after it, but a twin Machine without
        // finalizers is gone at once, so the conditions are written first here too).
        const status = withOwnerConditions(machine, decision.v1beta1, decision.v1beta2, now);
        if (status) step.actions.push(statusPatch(machine, status, `remediated by ${ownerName}${kind === "KubeadmControlPlane" ? " (simulated etcd members)" : ""}`));
        step.actions.push({ action: "delete", ref: refTo(machine), why: `Machine ${name} is unhealthy: ${ownerName} replaces it` });
        step.remediated.push(name);
      }
      if (decision.inProgress) ownerAnnotations[kcpAnnotations.remediationInProgress] = JSON.stringify(decision.inProgress);
      break;
  }

  // Replacements: the owner counts its Machines, deleting ones (and the ones deleted just now) included.
  const desired = owner.spec.replicas ?? 1;
  const taken = new Set(input.machines.map((m) => m.metadata.name));
  const inProgress = owner.metadata.annotations?.[kcpAnnotations.remediationInProgress];
  for (let i = owned.length; i < desired; i++) {
    const name = freshName(input.generateName, `${owner.metadata.name ?? ""}-`, taken);
    const object = newMachine(name);
    if (kind === "KubeadmControlPlane" && inProgress !== undefined && ownerAnnotations[kcpAnnotations.remediationInProgress] === undefined) {
      // Upstream `createMachine`: the replacement records the remediation it completes; the KCP forgets it.
      object.metadata.annotations = { ...object.metadata.annotations, [kcpAnnotations.remediationFor]: inProgress };
      ownerAnnotations[kcpAnnotations.remediationInProgress] = null;
    }
    step.actions.push({ action: "create", object, why: `${ownerName} keeps ${desired} replicas` });
    step.created.push(name);
  }
  if (Object.keys(ownerAnnotations).length > 0) {
    step.actions.push({ action: "patch", ref: ownerRef, patch: { metadata: { annotations: ownerAnnotations } }, why: `${ownerName}: remediation in progress recorded` });
  }
  return step;
}

function withOwnerConditions(machine: Machine, v1beta1: ConditionUpdate | undefined, v1beta2: V1Beta2ConditionUpdate | undefined, now: Date): Machine["status"] | undefined {
  const before = machine.status ?? {};
  const conditions = v1beta1 ? setCondition(before.conditions, v1beta1, now) : before.conditions;
  const v1beta2Conditions = v1beta2 ? setV1Beta2Condition(before.v1beta2?.conditions, v1beta2, machine.metadata.generation, now) : before.v1beta2?.conditions;
  if (sameConditions(before.conditions, conditions) && sameV1Beta2Conditions(before.v1beta2?.conditions, v1beta2Conditions)) return undefined;
  return { ...before, ...(conditions ? { conditions } : {}), ...(v1beta2Conditions ? { v1beta2: { ...before.v1beta2, conditions: v1beta2Conditions } } : {}) };
}

function statusPatch(machine: Machine, status: Machine["status"], why: string): ClusterAction {
  return { action: "patchStatus", ref: refTo(machine), status: status as Record<string, unknown>, why: `Machine ${machine.metadata.name ?? ""}: ${why}` };
}

function freshName(generate: NameGenerator, prefix: string, taken: Set<string | undefined>): string {
  for (let attempt = 0; attempt < 100; attempt++) {
    const name = generate(prefix);
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
  throw new Error(`the name generator gave only names already taken for prefix ${JSON.stringify(prefix)}`);
}

function controllerRef(owner: Owner, kind: OwnerKind): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind,
    name: owner.metadata.name ?? "",
    ...(owner.metadata.uid ? { uid: owner.metadata.uid } : {}),
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The reference to the object a template would be cloned into: kind without "Template", the Machine's name. */
function clonedRef(ref: ObjectReference | undefined, name: string, namespace: string | undefined): ObjectReference | undefined {
  if (!ref) return undefined;
  return { ...ref, kind: ref.kind?.replace(/Template$/, ""), name, ...(namespace ? { namespace } : {}) };
}

function machineFromMachineSet(ms: MachineSet, cluster: Cluster, name: string, now: Date): KubeObject {
  const template = ms.spec.template;
  const clusterName = ms.spec.clusterName ?? cluster.metadata.name ?? "";
  const namespace = ms.metadata.namespace;
  const spec = template?.spec ?? {};
  const bootstrap = spec.bootstrap?.configRef ? { ...spec.bootstrap, configRef: clonedRef(spec.bootstrap.configRef, name, namespace) } : spec.bootstrap;
  return {
    apiVersion: ms.apiVersion,
    kind: "Machine",
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      labels: { ...template?.metadata?.labels, [labelKeys.clusterName]: clusterName, [labelKeys.machineSetName]: ms.metadata.name ?? "" },
      ...(template?.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(ms, "MachineSet")],
      creationTimestamp: toKubeTime(now),
    },
    spec: {
      ...spec,
      clusterName,
      ...(bootstrap ? { bootstrap } : {}),
      ...(spec.infrastructureRef ? { infrastructureRef: clonedRef(spec.infrastructureRef, name, namespace) } : {}),
    },
  };
}

function machineFromControlPlane(kcp: KubeadmControlPlane, cluster: Cluster, name: string, now: Date): KubeObject {
  const template = kcp.spec.machineTemplate;
  const clusterName = kcp.metadata.labels?.[labelKeys.clusterName] ?? cluster.metadata.name ?? "";
  const namespace = kcp.metadata.namespace;
  return {
    apiVersion: cluster.apiVersion,
    kind: "Machine",
    metadata: {
      name,
      ...(namespace ? { namespace } : {}),
      labels: {
        ...template?.metadata?.labels,
        [labelKeys.clusterName]: clusterName,
        [labelKeys.controlPlane]: "",
        [labelKeys.controlPlaneName]: kcp.metadata.name ?? "",
      },
      ...(template?.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(kcp, "KubeadmControlPlane")],
      creationTimestamp: toKubeTime(now),
    },
    spec: {
      clusterName,
      ...(kcp.spec.version ? { version: kcp.spec.version } : {}),
      bootstrap: {
        configRef: { apiVersion: "bootstrap.cluster.x-k8s.io/v1beta1", kind: "KubeadmConfig", name, ...(namespace ? { namespace } : {}) },
      },
      ...(template?.infrastructureRef ? { infrastructureRef: clonedRef(template.infrastructureRef, name, namespace) } : {}),
    },
  };
}
