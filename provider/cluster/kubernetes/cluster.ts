import type { AccessNeed, ClusterClient, ListOptions, ObjectRef, WatchEvent, WatchHandle } from "../client";
import { wallClock, type Clock } from "../clock";
import type { KubeObject } from "../../k8s/meta";
import { accessDenied, asStatus, describeServer, failed, forbidden, type Refusal, resourceTypeMissing, unauthorized, type Operation } from "./errors";
import { describeIdentity, type Identity, learnIdentity } from "./identity";
import type { LoadedKubeconfig } from "./kubeconfig";
import { collectionPath, objectPath, ResourceTypes, type ResourceType } from "./resources";
import { labelSelectorQuery } from "./selectors";
import { sleep, Transport, type HttpResult, type RequestSpec } from "./transport";
import { ResourceWatch, type ListResult } from "./watch";

// ClusterClient on a real API server. Objects travel as plain JSON (no typed models that would turn
// timestamps into Dates or drop fields of custom resources); every request goes through one Transport,
// which counts them.

export interface KubernetesClusterOptions {
  /** The field manager of server-side apply. */
  fieldManager?: string;
  /** How long a request keeps retrying while the API server cannot be reached. Default 60 s. */
  unreachableLimitMs?: number;
  /** The same for a server that has not answered once yet (a wrong URL, a closed port). Default 10 s. */
  firstContactLimitMs?: number;
  /** A request without an answer for this long counts as a broken connection. Default 30 s. */
  requestTimeoutMs?: number;
  /** How often a watch lists again to catch anything a stuck connection missed. Default 5 min. */
  watchResyncMs?: number;
  /** How many times a write refused with 409 Conflict is tried again. Default 5. */
  conflictRetries?: number;
  /** Where watch troubles (drops, reconnects) are reported; they are otherwise silent. */
  log?: (message: string) => void;
  /** Where a given kubeconfig came from, for messages. Default "the resource's kubeconfig input". */
  kubeconfigSource?: string;
}

export const DEFAULT_FIELD_MANAGER = "pulumi-cluster-runtime";

const ops = {
  get: { verb: "get", doing: "read" },
  list: { verb: "list", doing: "list" },
  watch: { verb: "watch", doing: "watch" },
  apply: { verb: "patch", doing: "apply" },
  patch: { verb: "patch", doing: "patch" },
  patchStatus: { verb: "patch", doing: "write the status of", subresource: "status" },
  delete: { verb: "delete", doing: "delete" },
} satisfies Record<string, Operation>;

/** Metadata the server owns; sending it with an apply would be refused or act as a precondition. */
const SERVER_OWNED_METADATA = ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"];

/** What `send` makes of a 404 that names the object: it is simply not there. */
const ABSENT = Symbol("absent");

export class KubernetesCluster implements ClusterClient {
  readonly description: string;
  readonly clock: Clock = wallClock;
  private readonly transport: Transport;
  private readonly types: ResourceTypes;
  private readonly watches = new Set<ResourceWatch>();
  private readonly fieldManager: string;
  private readonly unreachableLimitMs: number;

  constructor(
    readonly kubeconfig: LoadedKubeconfig,
    private readonly options: KubernetesClusterOptions = {},
  ) {
    this.unreachableLimitMs = options.unreachableLimitMs ?? 60_000;
    this.transport = new Transport(kubeconfig, {
      unreachableLimitMs: this.unreachableLimitMs,
      ...(options.firstContactLimitMs !== undefined ? { firstContactLimitMs: options.firstContactLimitMs } : {}),
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    });
    this.types = new ResourceTypes(this.transport, kubeconfig);
    this.fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
    this.description = describeServer(kubeconfig);
  }

  /** How many times a watch had to list again because the server had forgotten its resourceVersion (410 Gone). */
  relists = 0;

  /** API requests sent so far (retries and watch connections included). */
  get requestCount(): number {
    return this.transport.requestCount;
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const type = await this.typeOf(ref);
    const found = await this.send(ops.get, ref, type, { method: "GET", path: objectPath(type, nameOf(ref), ref.namespace) });
    return found === ABSENT ? undefined : (found as T);
  }

  async list<T extends KubeObject = KubeObject>(ref: ObjectRef, options?: ListOptions): Promise<T[]> {
    return (await this.listWithVersion(ref, await this.typeOf(ref), options)).objects as T[];
  }

