import { describe, expect, it } from "vitest";
import type { ClusterClient, ObjectRef, WatchEvent } from "../../provider/cluster/client";
import { wallClock } from "../../provider/cluster/clock";
import { kinds } from "../../provider/k8s/api-types";
import type { KubeObject } from "../../provider/k8s/meta";
import { KindMirrors } from "../../provider/lifecycle/kind-mirror";
import { waitFor } from "../../provider/lifecycle/wait";

// A wait's mirrors of other kinds: one list and one watch per kind, the same objects as a fresh list
// however the watch's events and the list interleave, and a change there judged by the wait.

const node = (name: string, rv: number): KubeObject => ({ apiVersion: "v1", kind: "Node", metadata: { name, uid: `uid-${name}`, resourceVersion: String(rv) } });

/** A client whose list answers only when the test says, and whose watch events the test sends. */
function scriptedClient(objects: KubeObject[]) {
  const watchers: Array<{ ref: ObjectRef; onEvent: (event: WatchEvent) => void }> = [];
  let releaseList: (() => void) | undefined;
  const listed = new Promise<void>((resolve) => (releaseList = resolve));
  const requests: string[] = [];
  const client = {
    description: "scripted",
    clock: wallClock,
    async get(ref: ObjectRef) {
      requests.push(`get ${ref.kind}`);
      return objects.find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
    },
    async list(ref: ObjectRef) {
      requests.push(`list ${ref.kind}`);
      const snapshot = objects.filter((o) => o.kind === ref.kind);
      await listed;
      return snapshot;
    },
    async watch(ref: ObjectRef, onEvent: (event: WatchEvent) => void) {
      requests.push(`watch ${ref.kind}`);
      const watcher = { ref, onEvent };
      watchers.push(watcher);
      return { close: () => void watchers.splice(watchers.indexOf(watcher), 1) };
    },
  } as unknown as ClusterClient;
  return {
    client,
    requests,
    watchers,
    releaseList: () => releaseList!(),
    /** Change the cluster and tell its watchers, as an API server does. */
    change(type: WatchEvent["type"], object: KubeObject) {
      const at = objects.findIndex((o) => o.kind === object.kind && o.metadata.name === object.metadata.name);
      if (at >= 0) objects.splice(at, 1);
      if (type !== "DELETED") objects.push(object);
      for (const w of watchers) if (w.ref.kind === object.kind && (!w.ref.name || w.ref.name === object.metadata.name)) w.onEvent({ type, object });
    },
  };
}

const names = (objects: KubeObject[]) => objects.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`).sort();

describe("KindMirrors", () => {
  it("ends at the cluster's state when changes come while its list is on the way", async () => {
    const cluster = scriptedClient([node("a", 1), node("b", 2), node("c", 3)]);
    let changes = 0;
    const opening = KindMirrors.open(cluster.client, [kinds.node], () => changes++);
    await new Promise((resolve) => setImmediate(resolve)); // the watch is open, the list taken, not answered
    // After the list's snapshot: a changed twice, b deleted, d added then deleted, e added.
    cluster.change("MODIFIED", node("a", 4));
    cluster.change("MODIFIED", node("a", 5));
    cluster.change("DELETED", node("b", 6));
    cluster.change("ADDED", node("d", 7));
    cluster.change("DELETED", node("d", 8));
    cluster.change("ADDED", node("e", 9));
    cluster.releaseList();
    const mirrors = await opening;

    expect(names(mirrors.list(kinds.node))).toEqual(["a@5", "c@3", "e@9"]);
    expect(changes).toBe(0); // what came before the list is part of the starting state

    cluster.change("MODIFIED", node("c", 10));
    expect(mirrors.get(kinds.node, "c")?.metadata.resourceVersion).toBe("10");
    expect(changes).toBe(1);
    mirrors.close();
    expect(cluster.watchers).toEqual([]);
  });
});

describe("a wait with mirrored kinds", () => {
  it("judges its object again when only a mirrored object changes, and reads them with no request per judgement", async () => {
    const kataConfig: KubeObject = { apiVersion: "kataconfiguration.openshift.io/v1", kind: "KataConfig", metadata: { name: "k", resourceVersion: "1" } };
    const cluster = scriptedClient([kataConfig, node("a", 1)]);
    cluster.releaseList();
    const judged: string[] = [];
    const done = waitFor({
      client: cluster.client,
      ref: { ...kinds.kataConfig, name: "k" },
      what: "node a to be ready",
      limitMs: 10_000,
      mirror: [kinds.node],
      evaluate: (_object, mirrors) => {
        const a = mirrors.get(kinds.node, "a");
        judged.push(a?.metadata.resourceVersion ?? "none");
        return a?.metadata.labels?.ready ? { state: "done", value: a.metadata.resourceVersion } : { state: "waiting", progress: "not ready" };
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    cluster.change("MODIFIED", node("a", 2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    cluster.change("MODIFIED", { ...node("a", 3), metadata: { ...node("a", 3).metadata, labels: { ready: "yes" } } });

    expect(await done).toBe("3");
    expect(judged).toEqual(["1", "2", "3"]);
    expect(cluster.requests.sort()).toEqual(["get KataConfig", "list Node", "watch KataConfig", "watch Node"]);
    expect(cluster.watchers).toEqual([]); // both watches closed with the wait
  });
});
