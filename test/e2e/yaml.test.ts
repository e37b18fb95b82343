import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import type { MachineHealthCheck } from "../../provider/mhc/model";
import { repoRoot } from "../../tools/engine";
import { installProgressLines, kataNodesOutput } from "../support/seed-tables";
import { resourceSummary, rowDiagnostics, STACK, useProjects, withTwin, type YamlProject } from "./project";

// examples/yaml, a Pulumi YAML program, through the provider plugin pulumi-resource-cluster-runtime
// and the Pulumi YAML language host built here (tools/yaml), with the real CLI: both resources on
// the embedded twin (the KataConfig by its own `cluster`, the MachineHealthCheck through an explicit
// provider resource), their twins at the example's own speed (60 times the wall clock).

const { newYamlProject } = useProjects();
const example = fs.readFileSync(path.join(repoRoot, "examples", "yaml", "Pulumi.yaml"), "utf8");
const up = ["up", "--yes", "--skip-preview"];
const KATA = "cluster-runtime:index:KataConfig";
const MHC = "cluster-runtime:index:MachineHealthCheck";
const mhcRef = { ...kinds.machineHealthCheck, namespace: "default", name: "capi-quickstart-node-unhealthy-5m" };

const openshift = (project: YamlProject) => ({ fixture: "fixtures/two-workers.yaml", stateFile: project.twinState("two-workers") });
const management = (project: YamlProject) => ({ fixture: "fixtures/capi-quickstart.yaml", stateFile: project.twinState("capi-quickstart") });

