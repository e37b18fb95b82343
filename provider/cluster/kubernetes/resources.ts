import { type ApiType, knownApiType, splitApiVersion } from "../../k8s/api-types";
import type { LoadedKubeconfig } from "./kubeconfig";
import { failed, resourceTypeMissing, unauthorized } from "./errors";
import type { Transport } from "./transport";

// Where each kind lives in the REST API. The kinds this project uses are in k8s/api-types (no discovery
// request on the hot path); any other kind is looked up once through discovery.

export type ResourceType = ApiType;

export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** The collection URL path (all namespaces when a namespaced kind is given none). */
export function collectionPath(type: ResourceType, namespace?: string): string {
  const ns = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  return `${groupVersionPath(type.group, type.version)}${ns}/${type.plural}`;
}

export function objectPath(type: ResourceType, name: string, namespace: string | undefined, subresource?: string): string {
  return `${collectionPath(type, type.namespaced ? (namespace ?? "default") : undefined)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ""}`;
}

interface DiscoveredResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

export class ResourceTypes {
  private readonly discovered = new Map<string, Promise<ResourceType>>();

  constructor(
    private readonly transport: Transport,
    private readonly kubeconfig: LoadedKubeconfig,
  ) {}

  resolve(apiVersion: string, kind: string): Promise<ResourceType> {
    const known = knownApiType(apiVersion, kind);
    if (known) return Promise.resolve(known);
    const { group, version } = splitApiVersion(apiVersion);
    const key = `${apiVersion}|${kind}`;
    let found = this.discovered.get(key);
    if (!found) {
      found = this.discover(group, version, kind);
      // A failed lookup is not remembered: the CRD may be installed a moment later.
      found.catch(() => this.discovered.delete(key));
      this.discovered.set(key, found);
    }
    return found;
  }

  /** Whether discovery lists the type now (used to tell a missing object from a missing CRD). */
  async served(type: ResourceType): Promise<boolean> {
    const resources = await this.list(type.group, type.version, type.kind);
    return resources?.some((r) => r.name === type.plural) ?? false;
  }

  private async discover(group: string, version: string, kind: string): Promise<ResourceType> {
    const resources = await this.list(group, version, kind);
    const found = resources?.find((r) => r.kind === kind && !r.name.includes("/"));
    if (!found) throw resourceTypeMissing({ group, version, kind, plural: "" }, this.kubeconfig);
    return { group, version, kind, plural: found.name, namespaced: found.namespaced };
  }

  private async list(group: string, version: string, kind: string): Promise<DiscoveredResource[] | undefined> {
    const path = groupVersionPath(group, version);
    const { status, body } = await this.transport.request({ method: "GET", path });
    if (status === 404) return undefined;
    if (status === 401) throw unauthorized(this.kubeconfig, undefined, body);
    if (status !== 200) throw failed({ verb: "get", doing: "discover" }, { apiVersion: group ? `${group}/${version}` : version, kind }, this.kubeconfig, status, body);
    return ((body as { resources?: DiscoveredResource[] }).resources ?? []);
  }
}
