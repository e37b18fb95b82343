import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as yaml from "yaml";
import { openshiftPools, workerNodes } from "../support/openshift-fixture";
import { kinds } from "../../provider/k8s/api-types";
import { DEFAULT_PROGRESS_BURST } from "../../provider/lifecycle/progress-budget";
import { type CliResult, reportLines, useProjects, withTwin } from "./project";

// A KataConfig on 1,000 workers through the real CLI, on virtual time (1,000 node updates of 1 minute
// of twin time each, one at a time): the install is followed to the end within its time limit, and
// what the CLI prints stays a bounded, useful stream: each phase's first node lines, then at most one
// line per interval with the latest node and how many changes it stands for, every phase and the end.

const { newProject } = useProjects();
const WORKERS = 1000;
const LABEL = "KataConfig big-kataconfig";

function workersFixture(count: number): string {
  return [...workerNodes(count), ...openshiftPools()].map((d) => yaml.stringify(d)).join("---\n");
}

describe("a 1,000-worker cluster through the real CLI", () => {
  it("installs kata on every worker within the limit, printing a bounded progress stream", { timeout: 900_000 }, async () => {
    const project = await newProject({ resources: [] });
    fs.writeFileSync(path.join(project.programDir, "workers.yaml"), workersFixture(WORKERS));
    const twin = { fixture: "workers.yaml", stateFile: path.join(project.dir, "twin", "workers.json"), virtualTime: true, nodeUpdateTime: "1m" };
    const resources = [{ kind: "KataConfig", name: "big", args: { metadata: { name: "big-kataconfig" }, cluster: { embedded: twin }, timeouts: { create: "24h" } } }];
    fs.writeFileSync(path.join(project.programDir, "settings.json"), JSON.stringify({ resources }));

    const result: CliResult = await project.pulumi(["up", "--yes", "--skip-preview"]);

    expect((await project.outputs()).resources).toEqual({ big: { readyNodeCount: WORKERS, nodeCount: WORKERS, runtimeClass: "kata" } });
    const lines = reportLines(result.output, LABEL);
    process.stderr.write(`[large-cluster] ${lines.length} progress lines:\n${lines.join("\n")}\n`);
    // Thousands of node transitions (waiting, installing, installed for each worker) make a few dozen lines.
    expect(lines.length).toBeLessThan(100);
    const nodeLines = lines.filter((l) => l.startsWith("worker-"));
    expect(nodeLines.slice(0, DEFAULT_PROGRESS_BURST)).toEqual(nodeLines.slice(0, DEFAULT_PROGRESS_BURST).filter((l) => !l.includes("not shown")));
    // Held-back changes are counted, not lost: the last node line says where the install got to.
    expect(nodeLines.some((l) => /earlier changes not shown\)$/.test(l))).toBe(true);
    expect(nodeLines.at(-1)).toMatch(new RegExp(`\\(${WORKERS}/${WORKERS} ready\\)`));
    expect(lines).toContain("InProgress True (Installing): Performing initial installation of kata on cluster");
    expect(lines.at(-1)).toBe(`kata is ready on ${WORKERS} node(s); RuntimeClass "kata" exists`);
    // The whole CLI output stays small (outputs printed once, no per-node lists in messages).
    expect(result.output.length).toBeLessThan(40_000);
    await withTwin({ ...twin, fixture: path.join(project.programDir, "workers.yaml") }, async (cluster) => expect((await cluster.list(kinds.kataConfig)).map((k) => k.metadata.name)).toEqual(["big-kataconfig"]));
  });
});
