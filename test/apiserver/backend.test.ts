import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { WatchEvent } from "../../provider/cluster/client";
import { isClusterError } from "../../provider/cluster/errors";
import { openKubernetesCluster } from "../../provider/cluster/kubernetes";
import type { MachineConfigPool } from "../../provider/kata/model";
import type { KubeObject } from "../../provider/k8s/meta";
import { installCrds } from "../../tools/dev-cluster/install-crds";
import { kataRef, kubectl, nodeRef, useDevCluster } from "./helpers";

// The Kubernetes backend's contract, call by call, against a real kube-apiserver.

const env = useDevCluster();
const pool = (name: string) => ({ apiVersion: "machineconfiguration.openshift.io/v1", kind: "MachineConfigPool", name });
const crdRef = (name: string) => ({ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", name });

describe("reads and writes", () => {
  it("describes the cluster, reads missing objects as undefined and deleting them as false", async () => {
    const { client, cluster } = env;
    expect(client.description).toBe(`cluster ${cluster.server} (context dev-cluster)`);
    expect(await client.get(nodeRef("no-such-node"))).toBeUndefined();
    expect(await client.get({ ...kataRef, name: "no-such-kataconfig" })).toBeUndefined();
    expect(await client.delete({ apiVersion: "v1", kind: "Pod", name: "no-such-pod", namespace: "default" })).toBe(false);
  });

  it("counts every request", async () => {
    const before = env.client.requestCount;
    await env.client.get(nodeRef("worker-0"));
    await env.client.list({ apiVersion: "v1", kind: "Node" });
    expect(env.client.requestCount - before).toBe(2);
  });

  it("lists with apiVersion and kind on every item, and filters by label selector", async () => {
    const nodes = await env.client.list({ apiVersion: "v1", kind: "Node" });
    expect(nodes.map((n) => `${n.apiVersion} ${n.kind} ${n.metadata.name}`)).toEqual(["v1 Node master-0", "v1 Node worker-0", "v1 Node worker-1"]);
    const workers = await env.client.list(
      { apiVersion: "v1", kind: "Node" },
      { labelSelector: { matchLabels: { "node-role.kubernetes.io/worker": "" }, matchExpressions: [{ key: "kubernetes.io/hostname", operator: "NotIn", values: ["worker-0"] }] } },
    );
    expect(workers.map((n) => n.metadata.name)).toEqual(["worker-1"]);
  });

  it("applies server-side as pulumi-cluster-runtime, leaving status alone", async () => {
    const applied = await env.client.apply<MachineConfigPool>({
      apiVersion: "machineconfiguration.openshift.io/v1",
      kind: "MachineConfigPool",
      metadata: { name: "test-pool", labels: { team: "a" } },
      spec: { configuration: { name: "rendered-test-1" }, paused: false },
      status: { machineCount: 99 },
    });
    expect(applied.spec?.configuration?.name).toBe("rendered-test-1");
    expect(applied.status).toBeUndefined();
    const managers = (applied.metadata.managedFields as Array<{ manager: string; operation: string }>).map((f) => `${f.manager}/${f.operation}`);
    expect(managers).toContain("pulumi-cluster-runtime/Apply");
    // Applying again with a field left out removes it: we own what we apply.
    const again = await env.client.apply<MachineConfigPool>({
      apiVersion: "machineconfiguration.openshift.io/v1",
      kind: "MachineConfigPool",
      metadata: { name: "test-pool" },
      spec: { configuration: { name: "rendered-test-2" } },
    });
    expect(again.metadata.labels).toBeUndefined();
    expect(again.spec).toEqual({ configuration: { name: "rendered-test-2" } });
  });

  it("patches with JSON merge patch (null removes) and replaces the status subresource", async () => {
    await env.client.patch(pool("test-pool"), { metadata: { labels: { a: "1", b: "2" } } });
    const patched = await env.client.patch(pool("test-pool"), { metadata: { labels: { a: null } } });
    expect(patched.metadata.labels).toEqual({ b: "2" });
    await env.client.patchStatus(pool("test-pool"), { machineCount: 2, conditions: [{ type: "Updated", status: "True" }] });
    const replaced = await env.client.patchStatus<MachineConfigPool>(pool("test-pool"), { machineCount: 1 });
    expect(replaced.status).toEqual({ machineCount: 1 }); // the conditions are gone, not merged
    expect(await env.client.delete(pool("test-pool"))).toBe(true);
  });

  it("retries a 409 Conflict a bounded number of times, then says what conflicted", async () => {
    const stale = { metadata: { resourceVersion: "1", labels: { x: "y" } } };
    const before = env.client.requestCount;
    const error = await env.client.patch(nodeRef("worker-0"), stale).catch((e: unknown) => e as Error);
    expect(isClusterError(error, "Conflict")).toBe(true);
    expect(error.message).toMatch(/^cannot patch Node worker-0 on cluster https:\/\/127\.0\.0\.1:\d+ \(context dev-cluster\): Operation cannot be fulfilled/);
    expect(env.client.requestCount - before).toBe(6); // the first try and 5 retries
  });
});

describe("errors that say what to do", () => {
  it("a missing KataConfig CRD names the operator that is missing", async () => {
    const { client, cluster } = env;
    await client.delete(crdRef("kataconfigs.kataconfiguration.openshift.io"));
    try {
      await waitFor(async () => (await client.get(crdRef("kataconfigs.kataconfiguration.openshift.io"))) === undefined);
      const error = await client.get(kataRef).catch((e: unknown) => e as Error);
      expect(isClusterError(error, "ResourceTypeMissing")).toBe(true);
      expect((error as Error).message).toBe(
        `the KataConfig CRD (kataconfigs.kataconfiguration.openshift.io, version v1) is not installed on cluster ${cluster.server} (context dev-cluster): ` +
          "the OpenShift sandboxed containers operator is missing: install it (OperatorHub: OpenShift sandboxed containers Operator) first",
      );
      await expect(client.watch(kataRef, () => undefined)).rejects.toThrow(/the KataConfig CRD .* is not installed/);
    } finally {
      await installCrds(client);
    }
  });

  it("a kind nobody serves is reported through discovery", async () => {
    await expect(env.client.get({ apiVersion: "example.dev/v1", kind: "Widget", name: "w" })).rejects.toThrow(
      /^the Widget CRD \(API group example\.dev, version v1\) is not installed on cluster .*: install the CustomResourceDefinition that serves Widget in example\.dev\/v1$/,
    );
  });

  it("an RBAC denial names the verb, the resource and the fix", async () => {
    const nobody = await openKubernetesCluster({ kubeconfig: await env.cluster.kubeconfigFor("nobody") });
    try {
      const read = (await nobody.get(kataRef).catch((e: unknown) => e)) as Error;
      expect(isClusterError(read, "Forbidden")).toBe(true);
      expect(read.message).toMatch(/^KataConfig example-kataconfig: the kubeconfig's user "nobody" may not get kataconfigs \(API group kataconfiguration\.openshift\.io\) at the cluster scope on cluster .* \(context dev-cluster-nobody\)/);
      expect(read.message).toContain("kubectl create clusterrole pulumi-cluster-runtime-kataconfigs --verb=get --resource=kataconfigs.kataconfiguration.openshift.io");
      await expect(nobody.patchStatus(kataRef, {})).rejects.toThrow(/may not patch kataconfigs\/status \(API group kataconfiguration\.openshift\.io\) at the cluster scope/);
      await expect(nobody.list({ apiVersion: "v1", kind: "Pod", namespace: "default" })).rejects.toThrow(
        /^Pod objects in namespace default: the kubeconfig's user "nobody" may not list pods \(core API group\) in namespace default .*kubectl create role pulumi-cluster-runtime-pods -n default --verb=list --resource=pods/,
      );
    } finally {
      await nobody.close();
    }
  });
});

describe("choosing the cluster", () => {
  it("takes the ambient kubeconfig (KUBECONFIG) and a context; without any, says how to choose a cluster", async () => {
    const saved = { KUBECONFIG: process.env.KUBECONFIG, HOME: process.env.HOME };
    const home = mkdtempSync(join(tmpdir(), "no-kube-"));
    try {
      process.env.KUBECONFIG = env.cluster.kubeconfigPath;
      const ambient = await openKubernetesCluster(undefined);
      expect(ambient.description).toBe(`cluster ${env.cluster.server} (context dev-cluster)`);
      expect((await ambient.get(nodeRef("worker-0")))?.metadata.name).toBe("worker-0");
      await ambient.close();

      await expect(openKubernetesCluster({ context: "elsewhere" })).rejects.toThrow(`the kubeconfig from KUBECONFIG=${env.cluster.kubeconfigPath} has no context "elsewhere": it has "dev-cluster"`);

      delete process.env.KUBECONFIG;
      process.env.HOME = home;
      await expect(openKubernetesCluster(undefined)).rejects.toThrow(
        /no kubeconfig found .*: choose a cluster: give the resource `cluster: \{ kubeconfig: <kubeconfig YAML>, context\?: <name> \}`, or set KUBECONFIG .*, or choose the embedded twin explicitly with `cluster: \{ embedded: \{ fixture: "two-workers" \} \}`/,
      );
    } finally {
      restore("KUBECONFIG", saved.KUBECONFIG);
      restore("HOME", saved.HOME);
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("never quotes the kubeconfig in an error", async () => {
    const secret = "sk-very-secret-token";
    const broken = `apiVersion: v1\nusers:\n- name: a\n  user: {token: ${secret}\n`;
    const error = (await openKubernetesCluster({ kubeconfig: broken }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^the kubeconfig from the resource's kubeconfig input is not a valid kubeconfig \(line \d+\)$/);
    expect(error.message).not.toContain(secret);
  });
});

describe("watch", () => {
  it("delivers only the named object's events, from now on", async () => {
    const events: string[] = [];
    const handle = await env.client.watch(nodeRef("worker-0"), (e) => events.push(`${e.type} ${e.object.metadata.name} ${e.object.metadata.labels?.watched ?? "-"}`));
    await env.client.patch(nodeRef("worker-1"), { metadata: { labels: { watched: "yes" } } });
    await env.client.patch(nodeRef("worker-0"), { metadata: { labels: { watched: "yes" } } });
    await env.client.patch(nodeRef("worker-0"), { metadata: { labels: { watched: null } } });
    await waitFor(async () => events.length >= 2);
    handle.close();
    expect(events).toEqual(["MODIFIED worker-0 yes", "MODIFIED worker-0 -"]);
  });

  it("on a relist, emits synthetic events for the difference from what it knew", async () => {
    const { objects, resourceVersion } = await env.client.listWithVersion({ apiVersion: "v1", kind: "Node" }, { group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false });
    const ghost: KubeObject = { apiVersion: "v1", kind: "Node", metadata: { name: "ghost", resourceVersion: "1" } };
    const stale = objects.filter((n) => n.metadata.name !== "worker-1").map((n) => (n.metadata.name === "worker-0" ? { ...n, metadata: { ...n.metadata, resourceVersion: "1" } } : n));
    const events: WatchEvent[] = [];
    const handle = await env.client.watchFrom({ apiVersion: "v1", kind: "Node" }, { objects: [...stale, ghost], resourceVersion }, (e) => events.push(e), { resyncMs: 300 });
    await waitFor(async () => events.length >= 3);
    handle.close();
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`).sort()).toEqual(["ADDED worker-1", "DELETED ghost", "MODIFIED worker-0"]);
  });
});

describe("CRDs generated from the zod models", () => {
  it("the API server keeps what loose models do not list, prunes what strict ones refuse, and takes int-or-string", async () => {
    // The fixture's worker pool has spec.machineConfigSelector and spec.paused, which the model does not list.
    const worker = await env.client.get<MachineConfigPool>(pool("worker"));
    expect(worker?.spec).toMatchObject({ machineConfigSelector: { matchLabels: { "machineconfiguration.openshift.io/role": "worker" } }, paused: false });
    // KataConfig's spec is strict in the model (as upstream's CRD): an unknown field is pruned. A
    // server-side dry run, so that the operator does not start installing.
    const dir = mkdtempSync(join(tmpdir(), "kc-"));
    const file = join(dir, "kataconfig.json");
    writeFileSync(file, JSON.stringify({ apiVersion: kataRef.apiVersion, kind: kataRef.kind, metadata: { name: "pruned" }, spec: { logLevel: "debug", bogus: true } }));
    const dryRun = JSON.parse(await kubectl(env.cluster, "create", "--dry-run=server", "--validate=false", "-o", "json", "-f", file)) as KubeObject;
    expect(dryRun.spec).toEqual({ logLevel: "debug" });
    rmSync(dir, { recursive: true });
    for (const maxUnhealthy of [2, "40%"]) {
      const mhc = await env.client.apply({
        apiVersion: "cluster.x-k8s.io/v1beta1",
        kind: "MachineHealthCheck",
        metadata: { name: "workers", namespace: "default" },
        spec: { clusterName: "c", selector: { matchLabels: { pool: "a" } }, maxUnhealthy },
      });
      expect((mhc.spec as { maxUnhealthy: unknown }).maxUnhealthy).toBe(maxUnhealthy);
    }
    await env.client.delete({ apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineHealthCheck", name: "workers", namespace: "default" });
  });
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("not reached in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}
