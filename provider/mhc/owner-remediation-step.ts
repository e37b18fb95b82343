import { hasAnnotation, toKubeTime, type Condition, type KubeObject, type OwnerReference } from "../k8s/meta";
import { refTo, type ClusterAction, type NameGenerator } from "./actions";
import { conditionIs, removeCondition, sameConditions, setCondition } from "./conditions";
import { timeMs } from "./health";
import {
  annotationKeys,
  conditionTypes,
  labelKeys,
  waitingForRemediationReason,
  type Cluster,
  type KubeadmControlPlane,
  type Machine,
  type MachineSet,
  type ObjectReference,
} from "./model";
import { isOwnedBy } from "./owners";

// What the owners of marked Machines do (the default remediation): delete the marked Machine and create a
// new one from the owner's template, so that spec.replicas holds. Pure: time and names are passed in.
//
// MachineSet: every marked Machine at once (MachineDeployment maxInFlight, revision checks and preflight
// checks are not modelled). KubeadmControlPlane: one Machine per step, never while another control plane
// Machine is still being deleted, never when it has one Machine or fewer (etcd quorum), as upstream does.
// In both, the replacement is created in the same step, and the infrastructure and bootstrap templates are
// not cloned: the new Machine's references name the objects the clone would create.

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

export const kcpMessages = {
  tooFewReplicas: "KCP can't remediate if current replicas are less or equal to 1",
  deletionInProgress: "KCP waiting for control plane machine deletion to complete before triggering remediation",
} as const;

type OwnerKind = "MachineSet" | "KubeadmControlPlane";
type Owner = MachineSet | KubeadmControlPlane;

export function planMachineSetRemediation(input: OwnerRemediationInput<MachineSet>): OwnerRemediationStep {
  return planRemediation(input, "MachineSet", (marked) => ({ remediate: marked, reports: [] }), (name) =>
    machineFromMachineSet(input.owner, input.cluster, name, input.now),
  );
}

export function planKubeadmControlPlaneRemediation(input: OwnerRemediationInput<KubeadmControlPlane>): OwnerRemediationStep {
  return planRemediation(input, "KubeadmControlPlane", (marked, owned) => chooseControlPlaneMachine(marked, owned), (name) =>
    machineFromControlPlane(input.owner, input.cluster, name, input.now),
  );
}

interface Choice {
  remediate: Machine[];
  /** Marked machines left alone, with why (the OwnerRemediated message upstream writes). */
  reports: { machine: Machine; message: string; markWaiting?: boolean }[];
}

function planRemediation(
  input: OwnerRemediationInput<Owner>,
  kind: OwnerKind,
  choose: (marked: Machine[], owned: Machine[]) => Choice,
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
  const owned = input.machines.filter(
    (m) => (m.metadata.namespace ?? "default") === namespace && isOwnedBy(m.metadata, { kind, name: owner.metadata.name, uid: owner.metadata.uid }),
  );

  // A Machine healthy again drops a mark that was never acted on.
  for (const machine of owned) {
    const conditions = machine.status?.conditions;
    if (conditionIs(conditions, conditionTypes.healthCheckSucceeded, "True") && conditionIs(conditions, conditionTypes.ownerRemediated, "False")) {
      step.actions.push(statusPatch(machine, removeCondition(conditions, conditionTypes.ownerRemediated), "healthy again: remediation mark removed"));
    }
  }

  const marked = owned.filter(
    (m) =>
      !m.metadata.deletionTimestamp &&
      conditionIs(m.status?.conditions, conditionTypes.healthCheckSucceeded, "False") &&
      conditionIs(m.status?.conditions, conditionTypes.ownerRemediated, "False"),
  );
  const choice = marked.length > 0 ? choose(marked, owned) : { remediate: [], reports: [] };

  for (const { machine, message, markWaiting } of choice.reports) {
    if (markWaiting) {
      const conditions = setCondition(
        machine.status?.conditions,
        { type: conditionTypes.ownerRemediated, status: "False", severity: "Warning", reason: waitingForRemediationReason, message },
        now,
      );
      if (!sameConditions(machine.status?.conditions, conditions)) step.actions.push(statusPatch(machine, conditions, message));
    }
    step.actions.push({ action: "report", ref: refTo(machine), message: `Machine ${machine.metadata.name ?? ""} is marked for remediation but ${ownerName} waits: ${message}` });
  }

  for (const machine of choice.remediate) {
    const name = machine.metadata.name ?? "";
    if (hasAnnotation(machine, annotationKeys.paused)) {
      step.actions.push({ action: "report", ref: refTo(machine), message: `Machine ${name} is marked for remediation but paused (${annotationKeys.paused}): left as it is` });
      continue;
    }
    // Mark the remediation done before deleting, so that a retried step finds the mark and does not repeat it.
    const conditions = setCondition(machine.status?.conditions, { type: conditionTypes.ownerRemediated, status: "True" }, now);
    step.actions.push(statusPatch(machine, conditions, `remediated by ${ownerName}`));
    step.actions.push({ action: "delete", ref: refTo(machine), why: `Machine ${name} is unhealthy: ${ownerName} replaces it` });
    step.remediated.push(name);
  }

  const desired = owner.spec.replicas ?? 1;
  const active = owned.filter((m) => !m.metadata.deletionTimestamp).length - step.remediated.length;
  const taken = new Set(input.machines.map((m) => m.metadata.name));
  for (let i = active; i < desired; i++) {
    const name = freshName(input.generateName, `${owner.metadata.name ?? ""}-`, taken);
    step.actions.push({ action: "create", object: newMachine(name), why: `${ownerName} keeps ${desired} replicas` });
    step.created.push(name);
  }
  return step;
}

function chooseControlPlaneMachine(marked: Machine[], owned: Machine[]): Choice {
  const wait = (message: string, markWaiting: boolean): Choice => ({
    remediate: [],
    reports: marked.map((machine) => ({ machine, message, markWaiting })),
  });
  if (owned.some((m) => m.metadata.deletionTimestamp)) return wait(kcpMessages.deletionInProgress, false);
  if (owned.length <= 1) return wait(kcpMessages.tooFewReplicas, true);
  // One at a time, oldest first (ties by name), a paused one only reported.
  const ordered = marked
    .slice()
    .sort((a, b) => timeMs(a.metadata.creationTimestamp) - timeMs(b.metadata.creationTimestamp) || compareNames(a, b));
  return { remediate: ordered.slice(0, 1), reports: [] };
}

function compareNames(a: Machine, b: Machine): number {
  const x = a.metadata.name ?? "";
  const y = b.metadata.name ?? "";
  return x < y ? -1 : x > y ? 1 : 0;
}

function statusPatch(machine: Machine, conditions: Condition[], why: string): ClusterAction {
  return { action: "patchStatus", ref: refTo(machine), status: { ...machine.status, conditions }, why: `Machine ${machine.metadata.name ?? ""}: ${why}` };
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
