import { describeRef, type ObjectRef } from "../client";
import { ClusterError, type ClusterErrorCode } from "../errors";
import { formatGoDuration } from "../../k8s/duration";
import { describeIdentity, type Identity, parseRefusal, subjectFlag } from "./identity";
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

/** One refused right: a verb on a resource type, in a namespace (or all, or the cluster scope). */
export interface Refusal {
  verb: string;
  type: Pick<ResourceType, "group" | "plural" | "namespaced">;
  subresource?: string;
  /** For a namespaced type: the namespace; unset means all namespaces. */
  namespace?: string;
}

/** A 403 in the middle of an operation: which verb on what was refused, for whom, and how to grant it. */
export function forbidden(operation: Operation, type: ResourceType, ref: ObjectRef, kubeconfig: LoadedKubeconfig, body: unknown, who?: Identity): ClusterError {
  const said = asStatus(body).message;
  // The server names the verb it checked: an apply that creates the object is refused as "create".
  const parsed = parseRefusal(said);
  const identity = who ?? (parsed.username ? { username: parsed.username, groups: [], source: "the API server" } : undefined);
  const refusal: Refusal = { verb: parsed.verb ?? operation.verb, type, ...(operation.subresource ? { subresource: operation.subresource } : {}), ...(type.namespaced && ref.namespace ? { namespace: ref.namespace } : {}) };
  return new ClusterError(
    "Forbidden",
    `${describeTarget(ref)}: ${describeIdentity(identity)} may not ${describeRefusal(refusal)} on ${describeServer(kubeconfig)} ` +
      `(the API server said: ${said ?? "forbidden"}). ${howToGrant([refusal], identity)}`,
    ref,
  );
}

/** The rights a handler needs and the user lacks, found before anything was changed. */
export function accessDenied(what: string, refusals: Refusal[], kubeconfig: LoadedKubeconfig, who: Identity | undefined): ClusterError {
  return new ClusterError(
    "Forbidden",
    `${what}: nothing was changed: ${describeIdentity(who)} may not ${refusals.map(describeRefusal).join(", nor ")} on ${describeServer(kubeconfig)}. ` +
      howToGrant(refusals, who),
  );
}

/** "create kataconfigs (API group kataconfiguration.openshift.io) at the cluster scope" */
export function describeRefusal(refusal: Refusal): string {
  const { type } = refusal;
  const resource = type.plural + (refusal.subresource ? `/${refusal.subresource}` : "");
  const group = type.group ? `API group ${type.group}` : "core API group";
  const scope = !type.namespaced ? "at the cluster scope" : refusal.namespace ? `in namespace ${refusal.namespace}` : "in all namespaces";
  return `${refusal.verb} ${resource} (${group}) ${scope}`;
}

