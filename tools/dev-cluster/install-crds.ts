import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "yaml";
import type { ClusterClient } from "../../provider/cluster/client";
import { findCondition, type Condition, type KubeObject } from "../../provider/k8s/meta";
import { type ApiType, apiVersionOf, kinds } from "../../provider/k8s/api-types";
import { crdDefinitions, customResourceDefinition } from "../../provider/crds";

// Install the generated CRDs and wait until each one serves requests (Established alone is not
// enough: the REST endpoint can lag it by a moment). With Cluster API's own CRDs (--capi upstream),
// the generated ones of its groups are left out and upstream's files are applied instead.

const capiGroups = new Set(["cluster.x-k8s.io", "controlplane.cluster.x-k8s.io"]);

export async function installCrds(client: ClusterClient, options: { capiCrdsDir?: string; timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const ours = options.capiCrdsDir ? crdDefinitions.filter((d) => !capiGroups.has(d.type.group)) : crdDefinitions;
  const crds: KubeObject[] = ours.map((d) => customResourceDefinition(d));
  if (options.capiCrdsDir) crds.push(...readCrdFiles(options.capiCrdsDir));
  for (const crd of crds) await client.apply(crd);
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    const name = crd.metadata.name!;
    const type = typeOfCrd(crd);
    for (;;) {
      const stored = await client.get<KubeObject>({ ...kinds.customResourceDefinition, name });
      const conditions = (stored?.status as { conditions?: Condition[] } | undefined)?.conditions;
      if (findCondition(conditions, "Established")?.status === "True" && (await serves(client, type))) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} not established after ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** The CustomResourceDefinitions in a directory of YAML files (Cluster API's config/crd/bases). */
export function readCrdFiles(dir: string): KubeObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) => yaml.parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => d.toJS() as KubeObject))
    .filter((o) => o?.kind === "CustomResourceDefinition");
}

function typeOfCrd(crd: KubeObject): ApiType {
  const spec = crd.spec as { group: string; names: { kind: string; plural: string }; scope: string; versions: { name: string; storage?: boolean }[] };
  const version = spec.versions.find((v) => v.storage)?.name ?? spec.versions[0]!.name;
  return { group: spec.group, version, kind: spec.names.kind, plural: spec.names.plural, namespaced: spec.scope === "Namespaced" };
}

async function serves(client: ClusterClient, type: ApiType): Promise<boolean> {
  try {
    await client.list({ apiVersion: apiVersionOf(type), kind: type.kind });
    return true;
  } catch {
    return false;
  }
}
