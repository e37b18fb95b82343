import type { ObjectMeta, OwnerReference } from "../k8s/meta";

// Who replaces an unhealthy Machine. Only Cluster API MachineSets (and so MachineDeployments) and
// KubeadmControlPlanes act on the OwnerRemediated mark; with a remediationTemplate an external
// controller acts instead; any other Machine stays marked and is never replaced.

export const remediators = ["MachineSet", "KubeadmControlPlane", "external", "none"] as const;
export type RemediatedBy = (typeof remediators)[number];

const ownerGroups: Record<string, string> = {
  MachineSet: "cluster.x-k8s.io",
  KubeadmControlPlane: "controlplane.cluster.x-k8s.io",
};

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** Whether the reference points at a Cluster API owner of that kind (not, say, an OpenShift MachineSet). */
export function isOwnerKind(ref: OwnerReference, kind: keyof typeof ownerGroups): boolean {
  return ref.kind === kind && groupOf(ref.apiVersion) === ownerGroups[kind];
}

/** The controlling owner reference if there is one, else the first owner reference. */
export function controllingOwner(metadata: Pick<ObjectMeta, "ownerReferences">): OwnerReference | undefined {
  const refs = metadata.ownerReferences ?? [];
  return refs.find((ref) => ref.controller === true) ?? refs[0];
}

export function remediatedBy(metadata: Pick<ObjectMeta, "ownerReferences">, hasRemediationTemplate: boolean): RemediatedBy {
  if (hasRemediationTemplate) return "external";
  const owner = controllingOwner(metadata);
  if (!owner) return "none";
  if (isOwnerKind(owner, "MachineSet")) return "MachineSet";
  if (isOwnerKind(owner, "KubeadmControlPlane")) return "KubeadmControlPlane";
  return "none";
}

/** Whether `metadata` is controlled by the named owner (uid compared when both sides have one). */
export function isOwnedBy(
  metadata: Pick<ObjectMeta, "ownerReferences">,
  owner: { kind: keyof typeof ownerGroups; name: string | undefined; uid: string | undefined },
): boolean {
  const ref = controllingOwner(metadata);
  if (!ref || !isOwnerKind(ref, owner.kind) || ref.name !== owner.name) return false;
  return ref.uid === undefined || owner.uid === undefined || ref.uid === owner.uid;
}