  async apply<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    const ref: ObjectRef = { apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace };
    const type = await this.typeOf(ref);
    const { status: _status, ...rest } = object;
    const metadata: Record<string, unknown> = { ...object.metadata };
    for (const field of SERVER_OWNED_METADATA) delete metadata[field];
    if (type.namespaced) metadata.namespace ??= "default";
    else delete metadata.namespace;
    const spec: RequestSpec = {
      method: "PATCH",
      path: objectPath(type, nameOf(ref), ref.namespace),
      query: { fieldManager: this.fieldManager, force: true },
      contentType: "application/apply-patch+yaml", // JSON is YAML
      body: { ...rest, metadata },
    };
    return (await this.sendExisting(ops.apply, ref, type, spec)) as T;
  }

  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T> {
    const type = await this.typeOf(ref);
    const spec: RequestSpec = { method: "PATCH", path: objectPath(type, nameOf(ref), ref.namespace), contentType: "application/merge-patch+json", body: patch };
    return (await this.sendExisting(ops.patch, ref, type, spec)) as T;
  }

  async patchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, status: unknown): Promise<T> {
    const type = await this.typeOf(ref);
    // A JSON patch "add" of /status replaces the whole status (a merge patch would keep lists that are gone).
    const spec: RequestSpec = {
      method: "PATCH",
      path: objectPath(type, nameOf(ref), ref.namespace, "status"),
      contentType: "application/json-patch+json",
      body: [{ op: "add", path: "/status", value: status ?? {} }],
    };
    return (await this.sendExisting(ops.patchStatus, ref, type, spec)) as T;
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    const type = await this.typeOf(ref);
    const result = await this.send(ops.delete, ref, type, { method: "DELETE", path: objectPath(type, nameOf(ref), ref.namespace) });
    return result !== ABSENT;
  }

  async watch(ref: ObjectRef, onEvent: (event: WatchEvent) => void): Promise<WatchHandle> {
    return this.startWatch(ref, onEvent);
  }

  /**
   * A watch that starts from a given state instead of a fresh list, and may resync more often: for
   * tests of the relist path, which emits the difference between that state and the server's.
   */
  watchFrom(ref: ObjectRef, initial: ListResult, onEvent: (event: WatchEvent) => void, options: { resyncMs?: number } = {}): Promise<WatchHandle> {
    return this.startWatch(ref, onEvent, initial, options.resyncMs);
  }

  private async startWatch(ref: ObjectRef, onEvent: (event: WatchEvent) => void, initial?: ListResult, resyncMs?: number): Promise<WatchHandle> {
    const type = await this.typeOf(ref);
    const watch = new ResourceWatch({
      transport: this.transport,
      request: { method: "GET", path: collectionPath(type, ref.namespace), query: selectorQuery(ref) },
      list: () => this.listWithVersion(ref, type),
      onEvent,
      resyncMs: resyncMs ?? this.options.watchResyncMs ?? 300_000,
      log: this.options.log,
      onRelist: () => this.relists++,
      initial,
    });
    await watch.start();
    this.watches.add(watch);
    return {
      close: () => {
        watch.close();
        this.watches.delete(watch);
      },
    };
  }

  private who: Promise<Identity | undefined> | undefined;

  /** Who the API server takes the kubeconfig's user for; asked once. Throws when the server cannot be reached or refuses the credentials. */
  async identity(): Promise<string | undefined> {
    const who = await this.whoAmI();
    return who ? describeIdentity(who) : undefined;
  }

  private whoAmI(): Promise<Identity | undefined> {
    if (!this.who) {
      this.who = learnIdentity(this.transport, this.kubeconfig);
      this.who.catch(() => (this.who = undefined)); // asked again next time
    }
    return this.who;
  }

  /**
   * Ask the API server (SelfSubjectAccessReview, which every authenticated user may) whether the user
   * may do each of `needs`; throw one Forbidden error naming all that it may not, before anything changes.
   */
  async requireAccess(needs: AccessNeed[], what: string): Promise<void> {
    const reviews = await Promise.all(
      needs.map(async (need): Promise<Refusal | undefined> => {
        const type = await this.typeOf(need);
        const namespace = type.namespaced ? need.namespace : undefined;
        const { status, body } = await this.transport.request({
          method: "POST",
          path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
          body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SelfSubjectAccessReview",
            spec: { resourceAttributes: { verb: need.verb, group: type.group, resource: type.plural, ...(need.subresource ? { subresource: need.subresource } : {}), ...(namespace ? { namespace } : {}) } },
          },
        });
        if (status === 401) throw unauthorized(this.kubeconfig, undefined, body);
        // A server that cannot review (an old one, a review refused) decides at the request itself.
        if (status < 200 || status >= 300) return undefined;
        const allowed = (body as { status?: { allowed?: boolean } } | undefined)?.status?.allowed;
        return allowed === false ? { verb: need.verb, type, ...(need.subresource ? { subresource: need.subresource } : {}), ...(namespace ? { namespace } : {}) } : undefined;
      }),
    );
    const refused = reviews.filter((r): r is Refusal => r !== undefined);
    if (refused.length > 0) throw accessDenied(what, refused, this.kubeconfig, await this.whoAmI().catch(() => undefined));
  }

  async close(): Promise<void> {
    for (const watch of this.watches) watch.close();
    this.watches.clear();
    this.transport.close();
  }

  /** A list with its resourceVersion (what a watch resumes from). */
  async listWithVersion(ref: ObjectRef, type: ResourceType, options?: ListOptions): Promise<ListResult> {
    const query = selectorQuery(ref, labelSelectorQuery(options?.labelSelector));
    const body = (await this.send(ops.list, ref, type, { method: "GET", path: collectionPath(type, ref.namespace), query })) as {
      items?: KubeObject[];
      metadata?: { resourceVersion?: string };
    };
    // Items of built-in lists come without apiVersion and kind.
    const objects = (body.items ?? []).map((item) => ({ ...item, apiVersion: item.apiVersion ?? ref.apiVersion, kind: item.kind ?? ref.kind }));
    return { objects, resourceVersion: body.metadata?.resourceVersion ?? "" };
  }

  private typeOf(ref: ObjectRef): Promise<ResourceType> {
    return this.types.resolve(ref.apiVersion, ref.kind);
  }

  /** `send` for writes: a 404 there means the object is gone, which is an error. */
  private async sendExisting(operation: Operation, ref: ObjectRef, type: ResourceType, spec: RequestSpec): Promise<unknown> {
    const result = await this.send(operation, ref, type, spec);
    if (result === ABSENT) throw failed(operation, ref, this.kubeconfig, 404, { message: `${ref.kind} ${nameOf(ref)} not found` });
    return result;
  }

  /**
   * One API call with the retries a caller should not see: 409 Conflict (bounded), and a 404 of the
   * resource type while the server is still starting. Answers the body, ABSENT for a missing object,
   * or throws a message that names the object, the cluster and the fix.
   */
  private async send(operation: Operation, ref: ObjectRef, type: ResourceType, spec: RequestSpec): Promise<unknown> {
    const conflictRetries = this.options.conflictRetries ?? 5;
    const started = Date.now();
    for (let attempt = 0; ; attempt++) {
      const { status, body } = await this.transport.request(spec);
      if (status >= 200 && status < 300) return body;
      const reason = asStatus(body).reason;
      if (status === 409 && reason !== "AlreadyExists" && attempt < conflictRetries) {
        await sleep(50 * 2 ** attempt + Math.random() * 50);
        continue;
      }
      if (status === 404) {
        if (namesObject(body, ref, type)) return ABSENT;
        if (await this.typeMissing(type, started)) throw resourceTypeMissing(type, this.kubeconfig, ref);
        // Served after all: the server was starting, or the CRD has just been established. Anything
        // else (a namespace that does not exist) is the server's own answer.
        if (attempt < 3) {
          await sleep(300);
          continue;
        }
      }
      throw await this.refusal(operation, ref, type, { status, body });
    }
  }

  /** A 404 that does not name the object: is the CRD really missing, or is the server still starting? */
  private async typeMissing(type: ResourceType, started: number): Promise<boolean> {
    for (;;) {
      // /readyz fails with 500 while the server starts; any other answer (even 403) lets discovery decide.
      const { status } = await this.transport.request({ method: "GET", path: "/readyz" });
      const starting = status >= 500 && Date.now() - started < this.unreachableLimitMs;
      if (!starting) return !(await this.types.served(type));
      await sleep(500);
    }
  }

  private async refusal(operation: Operation, ref: ObjectRef, type: ResourceType, result: HttpResult): Promise<Error> {
    if (result.status === 401) return unauthorized(this.kubeconfig, ref, result.body);
    if (result.status === 403) return forbidden(operation, type, ref, this.kubeconfig, result.body, await this.whoAmI().catch(() => undefined));
    return failed(operation, ref, this.kubeconfig, result.status, result.body);
  }
}

function nameOf(ref: ObjectRef): string {
  if (!ref.name) throw new Error(`${ref.kind}: a name is needed for this call`);
  return ref.name;
}

/** A NotFound Status about this very object (not "the server could not find the requested resource"). */
function namesObject(body: unknown, ref: ObjectRef, type: ResourceType): boolean {
  const { reason, details } = asStatus(body);
  return reason === "NotFound" && ref.name !== undefined && details?.name === ref.name && (!details.kind || details.kind === type.plural);
}

function selectorQuery(ref: ObjectRef, labelSelector?: string): Record<string, string | undefined> {
  return {
    ...(ref.name ? { fieldSelector: `metadata.name=${ref.name}` } : {}),
    ...(labelSelector ? { labelSelector } : {}),
  };
}
