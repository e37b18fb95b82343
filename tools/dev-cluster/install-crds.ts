import type { ClusterClient } from "../../provider/cluster/client";
import { findCondition, type Condition, type KubeObject } from "../../provider/k8s/meta";
import { crdDefinitions, customResourceDefinition } from "../../provider/crds";

// Install the generated CRDs and wait until each one serves requests (Established alone is not
// enough: the REST endpoint can lag it by a moment).

const crdRef = { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition" };

export async function installCrds(client: ClusterClient, timeoutMs = 60_000): Promise<void> {
  for (const definition of crdDefinitions) await client.apply(customResourceDefinition(definition));
  const deadline = Date.now() + timeoutMs;
  for (const definition of crdDefinitions) {
    const name = `${definition.plural}.${definition.group}`;
    for (;;) {
      const crd = await client.get<KubeObject>({ ...crdRef, name });
      const conditions = (crd?.status as { conditions?: Condition[] } | undefined)?.conditions;
      if (findCondition(conditions, "Established")?.status === "True" && (await serves(client, definition.group, definition.version, definition.kind))) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not established after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function serves(client: ClusterClient, group: string, version: string, kind: string): Promise<boolean> {
  try {
    await client.list({ apiVersion: `${group}/${version}`, kind });
    return true;
  } catch {
    return false;
  }
}
