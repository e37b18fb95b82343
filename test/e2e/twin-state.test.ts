import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import { OWNER_ANNOTATION } from "../../provider/lifecycle/inputs";
import type { EmbeddedTarget } from "../../provider/cluster/target";
import type { ResourceSetting } from "./program/resources";
import { type CliResult, KATA_TYPE, MHC_TYPE, type Project, useProjects, withTwin } from "./project";

// The twin's state file under stress, through the real CLI: two stacks sharing it with parallel
// `up`s, a torn file, a directory that cannot be written. Nothing is lost or duplicated, and every
// refusal names the file and what to do.

const { newProject } = useProjects();
const up = ["up", "--yes", "--skip-preview"];

const mhcSpec = {
  clusterName: "capi-quickstart",
  maxUnhealthy: "40%",
  nodeStartupTimeout: "10m",
  selector: { matchLabels: { nodepool: "nodepool-0" } },
  unhealthyConditions: [{ type: "Ready", status: "False", timeout: "300s" }],
};
const openshiftTwin = (stateFile: string): EmbeddedTarget => ({ fixture: "fixtures/two-workers.yaml", stateFile, virtualTime: true });
const capiTwin = (stateFile: string): EmbeddedTarget => ({ fixture: "fixtures/capi-quickstart.yaml", stateFile, virtualTime: true });
const healthCheck = (name: string, twin: EmbeddedTarget): ResourceSetting => ({
  kind: "MachineHealthCheck",
  name: "workers",
  args: { metadata: { name, namespace: "default" }, spec: mhcSpec, cluster: { embedded: twin } },
});
const kataConfig = (name: string, twin: EmbeddedTarget): ResourceSetting => ({ kind: "KataConfig", name: "kata", args: { metadata: { name }, cluster: { embedded: twin } } });

/** What the stack holds of each resource: its identity, inputs and outputs. */
const resourceStates = async (project: Project) => (await project.resources()).map(({ urn, type, id, inputs, outputs }) => ({ urn, type, id, inputs, outputs }));
const ids = async (project: Project, type: string) => (await project.resources()).filter((r) => r.type === type).map((r) => r.id);

