import type { ClusterClient } from "../../provider/cluster/client";
import type { KubeObject } from "../../provider/k8s/meta";

// Whether writes changed anything on the server. The API server skips a write that leaves an object
// as it was (same resourceVersion), so a controller that rewrites an unchanged status (its own
// comparison fooled by the server's key order, say) must not keep the operator looping.

export interface ChangeTracker {
  client: ClusterClient;
  /** Writes since the last reset that changed an object (new resourceVersion) or deleted one. */
  effectiveWrites(): number;
  reset(): void;
}

export function trackChanges(client: ClusterClient): ChangeTracker {
  const versions = new Map<string, string | undefined>();
  let effective = 0;
  const seen = <T extends KubeObject | undefined>(object: T): T => {
    if (object) versions.set(keyOf(object), object.metadata.resourceVersion);
    return object;
  };
  const written = <T extends KubeObject>(object: T): T => {
    const key = keyOf(object);
    if (!versions.has(key) || versions.get(key) !== object.metadata.resourceVersion) effective++;
    versions.set(key, object.metadata.resourceVersion);
    return object;
  };
  const tracked: ClusterClient = {
    get description() {
      return client.description;
    },
    clock: client.clock,
    get: async (ref) => seen(await client.get(ref)),
    list: async (ref, options) => (await client.list(ref, options)).map((o) => seen(o)),
    apply: async (object) => written(await client.apply(object)),
    patch: async (ref, patch) => written(await client.patch(ref, patch)),
    patchStatus: async (ref, status) => written(await client.patchStatus(ref, status)),
    delete: async (ref) => {
      const deleted = await client.delete(ref);
      if (deleted) effective++;
      return deleted;
    },
    watch: (ref, onEvent) => client.watch(ref, onEvent),
    close: () => client.close(),
  } as ClusterClient;
  return { client: tracked, effectiveWrites: () => effective, reset: () => void (effective = 0) };
}

function keyOf(object: KubeObject): string {
  return `${object.apiVersion}|${object.kind}|${object.metadata.namespace ?? ""}|${object.metadata.name ?? ""}`;
}
