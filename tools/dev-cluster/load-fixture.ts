import { refOf, type ClusterClient } from "../../provider/cluster/client";
import { readFixture } from "../../provider/cluster/twin/fixture";
import { toKubeTime, type KubeObject, type OwnerReference } from "../../provider/k8s/meta";

// A twin fixture's objects, loaded into a real API server: metadata and spec first (owner references
// that name an object of the fixture get its uid once every object exists), then each status through
// the status subresource, the only way a status is written (Node status included).

export interface LoadedFixture {
  objects: number;
  /** Schedule documents are the twin's: the dev cluster has no timed events. */
  ignoredEvents: number;
}

const namespaceRef = { apiVersion: "v1", kind: "Namespace" };

export async function loadFixture(client: ClusterClient, pathOrName: string): Promise<LoadedFixture> {
  const fixture = readFixture(pathOrName);
  const objects = fixture.objects.map(({ object }) => structuredClone(object));
  for (const namespace of new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => Boolean(n)))) {
    if (!(await client.get({ ...namespaceRef, name: namespace }))) await client.apply({ ...namespaceRef, metadata: { name: namespace } });
  }

  const uids = new Map<string, string>();
  const pendingOwners: Array<{ object: KubeObject; owners: OwnerReference[] }> = [];
  for (const object of objects) {
    const { status: _status, ...withoutStatus } = object;
    const owners = object.metadata.ownerReferences ?? [];
    const complete = owners.every((o) => o.uid);
    const metadata = { ...object.metadata, ...(complete ? {} : { ownerReferences: undefined }) };
    const created = await client.apply({ ...withoutStatus, metadata });
    uids.set(identity(object, object.metadata.name), created.metadata.uid ?? "");
    if (!complete) pendingOwners.push({ object, owners });
  }
  for (const { object, owners } of pendingOwners) {
    const resolved = owners.map((owner) => {
      const sameNamespace = { ...object, apiVersion: owner.apiVersion, kind: owner.kind };
      const clusterScoped = { ...sameNamespace, metadata: {} };
      const uid = owner.uid ?? uids.get(identity(sameNamespace, owner.name)) ?? uids.get(identity(clusterScoped, owner.name));
      if (!uid) throw new Error(`${object.kind} ${object.metadata.name}: owner ${owner.kind} ${owner.name} is not in the fixture and has no uid`);
      return { ...owner, uid };
    });
    await client.patch(refOf(object), { metadata: { ownerReferences: resolved } });
  }

  const now = toKubeTime(new Date());
  for (const object of objects) {
    if (object.status === undefined) continue;
    await client.patchStatus(refOf(object), withTransitionTimes(object.status, now));
  }
  return { objects: objects.length, ignoredEvents: fixture.events.length };
}

function identity(object: Pick<KubeObject, "apiVersion" | "kind" | "metadata">, name: string | undefined): string {
  return `${object.apiVersion}|${object.kind}|${object.metadata.namespace ?? ""}|${name ?? ""}`;
}

/** As the twin: conditions without a lastTransitionTime get the load time. */
function withTransitionTimes(status: unknown, time: string): unknown {
  const conditions = (status as { conditions?: unknown }).conditions;
  if (!Array.isArray(conditions)) return status;
  return { ...(status as object), conditions: conditions.map((c: Record<string, unknown>) => ({ lastTransitionTime: time, ...c })) };
}