describe("the twin's state file", () => {
  it("two stacks sharing it, with parallel ups: every object of each is kept, and the cluster's one KataConfig is not duplicated", async () => {
    const shared = fs.mkdtempSync(path.join(path.dirname(process.env.TMPDIR ?? "/tmp/x"), "pcr-shared-twin-"));
    try {
      const twins = { openshift: openshiftTwin(path.join(shared, "openshift.json")), capi: capiTwin(path.join(shared, "capi.json")) };
      const stacks = await Promise.all(
        (["a", "b"] as const).map((s) => newProject({ resources: [kataConfig(`kata-${s}`, twins.openshift), healthCheck(`workers-${s}`, twins.capi)] })),
      );

      const first = await Promise.all(stacks.map((p) => p.pulumi(up, { allowFailure: true })));
      // Each stack once more, one after the other: what the first round left undone is done now.
      const second: CliResult[] = [];
      for (const p of stacks) second.push(await p.pulumi(up, { allowFailure: true }));

      // Both health checks, in the twin and each in its own stack.
      await withTwin(twins.capi, async (twin) => {
        const names = (await twin.list(kinds.machineHealthCheck)).map((m) => m.metadata.name).sort();
        expect(names).toEqual(["workers-a", "workers-b"]);
      });
      expect(await ids(stacks[0]!, MHC_TYPE)).toEqual(["default/workers-a"]);
      expect(await ids(stacks[1]!, MHC_TYPE)).toEqual(["default/workers-b"]);
      // One KataConfig in the cluster, held by exactly the stack that made it; the other stack was told why.
      const kataConfigs = await withTwin(twins.openshift, (twin) => twin.list(kinds.kataConfig));
      expect(kataConfigs).toHaveLength(1);
      const winner = kataConfigs[0]!.metadata.name === "kata-a" ? 0 : 1;
      const loser = 1 - winner;
      expect(kataConfigs[0]!.metadata.annotations?.[OWNER_ANNOTATION]).toBe(`cluster-runtime-e2e/e2e/KataConfig/kata`);
      expect(await ids(stacks[winner]!, KATA_TYPE)).toEqual([kataConfigs[0]!.metadata.name]);
      expect(await ids(stacks[loser]!, KATA_TYPE)).toEqual([]);
      for (const result of [first[loser]!, second[loser]!]) {
        expect(result.code).not.toBe(0);
        expect(result.output).toMatch(/KataConfig kata-[ab] already exists in embedded twin at .* A cluster admits only one KataConfig|A KataConfig instance already exists, refusing to create a duplicate/);
      }
      expect(second[winner]!.code).toBe(0);
    } finally {
      fs.rmSync(shared, { recursive: true, force: true });
    }
  });

  it("torn: refresh refuses naming the file and the backup, changes neither; restored from the backup, all is there", async () => {
    const project = await newProject({ machineHealthCheck: true });
    await project.pulumi(up);
    const file = project.capi.stateFile!;
    const whole = fs.readFileSync(file);
    fs.writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2))); // a copy cut short, a full disk
    const torn = fs.readFileSync(file);
    const before = JSON.stringify(await resourceStates(project));

    const refused = await project.pulumi(["refresh", "--yes", "--skip-preview"], { allowFailure: true });

    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`the twin state file ${file} is not valid JSON`);
    expect(refused.output).toContain(`It is left as it is: restore the last state the twin wrote from its copy with \`cp ${file}.bak ${file}\``);
    expect(fs.readFileSync(file).equals(torn)).toBe(true);
    expect(JSON.stringify(await resourceStates(project))).toBe(before);

    fs.copyFileSync(`${file}.bak`, file);
    const refreshed = await project.pulumi(["refresh", "--yes", "--skip-preview"]);
    expect(refreshed.output).not.toMatch(/deleted/);
    expect(await ids(project, MHC_TYPE)).toEqual(["default/capi-quickstart-node-unhealthy-5m"]);
    await withTwin(project.capi, async (twin) => expect(await twin.list(kinds.machineHealthCheck)).toHaveLength(1));
  });

  it("a directory that cannot be written: up refuses naming the file and what to do, creates nothing; writable again, up completes", async () => {
    const project = await newProject({ resources: [] });
    const readOnly = path.join(project.dir, "read-only");
    fs.mkdirSync(readOnly, { mode: 0o555 });
    const twin = capiTwin(path.join(readOnly, "capi.json"));
    fs.writeFileSync(path.join(project.programDir, "settings.json"), JSON.stringify({ resources: [healthCheck("workers", twin)] }));

    const refused = await asUnprivileged(project, up);

    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`cannot use the twin state file ${twin.stateFile}`);
    expect(refused.output).toMatch(/EACCES/);
    expect(refused.output).toContain(`make that directory writable, or choose another one with cluster.embedded.stateFile`);
    expect(await ids(project, MHC_TYPE)).toEqual([]);
    expect(fs.readdirSync(readOnly)).toEqual([]);

    fs.chmodSync(readOnly, 0o755);
    await project.pulumi(up);
    expect(await ids(project, MHC_TYPE)).toEqual(["default/workers"]);
  });
});

/**
 * Run pulumi so that file permissions hold: as root (CI here), without the capability that lets root
 * write anywhere; as anyone else, as is.
 */
function asUnprivileged(project: Project, args: string[]): Promise<CliResult> {
  const root = process.getuid?.() === 0;
  const caps = "-dac_override,-dac_read_search";
  const [command, commandArgs] = root ? ["setpriv", [`--inh-caps=${caps}`, `--bounding-set=${caps}`, "pulumi", ...args, "--color", "never"]] : ["pulumi", [...args, "--color", "never"]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, { cwd: project.programDir, env: project.workspace.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}
