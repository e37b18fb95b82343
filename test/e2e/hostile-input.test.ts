import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { ResourceSetting } from "./program/resources";
import { type CliResult, type Project, useProjects } from "./project";

// Hostile input through `pulumi preview`: wrong types, unknown fields, huge strings, label values
// that break selectors, durations Go refuses, names Kubernetes refuses, a fixture outside the program
// and one that is not YAML. Each is refused with its property path and its rule, nothing is created,
// and the user sees no stack trace, no pasted megabyte and no secret.
//
// The engine stops a preview at the first resource whose check fails, and reports every failure of
// that resource: so the cases come in bundles of independent bad properties, one resource and one
// preview per bundle (previews of separate projects run side by side).

const { newProject } = useProjects();

const SECRET_TOKEN = "hostile-input-token-7f3a9c0e";
const kubeconfigWithToken = [
  "apiVersion: v1",
  "kind: Config",
  "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]",
  `users: [{name: u, user: {token: ${SECRET_TOKEN}}}]`,
  "contexts: [{name: x, context: {cluster: c, user: u}}]",
  "current-context: x",
].join("\n");

interface Case {
  bundle: string;
  /** Where the bad value goes in the resource's args (dotted; [n] for list items). */
  at: string;
  value: unknown;
  /** The property path the refusal names, and what its rule says. */
  property: string;
  rule: RegExp;
}

const kata = (bundle: string, at: string, value: unknown, property: string, rule: RegExp): Case => ({ bundle: `kata-${bundle}`, at, value, property, rule });
const mhc = (bundle: string, at: string, value: unknown, property: string, rule: RegExp): Case => ({ bundle: `mhc-${bundle}`, at, value, property, rule });
const huge = (length: number, char = "x") => char.repeat(length);

