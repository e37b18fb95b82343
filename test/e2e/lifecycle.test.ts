import * as fs from "node:fs";
import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import type { KataConfig } from "../../provider/kata/model";
import type { MachineHealthCheck } from "../../provider/mhc/model";
import { KATA_LABEL, KATA_TYPE, MHC_LABEL, MHC_TYPE, type Project, reportLines, resourceSummary, useProjects, withTwin } from "./project";
import { installProgressLines, kataNodesOutput } from "../support/seed-tables";

// preview, up, a policy change, refresh and destroy of the quickstart's resources, through the real
// Pulumi CLI on the embedded twin.

const { newProject } = useProjects();
const up = ["up", "--yes", "--skip-preview"];
const kataRef = { ...kinds.kataConfig, name: "example-kataconfig" };
const mhcRef = { ...kinds.machineHealthCheck, namespace: "default", name: "capi-quickstart-node-unhealthy-5m" };

async function twinMaxUnhealthy(project: Project): Promise<unknown> {
  return withTwin(project.capi, async (twin) => (await twin.get<MachineHealthCheck>(mhcRef))?.spec.maxUnhealthy);
}

describe("the quickstart's resources through the real CLI", () => {
  it("preview of a new stack lists both resources to create and changes nothing", async () => {
    const project = await newProject({ kataConfig: { clock: "scaled" }, machineHealthCheck: true });

    const preview = await project.pulumi(["preview"]);

    expect(preview.output).toMatch(/\+\s+pulumi-nodejs:dynamic\/cluster-runtime:KataConfig sandboxed create/);
    expect(preview.output).toMatch(/\+\s+pulumi-nodejs:dynamic\/cluster-runtime:MachineHealthCheck workers create/);
    expect(resourceSummary(preview.output)).toEqual(["+ 3 to create"]);
    // No cluster change: neither twin was even opened.
    expect(fs.existsSync(project.openshift.stateFile!)).toBe(false);
    expect(fs.existsSync(project.capi.stateFile!)).toBe(false);
    expect(await project.resources()).toEqual([]);
  });

  it("up installs kata node by node, outputs the final status and the health report; a second up changes nothing", async () => {
    const project = await newProject({ kataConfig: { clock: "scaled" }, machineHealthCheck: true });

    const created = await project.pulumi(up);

    expect(resourceSummary(created.output)).toEqual(["+ 3 created"]);
    const kataLines = reportLines(created.output, KATA_LABEL);
    // The seed's installation transitions, worker-1 first.
    expect(kataLines.filter((line) => /^worker-\d: /.test(line))).toEqual(installProgressLines);
    expect(kataLines).toContain("InProgress True (Installing): Performing initial installation of kata on cluster");
    expect(kataLines.at(-1)).toBe('kata is ready on 2 node(s); RuntimeClass "kata" exists');
    expect(reportLines(created.output, MHC_LABEL)).toEqual(["6/6 machines healthy; remediation allowed (2 more)"]);

    const outputs = await project.outputs();
    expect(outputs).toEqual({
      kataNodes: kataNodesOutput({ nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }),
      inProgress: { type: "InProgress", status: "False", reason: "", message: "", lastTransitionTime: expect.any(String) },
      runtimeClass: "kata",
      workersRemediation: expect.objectContaining({
        paused: false,
        expectedMachines: 6,
        currentHealthy: 6,
        remediationAllowed: true,
        remediationsAllowed: 2,
      }),
    });
    const remediation = outputs.workersRemediation as { targets: string[]; machines: Array<{ state: string; remediatedBy: string }> };
    expect(remediation.targets).toHaveLength(6);
    expect(remediation.machines.every((m) => m.state === "healthy" && m.remediatedBy === "MachineSet")).toBe(true);

    const again = await project.pulumi(up);
    expect(resourceSummary(again.output)).toEqual(["3 unchanged"]);
  });

  it("a maxUnhealthy change shows its diff and what it means at preview, and up applies it", async () => {
    const project = await newProject({ machineHealthCheck: true });
    await project.pulumi(up);
    await project.pulumi(["config", "set", "maxUnhealthy", "20%"]);

    const preview = await project.pulumi(["preview", "--diff"]);

    expect(preview.output).toMatch(/~ maxUnhealthy\s*: "40%" => "20%"/);
    expect(resourceSummary(preview.output)).toEqual(["~ 1 to update", "1 unchanged"]);
    expect(preview.output).toContain(`${MHC_LABEL}: maxUnhealthy 40% → 20%: 6 machines, limit 2 → 1, 0 unhealthy now: still allowed`);
    expect(await twinMaxUnhealthy(project)).toBe("40%"); // preview changed nothing

    const updated = await project.pulumi(up);

    expect(resourceSummary(updated.output)).toEqual(["~ 1 updated", "1 unchanged"]);
    expect(reportLines(updated.output, MHC_LABEL)).toContain("6/6 machines healthy; remediation allowed (1 more)");
    expect(await twinMaxUnhealthy(project)).toBe("20%");
    expect((await project.outputs()).workersRemediation).toMatchObject({ expectedMachines: 6, remediationsAllowed: 1 });
  });

  it("refresh finds no drift, then drops a KataConfig deleted behind the stack's back", async () => {
    const project = await newProject({ kataConfig: { clock: "virtual" }, machineHealthCheck: true });
    await project.pulumi(up);

    const unchanged = await project.pulumi(["refresh", "--yes", "--skip-preview"]);
    expect(resourceSummary(unchanged.output)).toEqual(["3 unchanged"]);

    await withTwin(project.openshift, async (twin) => {
      await twin.delete(kataRef);
      // Virtual time: move it on until the operator has removed kata and the object is gone.
      for (let minutes = 0; minutes < 120 && (await twin.get(kataRef)); minutes++) await twin.advance(60_000);
      expect(await twin.get(kataRef)).toBeUndefined();
    });

    const refreshed = await project.pulumi(["refresh", "--yes", "--skip-preview"]);

    expect(refreshed.output).toMatch(/-\s+pulumi-nodejs:dynamic\/cluster-runtime:KataConfig sandboxed deleted/);
    expect(resourceSummary(refreshed.output)).toEqual(["- 1 deleted", "2 unchanged"]);
    const types = (await project.resources()).map((r) => r.type);
    expect(types).not.toContain(KATA_TYPE);
    expect(types).toContain(MHC_TYPE);
  });

  it("destroy follows the removal and leaves no KataConfig, RuntimeClass or MachineHealthCheck", async () => {
    const project = await newProject({ kataConfig: { clock: "scaled" }, machineHealthCheck: true });
    await project.pulumi(up);

    const destroyed = await project.pulumi(["destroy", "--yes", "--skip-preview"]);

    expect(resourceSummary(destroyed.output)).toEqual(["- 3 deleted"]);
    const kataLines = reportLines(destroyed.output, KATA_LABEL);
    expect(kataLines).toEqual(
      expect.arrayContaining([
        "deletion requested; following the removal of kata from the nodes",
        "InProgress True (Uninstalling): Removing kata from cluster",
        "worker-1: uninstalling (0/0 ready)",
        "worker-1: uninstalled (0/0 ready)",
        "worker-0: uninstalling (0/0 ready)",
      ]),
    );
    expect(kataLines.at(-1)).toBe("removed");
    expect(await project.resources()).toEqual([]);
    await withTwin(project.openshift, async (twin) => {
      expect(await twin.list<KataConfig>(kinds.kataConfig)).toEqual([]);
      expect(await twin.list(kinds.runtimeClass)).toEqual([]);
      const kataNodes = (await twin.list(kinds.node)).filter((n) => n.metadata.labels?.["node-role.kubernetes.io/kata-oc"] !== undefined);
      expect(kataNodes).toEqual([]);
    });
    await withTwin(project.capi, async (twin) => expect(await twin.list(kinds.machineHealthCheck)).toEqual([]));
  });
});
