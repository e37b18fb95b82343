import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../provider/k8s/meta";
import { ClusterError, isClusterError } from "../../provider/cluster/errors";
import { immutableList } from "../../provider/cluster/immutable";
import { ObjectStore, type StoreEvent } from "../../provider/cluster/twin/store";

const start = new Date("2025-01-01T00:00:00Z");

function newStore(now = start) {
  let time = now;
  const store = new ObjectStore(() => time);
  return { store, setTime: (t: Date) => (time = t) };
}

const configMapRef = { apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "settings" };
const configMap = (data: Record<string, string>, meta: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace: "default", ...meta },
  data,
});

const widget = (name: string, spec: unknown, meta: Partial<KubeObject["metadata"]> = {}): KubeObject => ({
  apiVersion: "example.dev/v1",
  kind: "Widget",
  metadata: { name, ...meta },
  spec,
});
const widgetRef = (name: string) => ({ apiVersion: "example.dev/v1", kind: "Widget", name });

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ClusterError) return error.code;
    throw error;
  }
  return undefined;
}

describe("object store: create and read", () => {
  it("sets uid, creationTimestamp from its clock, generation 1 and a string resourceVersion", () => {
    const { store } = newStore(new Date("2025-01-01T10:20:30.750Z"));
    const created = store.apply(configMap({ a: "1" }));
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.creationTimestamp).toBe("2025-01-01T10:20:30Z");
    expect(created.metadata.generation).toBe(1);
    expect(created.metadata.resourceVersion).toBe("1");
    expect(store.get(configMapRef)).toEqual(created);
  });

  it("get returns undefined for an absent object and copies that do not alias the store", () => {
    const { store } = newStore();
    expect(store.get(configMapRef)).toBeUndefined();
    store.apply(configMap({ a: "1" }));
    const copy = store.get(configMapRef)!;
    (copy.data as Record<string, string>).a = "changed";
    expect(store.get(configMapRef)!.data).toEqual({ a: "1" });
  });

  it("ignores status and server-owned metadata given on create", () => {
    const { store } = newStore();
    const created = store.apply({
      ...widget("w", { size: 1 }, { uid: "mine", generation: 7, creationTimestamp: "2000-01-01T00:00:00Z" }),
      status: { phase: "Ready" },
    });
    expect(created.status).toBeUndefined();
    expect(created.metadata.uid).not.toBe("mine");
    expect(created.metadata.generation).toBe(1);
    expect(created.metadata.creationTimestamp).toBe("2025-01-01T00:00:00Z");
  });

  it("create refuses an existing object with AlreadyExists naming it", () => {
    const { store } = newStore();
    store.create(configMap({}));
    expect(() => store.create(configMap({}))).toThrow("ConfigMap default/settings already exists");
    expect(codeOf(() => store.create(configMap({})))).toBe("AlreadyExists");
  });

  it("refuses invalid names and labels with Invalid naming the object and field", () => {
    const { store } = newStore();
    expect(codeOf(() => store.apply(widget("Not_A_Name", {})))).toBe("Invalid");
    expect(() => store.apply(widget("ok", {}, { labels: { "bad key!": "x" } }))).toThrow(/Widget ok is invalid: metadata\.labels\["bad key!"\]/);
  });

  it("keys objects by apiVersion, kind, namespace and name", () => {
    const { store } = newStore();
    store.apply(configMap({ a: "1" }));
    store.apply(configMap({ a: "2" }, { namespace: "other" }));
    store.apply({ ...configMap({ a: "3" }), kind: "Secret" });
    expect(store.get(configMapRef)!.data).toEqual({ a: "1" });
    expect(store.get({ ...configMapRef, namespace: "other" })!.data).toEqual({ a: "2" });
    expect(store.size).toBe(3);
  });
});

