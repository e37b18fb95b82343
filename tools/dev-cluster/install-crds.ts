import type { ClusterClient } from "../../provider/cluster/client";
import { findCondition, type Condition, type KubeObject } from "../../provider/k8s/meta";
import { type ApiType, apiVersionOf, kinds } from "../../provider/k8s/api-types";
import { crdDefinitions, customResourceDefinition } from "../../provider/crds";

// Install the generated CRDs and wait until each one serves requests (Established alone is not
// enough: the REST endpoint can lag it by a moment).


export async function installCrds(client: ClusterClient, timeoutMs = 60_000): Promise<void> {
  for (const definition of crdDefinitions) await client.apply(customResourceDefinition(definition));
  const deadline = Date.now() + timeoutMs;
  for (const definition of crdDefinitions) {
    const name = `${definition.type.plural}.${definition.type.group}`;
    for (;;) {
      const crd = await client.get<KubeObject>({ ...kinds.customResourceDefinition, name });
      const conditions = (crd?.status as { conditions?: Condition[] } | undefined)?.conditions;
      if (findCondition(conditions, "Established")?.status === "True" && (await serves(client, definition.type))) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not established after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function serves(client: ClusterClient, type: ApiType): Promise<boolean> {
  try {
    await client.list({ apiVersion: apiVersionOf(type), kind: type.kind });
    return true;
  } catch {
    return false;
  }
}