/** kubectl commands a cluster admin can run to grant the refused rights, one role per resource and scope. */
export function howToGrant(refusals: Refusal[], who: Identity | undefined): string {
  const roles = new Map<string, { resource: string; namespace?: string; verbs: Set<string> }>();
  for (const r of refusals) {
    const resource = `${r.type.plural}${r.type.group ? `.${r.type.group}` : ""}${r.subresource ? `/${r.subresource}` : ""}`;
    const namespace = r.type.namespaced ? r.namespace : undefined;
    const key = `${namespace ?? ""}|${resource}`;
    const role = roles.get(key) ?? { resource, ...(namespace ? { namespace } : {}), verbs: new Set<string>() };
    role.verbs.add(r.verb);
    roles.set(key, role);
  }
  const subject = subjectFlag(who);
  const commands = [...roles.values()].flatMap(({ resource, namespace, verbs }) => {
    const name = `pulumi-cluster-runtime-${resource.split(/[./]/)[0]}`;
    const verbList = [...verbs].sort().join(",");
    return namespace
      ? [`kubectl create role ${name} -n ${namespace} --verb=${verbList} --resource=${resource}`, `kubectl create rolebinding ${name} -n ${namespace} --role=${name} ${subject}`]
      : [`kubectl create clusterrole ${name} --verb=${verbList} --resource=${resource}`, `kubectl create clusterrolebinding ${name} --clusterrole=${name} ${subject}`];
  });
  return `Fix: have a cluster admin grant ${refusals.length > 1 ? "them" : "it"} (${commands.join("; ")}), ` +
    `or use a kubeconfig (cluster.kubeconfig / cluster.context) whose user has ${refusals.length > 1 ? "them" : "it"}`;
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

export function unreachable(kubeconfig: LoadedKubeconfig, limitMs: number, cause: unknown, neverAnswered = false): ClusterError {
  const code = (cause as NodeJS.ErrnoException).code;
  const why = code ? `${code}${connectionWords[code] ? `: ${connectionWords[code]}` : ""}` : (cause as Error).message;
  const tried = neverAnswered ? `did not answer in ${formatGoDuration(limitMs)} of trying` : `could not be reached for ${formatGoDuration(limitMs)}`;
  return new ClusterError(
    "Unreachable",
    `the Kubernetes API server of ${describeServer(kubeconfig)} ${tried} (${why}): ` +
      `check that the cluster is running and that the kubeconfig's server URL is right and reachable from here (VPN, firewall, proxy), then run again`,
    undefined,
    { cause },
  );
}

const connectionWords: Record<string, string> = {
  ECONNREFUSED: "nothing listens on that port",
  ETIMEDOUT: "no answer",
  EHOSTUNREACH: "no route to the host",
  ENETUNREACH: "no route to the network",
  ECONNRESET: "the connection was reset",
};

/** What Node says when the server's certificate does not verify, in the user's terms. */
const tlsWords: Record<string, string> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the server's certificate is not signed by the kubeconfig's certificate authority",
  UNABLE_TO_GET_ISSUER_CERT: "the server's certificate is not signed by the kubeconfig's certificate authority",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "the server's certificate is not signed by the kubeconfig's certificate authority",
  SELF_SIGNED_CERT_IN_CHAIN: "the server's certificate chain ends in a certificate authority the kubeconfig does not trust",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed and not the kubeconfig's certificate authority",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  CERT_NOT_YET_VALID: "the server's certificate is not valid yet (check this machine's clock)",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate is for another host name",
  CERT_SIGNATURE_FAILURE: "the server's certificate signature does not verify",
};

/**
 * A request that failed without an HTTP answer and is not worth retrying: the TLS handshake (a wrong
 * CA, an expired or foreign certificate), a host name that does not resolve, a URL that is not one.
 * Names the server and the cause; Node's message is kept short and carries no credentials.
 */
export function connectionFailure(kubeconfig: LoadedKubeconfig, cause: unknown): ClusterError {
  const code = (cause as NodeJS.ErrnoException).code ?? "";
  const message = ((cause as Error).message ?? String(cause)).split("\n")[0]!.slice(0, 200);
  const server = describeServer(kubeconfig);
  if (tlsWords[code] || /^ERR_SSL_|^ERR_TLS_|^EPROTO$/.test(code) || /certificate|SSL|TLS/i.test(message)) {
    const why = tlsWords[code] ?? message;
    return new ClusterError(
      "Unreachable",
      `the TLS handshake with the Kubernetes API server of ${server} failed: ${why} (${code || message}). ` +
        `The kubeconfig's certificate-authority-data (or certificate-authority file) must be the CA of this cluster: ` +
        `get a fresh kubeconfig for it, or check that the server URL is the cluster you meant; nothing was sent to the server`,
      undefined,
      { cause },
    );
  }
  if (code === "ENOTFOUND") {
    return new ClusterError("Unreachable", `the host name of the Kubernetes API server of ${server} does not resolve (ENOTFOUND): check the kubeconfig's server URL and this machine's DNS`, undefined, { cause });
  }
  return new ClusterError("Unreachable", `the request to the Kubernetes API server of ${server} failed before any answer (${code || message}): check the kubeconfig (server URL, credentials, exec plugin) and run again`, undefined, { cause });
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
