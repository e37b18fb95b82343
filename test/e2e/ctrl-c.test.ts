import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import { alive, commandOf, processesIn, processTree, until } from "../support/processes";
import type { ResourceSetting } from "./program/resources";
import { KATA_TYPE, type Project, reportLines, type RunningCli, useProjects, withTwin } from "./project";

// Ctrl-C during a long KataConfig wait, through the real CLI and the dynamic resources. The CLI's first
// Ctrl-C asks the engine to cancel: it stops starting new steps and sends Cancel to the providers,
// then waits for the operations in flight. The dynamic provider host cannot cancel (its Cancel does
// nothing), so the KataConfig's wait goes on to its end: the install is followed to completion and
// recorded, the update ends "canceled", and the next `up` has nothing left to do. A second Ctrl-C
// terminates the CLI at once, like a kill: the engine guard ends the providers, and the recovery of
// a killed CLI (refresh --clear-pending-creates, up) takes the object over.
// Twin time runs 600 times faster than the wall clock; a node update takes 80 minutes of it: 8 s.

const { newProject } = useProjects();
const up = ["up", "--yes", "--skip-preview"];
const LABEL = "KataConfig example-kataconfig";

async function slowInstall(): Promise<Project> {
  const project = await newProject({ resources: [] });
  const twin = { ...project.openshift, timeScale: 600, nodeUpdateTime: "80m" };
  const resources: ResourceSetting[] = [{ kind: "KataConfig", name: "sandboxed", args: { metadata: { name: "example-kataconfig" }, cluster: { embedded: twin }, timeouts: { create: "100h" } } }];
  fs.writeFileSync(path.join(project.programDir, "settings.json"), JSON.stringify({ resources }));
  return project;
}

function exited(cli: RunningCli): Promise<number> {
  return new Promise((resolve) => (cli.process.exitCode !== null ? resolve(cli.process.exitCode) : cli.process.once("exit", (code) => resolve(code ?? 1))));
}

async function expectOneKataConfig(project: Project): Promise<void> {
  expect((await project.outputs()).resources).toEqual({ sandboxed: { readyNodeCount: 2, nodeCount: 2, runtimeClass: "kata" } });
  expect((await project.resources()).filter((r) => r.type === KATA_TYPE).map((r) => r.id)).toEqual(["example-kataconfig"]);
  await withTwin({ ...project.openshift, timeScale: 600 }, async (twin) => expect((await twin.list(kinds.kataConfig)).map((k) => k.metadata.name)).toEqual(["example-kataconfig"]));
}

describe("Ctrl-C during a KataConfig wait (dynamic resources)", () => {
  it("once: the CLI cancels, waits for the install in flight to end, records it; the next up has nothing to do", async () => {
    const project = await slowInstall();
    const cli = project.start(up);
    await cli.waitFor(`${LABEL}: worker-1: installing`);

    const sent = Date.now();
    cli.process.kill("SIGINT");
    const code = await exited(cli);
    const output = cli.output();
    process.stderr.write(`[ctrl-c] one SIGINT: the CLI exited ${((Date.now() - sent) / 1000).toFixed(1)} s later (code ${code})\n`);

    expect(output).toContain("^C received; cancelling");
    expect(code).not.toBe(0);
    expect(output).toContain("update canceled");
    // The wait was not cut short: it followed the install to its end before the CLI exited.
    expect(reportLines(output, LABEL).at(-1)).toBe('kata is ready on 2 node(s); RuntimeClass "kata" exists');

    const next = await project.pulumi(up);
    expect(next.output).not.toMatch(/KataConfig sandboxed (created|updated)/);
    await expectOneKataConfig(project);
  });

  it("twice: the CLI terminates at once, nothing of ours keeps running; refresh --clear-pending-creates and up finish the install", async () => {
    const project = await slowInstall();
    const cli = project.start(up);
    await cli.waitFor(`${LABEL}: worker-1: installing`);
    const ours = processTree(cli.process.pid!);

    const sent = Date.now();
    cli.process.kill("SIGINT");
    await cli.waitFor("^C received; cancelling");
    cli.process.kill("SIGINT");
    await exited(cli);
    process.stderr.write(`[ctrl-c] two SIGINTs: the CLI exited ${((Date.now() - sent) / 1000).toFixed(1)} s after the first\n`);

    // It did not wait for the install: the first node was still on its way.
    expect(cli.output()).not.toContain("kata is ready");
    const left = () => [...new Set([...ours.filter(alive), ...processesIn(project.dir)])];
    await until(`no process of the interrupted run left (still: ${left().map(commandOf).join("; ")})`, () => left().length === 0, 15_000);

    await project.pulumi(["refresh", "--clear-pending-creates", "--yes", "--skip-preview"]);
    const resumed = await project.pulumi(up);

    expect(reportLines(resumed.output, LABEL)).toContain("found the object an interrupted run of this stack created; taking it over");
    await expectOneKataConfig(project);
  });
});
