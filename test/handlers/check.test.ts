import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { providers } from "../../provider";
import { UNKNOWN } from "../../provider/lifecycle/unknowns";

// Bad inputs are refused at check (so at preview), each with the property path as Pulumi shows it
// and the rule it breaks; check never touches the cluster, so nothing is created.

const stateFile = path.join(os.tmpdir(), `pcr-check-${process.pid}.json`);
const cluster = { embedded: { fixture: "two-workers", stateFile, virtualTime: true } };
const kata = (over: Record<string, unknown>) => ({ metadata: { name: "example-kataconfig" }, spec: {}, cluster, ...over });
const mhcSpec = {
  clusterName: "capi-quickstart",
  maxUnhealthy: "40%",
  selector: { matchLabels: { nodepool: "nodepool-0" } },
  unhealthyConditions: [{ type: "Ready", status: "False", timeout: "300s" }],
};
const mhc = (spec: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  metadata: { name: "workers", namespace: "default" },
  spec: { ...mhcSpec, ...spec },
  cluster,
  ...over,
});

const refused: Array<[string, "kataConfig" | "machineHealthCheck", Record<string, unknown>, string, RegExp]> = [
  ["unknown log level", "kataConfig", kata({ spec: { logLevel: "verbose" } }), "spec.logLevel", /CRI-O log levels/],
  ["misspelt spec field", "kataConfig", kata({ spec: { logLevle: "info" } }), "spec.logLevle", /not a known field; did you mean "logLevel"/],
  ["selector operator", "kataConfig", kata({ spec: { kataConfigPoolSelector: { matchExpressions: [{ key: "a", operator: "Equals", values: ["b"] }] } } }), "spec.kataConfigPoolSelector.matchExpressions[0].operator", /In, NotIn, Exists, DoesNotExist/],
  ["In without values", "kataConfig", kata({ spec: { kataConfigPoolSelector: { matchExpressions: [{ key: "a", operator: "In" }] } } }), "spec.kataConfigPoolSelector.matchExpressions[0].values", /must not be empty/],
  ["bad label key", "kataConfig", kata({ spec: { kataConfigPoolSelector: { matchLabels: { "-bad": "x" } } } }), 'spec.kataConfigPoolSelector.matchLabels["-bad"]', /label key/],
  ["checkNodeEligibility not a boolean", "kataConfig", kata({ spec: { checkNodeEligibility: "yes" } }), "spec.checkNodeEligibility", /true or false/],
  ["name not a DNS subdomain", "kataConfig", kata({ metadata: { name: "Bad_Name" } }), "metadata.name", /DNS subdomain/],
  ["namespace on a cluster-scoped object", "kataConfig", kata({ metadata: { name: "k", namespace: "default" } }), "metadata.namespace", /cluster-scoped/],
  ["timeout in words", "kataConfig", kata({ timeouts: { create: "5 minutes" } }), "timeouts.create", /Go duration/],
  ["unknown timeout", "kataConfig", kata({ timeouts: { forever: "1h" } }), "timeouts.forever", /not a known field; the known fields are create, update, delete/],
  ["twin time scale of 0", "kataConfig", kata({ cluster: { embedded: { timeScale: 0 } } }), "cluster.embedded.timeScale", /greater than 0/],
  ["embedded and kubeconfig at once", "kataConfig", kata({ cluster: { embedded: {}, kubeconfig: "x" } }), "cluster", /must be \{ embedded/],
  ["maxUnhealthy without %", "machineHealthCheck", mhc({ maxUnhealthy: "40" }), "spec.maxUnhealthy", /%/],
  ["maxUnhealthy 140 without %", "machineHealthCheck", mhc({ maxUnhealthy: "140" }), "spec.maxUnhealthy", /%/],
  ["negative maxUnhealthy", "machineHealthCheck", mhc({ maxUnhealthy: -1 }), "spec.maxUnhealthy", /./],
  ["fractional maxUnhealthy", "machineHealthCheck", mhc({ maxUnhealthy: 1.5 }), "spec.maxUnhealthy", /whole number/],
  ["unhealthyRange pattern", "machineHealthCheck", mhc({ unhealthyRange: "3-5" }), "spec.unhealthyRange", /\[/],
  ["unhealthyRange min > max", "machineHealthCheck", mhc({ unhealthyRange: "[5-3]" }), "spec.unhealthyRange", /min|max|exceed|greater/],
  ["nodeStartupTimeout under 30s", "machineHealthCheck", mhc({ nodeStartupTimeout: "10s" }), "spec.nodeStartupTimeout", /30s/],
  ["nodeStartupTimeout in words", "machineHealthCheck", mhc({ nodeStartupTimeout: "5 minutes" }), "spec.nodeStartupTimeout", /duration/],
  ["condition timeout in words", "machineHealthCheck", mhc({ unhealthyConditions: [{ type: "Ready", status: "False", timeout: "5 minutes" }] }), "spec.unhealthyConditions[0].timeout", /duration/],
  ["condition without type", "machineHealthCheck", mhc({ unhealthyConditions: [{ type: "", status: "False", timeout: "5m" }] }), "spec.unhealthyConditions[0].type", /./],
  ["101 conditions", "machineHealthCheck", mhc({ unhealthyConditions: Array.from({ length: 101 }, () => ({ type: "Ready", status: "False", timeout: "5m" })) }), "spec.unhealthyConditions", /at most 100/],
  ["clusterName too long", "machineHealthCheck", mhc({ clusterName: "c".repeat(64) }), "spec.clusterName", /63/],
  ["missing clusterName", "machineHealthCheck", mhc({ clusterName: undefined }), "spec.clusterName", /required|cluster/i],
  ["empty selector", "machineHealthCheck", mhc({ selector: {} }), "spec.selector", /must not be empty/],
  ["cluster-name label of another cluster", "machineHealthCheck", mhc({ selector: { matchLabels: { "cluster.x-k8s.io/cluster-name": "other" } } }), 'spec.selector.matchLabels["cluster.x-k8s.io/cluster-name"]', /must equal spec.clusterName/],
  ["namespace not a DNS label", "machineHealthCheck", mhc({}, { metadata: { name: "workers", namespace: "Default" } }), "metadata.namespace", /DNS label/],
  ["kubeconfig empty", "machineHealthCheck", mhc({}, { cluster: { kubeconfig: "" } }), "cluster.kubeconfig", /must not be empty/],
];

describe("check refuses bad input with the property and the rule, creating nothing", () => {
  it(`has at least 25 cases (${refused.length})`, () => expect(refused.length).toBeGreaterThanOrEqual(25));

  it.each(refused)("%s", async (_label, resource, inputs, property, reason) => {
    const result = await providers[resource].check({}, { ...inputs, __provider: "p" });
    // The host hands the engine the path at the head of the reason (see failuresForEngine).
    const forProperty = result.failures.filter((f) => f.property === "" && f.reason.startsWith(`${property}: `));
    expect(forProperty.map((f) => f.reason.slice(property.length + 2))).toContainEqual(expect.stringMatching(reason));
    expect(fs.existsSync(stateFile)).toBe(false);
  });

  it("accepts the seed's examples", async () => {
    expect((await providers.machineHealthCheck.check({}, mhc({}))).failures).toEqual([]);
    expect((await providers.kataConfig.check({}, kata({ spec: { logLevel: "info" } }))).failures).toEqual([]);
  });

  it("loads a fixture of the program's directory at check: one the twin cannot load is refused beside the other problems; one not known yet is not read", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcr-check-fixture-"));
    const cwd = process.cwd();
    try {
      fs.writeFileSync(path.join(dir, "broken.yaml"), "apiVersion: v1\nkind: Node\nmetadata: [\n");
      process.chdir(dir);
      const broken = { embedded: { fixture: "broken.yaml" } };
      const { failures } = await providers.kataConfig.check({}, kata({ spec: { logLevel: "loud" }, cluster: broken }));
      expect(failures.map((f) => f.reason)).toEqual([
        expect.stringMatching(/^spec\.logLevel: /),
        expect.stringMatching(/^cluster\.embedded\.fixture: is not a fixture the twin can load: .*broken\.yaml: document 1/),
      ]);
      expect((await providers.kataConfig.check({}, kata({ cluster: { embedded: { fixture: UNKNOWN } } }))).failures).toEqual([]);
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lets values not known yet (preview) through, and still checks the known ones", async () => {
    expect((await providers.machineHealthCheck.check({}, mhc({ clusterName: UNKNOWN, maxUnhealthy: UNKNOWN }))).failures).toEqual([]);
    expect((await providers.kataConfig.check({}, kata({ spec: UNKNOWN }))).failures).toEqual([]);
    expect((await providers.machineHealthCheck.check({}, mhc({ clusterName: UNKNOWN, maxUnhealthy: "40" }))).failures).toEqual([
      { property: "", reason: expect.stringMatching(/^spec\.maxUnhealthy: .*%/) },
    ]);
  });
});
