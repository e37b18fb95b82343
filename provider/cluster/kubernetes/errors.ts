import { describeRef, type ObjectRef } from "../client";
import { ClusterError, type ClusterErrorCode } from "../errors";
import { formatGoDuration } from "../../k8s/duration";
import type { LoadedKubeconfig } from "./kubeconfig";
import type { ResourceType } from "./resources";

// API errors as messages that say what happened, to which object, on which cluster, and what to do,
// in the one error model both backends share (ClusterError, codes after the API server's reasons).

/** The parts of a metav1.Status answer we read. */
export interface ApiStatus {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ message?: string; field?: string }> };
}

export function asStatus(body: unknown): ApiStatus {
  return typeof body === "object" && body !== null ? (body as ApiStatus) : { message: typeof body === "string" ? body.slice(0, 300) : undefined };
}

/** What the operator would have to be allowed, for RBAC messages: "patch", "kataconfigs/status". */
export interface Operation {
  /** The RBAC verb: get, list, watch, patch, delete, create. */
  verb: string;
  /** Our word for it in messages: "apply", "patch the status of". */
  doing: string;
  subresource?: string;
}

export function forbidden(operation: Operation, type: ResourceType, ref: ObjectRef, kubeconfig: LoadedKubeconfig, body: unknown): ClusterError {
  const resource = type.plural + (operation.subresource ? `/${operation.subresource}` : "");
  const group = type.group || '"" (core)';
  const scope = type.namespaced && ref.namespace ? `in namespace ${ref.namespace}` : type.namespaced ? "in all namespaces" : "at the cluster scope";
  const role = type.namespaced && ref.namespace ? "a Role in that namespace (or a ClusterRole)" : "a ClusterRole";
  return new ClusterError(
    "Forbidden",
    `${describeTarget(ref)}: the kubeconfig's user may not ${operation.verb} ${resource} ${scope} on ${describeServer(kubeconfig)} ` +
      `(the API server said: ${asStatus(body).message ?? "forbidden"}). ` +
      `Fix: bind ${role} that allows verb "${operation.verb}" on resource "${resource}" in API group ${group} to that user, ` +
      `or use a kubeconfig (cluster.kubeconfig / cluster.context) whose user has it`,
    ref,
  );
}

/** Why a resource type is missing, by API group: which operator or provider would have installed its CRD. */
const installedBy: Record<string, string> = {
  "kataconfiguration.openshift.io": "the OpenShift sandboxed containers operator is missing: install it (OperatorHub: OpenShift sandboxed containers Operator) first",
  "machineconfiguration.openshift.io": "the Machine Config Operator is missing: KataConfig needs an OpenShift cluster",
  "cluster.x-k8s.io": "Cluster API is missing: point the resource at a Cluster API management cluster (one where `clusterctl init` ran)",
  "controlplane.cluster.x-k8s.io": "Cluster API's kubeadm control plane provider is missing (`clusterctl init --control-plane kubeadm`)",
};

export function resourceTypeMissing(type: Pick<ResourceType, "group" | "version" | "kind" | "plural">, kubeconfig: LoadedKubeconfig, ref?: ObjectRef): ClusterError {
  // The plural is known for the kinds of our table; for others discovery found nothing to name.
  const crd = type.plural ? `${type.plural}.${type.group}, version ${type.version}` : `API group ${type.group}, version ${type.version}`;
  const why = installedBy[type.group] ?? `install the CustomResourceDefinition that serves ${type.kind} in ${type.group}/${type.version}`;
  const what = type.group ? `the ${type.kind} CRD (${crd})` : `the core kind ${type.kind} (${type.version})`;
  return new ClusterError("ResourceTypeMissing", `${what} is not installed on ${describeServer(kubeconfig)}: ${why}`, ref);
}

export function unauthorized(kubeconfig: LoadedKubeconfig, ref: ObjectRef | undefined, body: unknown): ClusterError {
  return new ClusterError(
    "Unauthorized",
    `${describeServer(kubeconfig)} did not accept the credentials of the kubeconfig from ${kubeconfig.source} ` +
      `(${asStatus(body).message ?? "401 Unauthorized"}): the token or client certificate has expired or belongs to another cluster; refresh the kubeconfig`,
    ref,
  );
}

export function unreachable(kubeconfig: LoadedKubeconfig, limitMs: number, cause: unknown): ClusterError {
  const why = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
  return new ClusterError(
    "Unreachable",
    `the Kubernetes API server of ${describeServer(kubeconfig)} could not be reached for ${formatGoDuration(limitMs)} (${why}): ` +
      `check that the cluster is running and reachable from here (VPN, firewall, proxy), then run again`,
    undefined,
    { cause },
  );
}

/** Any other refusal: the server's own words, with the object and the operation. */
export function failed(operation: Operation, ref: ObjectRef, kubeconfig: LoadedKubeconfig, status: number, body: unknown): ClusterError {
  const s = asStatus(body);
  const code: ClusterErrorCode =
    s.reason === "AlreadyExists" ? "AlreadyExists" : status === 409 ? "Conflict" : status === 422 || s.reason === "Invalid" ? "Invalid" : status === 404 ? "NotFound" : "Failed";
  const causes = (s.details?.causes ?? []).map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).filter(Boolean);
  const detail = causes.length > 0 && !s.message?.includes(causes[0] ?? "") ? ` (${causes.join("; ")})` : "";
  return new ClusterError(
    code,
    `cannot ${operation.doing} ${describeTarget(ref)} on ${describeServer(kubeconfig)}: ${s.message ?? `HTTP ${status}`}${detail}`,
    ref,
    { status },
  );
}

/** "KataConfig example", or "Pod objects in namespace default" for a list or watch. */
export function describeTarget(ref: ObjectRef): string {
  if (ref.name) return describeRef(ref);
  return `${ref.kind} objects${ref.namespace ? ` in namespace ${ref.namespace}` : ""}`;
}

export function describeServer(kubeconfig: LoadedKubeconfig): string {
  return `cluster ${kubeconfig.server} (context ${kubeconfig.context})`;
}