describe("examples/yaml through the provider plugin and the real CLI", () => {
  it("preview lists both resources and the provider to create; a bad value is refused with its property; no cluster is touched", async () => {
    const project = await newYamlProject(example);

    const preview = await project.pulumi(["preview"]);

    expect(preview.output).toMatch(/\+\s+cluster-runtime:index:KataConfig sandboxed create/);
    expect(preview.output).toMatch(/\+\s+cluster-runtime:index:MachineHealthCheck workers create/);
    expect(preview.output).toMatch(/\+\s+pulumi:providers:cluster-runtime management create/);
    expect(resourceSummary(preview.output)).toEqual(["+ 4 to create"]);

    // The engine stops at the first resource refused: one bad value at a time.
    await project.pulumi(["config", "set", "logLevel", "loud"]);
    const badLogLevel = await project.pulumi(["preview"], { allowFailure: true });
    await project.pulumi(["config", "set", "logLevel", "info"]);
    await project.pulumi(["config", "set", "maxUnhealthy", "most"]);
    const badMaxUnhealthy = await project.pulumi(["preview"], { allowFailure: true });

    expect(badLogLevel.code).not.toBe(0);
    expect(rowDiagnostics(badLogLevel.output, KATA, "sandboxed").join("\n")).toContain(
      "cluster-runtime:index:KataConfig resource 'sandboxed' has a problem: spec.logLevel: must be one of the CRI-O log levels: trace, debug, info, warn, error, fatal, panic",
    );
    expect(badMaxUnhealthy.code).not.toBe(0);
    expect(rowDiagnostics(badMaxUnhealthy.output, MHC, "workers").join("\n")).toContain(
      `cluster-runtime:index:MachineHealthCheck resource 'workers' has a problem: spec.maxUnhealthy: must be a whole number or a percentage ending in "%", like 2 or "40%"; got "most"`,
    );
    expect(fs.existsSync(project.twinState("two-workers"))).toBe(false);
    expect(fs.existsSync(project.twinState("capi-quickstart"))).toBe(false);
    expect(await project.resources()).toEqual([]);
  });

  it("up creates both with progress on their own rows, a policy change and a rename preview as detailed diffs, up applies, destroy removes", async () => {
    const project = await newYamlProject(example);

    const created = await project.pulumi(up);

    expect(resourceSummary(created.output)).toEqual(["+ 4 created"]);
    // Progress on the resource's own row: its live row while it is created, and its block of Diagnostics.
    expect(created.output).toMatch(/cluster-runtime:index:KataConfig sandboxed creating \(\d+s\) worker-1: installing \(0\/2 ready\)/);
    const kataRow = rowDiagnostics(created.output, KATA, "sandboxed");
    expect(kataRow.filter((line) => /^worker-\d: /.test(line))).toEqual(installProgressLines);
    expect(kataRow.at(-1)).toBe('kata is ready on 2 node(s); RuntimeClass "kata" exists');
    expect(rowDiagnostics(created.output, MHC, "workers")).toEqual(["6/6 machines healthy; remediation allowed (2 more)"]);
    // None of it as the stack's messages (the only channel of the dynamic resources).
    const stackRow = rowDiagnostics(created.output, "pulumi:pulumi:Stack", `cluster-runtime-yaml-${STACK}`);
    expect(stackRow.filter((line) => /worker-|kata is ready|machines healthy/.test(line))).toEqual([]);

    const outputs = await project.outputs();
    expect(outputs).toMatchObject({
      ready: 2,
      runtimeClass: "kata",
      kataNodes: kataNodesOutput({ nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }),
      workersRemediation: { paused: false, expectedMachines: 6, currentHealthy: 6, remediationAllowed: true, remediationsAllowed: 2 },
    });

    // Refresh reads both back: no drift.
    const refreshed = await project.pulumi(["refresh", "--yes", "--skip-preview"]);
    expect(resourceSummary(refreshed.output)).toEqual(["4 unchanged"]);

    // A policy change: the detailed diff names the property, the row says what it means now.
    await project.pulumi(["config", "set", "maxUnhealthy", "20%"]);
    const diff = await project.pulumi(["preview", "--diff"]);
    expect(diff.output).toMatch(/~ cluster-runtime:index:MachineHealthCheck: \(update\)/);
    expect(diff.output).toMatch(/~ spec: \{\n\s+~ maxUnhealthy: "40%" => "20%"\n\s+\}/);
    expect(resourceSummary(diff.output)).toEqual(["~ 1 to update", "3 unchanged"]);
    const preview = await project.pulumi(["preview"]);
    expect(rowDiagnostics(preview.output, MHC, "workers")).toEqual(["maxUnhealthy 40% → 20%: 6 machines, limit 2 → 1, 0 unhealthy now: still allowed"]);

    // A rename cannot be done in place: a replacement, and the row says why.
    const programFile = path.join(project.programDir, "Pulumi.yaml");
    fs.writeFileSync(programFile, example.replace("name: capi-quickstart-node-unhealthy-5m", "name: capi-quickstart-workers"));
    const rename = await project.pulumi(["preview"]);
    expect(rename.output).toMatch(/\+-\s+cluster-runtime:index:MachineHealthCheck workers replace \[diff: ~metadata,spec\]/);
    expect(rowDiagnostics(rename.output, MHC, "workers")).toContain("metadata.name changes, which replaces the resource: a MachineHealthCheck cannot be renamed");
    fs.writeFileSync(programFile, example);

    const updated = await project.pulumi(up);

    expect(resourceSummary(updated.output)).toEqual(["~ 1 updated", "3 unchanged"]);
    expect(rowDiagnostics(updated.output, MHC, "workers")).toEqual([
      "maxUnhealthy 40% → 20%: 6 machines, limit 2 → 1, 0 unhealthy now: still allowed",
      "6/6 machines healthy; remediation allowed (1 more)",
    ]);
    await withTwin(management(project), async (twin) => expect((await twin.get<MachineHealthCheck>(mhcRef))?.spec.maxUnhealthy).toBe("20%"));

    const destroyed = await project.pulumi(["destroy", "--yes", "--skip-preview"]);

    expect(resourceSummary(destroyed.output)).toEqual(["- 4 deleted"]);
    const removal = rowDiagnostics(destroyed.output, KATA, "sandboxed");
    expect(removal[0]).toBe("deletion requested; following the removal of kata from the nodes");
    expect(removal).toContain("worker-1: uninstalled (0/0 ready)");
    expect(removal.at(-1)).toBe("removed");
    expect(await project.resources()).toEqual([]);
    await withTwin(openshift(project), async (twin) => {
      expect(await twin.list(kinds.kataConfig)).toEqual([]);
      expect(await twin.list(kinds.runtimeClass)).toEqual([]);
    });
    await withTwin(management(project), async (twin) => expect(await twin.list(kinds.machineHealthCheck)).toEqual([]));
  });
});