describe("object store: updates", () => {
  it("moves resourceVersion on every change and leaves it on a no-op", () => {
    const { store } = newStore();
    const a = store.apply(widget("w", { size: 1 }));
    const b = store.apply(widget("w", { size: 2 }));
    const c = store.apply(widget("w", { size: 2 }));
    expect(Number(b.metadata.resourceVersion)).toBeGreaterThan(Number(a.metadata.resourceVersion));
    expect(c.metadata.resourceVersion).toBe(b.metadata.resourceVersion);
    expect(store.resourceVersion).toBe(2);
  });

  it("bumps generation only when something outside metadata and status changes", () => {
    const { store } = newStore();
    store.apply(widget("w", { size: 1 }));
    expect(store.apply(widget("w", { size: 1 }, { labels: { team: "a" } })).metadata.generation).toBe(1);
    expect(store.patch(widgetRef("w"), { metadata: { annotations: { note: "x" } } }).metadata.generation).toBe(1);
    expect(store.patchStatus(widgetRef("w"), { phase: "Ready" }).metadata.generation).toBe(1);
    expect(store.apply(widget("w", { size: 2 })).metadata.generation).toBe(2);
    expect(store.patch(widgetRef("w"), { spec: { size: 3 } }).metadata.generation).toBe(3);
    expect(store.apply({ ...widget("w", { size: 3 }), extra: true }).metadata.generation).toBe(4);
  });

  it("apply merges labels and annotations, replaces the other fields, keeps status", () => {
    const { store } = newStore();
    store.apply(widget("w", { size: 1, color: "red" }, { labels: { a: "1", b: "1" }, annotations: { x: "1" } }));
    store.patchStatus(widgetRef("w"), { phase: "Ready" });
    const updated = store.apply(widget("w", { size: 2 }, { labels: { b: "2", c: "2" } }));
    expect(updated.metadata.labels).toEqual({ a: "1", b: "2", c: "2" });
    expect(updated.metadata.annotations).toEqual({ x: "1" });
    expect(updated.spec).toEqual({ size: 2 });
    expect(updated.status).toEqual({ phase: "Ready" });
  });

  it("apply with a stale resourceVersion is a Conflict", () => {
    const { store } = newStore();
    const first = store.apply(widget("w", { size: 1 }));
    store.apply(widget("w", { size: 2 }));
    const stale = widget("w", { size: 3 }, { resourceVersion: first.metadata.resourceVersion });
    expect(codeOf(() => store.apply(stale))).toBe("Conflict");
    expect(() => store.apply(stale)).toThrow(/Widget w was modified/);
  });

  it("patch is a JSON merge patch: objects merge, null deletes, arrays replace", () => {
    const { store } = newStore();
    store.apply(widget("w", { size: 1, color: "red", tags: ["a", "b"], nested: { x: 1, y: 2 } }, { labels: { a: "1", b: "1" } }));
    const patched = store.patch(widgetRef("w"), {
      metadata: { labels: { a: null, c: "3" } },
      spec: { color: null, tags: ["z"], nested: { y: null, z: 3 } },
    });
    expect(patched.metadata.labels).toEqual({ b: "1", c: "3" });
    expect(patched.spec).toEqual({ size: 1, tags: ["z"], nested: { x: 1, z: 3 } });
  });

  it("patch refuses status, renames and absent objects", () => {
    const { store } = newStore();
    store.apply(widget("w", {}));
    expect(() => store.patch(widgetRef("w"), { status: { phase: "x" } })).toThrow(/status is a subresource/);
    expect(codeOf(() => store.patch(widgetRef("w"), { metadata: { name: "other" } }))).toBe("Invalid");
    expect(codeOf(() => store.patch(widgetRef("nope"), { spec: {} }))).toBe("NotFound");
    expect(() => store.patch(widgetRef("nope"), { spec: {} })).toThrow("Widget nope not found");
  });

  it("patch checks the metadata it touches, with the field's path", () => {
    const { store } = newStore();
    store.apply(widget("w", {}, { labels: { a: "1" } }));
    expect(() => store.patch(widgetRef("w"), { metadata: { labels: { "bad key!": "x" } } })).toThrow(/Widget w is invalid: metadata\.labels\["bad key!"\]/);
    expect(() => store.patch(widgetRef("w"), { metadata: { finalizers: [""] } })).toThrow(/metadata\.finalizers\[0\]/);
    expect(() => store.patch(widgetRef("w"), { metadata: { annotations: { note: 1 } } })).toThrow(/metadata\.annotations/);
    expect(store.patch(widgetRef("w"), { metadata: { annotations: { note: "ok" } }, spec: { size: 2 } }).metadata).toMatchObject({ labels: { a: "1" }, annotations: { note: "ok" } });
  });

  it("keeps what a write hands it that is already immutable, copies and freezes the rest", () => {
    const { store } = newStore();
    store.apply(widget("w", { size: 1 }));
    const names = immutableList(["node-a", "node-b"]);
    const mutable = { phase: "A" };
    const written = store.patchStatus(widgetRef("w"), { names, detail: mutable });
    const stored = store.peek(widgetRef("w"))!.status as { names: readonly string[]; detail: { phase: string } };
    expect(stored.names).toBe(names);
    expect(stored.detail).not.toBe(mutable);
    mutable.phase = "changed";
    expect(stored.detail.phase).toBe("A");
    expect(Object.isFrozen(stored.detail)).toBe(true);
    expect(written).toBe(store.peek(widgetRef("w")));
    // The same status again is no change; the unchanged spec of a patched object is the stored one.
    expect(store.patchStatus(widgetRef("w"), { names, detail: { phase: "A" } }).metadata.resourceVersion).toBe(written.metadata.resourceVersion);
    const patched = store.patch(widgetRef("w"), { metadata: { annotations: { note: "x" } } });
    expect(patched.spec).toBe(written.spec);
    expect(patched.status).toBe(written.status);
  });

  it("patchStatus replaces only status, and NotFound for absent objects", () => {
    const { store } = newStore();
    store.apply(widget("w", { size: 1 }));
    store.patchStatus(widgetRef("w"), { phase: "A", extra: 1 });
    const after = store.patchStatus(widgetRef("w"), { phase: "B" });
    expect(after.status).toEqual({ phase: "B" });
    expect(after.spec).toEqual({ size: 1 });
    expect(codeOf(() => store.patchStatus(widgetRef("nope"), {}))).toBe("NotFound");
  });
});

