import { describe, expect, it } from "vitest";
import type { ClusterClient } from "../../provider/cluster/client";
import { ObjectIndex } from "../../provider/cluster/object-index";
import type { KubeObject } from "../../provider/k8s/meta";

// An informer's cache for one kind: kept up to date from a host's change log or from a new list,
// telling its owner every object that changed, as it was and as it is.

const node = (name: string, resourceVersion: string, uid = `uid-${name}`): KubeObject => ({ apiVersion: "v1", kind: "Node", metadata: { name, uid, resourceVersion } });
const pod = (name: string): KubeObject => ({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "default", uid: name, resourceVersion: "1" } });

/** A client whose list of nodes is whatever the test sets, counting the lists. */
function lister(): { client: ClusterClient; set(objects: KubeObject[]): void; lists: () => number } {
  let objects: KubeObject[] = [];
  let lists = 0;
  const client = {
    list: async () => {
      lists++;
      return objects;
    },
  } as unknown as ClusterClient;
  return { client, set: (o) => void (objects = o), lists: () => lists };
}

function recorded(): { index: ObjectIndex<KubeObject>; changes: string[] } {
  const changes: string[] = [];
  const describe = (o: KubeObject | undefined) => (o ? `${o.metadata.name}@${o.metadata.resourceVersion}` : "-");
  const index = new ObjectIndex<KubeObject>({ apiVersion: "v1", kind: "Node" }, (before, after) => changes.push(`${describe(before)} > ${describe(after)}`));
  return { index, changes };
}

describe("ObjectIndex", () => {
  it("without a change log lists the kind and tells what differs from what it had, by uid and resourceVersion", async () => {
    const { client, set, lists } = lister();
    const { index, changes } = recorded();
    set([node("a", "1"), node("b", "2"), node("c", "3")]);
    await index.sync(client, undefined);
    expect(changes.splice(0)).toEqual(["- > a@1", "- > b@2", "- > c@3"]);
    await index.sync(client, undefined);
    expect(changes).toEqual([]);
    // a changed, b gone, c deleted and created again (another uid, the same resourceVersion by chance), d new
    set([node("a", "4"), node("c", "3", "uid-c-2"), node("d", "5")]);
    await index.sync(client, undefined);
    expect(changes.splice(0).sort()).toEqual(["- > d@5", "a@1 > a@4", "b@2 > -", "c@3 > c@3"]);
    expect([...index.values()].map((o) => o.metadata.name).sort()).toEqual(["a", "c", "d"]);
    expect(index.size).toBe(3);
    expect(lists()).toBe(3);
  });

  it("with a change log takes only its kind's changes, without listing", async () => {
    const { client, set, lists } = lister();
    const { index, changes } = recorded();
    set([node("a", "1"), node("b", "2")]);
    await index.sync(client, undefined);
    changes.splice(0);
    const a2 = node("a", "3");
    await index.sync(client, [
      { object: a2, deleted: false },
      { object: pod("p"), deleted: false },
      { object: node("b", "4"), deleted: true },
      { object: node("c", "5"), deleted: false },
    ]);
    expect(changes).toEqual(["a@1 > a@3", "b@2 > -", "- > c@5"]);
    expect(index.get("a")).toBe(a2);
    expect(index.get("b")).toBeUndefined();
    expect(lists()).toBe(1);
  });

  it("takes the controller's own writes at once, and the same version again is no change", async () => {
    const { index, changes } = recorded();
    const a = node("a", "1");
    index.put(a);
    index.put(a);
    index.put(node("a", "1"));
    index.put(node("a", "2"));
    index.remove("a");
    index.remove("a");
    expect(changes).toEqual(["- > a@1", "a@1 > a@2", "a@2 > -"]);
  });
});
