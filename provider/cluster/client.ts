import type { LabelSelector } from "../k8s/labels";
import type { KubeObject } from "../k8s/meta";
import type { Clock } from "./clock";

// The one interface the lifecycle handlers and the controllers talk to. Two implementations:
// the Kubernetes API (kubeconfig) and the embedded cluster twin. Handlers cannot tell them apart.

/** Which object (name set) or which kind of object (name unset, for list and watch). */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name?: string;
  namespace?: string;
}

export interface ListOptions {
  labelSelector?: LabelSelector;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface WatchHandle {
  close(): void;
}

/** Something a handler is about to do, for a check of the user's rights before it changes anything. */
export interface AccessNeed {
  /** The RBAC verb: get, list, watch, create, patch, delete. */
  verb: string;
  apiVersion: string;
  kind: string;
  /** For a namespaced kind: the namespace (unset: all namespaces). */
  namespace?: string;
  subresource?: string;
}

export interface ClusterClient {
  /** Where the client points, for messages: "embedded twin at .state/twin.json", "cluster https://... (context x)". */
  readonly description: string;
  /** The time the cluster's objects are written in; virtual for a twin under test. */
  readonly clock: Clock;
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KubeObject = KubeObject>(ref: ObjectRef, options?: ListOptions): Promise<T[]>;
  /** Create or update the object's metadata and spec (server-side apply as our field manager); status is untouched. */
  apply<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T>;
  /** JSON merge patch of metadata/spec. */
  patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T>;
  /** Replace the status subresource. */
  patchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, status: unknown): Promise<T>;
  /** Ask for deletion (finalizers may keep the object with a deletionTimestamp). False when it did not exist. */
  delete(ref: ObjectRef): Promise<boolean>;
  /** Events for objects of ref's kind (only the named one when ref.name is set), from now on. */
  watch(ref: ObjectRef, onEvent: (event: WatchEvent) => void): Promise<WatchHandle>;
  close(): Promise<void>;
  /**
   * Who the cluster takes the client's user for ("user alice"), when it can say: for messages. A real
   * API server is asked once; the call also proves the server is reachable and accepts the credentials.
   */
  identity?(): Promise<string | undefined>;
  /**
   * Throw a Forbidden ClusterError naming every need the user may not do (verb, resource, namespace,
   * identity) and how to grant it. The twin has no RBAC and leaves this out.
   */
  requireAccess?(needs: AccessNeed[], what: string): Promise<void>;
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
  };
}

export function describeRef(ref: ObjectRef): string {
  const name = ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
  return `${ref.kind} ${name ?? "(all)"}`;
}
