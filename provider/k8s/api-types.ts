// Where each kind this project reads or writes lives in the Kubernetes API: one table, used by the
// Kubernetes backend (REST paths), the CRD generator (names and scope) and every controller and
// handler (object references). A kind not in the table is found through discovery by the backend.

export interface ApiType {
  /** "" for the core group. */
  group: string;
  version: string;
  kind: string;
  /** The resource name in URLs and RBAC rules: "kataconfigs". */
  plural: string;
  namespaced: boolean;
}

/** "kataconfiguration.openshift.io/v1", or "v1" for the core group. */
export function apiVersionOf(type: Pick<ApiType, "group" | "version">): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

const core = (kind: string, plural: string, namespaced: boolean): ApiType => ({ group: "", version: "v1", kind, plural, namespaced });
const capi = (kind: string, plural: string): ApiType => ({ group: "cluster.x-k8s.io", version: "v1beta1", kind, plural, namespaced: true });

export const apiTypes = {
  node: core("Node", "nodes", false),
  pod: core("Pod", "pods", true),
  namespace: core("Namespace", "namespaces", false),
  configMap: core("ConfigMap", "configmaps", true),
  secret: core("Secret", "secrets", true),
  runtimeClass: { group: "node.k8s.io", version: "v1", kind: "RuntimeClass", plural: "runtimeclasses", namespaced: false },
  customResourceDefinition: { group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions", namespaced: false },
  kataConfig: { group: "kataconfiguration.openshift.io", version: "v1", kind: "KataConfig", plural: "kataconfigs", namespaced: false },
  machineConfigPool: { group: "machineconfiguration.openshift.io", version: "v1", kind: "MachineConfigPool", plural: "machineconfigpools", namespaced: false },
  machineConfig: { group: "machineconfiguration.openshift.io", version: "v1", kind: "MachineConfig", plural: "machineconfigs", namespaced: false },
  containerRuntimeConfig: { group: "machineconfiguration.openshift.io", version: "v1", kind: "ContainerRuntimeConfig", plural: "containerruntimeconfigs", namespaced: false },
  cluster: capi("Cluster", "clusters"),
  machine: capi("Machine", "machines"),
  machineSet: capi("MachineSet", "machinesets"),
  machineHealthCheck: capi("MachineHealthCheck", "machinehealthchecks"),
  kubeadmControlPlane: { group: "controlplane.cluster.x-k8s.io", version: "v1beta1", kind: "KubeadmControlPlane", plural: "kubeadmcontrolplanes", namespaced: true },
} as const satisfies Record<string, ApiType>;

export type ApiTypeName = keyof typeof apiTypes;

/** The table's entry for an apiVersion and kind, if this project knows it. */
export function knownApiType(apiVersion: string, kind: string): ApiType | undefined {
  const { group, version } = splitApiVersion(apiVersion);
  return Object.values(apiTypes).find((t) => t.group === group && t.version === version && t.kind === kind);
}

/** What a list, watch or get names: `{ apiVersion, kind }` (add name and namespace for one object). */
export interface KindRef<ApiVersion extends string = string, Kind extends string = string> {
  apiVersion: ApiVersion;
  kind: Kind;
}

type ApiVersionText<T extends ApiType> = T["group"] extends "" ? T["version"] : `${T["group"]}/${T["version"]}`;
type KindRefOf<T extends ApiType> = KindRef<ApiVersionText<T>, T["kind"]>;

/** Each kind of the table as a reference for the ClusterClient: `kinds.node`, `{ ...kinds.pod, namespace, name }`. */
export const kinds = Object.fromEntries(
  Object.entries(apiTypes).map(([name, type]) => [name, { apiVersion: apiVersionOf(type), kind: type.kind }]),
) as { readonly [K in ApiTypeName]: KindRefOf<(typeof apiTypes)[K]> };
