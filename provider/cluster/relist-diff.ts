import type { KubeObject } from "../k8s/meta";
import type { WatchEvent } from "./client";

// What a watcher missed, as watch events: the difference between the objects it knew and the objects
// there are now. Used wherever a watch catches up from a fresh list (after a 410 Gone or a resync),
// or the twin from another process's state file. Same resourceVersion: no event.

export function relistEvents(known: ReadonlyMap<string, KubeObject>, fresh: ReadonlyMap<string, KubeObject>): WatchEvent[] {
  const events: WatchEvent[] = [];
  for (const [key, old] of known) if (!fresh.has(key)) events.push({ type: "DELETED", object: old });
  for (const [key, object] of fresh) {
    const old = known.get(key);
    if (!old) events.push({ type: "ADDED", object });
    else if (old.metadata.resourceVersion !== object.metadata.resourceVersion) events.push({ type: "MODIFIED", object });
  }
  return events;
}

/** Objects by a key (the caller's notion of identity: namespace/name within one kind, or kind too). */
export function byKey(objects: readonly KubeObject[], keyOf: (object: KubeObject) => string): Map<string, KubeObject> {
  return new Map(objects.map((o) => [keyOf(o), o]));
}
