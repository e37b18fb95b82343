import type { ClusterClient, WatchEvent, WatchHandle } from "../cluster/client";
import { ObjectIndex } from "../cluster/object-index";
import type { KindRef } from "../k8s/api-types";
import type { KubeObject } from "../k8s/meta";

// The objects of a few kinds as a wait reads them, kept up to date by one watch each: what a wait
// judges besides the object it waits on (the nodes and pools of a KataConfig install). A wait that
// listed them again on each event of its object would make four requests per status change, each a
// consistent read the API server may hold back until its cache catches up; a mirror costs a list and
// a watch per kind for the whole wait, and a change to any of them wakes the wait.
//
// Each watch starts before its list, and the events that come while the list is on its way are
// applied after it, in order: the list is at least as new as the watch's start, and the events are
// every change from that start, so replaying them over the list ends at the newest state.

export class KindMirrors {
  private constructor(
    private readonly indexes: ReadonlyMap<KindRef, ObjectIndex<KubeObject>>,
    private readonly handles: readonly WatchHandle[],
  ) {}

  /** Watch and list each kind; `onChange` hears every change after that. */
  static async open(client: ClusterClient, kinds: readonly KindRef[], onChange: () => void): Promise<KindMirrors> {
    const indexes = new Map<KindRef, ObjectIndex<KubeObject>>();
    const handles: WatchHandle[] = [];
    try {
      await Promise.all(
        kinds.map(async (kind) => {
          const index = new ObjectIndex<KubeObject>(kind);
          indexes.set(kind, index);
          let pending: WatchEvent[] | undefined = [];
          handles.push(
            await client.watch(kind, (event) => {
              if (pending) return void pending.push(event);
              apply(index, event);
              onChange();
            }),
          );
          await index.sync(client, undefined);
          for (const event of pending) apply(index, event);
          pending = undefined;
        }),
      );
    } catch (error) {
      for (const handle of handles) handle.close();
      throw error;
    }
    return new KindMirrors(indexes, handles);
  }

  /** Every object of a kind, as last seen. */
  list<T extends KubeObject>(kind: KindRef): T[] {
    return [...this.index(kind).values()] as T[];
  }

  /** One object of a kind by name, as last seen. */
  get<T extends KubeObject>(kind: KindRef, name: string, namespace?: string): T | undefined {
    return this.index(kind).get(name, namespace) as T | undefined;
  }

  close(): void {
    for (const handle of this.handles) handle.close();
  }

  private index(kind: KindRef): ObjectIndex<KubeObject> {
    const index = this.indexes.get(kind);
    if (!index) throw new Error(`${kind.kind} is not mirrored for this wait`);
    return index;
  }
}

function apply(index: ObjectIndex<KubeObject>, event: WatchEvent): void {
  if (event.type === "DELETED") index.remove(event.object.metadata.name ?? "", event.object.metadata.namespace);
  else index.put(event.object);
}
