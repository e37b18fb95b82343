import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import * as z from "zod";
import { describeRef, refOf, type ListOptions, type ObjectRef, type WatchEventType } from "../client";
import { labelMapSchema, selectorMatches } from "../../k8s/labels";
import {
  namespaceNameSchema,
  objectNameSchema,
  ownerReferenceSchema,
  toKubeTime,
  type KubeObject,
  type ObjectMeta,
} from "../../k8s/meta";
import { formatIssues } from "../../k8s/property-path";
import { ClusterError, notFound } from "../errors";
import { immutable, immutableCopy } from "../immutable";
import { applyMergePatch, isPlainObject } from "./merge-patch";

// The twin's object store: what the API server and etcd do for the handlers, in memory and synchronous.
// Objects are keyed by apiVersion/kind/namespace/name; whether a kind is namespaced is the caller's
// business (namespace absent = cluster-scoped). Stored objects are deep-frozen and replaced, never
// changed in place: get and list hand out copies; peek, peekList and the writes hand out the stored
// objects themselves (read-only), which is what lets controllers list thousands of nodes per change.
// A write keeps the parts of what it is given that are already immutable (provider/cluster/immutable.ts:
// the unchanged parts of a stored object a controller read and changed, a list it built once) and
// copies the rest, so that it costs what changed rather than the size of the object.

export type StoreOperation = "CREATE" | "UPDATE" | "DELETE";

/** Returns a refusal message, or undefined to admit. Runs on create, update and client deletes. */
export type AdmissionHook = (object: KubeObject, operation: StoreOperation, store: ObjectStore) => string | undefined;

export interface StoreEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface CreateOptions {
  /**
   * Load the object as it is written (fixtures, restores): keep its status, creationTimestamp and uid
   * when given, instead of the server setting them.
   */
  seed?: boolean;
}

/** What the state file persists of the store. */
export interface StoreContents {
  resourceVersion: number;
  objects: KubeObject[];
}

const writableObjectSchema = z.looseObject({
  apiVersion: z.string().min(1, "must not be empty"),
  kind: z.string().min(1, "must not be empty"),
  metadata: z.looseObject({
    name: objectNameSchema,
    namespace: namespaceNameSchema.optional(),
    labels: labelMapSchema.optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    finalizers: z.array(z.string().min(1, "must not be empty")).optional(),
    ownerReferences: z.array(ownerReferenceSchema).optional(),
  }),
});

/** Fields the server owns: ignored in patches, kept from the stored object on apply. */
const serverOwnedMeta = ["uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp"] as const;

export class ObjectStore {
  private readonly kinds = new Map<string, Map<string, KubeObject>>();
  /**
   * Each kind's objects in key order with each object's place: an update replaces the object in
   * place; only a new or removed object makes the next list sort the kind again.
   */
  private readonly sortedKinds = new Map<string, { objects: KubeObject[]; places: Map<string, number> }>();
  private readonly byUid = new Map<string, KubeObject>();
  private readonly admission = new Map<string, Set<AdmissionHook>>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private counter = 0;

  /** `now` stamps creationTimestamp and deletionTimestamp: the twin's clock, not the wall's. */
  constructor(private readonly now: () => Date = () => new Date()) {}

  /** The last resourceVersion handed out; it moves on every change, deletions included. */
  get resourceVersion(): number {
    return this.counter;
  }

  get size(): number {
    return this.byUid.size;
  }

  /** Replace the whole contents (loading a state file). Emits no events. */
  load(contents: StoreContents): void {
    this.kinds.clear();
    this.sortedKinds.clear();
    this.byUid.clear();
    this.counter = contents.resourceVersion;
    for (const object of contents.objects) this.put(structuredClone(object));
  }

  /** The stored objects themselves, in key order, for serializing: do not mutate them. */
  dump(): StoreContents {
    return { resourceVersion: this.counter, objects: this.sorted(this.all()) };
  }