const cases: Case[] = [
  // KataConfig: the spec's types and names, durations, labels
  kata("1", "spec.logLevel", "loud", "spec.logLevel", /must be one of the CRI-O log levels/),
  kata("1", "spec.checkNodeEligibility", "yes", "spec.checkNodeEligibility", /must be true or false/),
  kata("1", "spec.enablePeerPods", 1, "spec.enablePeerPods", /must be true or false/),
  kata("1", "spec.logLevl", "info", "spec.logLevl", /is not a known field; did you mean "logLevel"\?/),
  kata("1", "metadata.name", "Example_KataConfig", "metadata.name", /must be a DNS subdomain/),
  kata("1", "timeouts.create", "1e9h", "timeouts.create", /must be a Go duration like "300s"/),
  kata("1", "timeouts.delete", "9999999h", "timeouts.delete", /is longer than the longest Go duration/),
  kata("1", "timeouts.forever", "1h", "timeouts.forever", /is not a known field; the known fields are create, update, delete/),
  kata("1", "metadata.labels.app", "a b", "metadata.labels.app", /label value "a b" is invalid/),
  // KataConfig: selectors that would break the label selector query, huge strings
  kata("2", "spec.kataConfigPoolSelector.matchLabels", { "bad key!": "x" }, 'spec.kataConfigPoolSelector.matchLabels["bad key!"]', /label key "bad key!" is invalid/),
  kata("2", "spec.kataConfigPoolSelector.matchExpressions[0]", { key: "pool", operator: "In", values: ["a,b"] }, "spec.kataConfigPoolSelector.matchExpressions[0].values[0]", /label value "a,b" is invalid/),
  kata("2", "spec.kataConfigPoolSelector.matchExpressions[1]", { key: "pool", operator: "Equals", values: ["x"] }, "spec.kataConfigPoolSelector.matchExpressions[1].operator", /must be one of In, NotIn, Exists, DoesNotExist/),
  kata("2", "spec.kataConfigPoolSelector.matchExpressions[2]", { key: "pool", operator: "Exists", values: ["x"] }, "spec.kataConfigPoolSelector.matchExpressions[2].values", /must be empty when operator is Exists/),
  kata("2", "spec.kataConfigPoolSelector.matchExpressions[3]", { key: "pool", operator: "NotIn", values: [] }, "spec.kataConfigPoolSelector.matchExpressions[3].values", /must not be empty when operator is NotIn/),
  kata("2", "metadata.name", huge(300, "k"), "metadata.name", /must be at most 253 characters/),
  kata("2", "metadata.annotations.note", huge(300_000, "z"), "metadata.annotations", /must be at most 262144 bytes in total/),
  kata("2", "spec.logLevel", huge(100_000, "y"), "spec.logLevel", /must be one of the CRI-O log levels/),
  // KataConfig: the twin's inputs
  kata("3", "cluster.embedded.fixture", "/etc/passwd", "cluster.embedded.fixture", /must be a file inside the program's directory .* or a fixture the package ships/),
  kata("3", "cluster.embedded.timeScale", 0, "cluster.embedded.timeScale", /must be greater than 0/),
  kata("3", "cluster.embedded.nodeUpdateTime", "fast", "cluster.embedded.nodeUpdateTime", /must be a Go duration/),
  kata("3", "cluster.embedded.virtualTime", "yes", "cluster.embedded.virtualTime", /must be true or false/),
  kata("3", "cluster.embedded.stateFle", "x.json", "cluster.embedded.stateFle", /is not a known field; did you mean "stateFile"\?/),
  kata("4", "cluster.embedded.fixture", "not-yaml.yaml", "cluster.embedded.fixture", /is not a fixture the twin can load: .*not-yaml\.yaml: document 1/),
  kata("4", "spec", "everything", "spec", /must be an object; got "everything"/),
  kata("4", "timeouts", "1h", "timeouts", /must be an object; got "1h"/),
  kata("5", "cluster", { kubeconfig: kubeconfigWithToken, embedded: { fixture: "fixtures/two-workers.yaml" } }, "cluster", /must be \{ embedded: \{ fixture \} \} for the embedded twin, or \{ kubeconfig\?, context\? \}/),
  kata("5", "metadata.namespace", "default", "metadata.namespace", /must not be set: the object is cluster-scoped/),
  kata("6", "cluster.embedded.fixture", "../outside.yaml", "cluster.embedded.fixture", /must be a file inside the program's directory/),
  kata("6", "metadata.labels", "app=x", "metadata.labels", /must be an object; got "app=x"/),
  // MachineHealthCheck: the webhook's rules
  mhc("1", "spec.maxUnhealthy", "140", "spec.maxUnhealthy", /must be a whole number or a percentage ending in "%"/),
  mhc("1", "spec.unhealthyRange", "[5-3]", "spec.unhealthyRange", /the minimum \(5\) must not be greater than the maximum \(3\)/),
  mhc("1", "spec.nodeStartupTimeout", "10s", "spec.nodeStartupTimeout", /30s/),
  mhc("1", "spec.unhealthyConditions[0].timeout", "1e9h", "spec.unhealthyConditions[0].timeout", /must be a Go duration/),
  mhc("1", "spec.unhealthyConditions[1].status", 5, "spec.unhealthyConditions[1].status", /must be a string/),
  mhc("1", "spec.clusterName", huge(64, "c"), "spec.clusterName", /63/),
  mhc("1", "metadata.namespace", "Default!", "metadata.namespace", /must be a DNS label/),
  mhc("1", "metadata.name", "workers_1", "metadata.name", /must be a DNS subdomain/),
  mhc("2", "spec.selector", {}, "spec.selector", /must not be empty/),
  mhc("2", "spec.maxUnhealthy", 1.5, "spec.maxUnhealthy", /whole number/),
  mhc("2", "spec.unhealthyConditions", Array.from({ length: 101 }, () => ({ type: "Ready", status: "False", timeout: "5m" })), "spec.unhealthyConditions", /at most 100/),
  mhc("2", "spec.selectr", { matchLabels: { nodepool: "nodepool-0" } }, "spec.selectr", /is not a known field; did you mean "selector"\?/),
  mhc("2", "spec.remediationTemplate", { kind: "Metal3RemediationTemplate" }, "spec.remediationTemplate.name", /is required/),
  mhc("3", "spec.selector.matchLabels", { "cluster.x-k8s.io/cluster-name": "other" }, 'spec.selector.matchLabels["cluster.x-k8s.io/cluster-name"]', /must equal spec.clusterName/),
  mhc("3", "spec.selector.matchExpressions", [{ key: "nodepool", operator: "In", values: ["a b"] }], "spec.selector.matchExpressions[0].values[0]", /label value "a b" is invalid/),
  // A percentage is refused only below 0: Cluster API takes "150%" (all machines), so we do too.
  mhc("3", "spec.maxUnhealthy", "-10%", "spec.maxUnhealthy", /must be a whole number or a percentage ending in "%"/),
  mhc("3", "spec.nodeStartupTimeout", "9999999h", "spec.nodeStartupTimeout", /is longer than the longest Go duration/),
  mhc("3", "timeouts.update", 300, "timeouts.update", /must be a string/),
  mhc("3", "spec.unhealthyConditions[0].type", "", "spec.unhealthyConditions[0].type", /must not be empty/),
  mhc("4", "spec", huge(200_000, "s"), "spec", /must be an object .*; got "s{60}"… \(200000 characters\)/),
  mhc("4", "cluster.embedded.fixture", "fixtures/../../../etc/hostname", "cluster.embedded.fixture", /must be a file inside the program's directory|no fixture file/),
  mhc("4", "metadata.annotations", { "bad key!": "x" }, 'metadata.annotations["bad key!"]', /annotation key "bad key!" is invalid/),
  mhc("5", "cluster", 42, "cluster", /must be \{ embedded: \{ fixture \} \}/),
  mhc("5", "metadata.labels.pool", huge(64, "p"), "metadata.labels.pool", /label value "p+"… \(64 characters\) is invalid|at most 63 characters/),
];

function setAt(target: Record<string, unknown>, at: string, value: unknown): void {
  const parts = at.replace(/\[(\d+)\]/g, ".$1").split(".");
  let node: Record<string, unknown> = target;
  parts.slice(0, -1).forEach((part, i) => {
    const next = parts[i + 1]!;
    if (typeof node[part] !== "object" || node[part] === null) node[part] = /^\d+$/.test(next) ? [] : {};
    node = node[part] as Record<string, unknown>;
  });
  node[parts.at(-1)!] = value;
}

function validArgs(kind: ResourceSetting["kind"], project: Project): Record<string, unknown> {
  if (kind === "KataConfig") {
    return { metadata: { name: "example-kataconfig" }, spec: {}, cluster: { embedded: { ...project.openshift, virtualTime: true } } };
  }
  return {
    metadata: { name: "workers", namespace: "default" },
    spec: {
      clusterName: "capi-quickstart",
      maxUnhealthy: "40%",
      nodeStartupTimeout: "10m",
      selector: { matchLabels: { nodepool: "nodepool-0" } },
      unhealthyConditions: [{ type: "Ready", status: "Unknown", timeout: "300s" }, { type: "Ready", status: "False", timeout: "300s" }],
    },
    cluster: { embedded: project.capi },
  };
}

/** The engine's lines for the resource's check failures: "<property>: <rule>". */
function refusals(output: string, name: string): string[] {
  const marker = `resource '${name}' has a problem: `;
  return [...new Set(output.split("\n").filter((line) => line.includes(marker)).map((line) => line.slice(line.indexOf(marker) + marker.length).trim()))];
}

describe("hostile input through pulumi preview", () => {
  it(`has at least 40 cases, in both resources (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(cases.some((c) => c.bundle.startsWith("kata-")) && cases.some((c) => c.bundle.startsWith("mhc-"))).toBe(true);
  });

  it("refuses each with its property and its rule, shows no stack trace, creates nothing", { timeout: 600_000 }, async () => {
    const bundles = [...new Set(cases.map((c) => c.bundle))];
    const previews = new Map<string, { project: Project; result: CliResult; name: string }>();
    const runBundle = async (bundle: string) => {
      const kind = bundle.startsWith("kata-") ? "KataConfig" : "MachineHealthCheck";
      const name = bundle;
      // The project's program is written from the settings; the args need the project's twin paths.
      const probe = await newProject({ resources: [] });
      const args = validArgs(kind, probe);
      for (const c of cases.filter((x) => x.bundle === bundle)) setAt(args, c.at, c.value);
      fs.writeFileSync(path.join(probe.programDir, "settings.json"), JSON.stringify({ resources: [{ kind, name, args }] }));
      fs.writeFileSync(path.join(probe.programDir, "not-yaml.yaml"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x3a, 0x7b, 0x5b]));
      fs.copyFileSync(path.join(__dirname, "..", "..", "fixtures", "two-workers.yaml"), path.join(probe.dir, "outside.yaml"));
      previews.set(bundle, { project: probe, result: await probe.pulumi(["preview"], { allowFailure: true }), name });
    };
    // Three previews at a time: separate projects, so they share nothing but the machine.
    const queue = [...bundles];
    await Promise.all(Array.from({ length: 3 }, async () => {
      for (let bundle = queue.shift(); bundle; bundle = queue.shift()) await runBundle(bundle);
    }));

    const missing: string[] = [];
    for (const c of cases) {
      const { result, name } = previews.get(c.bundle)!;
      const found = refusals(result.output, name).filter((r) => r.startsWith(`${c.property}: `)).map((r) => r.slice(c.property.length + 2));
      if (!found.some((reason) => c.rule.test(reason))) missing.push(`${c.bundle} ${c.property}: wanted ${String(c.rule)}, got ${JSON.stringify(found)}`);
    }
    expect(missing).toEqual([]);

    for (const [bundle, { project, result, name }] of previews) {
      expect(result.code, bundle).not.toBe(0);
      // Every line the engine printed about the resource is one of our refusals: no stack, no other error.
      expect(refusals(result.output, name).length, bundle).toBeGreaterThan(0);
      expect(result.output, bundle).not.toMatch(/\n\s+at .*\.[jt]s:\d+:\d+|\.ts:\d+:\d+\)|TypeError|ReferenceError|Unhandled/);
      // Nothing pasted back: 300 KB of annotation, 100 KB of log level, 200 KB of spec in the inputs.
      expect(result.output.length, bundle).toBeLessThan(20_000);
      expect(result.output, bundle).not.toContain(SECRET_TOKEN);
      expect(await project.resources(), bundle).toEqual([]);
      expect(fs.existsSync(project.openshift.stateFile!) || fs.existsSync(project.capi.stateFile!), bundle).toBe(false);
    }
  });
});