describe("object store: deletion", () => {
  it("removes an object without finalizers and says whether it existed", () => {
    const { store } = newStore();
    store.apply(widget("w", {}));
    expect(store.delete(widgetRef("w"))).toBe(true);
    expect(store.get(widgetRef("w"))).toBeUndefined();
    expect(store.delete(widgetRef("w"))).toBe(false);
  });

  it("keeps an object with finalizers, sets deletionTimestamp once, removes it when they are emptied", () => {
    const { store, setTime } = newStore();
    store.apply(widget("w", {}, { finalizers: ["example.dev/cleanup", "example.dev/other"] }));
    setTime(new Date("2025-01-01T00:05:00Z"));
    expect(store.delete(widgetRef("w"))).toBe(true);
    const deleting = store.get(widgetRef("w"))!;
    expect(deleting.metadata.deletionTimestamp).toBe("2025-01-01T00:05:00Z");
    setTime(new Date("2025-01-01T00:09:00Z"));
    store.delete(widgetRef("w"));
    expect(store.get(widgetRef("w"))!.metadata.deletionTimestamp).toBe("2025-01-01T00:05:00Z");
    store.patch(widgetRef("w"), { metadata: { finalizers: ["example.dev/other"] } });
    expect(store.get(widgetRef("w"))).toBeDefined();
    store.apply(widget("w", {}, { finalizers: [] }));
    expect(store.get(widgetRef("w"))).toBeUndefined();
  });

  it("forbids adding finalizers to an object being deleted", () => {
    const { store } = newStore();
    store.apply(widget("w", {}, { finalizers: ["a"] }));
    store.delete(widgetRef("w"));
    expect(codeOf(() => store.patch(widgetRef("w"), { metadata: { finalizers: ["a", "b"] } }))).toBe("Forbidden");
    expect(() => store.apply(widget("w", {}, { finalizers: ["b"] }))).toThrow(/Widget w is being deleted .*no new finalizers can be added \(b\)/);
    expect(store.patchStatus(widgetRef("w"), { phase: "Terminating" }).status).toEqual({ phase: "Terminating" });
  });

  it("collects dependents through ownerReferences, recursively, honouring their finalizers", () => {
    const { store } = newStore();
    const owner = store.apply(widget("owner", {}));
    const ownedBy = (o: KubeObject) => [{ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name!, uid: o.metadata.uid! }];
    const child = store.apply(widget("child", {}, { ownerReferences: ownedBy(owner) }));
    store.apply(widget("grandchild", {}, { ownerReferences: ownedBy(child) }));
    store.apply(widget("guarded", {}, { ownerReferences: ownedBy(owner), finalizers: ["example.dev/keep"] }));
    store.apply(widget("unrelated", {}));

    store.delete(widgetRef("owner"));
    expect(store.get(widgetRef("child"))).toBeUndefined();
    expect(store.get(widgetRef("grandchild"))).toBeUndefined();
    expect(store.get(widgetRef("guarded"))!.metadata.deletionTimestamp).toBeDefined();
    expect(store.get(widgetRef("unrelated"))).toBeDefined();
  });

  it("keeps a dependent that has another live owner, dropping only the dangling reference", () => {
    const { store } = newStore();
    const a = store.apply(widget("a", {}));
    const b = store.apply(widget("b", {}));
    const ref = (o: KubeObject) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name!, uid: o.metadata.uid! });
    store.apply(widget("shared", {}, { ownerReferences: [ref(a), ref(b)] }));
    store.delete(widgetRef("a"));
    expect(store.get(widgetRef("shared"))!.metadata.ownerReferences).toEqual([ref(b)]);
    store.delete(widgetRef("b"));
    expect(store.get(widgetRef("shared"))).toBeUndefined();
  });

  it("collects dependents only once the owner with finalizers is really gone", () => {
    const { store } = newStore();
    const owner = store.apply(widget("owner", {}, { finalizers: ["example.dev/f"] }));
    store.apply(widget("child", {}, { ownerReferences: [{ apiVersion: "example.dev/v1", kind: "Widget", name: "owner", uid: owner.metadata.uid! }] }));
    store.delete(widgetRef("owner"));
    expect(store.get(widgetRef("child"))).toBeDefined();
    store.patch(widgetRef("owner"), { metadata: { finalizers: null } });
    expect(store.get(widgetRef("owner"))).toBeUndefined();
    expect(store.get(widgetRef("child"))).toBeUndefined();
  });
});

