import * as fs from "node:fs";
import * as path from "node:path";
import type * as grpcTypes from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../provider/cluster/target";
import { pluginResources } from "../../provider/plugin/resources";
import { isSecret, redact, reveal, secret } from "../../provider/plugin/secrets";
import { fromStruct, KATA_TYPE, MHC_TYPE, partialState, providerProto, toStruct, urnOf, usePlugin } from "./support";

// The provider plugin's gRPC server as the engine drives it, on the embedded twin (virtual time
// unless a test needs a wait that lasts): what a dynamic provider cannot have.

const P = providerProto;
type Bag = Record<string, unknown>;

describe("the provider plugin's server", () => {
  const t = usePlugin();
  const kataUrn = urnOf(KATA_TYPE, "sandboxed");
  const mhcUrn = urnOf(MHC_TYPE, "workers");
  const twin = (name: string, extra: Bag = {}) => ({ embedded: { fixture: "fixtures/two-workers.yaml", stateFile: path.join(t.dir, `${name}.json`), virtualTime: true, ...extra } });
  const capi = () => ({ embedded: { fixture: "fixtures/capi-quickstart.yaml", stateFile: path.join(t.dir, "capi.json"), virtualTime: true } });

  const check = (urn: string, news: Bag, olds: Bag = {}) => t.call<providerProto.CheckRequest, providerProto.CheckResponse>("check", new P.CheckRequest().setUrn(urn).setOlds(toStruct(olds)).setNews(toStruct(news)));
  const configure = (args: Bag) => t.call("configure", new P.ConfigureRequest().setArgs(toStruct(args)));
  const create = (urn: string, inputs: Bag, timeoutSeconds = 0) =>
    t.call<providerProto.CreateRequest, providerProto.CreateResponse>("create", new P.CreateRequest().setUrn(urn).setProperties(toStruct(inputs)).setTimeout(timeoutSeconds));
  const diff = (urn: string, olds: Bag, news: Bag) => t.call<providerProto.DiffRequest, providerProto.DiffResponse>("diff", new P.DiffRequest().setUrn(urn).setId("x").setOlds(toStruct(olds)).setOldInputs(toStruct(olds)).setNews(toStruct(news)));
  /** Checked inputs, as the engine passes them on to create. */
  const checked = async (urn: string, news: Bag) => fromStruct((await check(urn, news)).getInputs());

  it("serves schema.json, its version, and a resource for each resource the schema describes", async () => {
    const schema = await t.call<providerProto.GetSchemaRequest, providerProto.GetSchemaResponse>("getSchema", new P.GetSchemaRequest());
    expect(schema.getSchema()).toBe(fs.readFileSync(path.join(packageRoot(), "schema.json"), "utf8"));
    const info = await t.call<unknown, { getVersion(): string }>("getPluginInfo", new (await import("google-protobuf/google/protobuf/empty_pb")).Empty());
    expect(info.getVersion()).toBe(JSON.parse(schema.getSchema()).version);
    expect(Object.keys(pluginResources).sort()).toEqual(Object.keys(JSON.parse(schema.getSchema()).resources).sort());
  });

  it("check fills in the object's name and the owner from the URN, refuses bad values by property, and makes a cluster with a kubeconfig a secret", async () => {
    const named = await checked(kataUrn, { spec: {}, cluster: twin("a") });
    expect(named.metadata).toEqual({ name: "sandboxed" });
    expect(named.owner).toBe("plugin-test/dev/KataConfig/sandboxed");

    const refused = await check(mhcUrn, { metadata: { name: "workers" }, spec: { clusterName: "capi-quickstart", maxUnhealthy: "most", selector: { matchLabels: { a: "b" } } } });
    // Path first, no property: the engine would print the value of a property it is given.
    expect(refused.getFailuresList().map((f) => [f.getProperty(), f.getReason()])).toEqual([["", 'spec.maxUnhealthy: must be a whole number or a percentage ending in "%", like 2 or "40%"; got "most"']]);

    const withKubeconfig = await checked(kataUrn, { cluster: { kubeconfig: "apiVersion: v1\nkind: Config\n" } });
    expect(isSecret(withKubeconfig.cluster)).toBe(true);
    // A secret input stays a secret; what the handlers validate is its value.
    const secretSpec = await check(kataUrn, { spec: secret({ logLevel: "loud" }) });
    expect(isSecret(fromStruct(secretSpec.getInputs()).spec)).toBe(true);
    expect(secretSpec.getFailuresList().map((f) => f.getReason())).toEqual([expect.stringMatching(/^spec\.logLevel: must be one of/)]);
  });

  it("takes the cluster from its configuration: checked by property, another cluster replaces, another twin speed does not", async () => {
    const checkConfig = (news: Bag) => t.call<providerProto.CheckRequest, providerProto.CheckResponse>("checkConfig", new P.CheckRequest().setUrn("urn:pulumi:dev::p::pulumi:providers:cluster-runtime::default").setNews(toStruct(news)));
    const refused = await checkConfig({ embedded: { fixture: "fixtures/two-workers.yaml", timeScale: 0 }, version: "0.1.0" });
    expect(refused.getFailuresList().map((f) => [f.getProperty(), f.getReason()])).toEqual([["", "embedded.timeScale: must be greater than 0"]]);
    const both = await checkConfig({ kubeconfig: "x", embedded: { fixture: "fixtures/two-workers.yaml" } });
    expect(both.getFailuresList().map((f) => f.getReason())).toEqual([expect.stringMatching(/^embedded: choose either embedded/)]);
    // Stack config holds objects as JSON text.
    expect((await checkConfig({ embedded: JSON.stringify({ fixture: "fixtures/two-workers.yaml", virtualTime: "true" }) })).getFailuresList()).toEqual([]);
    expect(isSecret(fromStruct((await checkConfig({ kubeconfig: "apiVersion: v1" })).getInputs()).kubeconfig)).toBe(true);

    const diffConfig = (olds: Bag, news: Bag) => t.call<providerProto.DiffRequest, providerProto.DiffResponse>("diffConfig", new P.DiffRequest().setOldInputs(toStruct(olds)).setOlds(toStruct(olds)).setNews(toStruct(news)));
    const moved = await diffConfig({ embedded: twin("a").embedded }, { embedded: twin("b").embedded });
    expect(moved.getReplacesList()).toEqual(["embedded"]);
    const faster = await diffConfig({ embedded: twin("a").embedded }, { embedded: { ...twin("a").embedded, timeScale: 600 } });
    expect([faster.getChanges(), faster.getReplacesList()]).toEqual([P.DiffResponse.DiffChanges.DIFF_SOME, []]);
  });

  it("create reports progress on the resource's own row (lines, and statuses as ephemeral) and keeps the cluster secret in its outputs", async () => {
    const inputs = await checked(kataUrn, { metadata: { name: "example-kataconfig" }, spec: {}, cluster: secret(twin("a")) });

    const created = await create(kataUrn, inputs);

    expect(created.getId()).toBe("example-kataconfig");
    const outs = fromStruct(created.getProperties());
    expect(isSecret(outs.cluster)).toBe(true);
    expect((outs.status as { kataNodes: { readyNodeCount: number } }).kataNodes.readyNodeCount).toBe(2);
    expect(new Set(t.logged.map((m) => m.urn))).toEqual(new Set([kataUrn]));
    const lines = t.logged.filter((m) => !m.ephemeral).map((m) => m.message);
    expect(lines).toEqual(expect.arrayContaining(["worker-1: installing (0/2 ready)", "worker-0: installed (2/2 ready)"]));
    expect(lines.at(-1)).toBe('kata is ready on 2 node(s); RuntimeClass "kata" exists');
    expect(t.logged.filter((m) => m.ephemeral).map((m) => m.message)).toContain("InProgress True/Installing; 1/2 nodes ready; installing: worker-0");
  });

  it("the engine's time limit (customTimeouts) applies when the resource sets none; its own `timeouts` wins when both are given", async () => {
    const inputs = await checked(kataUrn, { metadata: { name: "example-kataconfig" }, cluster: twin("a") });

    // Two node updates of 5 minutes: 7 minutes is not enough.
    const stopped = (await create(kataUrn, inputs, 7 * 60).catch((e: unknown) => e)) as grpcTypes.ServiceError;

    expect(stopped.details).toMatch(/gave up waiting for KataConfig example-kataconfig .* after 7m0s; last seen: InProgress True\/Installing; 1\/2 nodes ready; installing: worker-0/);
    const partial = partialState(stopped);
    expect(partial?.id).toBe("example-kataconfig");
    expect((partial?.properties.status as { kataNodes: { installed: string[] } }).kataNodes.installed).toEqual(["worker-1"]);

    const ownLimit = await create(kataUrn, { ...inputs, timeouts: { create: "60m" } }, 60);
    expect((fromStruct(ownLimit.getProperties()).status as { kataNodes: { readyNodeCount: number } }).kataNodes.readyNodeCount).toBe(2);
  });

  it("the engine's cancel stops a wait at once, and the error keeps the resource with what it saw last", async () => {
    // Time at the wall clock's pace, and a node update of 10 minutes: the wait would last.
    const inputs = await checked(kataUrn, { metadata: { name: "example-kataconfig" }, cluster: twin("a", { virtualTime: false, timeScale: 1, nodeUpdateTime: "10m" }) });
    const creating = create(kataUrn, inputs).catch((e: unknown) => e as grpcTypes.ServiceError);
    const started = Date.now();
    while (!t.logged.some((m) => m.message === "worker-1: installing (0/2 ready)")) {
      if (Date.now() - started > 60_000) throw new Error(`the install did not start: ${JSON.stringify(t.logged)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    await t.call("cancel", new (await import("google-protobuf/google/protobuf/empty_pb")).Empty());
    const stopped = (await creating) as grpcTypes.ServiceError;

    expect(stopped.details).toMatch(/^stopped waiting for KataConfig example-kataconfig to install kata on the selected workers: the operation was cancelled; last seen: InProgress True\/Installing; 0\/2 nodes ready/);
    expect(partialState(stopped)?.id).toBe("example-kataconfig");
    expect(t.plugin.inFlight).toBe(0);
  });

  it("diff details the changed properties (update or replace) and says on the row why a change replaces", async () => {
    const olds = { metadata: { name: "example-kataconfig" }, spec: { logLevel: "info" }, cluster: secret(twin("a")), status: {}, runtimeClassName: "kata" };

    const updated = await diff(kataUrn, olds, { metadata: { name: "example-kataconfig" }, spec: { logLevel: "debug" }, cluster: secret(twin("a")) });
    expect(updated.getChanges()).toBe(P.DiffResponse.DiffChanges.DIFF_SOME);
    expect(updated.getHasdetaileddiff()).toBe(true);
    expect([...updated.getDetaileddiffMap().entries()].map(([k, v]) => [k, v.getKind()])).toEqual([["spec.logLevel", P.PropertyDiff.Kind.UPDATE]]);
    expect(updated.getReplacesList()).toEqual([]);

    const renamed = await diff(kataUrn, olds, { metadata: { name: "other" }, spec: { logLevel: "info" }, cluster: secret(twin("a")) });
    expect(renamed.getReplacesList()).toEqual(["metadata"]);
    expect(renamed.getDeletebeforereplace()).toBe(true);
    expect([...renamed.getDetaileddiffMap().entries()].map(([k, v]) => [k, v.getKind()])).toEqual([["metadata.name", P.PropertyDiff.Kind.UPDATE_REPLACE]]);
    expect(t.logged.map((m) => [m.urn, m.message])).toEqual([[kataUrn, expect.stringMatching(/^metadata\.name changes, which replaces the resource: a KataConfig cannot be renamed/)]]);

    // No `cluster` of its own on either side: the configured one, the same.
    await configure({ embedded: twin("a").embedded });
    const unchanged = await diff(kataUrn, { ...olds, cluster: undefined }, { metadata: { name: "example-kataconfig" }, spec: { logLevel: "info" } });
    expect(unchanged.getChanges()).toBe(P.DiffResponse.DiffChanges.DIFF_NONE);
  });

  it("read with no properties (pulumi import) finds the object by name on the configured cluster and returns the inputs to adopt", async () => {
    await create(mhcUrn, await checked(mhcUrn, {
      metadata: { name: "workers", namespace: "default" },
      spec: { clusterName: "capi-quickstart", maxUnhealthy: "40%", selector: { matchLabels: { nodepool: "nodepool-0" } } },
      cluster: capi(),
    }));
    await configure({ embedded: capi().embedded });

    const read = await t.call<providerProto.ReadRequest, providerProto.ReadResponse>("read", new P.ReadRequest().setUrn(urnOf(MHC_TYPE, "adopted")).setId("default/workers"));

    expect(read.getId()).toBe("default/workers");
    expect(fromStruct(read.getInputs())).toEqual({ metadata: { name: "workers", namespace: "default" }, spec: expect.objectContaining({ clusterName: "capi-quickstart", maxUnhealthy: "40%" }) });
    expect((fromStruct(read.getProperties()).report as { expectedMachines: number }).expectedMachines).toBe(6);

    const gone = await t.call<providerProto.ReadRequest, providerProto.ReadResponse>("read", new P.ReadRequest().setUrn(urnOf(MHC_TYPE, "adopted")).setId("default/nothing"));
    expect(gone.getId()).toBe("");
  });
});

describe("secrets in and out of the plugin", () => {
  it("unwraps nested secrets, and takes a kubeconfig and its long lines out of messages", () => {
    expect(reveal({ a: secret({ b: [secret("c")] }) })).toEqual({ a: { b: ["c"] } });
    const kubeconfig = "apiVersion: v1\nusers: [{ name: dev, user: { token: abcdefghijklmnopqrstuvwxyz } }]\n";
    expect(redact(`bad kubeconfig: ${kubeconfig}`, [kubeconfig])).toBe("bad kubeconfig: [secret]");
    expect(redact("at line 2: users: [{ name: dev, user: { token: abcdefghijklmnopqrstuvwxyz } }]", [kubeconfig])).toBe("at line 2: [secret]");
    expect(redact("apiVersion: v1 is fine", [kubeconfig])).toBe("apiVersion: v1 is fine");
  });
});
