import type { ClusterClient, ListOptions, ObjectRef, WatchHandle } from "../client";
import type { Clock } from "../clock";
import type { KubeObject } from "../../k8s/meta";
import type { ObjectStore } from "./store";

// The ClusterClient a controller gets inside a twin transaction: straight onto the store, with no
// lock and no queue (the transaction already holds both). So the same controller code runs in the
// twin and, with a real client, against an API server.

export class StoreClient implements ClusterClient {
  readonly clock: Clock;

  constructor(
    private readonly store: ObjectStore,
    now: () => Date,
    readonly description = "embedded twin (inside a controller)",
  ) {
    this.clock = {
      now,
      sleep: () =>
        Promise.reject(new Error("a controller cannot sleep inside the embedded twin: return wakeAt and it runs again at that time")),
    };
  }

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    return this.store.peek<T>(ref);
  }

  async list<T extends KubeObject = KubeObject>(ref: ObjectRef, options?: ListOptions): Promise<T[]> {
    return this.store.peekList<T>(ref, options);
  }

  async apply<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    return this.store.apply<T>(object);
  }

  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T> {
    return this.store.patch<T>(ref, patch);
  }

  async patchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, status: unknown): Promise<T> {
    return this.store.patchStatus<T>(ref, status);
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    return this.store.delete(ref);
  }

  async watch(): Promise<WatchHandle> {
    throw new Error("a controller does not watch inside the embedded twin: it runs after every change, and at the wakeAt it returns");
  }

  async close(): Promise<void> {}
}
