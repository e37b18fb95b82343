import { describe, expect, it } from "vitest";
import { storedForm, validateMachineHealthCheck, validateMachineHealthCheckUpdate } from "../../provider/mhc";
import { seedWorkersHealthCheck } from "../support/seed-tables";

// Check-time validation: every rule of the upstream webhook and CRD, with the property path Pulumi shows.

type Spec = Record<string, unknown>;

const workers = (): { metadata: Record<string, unknown>; spec: Spec } => ({
  metadata: { name: seedWorkersHealthCheck.name, namespace: "default" },
  spec: structuredClone(seedWorkersHealthCheck.spec),
});

const controlPlane = () => ({
  metadata: { name: "capi-quickstart-kcp-unhealthy-5m" },
  spec: {
    clusterName: "capi-quickstart",
    maxUnhealthy: "100%",
    selector: { matchLabels: { "cluster.x-k8s.io/control-plane": "" } },
    unhealthyConditions: [
      { type: "Ready", status: "Unknown", timeout: "300s" },
      { type: "Ready", status: "False", timeout: "300s" },
    ],
  },
});

function withSpec(changes: Spec) {
  const base = workers();
  return { ...base, spec: { ...base.spec, ...changes } };
}

function without(field: string) {
  const base = workers();
  const spec = { ...base.spec };
  delete spec[field];
  return { ...base, spec };
}

function failuresOf(input: unknown) {
  const result = validateMachineHealthCheck(input);
  return result.ok ? [] : result.failures;
}

function conditions(n: number) {
  return Array.from({ length: n }, () => ({ type: "Ready", status: "False", timeout: "5m" }));
}

describe("the seed's examples", () => {
  it("accepts the worker health check and keeps its values", () => {
    const result = validateMachineHealthCheck(workers());
    expect(result).toMatchObject({ ok: true, value: { spec: { maxUnhealthy: "40%", nodeStartupTimeout: "10m" } } });
  });

  it("accepts the control plane health check and defaults nodeStartupTimeout to 10m", () => {
    const result = validateMachineHealthCheck(controlPlane());
    expect(result).toMatchObject({ ok: true, value: { spec: { maxUnhealthy: "100%", nodeStartupTimeout: "10m" } } });
  });

  it("defaults maxUnhealthy to 100%, apiVersion and kind", () => {
    const result = validateMachineHealthCheck(without("maxUnhealthy"));
    expect(result).toMatchObject({
      ok: true,
      value: { apiVersion: "cluster.x-k8s.io/v1beta1", kind: "MachineHealthCheck", spec: { maxUnhealthy: "100%" } },
    });
  });
});

