import type { LoadedKubeconfig } from "./kubeconfig";
import { failed, resourceTypeMissing, unauthorized } from "./errors";
import type { Transport } from "./transport";

// Where each kind lives in the REST API. The kinds this project uses are in a table (no discovery
// request on the hot path); any other kind is looked up once through discovery.

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const table: ResourceType[] = [
  core("Node", "nodes", false),
  core("Pod", "pods", true),
  core("Namespace", "namespaces", false),
  core("ConfigMap", "configmaps", true),
  core("Secret", "secrets", true),
  { group: "node.k8s.io", version: "v1", kind: "RuntimeClass", plural: "runtimeclasses", namespaced: false },
  { group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions", namespaced: false },
  { group: "kataconfiguration.openshift.io", version: "v1", kind: "KataConfig", plural: "kataconfigs", namespaced: false },
  { group: "machineconfiguration.openshift.io", version: "v1", kind: "MachineConfigPool", plural: "machineconfigpools", namespaced: false },
  capi("Cluster", "clusters"),
  capi("Machine", "machines"),
  capi("MachineSet", "machinesets"),
  capi("MachineHealthCheck", "machinehealthchecks"),
  { group: "controlplane.cluster.x-k8s.io", version: "v1beta1", kind: "KubeadmControlPlane", plural: "kubeadmcontrolplanes", namespaced: true },
];

function core(kind: string, plural: string, namespaced: boolean): ResourceType {
  return { group: "", version: "v1", kind, plural, namespaced };
}

function capi(kind: string, plural: string): ResourceType {
  return { group: "cluster.x-k8s.io", version: "v1beta1", kind, plural, namespaced: true };
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

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
    const { group, version } = splitApiVersion(apiVersion);
    const known = table.find((t) => t.group === group && t.version === version && t.kind === kind);
    if (known) return Promise.resolve(known);
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
