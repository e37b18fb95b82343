import { describe, expect, it } from "vitest";
import type { AccessNeed, ClusterClient } from "../../provider/cluster/client";
import { apiVersionOf, apiTypes } from "../../provider/k8s/api-types";
import type { KubeObject } from "../../provider/k8s/meta";
import { kataAccess } from "../../provider/kata/access";
import * as kata from "../../provider/kata/handlers";
import type { HandlerContext } from "../../provider/lifecycle/context";
import { mhcAccess } from "../../provider/mhc/access";
import * as mhc from "../../provider/mhc/handlers";
import { connect } from "../../provider/wiring";
import { useTwin } from "./support";

// The rights each operation declares (checked before it changes anything on a real cluster) cover every
// call its handler really makes: the handlers run on the twin through a client that records each call
// as the RBAC verbs the Kubernetes backend would need for it. A handler that starts calling something
// new fails here until its access list says so.

interface Call {
  verb: string;
  apiVersion: string;
  kind: string;
  namespace?: string;
}

function recording(calls: Call[]): HandlerContext["connect"] {
  return async (target) => {
    const client = await connect(target);
    const note = (verbs: string[], ref: { apiVersion: string; kind: string; namespace?: string }) =>
      verbs.forEach((verb) => calls.push({ verb, apiVersion: ref.apiVersion, kind: ref.kind, ...(ref.namespace ? { namespace: ref.namespace } : {}) }));
    const verbs: Partial<Record<keyof ClusterClient, string[]>> = { get: ["get"], list: ["list"], watch: ["list", "watch"], patch: ["patch"], delete: ["delete"] };
    return new Proxy(client, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (property === "apply") {
            const object = args[0] as KubeObject; // an apply creates the object or patches it
            note(["create", "patch"], { apiVersion: object.apiVersion, kind: object.kind, ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}) });
          } else if (verbs[property as keyof ClusterClient]) note(verbs[property as keyof ClusterClient]!, args[0] as Call);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  };
}

/** The calls no declared need covers (a need without a namespace covers every namespace). */
function uncovered(calls: Call[], needs: AccessNeed[]): string[] {
  const covered = (call: Call) =>
    needs.some((need) => need.verb === call.verb && need.apiVersion === call.apiVersion && need.kind === call.kind && (need.namespace === undefined || need.namespace === call.namespace));
  return [...new Set(calls.filter((call) => !covered(call)).map((c) => `${c.verb} ${c.kind}${c.namespace ? ` in ${c.namespace}` : ""}`))];
}

describe("the access an operation declares covers what its handler calls", () => {
  const twin = useTwin("two-workers");
  const capi = useTwin("capi-quickstart");

  it("KataConfig create, update, delete", async () => {
    const calls: Call[] = [];
    const context: HandlerContext = { ...twin.context, connect: recording(calls) };
    const inputs: kata.KataConfigInputs = { metadata: { name: "example-kataconfig" }, spec: {}, cluster: twin.cluster, owner: "p/s/KataConfig/k" };

    const { outs } = await kata.create(context, inputs);
    expect(uncovered(calls.splice(0), kataAccess.create)).toEqual([]);
    const updated = await kata.update(context, "example-kataconfig", outs, { ...inputs, spec: { logLevel: "debug" } });
    expect(uncovered(calls.splice(0), kataAccess.update)).toEqual([]);
    await kata.remove(context, "example-kataconfig", updated.outs);
    expect(uncovered(calls.splice(0), kataAccess.delete)).toEqual([]);
  });

  it("MachineHealthCheck create, update, delete", async () => {
    const calls: Call[] = [];
    const context: HandlerContext = { ...capi.context, connect: recording(calls) };
    const inputs: mhc.MachineHealthCheckInputs = {
      metadata: { name: "workers", namespace: "default" },
      spec: { clusterName: "capi-quickstart", maxUnhealthy: "100%", nodeStartupTimeout: "10m", selector: { matchLabels: { nodepool: "nodepool-0" } }, unhealthyConditions: [{ type: "Ready", status: "False", timeout: "300s" }] },
      cluster: capi.cluster,
      owner: "p/s/MachineHealthCheck/workers",
    };
    const access = mhcAccess("default");

    const { outs } = await mhc.create(context, inputs);
    expect(uncovered(calls.splice(0), access.create)).toEqual([]);
    const updated = await mhc.update(context, "default/workers", outs, { ...inputs, spec: { ...inputs.spec, maxUnhealthy: "40%" } });
    expect(uncovered(calls.splice(0), access.update)).toEqual([]);
    await mhc.remove(context, "default/workers", updated.outs);
    expect(uncovered(calls.splice(0), access.delete)).toEqual([]);
  });

  it("the recorder sees the calls (a check that cannot pass vacuously)", async () => {
    const calls: Call[] = [];
    await kata.create({ ...twin.context, connect: recording(calls) }, { metadata: { name: "example-kataconfig" }, spec: {}, cluster: twin.cluster });
    expect(uncovered(calls, [])).toEqual(expect.arrayContaining(["create KataConfig", "list Node", "watch KataConfig"]));
    expect(uncovered(calls, [{ verb: "list", apiVersion: apiVersionOf(apiTypes.node), kind: "Node" }])).not.toContain("list Node");
  });
});