  registerAdmission(kind: string, hook: AdmissionHook): () => void {
    const hooks = this.admission.get(kind) ?? new Set<AdmissionHook>();
    hooks.add(hook);
    this.admission.set(kind, hooks);
    return () => hooks.delete(hook);
  }

  /** Every change, synchronously, in order. */
  onChange(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get<T extends KubeObject = KubeObject>(ref: ObjectRef): T | undefined {
    const found = this.peek<T>(ref);
    return found ? structuredClone(found) : undefined;
  }

  list<T extends KubeObject = KubeObject>(ref: ObjectRef, options: ListOptions = {}): T[] {
    return this.peekList<T>(ref, options).map((object) => structuredClone(object));
  }

  /** The stored object itself, frozen: for controllers inside a transaction, which only read it. */
  peek<T extends KubeObject = KubeObject>(ref: ObjectRef): T | undefined {
    return this.lookup(requireName(ref)) as T | undefined;
  }

  /**
   * The stored objects themselves, frozen, of ref's apiVersion and kind; only ref.namespace's when
   * set (and only ref.name when set). No copies: controllers list thousands of nodes per change.
   */
  peekList<T extends KubeObject = KubeObject>(ref: ObjectRef, options: ListOptions = {}): T[] {
    const key = kindKey(ref.apiVersion, ref.kind);
    const bucket = this.kinds.get(key);
    if (!bucket) return [];
    let sortedKind = this.sortedKinds.get(key);
    if (!sortedKind) {
      const objects = this.sorted(bucket.values());
      sortedKind = { objects, places: new Map(objects.map((o, i) => [nameKey(refOf(o)), i])) };
      this.sortedKinds.set(key, sortedKind);
    }
    const ordered = sortedKind.objects;
    if (ref.namespace === undefined && ref.name === undefined && !options.labelSelector) return ordered.slice() as T[];
    const matches: KubeObject[] = [];
    for (const object of ordered) {
      if (ref.namespace !== undefined && object.metadata.namespace !== ref.namespace) continue;
      if (ref.name !== undefined && object.metadata.name !== ref.name) continue;
      if (options.labelSelector && !selectorMatches(options.labelSelector, object.metadata.labels)) continue;
      matches.push(object);
    }
    return matches as T[];
  }

  create<T extends KubeObject = KubeObject>(object: KubeObject, options: CreateOptions = {}): T {
    const input = validated(object);
    const ref = refOf(input);
    if (this.lookup(ref)) throw new ClusterError("AlreadyExists", `${describeRef(ref)} already exists`, ref);
    const given = input.metadata;
    if (options.seed && given.uid !== undefined && this.byUid.has(given.uid)) {
      throw new ClusterError("Invalid", `${describeRef(ref)}: metadata.uid ${given.uid} is already used by another object`, ref);
    }
    const { apiVersion, kind, metadata: _metadata, status, ...body } = input;
    const metadata: ObjectMeta = { ...given };
    for (const field of serverOwnedMeta) delete metadata[field];
    metadata.uid = (options.seed ? given.uid : undefined) ?? randomUUID();
    metadata.creationTimestamp = (options.seed ? given.creationTimestamp : undefined) ?? toKubeTime(this.now());
    metadata.generation = 1;
    const created: KubeObject = { apiVersion, kind, metadata: normalizedMeta(metadata), ...body };
    if (options.seed && status !== undefined) created.status = status;
    this.admit(created, "CREATE");
    return this.write(created, "ADDED") as T;
  }

  /**
   * Create, or update as our field manager would: labels and annotations merge (applied keys win),
   * finalizers and ownerReferences replace when given, every other top-level field except status is
   * replaced by the applied object's.
   */
  apply<T extends KubeObject = KubeObject>(object: KubeObject): T {
    const input = validated(object);
    const existing = this.lookup(refOf(input));
    if (!existing) return this.create<T>(input);
    checkPrecondition(existing, input.metadata.resourceVersion);
    const { apiVersion: _a, kind: _k, metadata: given, status: _ignored, ...body } = input;
    const metadata: ObjectMeta = {
      ...existing.metadata,
      labels: { ...existing.metadata.labels, ...given.labels },
      annotations: { ...existing.metadata.annotations, ...given.annotations },
    };
    if (given.finalizers !== undefined) metadata.finalizers = given.finalizers;
    if (given.ownerReferences !== undefined) metadata.ownerReferences = given.ownerReferences;
    return this.update<T>(existing, { apiVersion: existing.apiVersion, kind: existing.kind, metadata, ...body });
  }

  /** RFC 7386 merge patch of metadata and spec (and other non-status fields); null deletes. */
  patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): T {
    const existing = this.lookup(requireName(ref));
    if (!existing) throw notFound(ref);
    const what = describeRef(refOf(existing));
    const invalid = (message: string) => new ClusterError("Invalid", `${what}: ${message}`, ref);
    if (!isPlainObject(patch)) throw invalid("a merge patch must be a JSON object");
    if ("status" in patch) throw invalid("status is a subresource: change it with patchStatus, not patch");
    for (const field of ["apiVersion", "kind"] as const) {
      if (patch[field] !== undefined && patch[field] !== existing[field]) throw invalid(`${field} cannot be changed`);
    }
    const meta = patch.metadata;
    let cleaned: Record<string, unknown> = patch;
    if (meta !== undefined) {
      if (!isPlainObject(meta)) throw invalid("metadata in a patch must be an object");
      for (const field of ["name", "namespace"] as const) {
        if (meta[field] !== undefined && meta[field] !== existing.metadata[field]) throw invalid(`metadata.${field} cannot be changed`);
      }
      checkPrecondition(existing, meta.resourceVersion);
      const metaPatch = { ...meta };
      for (const field of serverOwnedMeta) delete metaPatch[field];
      cleaned = { ...patch, metadata: metaPatch };
    }
    const { status: _status, ...base } = existing;
    // New along the paths the patch touches, the stored (immutable) parts elsewhere: no copy needed.
    const merged = applyMergePatch(base, cleaned) as KubeObject;
    checkWritable(touchedMetadata(merged, cleaned.metadata));
    return this.update<T>(existing, merged);
  }

