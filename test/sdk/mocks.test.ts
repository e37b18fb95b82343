import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

// User programs under pulumi.runtime.setMocks, with the package as a user gets it (the built
// package, by name); and the provider the SDK serializes, loaded in a fresh Node process.

const repo = path.resolve(__dirname, "..", "..");
const load = createRequire(path.join(repo, "examples", "quickstart", "index.ts"));
const pulumi = load("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
type Sdk = typeof import("../../sdk");

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];

function outputOf<T>(output: import("@pulumi/pulumi").Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}

let sdk: Sdk;
beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        // What the providers return: the inputs plus the status outputs.
        const state = args.type.endsWith(":KataConfig")
          ? { ...args.inputs, status: { kataNodes: { nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }, conditions: [{ type: "InProgress", status: "False", reason: "", message: "" }], runtimeClasses: ["kata"] }, runtimeClassName: "kata" }
          : { ...args.inputs, status: { expectedMachines: 6, currentHealthy: 6 }, report: { paused: false, expectedMachines: 6, currentHealthy: 6, remediationsAllowed: 2, remediationAllowed: true, targets: [], conditions: [], machines: [] } };
        return { id: `${args.name}-id`, state };
      },
      call: () => ({}),
    },
    "quickstart",
    "dev",
    false,
  );
  sdk = load("pulumi-cluster-runtime") as Sdk;
});

describe("the SDK in a user program (mocks)", () => {
  it("registers typed resources whose outputs a program can use", async () => {
    const kata = new sdk.KataConfig("sandboxed", { spec: { logLevel: "info" }, cluster: { embedded: { fixture: "fixtures/two-workers.yaml" } } });
    const ready: import("@pulumi/pulumi").Output<number> = kata.status.kataNodes.readyNodeCount;
    expect(await outputOf(ready)).toBe(2);
    expect(await outputOf(kata.runtimeClassName)).toBe("kata");
    // A later resource can take the runtime class name as its input.
    const podSpec = kata.runtimeClassName.apply((runtimeClassName) => ({ runtimeClassName, containers: [] }));
    expect(await outputOf(podSpec)).toEqual({ runtimeClassName: "kata", containers: [] });

    const entry = registered.find((r) => r.name === "sandboxed")!;
    expect(entry.type).toBe("pulumi-nodejs:dynamic/cluster-runtime:KataConfig");
    expect(entry.inputs.metadata).toEqual({ name: "sandboxed" }); // default: the Pulumi name
    expect(entry.inputs.owner).toBe("quickstart/dev/KataConfig/sandboxed");
    expect(typeof entry.inputs.__provider).toBe("string");
  });

  it("keeps a kubeconfig secret and reports the MachineHealthCheck's evaluation", async () => {
    const mhc = new sdk.MachineHealthCheck("workers", {
      metadata: { namespace: "default" },
      spec: { clusterName: "capi-quickstart", maxUnhealthy: "40%", selector: { matchLabels: { nodepool: "nodepool-0" } } },
      cluster: { kubeconfig: "apiVersion: v1\nkind: Config\n", context: "admin" },
    });
    expect(await outputOf(mhc.report.apply((report) => report?.remediationAllowed))).toBe(true);
    const entry = registered.find((r) => r.name === "workers")!;
    expect(entry.inputs.metadata).toEqual({ name: "workers", namespace: "default" });
    expect(await pulumi.isSecret(pulumi.output(mhcClusterOf(mhc)))).toBe(true);
  });
});

function mhcClusterOf(resource: unknown): import("@pulumi/pulumi").Output<unknown> {
  return (resource as { cluster: import("@pulumi/pulumi").Output<unknown> }).cluster;
}

describe("the provider the SDK serializes into state", () => {
  it("is small, requires the package by name, and loads and runs in a fresh Node process from the example's directory", () => {
    const text = registered.find((r) => r.name === "sandboxed")?.inputs.__provider as string;
    expect(text.length).toBeLessThan(20_000);
    expect(text).toContain('require("pulumi-cluster-runtime/provider")');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcr-provider-"));
    const providerFile = path.join(dir, "provider.js.txt");
    fs.writeFileSync(providerFile, text);
    // What the dynamic provider host does: require the text from a module without a file name.
    const script = `
      const requireFromString = require("require-from-string");
      const provider = requireFromString(require("fs").readFileSync(${JSON.stringify(providerFile)}, "utf8")).handler();
      Promise.all([
        provider.check({}, { metadata: { name: "k" }, spec: { logLevel: "verbose" } }),
        provider.create({ metadata: { name: "k" }, spec: {}, cluster: { embedded: { fixture: "two-workers", stateFile: ${JSON.stringify(path.join(dir, "twin.json"))}, virtualTime: true } } }),
      ]).then(([check, created]) => console.log(JSON.stringify({ failures: check.failures, id: created.id, ready: created.outs.status.kataNodes.readyNodeCount })));
    `;
    const out = execFileSync(path.join(repo, "node_modules", ".bin", "node"), ["-e", script], { cwd: path.join(repo, "examples", "quickstart"), encoding: "utf8" });
    const result = JSON.parse(out.trim().split("\n").at(-1)!);
    // The path leads the reason: the engine would print a failure's top-level property with its value.
    expect(result.failures).toEqual([{ property: "", reason: expect.stringMatching(/^spec\.logLevel: .*trace, debug, info/) }]);
    expect(result).toMatchObject({ id: "k", ready: 2 });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
