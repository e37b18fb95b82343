import type { ClusterClient } from "./client";
import type { ChangeLog } from "./controller";
import type { KindRef } from "../k8s/api-types";
import type { KubeObject } from "../k8s/meta";

// The objects of one kind as a controller last read them: an informer's cache. A controller keeps one
// across passes and brings it up to date at the start of each from the host's change log, in work
// proportional to the changes; without a log (an operator process, the twin's first pass) it lists
// the kind again and finds what changed by uid and resourceVersion. `onChange` hears every object
// that changed, as it was and as it is, so that what the controller derives from the objects (counts,
// lists, sets) can be kept up to date one object at a time rather than recomputed from all of them.

export type IndexListener<T extends KubeObject> = (before: T | undefined, after: T | undefined) => void;

export class ObjectIndex<T extends KubeObject> {
  private readonly objects = new Map<string, T>();

  constructor(
    readonly kind: KindRef,
    private readonly onChange: IndexListener<T> = () => {},
  ) {}

  get size(): number {
    return this.objects.size;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.objects.get(keyOf(namespace, name));
  }

  values(): IterableIterator<T> {
    return this.objects.values();
  }

  /** Up to date with the cluster: the changes when the host has them, else a new list. */
  async sync(client: ClusterClient, changes: ChangeLog | undefined): Promise<void> {
    if (!changes) return this.relist(await client.list<T>(this.kind));
    for (const { object, deleted } of changes) {
      if (object.kind !== this.kind.kind || object.apiVersion !== this.kind.apiVersion) continue;
      if (deleted) this.remove(object.metadata.name ?? "", object.metadata.namespace);
      else this.put(object as T);
    }
  }

  /** The version the controller itself just wrote or read, so that the rest of its pass sees it. */
  put(object: T): void {
    const key = keyOf(object.metadata.namespace, object.metadata.name ?? "");
    const before = this.objects.get(key);
    if (sameVersion(before, object)) return;
    this.objects.set(key, object);
    this.onChange(before, object);
  }

  remove(name: string, namespace?: string): void {
    const key = keyOf(namespace, name);
    const before = this.objects.get(key);
    if (!before) return;
    this.objects.delete(key);
    this.onChange(before, undefined);
  }

  /** Take a full list: what is not in it is gone; what has another uid or resourceVersion changed. */
  private relist(objects: readonly T[]): void {
    const listed = new Set<string>();
    for (const object of objects) {
      listed.add(keyOf(object.metadata.namespace, object.metadata.name ?? ""));
      this.put(object);
    }
    for (const [key, object] of this.objects) if (!listed.has(key)) this.remove(object.metadata.name ?? "", object.metadata.namespace);
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The same version of the same object: a resourceVersion is only unique within one uid's life. */
function sameVersion(a: KubeObject | undefined, b: KubeObject): boolean {
  if (a === b) return true;
  return a !== undefined && a.metadata.uid === b.metadata.uid && a.metadata.resourceVersion !== undefined && a.metadata.resourceVersion === b.metadata.resourceVersion;
}