  /** Replace the status subresource. Never bumps generation, never runs admission. */
  patchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, status: unknown): T {
    const existing = this.lookup(requireName(ref));
    if (!existing) throw notFound(ref);
    const nextStatus = status === undefined || status === null ? undefined : immutableCopy(status);
    if (isDeepStrictEqual(existing.status, nextStatus)) return existing as T;
    const next: KubeObject = { ...existing, metadata: { ...existing.metadata } };
    if (nextStatus === undefined) delete next.status;
    else next.status = nextStatus;
    return this.write(next, "MODIFIED") as T;
  }

  /**
   * Ask for deletion. With finalizers the object stays, marked with deletionTimestamp (set once);
   * without, it goes, and so do the dependents it alone owned. False when it did not exist.
   */
  delete(ref: ObjectRef): boolean {
    const existing = this.lookup(requireName(ref));
    if (!existing) return false;
    this.admit(existing, "DELETE");
    this.deleteObject(existing);
    return true;
  }

  /** Write a candidate its caller has checked (what it takes from the stored object was checked when written). */
  private update<T extends KubeObject>(existing: KubeObject, candidate: KubeObject): T {
    const metadata = normalizedMeta(candidate.metadata);
    const next: KubeObject = { ...candidate, metadata };
    if (existing.status !== undefined) next.status = existing.status;
    const what = describeRef(refOf(existing));
    if (existing.metadata.deletionTimestamp) {
      const before = existing.metadata.finalizers ?? [];
      const added = (metadata.finalizers ?? []).filter((f) => !before.includes(f));
      if (added.length > 0) {
        throw new ClusterError(
          "Forbidden",
          `${what} is being deleted (since ${existing.metadata.deletionTimestamp}): no new finalizers can be added (${added.join(", ")})`,
          refOf(existing),
        );
      }
    }
    const specChanged = !isDeepStrictEqual(bodyOf(existing), bodyOf(next));
    metadata.generation = (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    metadata.resourceVersion = existing.metadata.resourceVersion;
    // The same kind and status: nothing changed when neither the body nor the metadata did.
    if (!specChanged && isDeepStrictEqual(existing.metadata, metadata)) return existing as T;
    this.admit(next, "UPDATE");
    if (metadata.deletionTimestamp && (metadata.finalizers ?? []).length === 0) {
      this.remove(next);
      return next as T;
    }
    return this.write(next, "MODIFIED") as T;
  }

  private deleteObject(object: KubeObject): void {
    if ((object.metadata.finalizers ?? []).length === 0) {
      this.remove(object);
      return;
    }
    if (object.metadata.deletionTimestamp) return;
    this.write({ ...object, metadata: { ...object.metadata, deletionTimestamp: toKubeTime(this.now()) } }, "MODIFIED");
  }

  private remove(object: KubeObject): void {
    const ref = refOf(object);
    this.kinds.get(kindKey(ref.apiVersion, ref.kind))?.delete(nameKey(ref));
    this.sortedKinds.delete(kindKey(ref.apiVersion, ref.kind));
    if (object.metadata.uid) this.byUid.delete(object.metadata.uid);
    this.counter += 1;
    this.emit("DELETED", { ...object, metadata: { ...object.metadata, resourceVersion: String(this.counter) } });
    this.collectGarbage(object.metadata.uid);
  }

  /**
   * Background cascading deletion, as the garbage collector does it: a dependent that still has a
   * live owner only loses its dangling references; one without is deleted (its finalizers honoured).
   */
  private collectGarbage(ownerUid: string | undefined): void {
    if (!ownerUid) return;
    const dependents = [...this.all()].filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === ownerUid));
    for (const dependent of dependents) {
      const current = this.lookup(refOf(dependent));
      if (!current || current.metadata.uid !== dependent.metadata.uid) continue; // gone in an earlier cascade
      const kept = (current.metadata.ownerReferences ?? []).filter(
        (r) => r.uid === undefined || (r.uid !== ownerUid && this.byUid.has(r.uid)),
      );
      if (kept.some((r) => r.uid !== undefined)) {
        this.write({ ...current, metadata: normalizedMeta({ ...current.metadata, ownerReferences: kept }) }, "MODIFIED");
      } else {
        this.deleteObject(current);
      }
    }
  }

  private admit(object: KubeObject, operation: StoreOperation): void {
    const hooks = this.admission.get(object.kind);
    if (!hooks) return;
    for (const hook of hooks) {
      const refusal = hook(structuredClone(object), operation, this);
      if (refusal !== undefined) {
        const verb = operation === "CREATE" ? "creating" : operation === "UPDATE" ? "updating" : "deleting";
        const error = new ClusterError("Forbidden", `admission refused ${verb} ${describeRef(refOf(object))}: ${refusal}`, refOf(object));
        throw Object.assign(error, { reason: refusal });
      }
    }
  }

  private write(object: KubeObject, type: WatchEventType): KubeObject {
    this.counter += 1;
    const stored: KubeObject = { ...object, metadata: { ...object.metadata, resourceVersion: String(this.counter) } };
    this.put(stored);
    this.emit(type, stored);
    return stored;
  }

  private put(object: KubeObject): void {
    const ref = refOf(object);
    const key = kindKey(ref.apiVersion, ref.kind);
    let bucket = this.kinds.get(key);
    if (!bucket) {
      bucket = new Map();
      this.kinds.set(key, bucket);
    }
    const name = nameKey(ref);
    const known = bucket.has(name);
    bucket.set(name, immutable(object));
    const sortedKind = this.sortedKinds.get(key);
    const place = sortedKind?.places.get(name);
    if (known && sortedKind && place !== undefined) sortedKind.objects[place] = object;
    else this.sortedKinds.delete(key);
    if (object.metadata.uid) this.byUid.set(object.metadata.uid, object);
  }

  private lookup(ref: ObjectRef): KubeObject | undefined {
    return this.kinds.get(kindKey(ref.apiVersion, ref.kind))?.get(nameKey(ref));
  }

  private *all(): Iterable<KubeObject> {
    for (const bucket of this.kinds.values()) yield* bucket.values();
  }

  private sorted(objects: Iterable<KubeObject>): KubeObject[] {
    const keyed = [...objects].map((o) => [sortKey(o), o] as const);
    keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return keyed.map(([, o]) => o);
  }

  private emit(type: WatchEventType, object: KubeObject): void {
    if (this.listeners.size === 0) return;
    const event = { type, object: immutable(object) };
    for (const listener of this.listeners) listener(event);
  }
}

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion}/${kind}`;
}

function nameKey(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : `/${ref.name}`;
}

function sortKey(object: KubeObject): string {
  return `${object.apiVersion}\u0000${object.kind}\u0000${object.metadata.namespace ?? ""}\u0000${object.metadata.name}`;
}

function requireName(ref: ObjectRef): ObjectRef {
  if (!ref.name) throw new ClusterError("Invalid", `${describeRef(ref)}: a name is required`, ref);
  return ref;
}

/** Everything generation tracks: all but metadata and status. */
function bodyOf(object: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...body } = object;
  return body;
}

/** Empty maps and lists are omitted, as the API server serializes them (keeps no-op detection exact). */
function normalizedMeta(metadata: ObjectMeta): ObjectMeta {
  const out: ObjectMeta = { ...metadata };
  for (const field of ["labels", "annotations"] as const) {
    if (out[field] !== undefined && Object.keys(out[field]).length === 0) delete out[field];
  }
  for (const field of ["finalizers", "ownerReferences"] as const) {
    if (out[field] !== undefined && out[field].length === 0) delete out[field];
  }
  return out;
}

function checkPrecondition(existing: KubeObject, resourceVersion: unknown): void {
  if (resourceVersion === undefined || resourceVersion === existing.metadata.resourceVersion) return;
  throw new ClusterError(
    "Conflict",
    `${describeRef(refOf(existing))} was modified: the write expected resourceVersion ${String(resourceVersion)} but it is ${existing.metadata.resourceVersion}; read it again and retry`,
    refOf(existing),
  );
}

/** Refuse an object the API server would refuse; the caller keeps its own copy. */
function checkWritable(object: KubeObject): void {
  const result = writableObjectSchema.safeParse(object);
  if (!result.success) throw invalidObject(object, result.error);
}

/**
 * What a merge patch can have made invalid: the metadata fields it touched (with the name, which the
 * schema wants). The rest is the stored object's, checked when it was written.
 */
function touchedMetadata(merged: KubeObject, metaPatch: unknown): KubeObject {
  const metadata: Record<string, unknown> = { name: merged.metadata.name };
  if (merged.metadata.namespace !== undefined) metadata.namespace = merged.metadata.namespace;
  for (const field of Object.keys(isPlainObject(metaPatch) ? metaPatch : {})) {
    const value = (merged.metadata as Record<string, unknown>)[field];
    if (value !== undefined) metadata[field] = value;
  }
  return { apiVersion: merged.apiVersion, kind: merged.kind, metadata: metadata as ObjectMeta };
}

/** A checked copy of what a caller wants written: the store keeps none of the caller's objects but immutable ones. */
function validated(object: KubeObject): KubeObject {
  checkWritable(object);
  return immutableCopy(object);
}

function invalidObject(object: KubeObject, error: z.ZodError): ClusterError {
  const meta: Partial<ObjectMeta> = isPlainObject(object?.metadata) ? object.metadata : {};
  const what = `${typeof object?.kind === "string" ? object.kind : "object"} ${meta.namespace ? `${meta.namespace}/` : ""}${meta.name ?? "(no name)"}`;
  return new ClusterError("Invalid", `${what} is invalid: ${formatIssues(error)}`);
}