describe("object store: list, admission, events", () => {
  it("lists by kind, namespace and label selector, in name order", () => {
    const { store } = newStore();
    for (const [name, ns, pool] of [
      ["c", "default", "a"],
      ["a", "default", "a"],
      ["b", "default", "b"],
      ["d", "other", "a"],
    ] as const) {
      store.apply({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns, labels: { pool } }, spec: {} });
    }
    store.apply({ apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "default", labels: { pool: "a" } } });
    const names = (objects: KubeObject[]) => objects.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    const pods = { apiVersion: "v1", kind: "Pod" };
    expect(names(store.list(pods))).toEqual(["default/a", "default/b", "default/c", "other/d"]);
    expect(names(store.list({ ...pods, namespace: "default" }))).toEqual(["default/a", "default/b", "default/c"]);
    expect(names(store.list(pods, { labelSelector: { matchLabels: { pool: "a" } } }))).toEqual(["default/a", "default/c", "other/d"]);
    expect(
      names(store.list(pods, { labelSelector: { matchExpressions: [{ key: "pool", operator: "NotIn", values: ["a"] }] } })),
    ).toEqual(["default/b"]);
    expect(store.list({ apiVersion: "v2", kind: "Pod" })).toEqual([]);
  });

  it("admission hooks refuse writes with their message and see the store", () => {
    const { store } = newStore();
    const seen: string[] = [];
    store.registerAdmission("Widget", (object, operation, s) => {
      seen.push(`${operation} ${object.metadata.name}`);
      if (operation === "CREATE" && s.list({ apiVersion: "example.dev/v1", kind: "Widget" }).length > 0) {
        return "A Widget instance already exists, refusing to create a duplicate";
      }
      return undefined;
    });
    store.apply(widget("first", { size: 1 }));
    let refusal: unknown;
    try {
      store.apply(widget("second", {}));
    } catch (error) {
      refusal = error;
    }
    expect(isClusterError(refusal, "Forbidden")).toBe(true);
    expect((refusal as Error).message).toContain("Widget second");
    expect((refusal as Error).message).toContain("A Widget instance already exists, refusing to create a duplicate");
    expect(store.get(widgetRef("second"))).toBeUndefined();
    store.apply(widget("first", { size: 2 }));
    store.delete(widgetRef("first"));
    expect(seen).toEqual(["CREATE first", "CREATE second", "UPDATE first", "DELETE first"]);
  });

  it("reports every change in order: ADDED, MODIFIED, DELETED (garbage collection included)", () => {
    const { store } = newStore();
    const events: StoreEvent[] = [];
    store.onChange((e) => events.push(e));
    const owner = store.apply(widget("owner", {}, { finalizers: ["f"] }));
    store.apply(widget("child", {}, { ownerReferences: [{ apiVersion: "example.dev/v1", kind: "Widget", name: "owner", uid: owner.metadata.uid! }] }));
    store.apply(widget("owner", { size: 1 }));
    store.apply(widget("owner", { size: 1 })); // no-op: no event
    store.delete(widgetRef("owner"));
    store.patch(widgetRef("owner"), { metadata: { finalizers: null } });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name} rv=${e.object.metadata.resourceVersion}`)).toEqual([
      "ADDED owner rv=1",
      "ADDED child rv=2",
      "MODIFIED owner rv=3",
      "MODIFIED owner rv=4",
      "DELETED owner rv=5",
      "DELETED child rv=6",
    ]);
  });

  it("dump and load round-trip the contents and the resourceVersion counter", () => {
    const { store } = newStore();
    store.apply(widget("a", { size: 1 }));
    store.apply(widget("b", { size: 2 }));
    store.delete(widgetRef("a"));
    const copy = new ObjectStore(() => start);
    copy.load(JSON.parse(JSON.stringify(store.dump())));
    expect(copy.list({ apiVersion: "example.dev/v1", kind: "Widget" })).toEqual(store.list({ apiVersion: "example.dev/v1", kind: "Widget" }));
    expect(copy.apply(widget("c", {})).metadata.resourceVersion).toBe("4");
  });
});
