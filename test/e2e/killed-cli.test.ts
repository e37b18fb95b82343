import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import type { KataConfig } from "../../provider/kata/model";
import { alive, commandOf, processesIn, processTree, until } from "../support/processes";
import { kataNodesOutput } from "../support/seed-tables";
import { KATA_LABEL, KATA_TYPE, type Project, reportLines, type RunningCli, useProjects, withTwin } from "./project";

// A CI runner that times out kills `pulumi` with SIGKILL. The CLI starts its plugins in their own
// process groups, so nothing reaches them: the language host, the program and the dynamic providers
// must notice by themselves that the engine is gone, and stop. Then the recovery the README gives
// (pulumi cancel, refresh --clear-pending-creates, up) must finish the job with nothing duplicated.
// Time runs 600 times faster than the wall clock and a node update takes 20 minutes of it: 2 s.

const { newProject } = useProjects();
const up = ["up", "--yes", "--skip-preview"];
const destroy = ["destroy", "--yes", "--skip-preview"];

/** Kill the CLI with SIGKILL once it printed `moment`; answer what was running under it then. */
async function killAt(cli: RunningCli, moment: string): Promise<number[]> {
  await cli.waitFor(moment);
  const ours = processTree(cli.process.pid!);
  cli.process.kill("SIGKILL");
  return ours;
}

async function expectNothingLeft(project: Project, ours: number[]): Promise<void> {
  const left = () => [...new Set([...ours.filter(alive), ...processesIn(project.dir)])];
  await until(`no process of the killed run left (still: ${left().map(commandOf).join("; ")})`, () => left().length === 0, 10_000);
}

describe("a pulumi CLI killed with SIGKILL", () => {
  it("mid-install: nothing of ours keeps running, and cancel, refresh --clear-pending-creates, up complete the install", async () => {
    const project = await newProject({ kataConfig: { clock: "scaled", nodeUpdateTime: "20m" } });

    const ours = await killAt(project.start(up), "worker-1: installing");

    expect(ours.map(commandOf).join("\n")).toMatch(/pulumi-language-nodejs[\s\S]*dynamic-provider/);
    await expectNothingLeft(project, ours);

    await project.pulumi(["cancel", "--yes"]);
    await project.pulumi(["refresh", "--clear-pending-creates", "--yes", "--skip-preview"]);
    const resumed = await project.pulumi(up);

    expect(reportLines(resumed.output, KATA_LABEL)).toContain("found the object an interrupted run of this stack created; taking it over");
    expect((await project.outputs()).kataNodes).toEqual(kataNodesOutput({ nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] }));
    expect((await project.resources()).filter((r) => r.type === KATA_TYPE).map((r) => r.id)).toEqual(["example-kataconfig"]);
    await withTwin(project.openshift, async (twin) => expect((await twin.list<KataConfig>(kinds.kataConfig)).map((k) => k.metadata.name)).toEqual(["example-kataconfig"]));
  });

  it("mid-removal: nothing of ours keeps running, and cancel then destroy complete the removal", async () => {
    const project = await newProject({ kataConfig: { clock: "scaled", nodeUpdateTime: "20m" } });
    await project.pulumi(up);

    const ours = await killAt(project.start(destroy), "worker-1: uninstalling");
    await expectNothingLeft(project, ours);

    await project.pulumi(["cancel", "--yes"]);
    const destroyed = await project.pulumi(destroy);

    // The twin's clock ran on meanwhile: the removal may have finished before this destroy looked.
    expect(reportLines(destroyed.output, KATA_LABEL).at(-1)).toMatch(/^(removed|already removed from the cluster)$/);
    expect(await project.resources()).toEqual([]);
    await withTwin(project.openshift, async (twin) => {
      expect(await twin.list(kinds.kataConfig)).toEqual([]);
      expect(await twin.list(kinds.runtimeClass)).toEqual([]);
    });
  });
});