describe("accepted values", () => {
  it.each<[string, Spec]>([
    ["maxUnhealthy 0", { maxUnhealthy: 0 }],
    ["maxUnhealthy 2", { maxUnhealthy: 2 }],
    ['maxUnhealthy "0%"', { maxUnhealthy: "0%" }],
    ['maxUnhealthy "40%"', { maxUnhealthy: "40%" }],
    ['maxUnhealthy "100%"', { maxUnhealthy: "100%" }],
    ['maxUnhealthy "140%" (upstream accepts it; it never limits)', { maxUnhealthy: "140%" }],
    ['unhealthyRange "[3-5]"', { unhealthyRange: "[3-5]" }],
    ['unhealthyRange "[0-0]"', { unhealthyRange: "[0-0]" }],
    ['unhealthyRange "[2-2]"', { unhealthyRange: "[2-2]" }],
    ['nodeStartupTimeout "0" (turns the check off)', { nodeStartupTimeout: "0" }],
    ['nodeStartupTimeout "0s"', { nodeStartupTimeout: "0s" }],
    ['nodeStartupTimeout "30s" (the minimum)', { nodeStartupTimeout: "30s" }],
    ['nodeStartupTimeout "1h"', { nodeStartupTimeout: "1h" }],
    ["unhealthyConditions left out", { unhealthyConditions: undefined }],
    ["no unhealthyConditions", { unhealthyConditions: [] }],
    ["100 unhealthyConditions", { unhealthyConditions: conditions(100) }],
    ['timeout "5m"', { unhealthyConditions: [{ type: "Ready", status: "False", timeout: "5m" }] }],
    ['timeout "1h30m"', { unhealthyConditions: [{ type: "Ready", status: "False", timeout: "1h30m" }] }],
    ['timeout "0s"', { unhealthyConditions: [{ type: "Ready", status: "False", timeout: "0s" }] }],
    ["any condition status text", { unhealthyConditions: [{ type: "MemoryPressure", status: "True", timeout: "1m" }] }],
    ["a clusterName of 63 characters", { clusterName: "c".repeat(63), selector: { matchLabels: { a: "b" } } }],
    ["a selector with matchExpressions only", { selector: { matchExpressions: [{ key: "nodepool", operator: "Exists" }] } }],
    ["a cluster-name match label equal to clusterName", { selector: { matchLabels: { "cluster.x-k8s.io/cluster-name": "capi-quickstart" } } }],
    [
      "a remediationTemplate",
      { remediationTemplate: { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", kind: "Metal3RemediationTemplate", name: "m3", namespace: "default" } },
    ],
  ])("accepts %s", (_, changes) => {
    expect(failuresOf(withSpec(changes))).toEqual([]);
  });
});

describe("refused values", () => {
  it.each<[string, unknown, string, string]>([
    ['maxUnhealthy "40" (no %)', withSpec({ maxUnhealthy: "40" }), "spec.maxUnhealthy", 'must be a whole number or a percentage ending in "%", like 2 or "40%"; got "40"'],
    ["maxUnhealthy -1", withSpec({ maxUnhealthy: -1 }), "spec.maxUnhealthy", "got -1"],
    ["maxUnhealthy 2.5", withSpec({ maxUnhealthy: 2.5 }), "spec.maxUnhealthy", "got 2.5"],
    ['maxUnhealthy "40.5%"', withSpec({ maxUnhealthy: "40.5%" }), "spec.maxUnhealthy", 'got "40.5%"'],
    ['maxUnhealthy "-10%"', withSpec({ maxUnhealthy: "-10%" }), "spec.maxUnhealthy", 'got "-10%"'],
    ["maxUnhealthy true", withSpec({ maxUnhealthy: true }), "spec.maxUnhealthy", "got true"],
    ['unhealthyRange "3-5"', withSpec({ unhealthyRange: "3-5" }), "spec.unhealthyRange", 'must look like "[min-max]"'],
    ['unhealthyRange "[a-b]"', withSpec({ unhealthyRange: "[a-b]" }), "spec.unhealthyRange", 'got "[a-b]"'],
    ['unhealthyRange "[3-]"', withSpec({ unhealthyRange: "[3-]" }), "spec.unhealthyRange", 'must look like "[min-max]"'],
    ['unhealthyRange "[5-3]"', withSpec({ unhealthyRange: "[5-3]" }), "spec.unhealthyRange", "the minimum (5) must not be greater than the maximum (3)"],
    ["unhealthyRange beyond 32 bits", withSpec({ unhealthyRange: "[0-5000000000]" }), "spec.unhealthyRange", "at most 4294967295"],
    ['nodeStartupTimeout "29s"', withSpec({ nodeStartupTimeout: "29s" }), "spec.nodeStartupTimeout", "must be 0 (which turns the startup check off) or at least 30s"],
    ['nodeStartupTimeout "-1m"', withSpec({ nodeStartupTimeout: "-1m" }), "spec.nodeStartupTimeout", "at least 30s"],
    ['nodeStartupTimeout "10 minutes"', withSpec({ nodeStartupTimeout: "10 minutes" }), "spec.nodeStartupTimeout", 'must be a Go duration like "300s", "5m" or "1h30m"; got "10 minutes"'],
    ["nodeStartupTimeout 600", withSpec({ nodeStartupTimeout: 600 }), "spec.nodeStartupTimeout", "must be a string"],
    [
      'timeout "5 minutes"',
      withSpec({ unhealthyConditions: [{ type: "Ready", status: "False", timeout: "5 minutes" }] }),
      "spec.unhealthyConditions[0].timeout",
      'must be a Go duration like "300s", "5m" or "1h30m"; got "5 minutes"',
    ],
    ['timeout "300" (no unit)', withSpec({ unhealthyConditions: [{ type: "Ready", status: "False", timeout: "300" }] }), "spec.unhealthyConditions[0].timeout", 'got "300"'],
    ['timeout "-5m"', withSpec({ unhealthyConditions: [{ type: "Ready", status: "False", timeout: "-5m" }] }), "spec.unhealthyConditions[0].timeout", "must not be negative"],
    ["a missing timeout", withSpec({ unhealthyConditions: [{ type: "Ready", status: "False" }] }), "spec.unhealthyConditions[0].timeout", "is required"],
    ['an empty type', withSpec({ unhealthyConditions: [{ type: "", status: "False", timeout: "5m" }] }), "spec.unhealthyConditions[0].type", "must not be empty"],
    [
      "an empty status in the second condition",
      withSpec({ unhealthyConditions: [{ type: "Ready", status: "False", timeout: "5m" }, { type: "Ready", status: "", timeout: "5m" }] }),
      "spec.unhealthyConditions[1].status",
      "must not be empty",
    ],
    ["101 unhealthyConditions", withSpec({ unhealthyConditions: conditions(101) }), "spec.unhealthyConditions", "at most 100 conditions; got 101"],
    ["unhealthyConditions not a list", withSpec({ unhealthyConditions: "Ready" }), "spec.unhealthyConditions", "must be a list"],
    ["a missing clusterName", without("clusterName"), "spec.clusterName", "is required: the name of the Cluster"],
    ["an empty clusterName", withSpec({ clusterName: "" }), "spec.clusterName", "must not be empty"],
    ["a clusterName of 64 characters", withSpec({ clusterName: "c".repeat(64) }), "spec.clusterName", "at most 63 characters; got 64"],
    ["a missing selector", without("selector"), "spec.selector", "is required: a label selector"],
    ["an empty selector", withSpec({ selector: {} }), "spec.selector", "must not be empty"],
    ["a selector with empty matchLabels", withSpec({ selector: { matchLabels: {} } }), "spec.selector", "must not be empty"],
    ["a bad label key", withSpec({ selector: { matchLabels: { "bad key": "x" } } }), 'spec.selector.matchLabels["bad key"]', "is invalid"],
    [
      "a bad operator",
      withSpec({ selector: { matchExpressions: [{ key: "nodepool", operator: "Has" }] } }),
      "spec.selector.matchExpressions[0].operator",
      "operator must be one of",
    ],
    [
      "a cluster-name match label naming another cluster",
      withSpec({ selector: { matchLabels: { "cluster.x-k8s.io/cluster-name": "other" } } }),
      'spec.selector.matchLabels["cluster.x-k8s.io/cluster-name"]',
      'must equal spec.clusterName ("capi-quickstart"); got "other"',
    ],
    [
      "a remediationTemplate without kind",
      withSpec({ remediationTemplate: { apiVersion: "infrastructure.cluster.x-k8s.io/v1beta1", name: "m3" } }),
      "spec.remediationTemplate.kind",
      "is required",
    ],
    [
      "a remediationTemplate in another namespace",
      withSpec({ remediationTemplate: { apiVersion: "a/v1", kind: "XTemplate", name: "m3", namespace: "other" } }),
      "spec.remediationTemplate.namespace",
      'must match metadata.namespace ("default")',
    ],
    [
      "an unknown remediationTemplate field",
      withSpec({ remediationTemplate: { apiVersion: "a/v1", kind: "XTemplate", name: "m3", nmae: "x" } }),
      "spec.remediationTemplate.nmae",
      "is not a known field",
    ],
    ["a misspelt spec field", withSpec({ maxUnhealty: 2 }), "spec.maxUnhealty", 'is not a known field; did you mean "maxUnhealthy"?'],
    ["an unknown spec field", withSpec({ remediation: {} }), "spec.remediation", "is not a known field; the known fields are clusterName"],
    ["a misspelt condition field", withSpec({ unhealthyConditions: [{ type: "Ready", status: "False", timeout: "5m", timout: "5m" }] }), "spec.unhealthyConditions[0].timout", 'did you mean "timeout"?'],
    ["an invalid metadata.name", { ...workers(), metadata: { name: "Node_Unhealthy" } }, "metadata.name", "must be a DNS subdomain"],
    ["a misspelt metadata field", { ...workers(), metadata: { name: "a", lables: {} } }, "metadata.lables", 'did you mean "labels"?'],
    ["a missing spec", { metadata: { name: "a" } }, "spec", "is required: the health check policy"],
    ["another apiVersion", { ...workers(), apiVersion: "cluster.x-k8s.io/v1alpha3" }, "apiVersion", 'must be "cluster.x-k8s.io/v1beta1"'],
    ["a status", { ...workers(), status: {} }, "status", "is not a known field"],
  ])("refuses %s", (_, input, property, reason) => {
    const failures = failuresOf(input);
    expect(failures).toContainEqual({ property, reason: expect.stringContaining(reason) });
  });

  it("reports every problem at once", () => {
    const failures = failuresOf(
      withSpec({
        clusterName: "capi-quickstart",
        maxUnhealthy: "40",
        nodeStartupTimeout: "10s",
        unhealthyRange: "[5-3]",
        selector: { matchLabels: { "cluster.x-k8s.io/cluster-name": "other" } },
      }),
    );
    expect(failures.map((f) => f.property).sort()).toEqual([
      "spec.maxUnhealthy",
      "spec.nodeStartupTimeout",
      'spec.selector.matchLabels["cluster.x-k8s.io/cluster-name"]',
      "spec.unhealthyRange",
    ]);
  });

  it("refuses input that is not an object", () => {
    expect(failuresOf("mhc")).toEqual([{ property: "", reason: 'must be an object; got "mhc"' }]);
  });
});

describe("updates", () => {
  it("refuses a change of clusterName: the field is immutable", () => {
    expect(validateMachineHealthCheckUpdate({ spec: { clusterName: "a" } }, { spec: { clusterName: "b" } })).toEqual([
      { property: "spec.clusterName", reason: expect.stringContaining("immutable") },
    ]);
  });

  it("accepts an unchanged clusterName", () => {
    expect(validateMachineHealthCheckUpdate({ spec: { clusterName: "a" } }, { spec: { clusterName: "a" } })).toEqual([]);
  });
});

describe("the stored form", () => {
  it("adds the cluster-name label, the template namespace and Go's canonical durations", () => {
    const result = validateMachineHealthCheck(
      withSpec({ remediationTemplate: { apiVersion: "a/v1", kind: "XTemplate", name: "x" } }),
    );
    if (!result.ok) throw new Error("expected valid input");
    const stored = storedForm(result.value);
    expect(stored.metadata?.labels).toEqual({ "cluster.x-k8s.io/cluster-name": "capi-quickstart" });
    expect(stored.spec.nodeStartupTimeout).toBe("10m0s");
    expect(stored.spec.unhealthyConditions?.map((c) => c.timeout)).toEqual(["5m0s", "5m0s"]);
    expect(stored.spec.remediationTemplate?.namespace).toBe("default");
  });
});
