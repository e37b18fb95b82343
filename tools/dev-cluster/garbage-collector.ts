import type { ObjectRef } from "../../provider/cluster/client";
import type { Controller } from "../../provider/cluster/controller";
import type { KubeObject, OwnerReference } from "../../provider/k8s/meta";

// Garbage collection by owner reference, which kube-controller-manager does on a real cluster and
// nobody does on the dev cluster: a dependent whose owners are all gone (no object of that name with
// that uid) is deleted. Only for the dependent kinds named, e.g. the RuntimeClasses a KataConfig owns.

export function ownerReferenceCollector(dependents: ObjectRef[]): Controller {
  return {
    name: "owner-reference-gc",
    async reconcile(client) {
      let changed = false;
      for (const kind of dependents) {
        for (const object of await client.list(kind)) {
          const owners = object.metadata.ownerReferences ?? [];
          if (owners.length === 0 || object.metadata.deletionTimestamp) continue;
          const present = await Promise.all(owners.map((owner) => ownerExists(client, owner, object)));
          if (present.some(Boolean)) continue;
          changed = (await client.delete({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace })) || changed;
        }
      }
      return { changed };
    },
  };
}

async function ownerExists(client: Parameters<Controller["reconcile"]>[0], owner: OwnerReference, dependent: KubeObject): Promise<boolean> {
  try {
    const found = await client.get({ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, namespace: dependent.metadata.namespace });
    return Boolean(found) && (!owner.uid || found?.metadata.uid === owner.uid);
  } catch {
    return true; // cannot tell (an unknown owner kind): keep the dependent, as the real collector does
  }
}
