import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import type { KataConfig } from "../../provider/kata/model";
import { engineDir, pulumi, repoRoot, selectStack, workspace } from "../../tools/engine";
import { alive, commandOf, processTree, until } from "../support/processes";
import { resourceSummary, rowDiagnostics, useProjects, withTwin } from "./project";

// What the provider plugin has that the dynamic resources cannot: the engine's customTimeouts,
// `pulumi import`, the engine's cancel (Ctrl-C), its own end when the engine dies, the provider's
// configuration (a kubeconfig kept secret), and installing it as a plugin. Pulumi YAML programs
// through the real CLI.

const { newYamlProject, newWorkspace, tools } = useProjects();
const up = ["up", "--yes", "--skip-preview"];
const KATA = "cluster-runtime:index:KataConfig";

/**
 * A KataConfig on a twin whose time runs at the wall clock's pace (timeScale 1), so that the install
 * really takes 2 × nodeUpdateTime of wall-clock time.
 */
function slowInstall(nodeUpdateTime: string, options = ""): string {
  return `name: cluster-runtime-plugin
runtime: yaml
resources:
  sandboxed:
    type: ${KATA}
    properties:
      metadata:
        name: example-kataconfig
      cluster:
        embedded:
          fixture: fixtures/two-workers.yaml
          timeScale: 1
          nodeUpdateTime: ${nodeUpdateTime}
${options}`;
}

/** Processes a test started through the CLI, ended after it (by pid) if one was left behind. */
let started: number[] = [];
afterEach(() => {
  for (const pid of started) if (alive(pid)) process.kill(pid, "SIGKILL");
  started = [];
});

describe("the provider plugin under the real CLI", () => {
  it("customTimeouts create 1m stops an install that takes longer at one minute, saying what it saw last, and keeps the resource", async () => {
    // Two node updates of 40 s: worker-1 is installed at 40 s, worker-0 is installing at 60 s.
    const project = await newYamlProject(slowInstall("40s", "    options:\n      customTimeouts:\n        create: 1m\n"));

    const failed = await project.pulumi(up, { allowFailure: true });

    expect(failed.code).not.toBe(0);
    expect(rowDiagnostics(failed.output, KATA, "sandboxed").join("\n")).toContain(
      "gave up waiting for KataConfig example-kataconfig to install kata on the selected workers after 1m0s; last seen: InProgress True/Installing; 1/2 nodes ready; installing: worker-0",
    );
    // Partial state: the next up resumes with an update.
    const kept = (await project.resources()).find((r) => r.type === KATA);
    expect(kept?.id).toBe("example-kataconfig");
    expect((kept?.outputs?.status as KataConfig["status"])?.kataNodes?.installed).toEqual(["worker-1"]);
  }, 300_000);

  it("pulumi import adopts an existing KataConfig by name on the provider's configured cluster; the program that declares it changes nothing", async () => {
    const program = `name: cluster-runtime-import
runtime: yaml
config:
  cluster-runtime:embedded:
    value:
      fixture: fixtures/two-workers.yaml
      stateFile: twin.json
      virtualTime: true
`;
    const project = await newYamlProject(program);
    const twin = { fixture: "fixtures/two-workers.yaml", stateFile: path.join(project.programDir, "twin.json"), virtualTime: true };
    const kataRef = { ...kinds.kataConfig, name: "example-kataconfig" };
    // Someone installed kata without Pulumi.
    await withTwin(twin, async (cluster) => {
      await cluster.apply({ apiVersion: kataRef.apiVersion, kind: kataRef.kind, metadata: { name: kataRef.name, labels: { team: "platform" } }, spec: { logLevel: "debug" } });
      for (let minutes = 0; minutes < 60 && !(await cluster.get({ ...kinds.runtimeClass, name: "kata" })); minutes++) await cluster.advance(60_000);
    });

    const imported = await project.pulumi(["import", KATA, "sandboxed", "example-kataconfig", "--yes", "--protect=false"]);

    expect(imported.output).toMatch(/Resources:\n\s+\+ 1 created\n\s+= 1 imported\n/);
    const adopted = (await project.resources()).find((r) => r.type === KATA);
    expect(adopted?.id).toBe("example-kataconfig");
    expect(adopted?.inputs).toEqual({ metadata: { name: "example-kataconfig", labels: { team: "platform" } }, spec: { logLevel: "debug" } });
    expect((adopted?.outputs?.status as KataConfig["status"])?.kataNodes?.readyNodeCount).toBe(2);
    // The code to copy into the program, in the program's language.
    expect(imported.output).toMatch(/sandboxed:\n\s+type: cluster-runtime:KataConfig\n\s+properties:\n\s+metadata:\n\s+labels:\n\s+team: platform\n\s+name: example-kataconfig\n\s+spec:\n\s+logLevel: debug/);

    fs.appendFileSync(
      path.join(project.programDir, "Pulumi.yaml"),
      `resources:\n  sandboxed:\n    type: ${KATA}\n    properties:\n      metadata:\n        name: example-kataconfig\n        labels:\n          team: platform\n      spec:\n        logLevel: debug\n`,
    );
    const preview = await project.pulumi(["preview"]);
    expect(resourceSummary(preview.output)).toEqual(["2 unchanged"]);

    // The stack manages it now: destroy removes it from the cluster.
    await project.pulumi(["destroy", "--yes", "--skip-preview"]);
    await withTwin(twin, async (cluster) => expect(await cluster.list(kinds.kataConfig)).toEqual([]));
  });

  it("Ctrl-C during an install: the engine's cancel stops the wait at once, saying what it saw last, and the resource stays in the stack", async () => {
    const project = await newYamlProject(slowInstall("10m"));
    const cli = project.start(up);
    await cli.waitFor("worker-1: installing (0/2 ready)");

    process.kill(cli.process.pid!, "SIGINT");
    const exit = await cli.exited;

    expect(exit).not.toBe(0);
    expect(rowDiagnostics(cli.output(), KATA, "sandboxed").join("\n")).toContain(
      "stopped waiting for KataConfig example-kataconfig to install kata on the selected workers: the operation was cancelled; last seen: InProgress True/Installing; 0/2 nodes ready; waiting to install: worker-0; installing: worker-1",
    );
    expect((await project.resources()).find((r) => r.type === KATA)?.id).toBe("example-kataconfig");
  }, 300_000);

  it("kill -9 of the CLI during an install: the plugin and the YAML language host exit; cancel, refresh --clear-pending-creates, up complete the install", async () => {
    const project = await newYamlProject(`${slowInstall("15s")}outputs:\n  ready: \${sandboxed.status.kataNodes.readyNodeCount}\n`);
    const cli = project.start(up);
    await cli.waitFor("worker-1: installing (0/2 ready)");
    started = processTree(cli.process.pid!).filter((pid) => pid !== cli.process.pid);
    const commands = started.map(commandOf).join("\n");
    expect(commands).toContain(path.join("bin", "plugin", "main.js"));
    expect(commands).toContain("pulumi-language-yaml");

    process.kill(cli.process.pid!, "SIGKILL");
    await cli.exited;

    const left = () => started.filter(alive);
    await until(`every process of the killed run gone (still: ${left().map(commandOf).join("; ")})`, () => left().length === 0, 10_000);

    await project.pulumi(["cancel", "--yes"]);
    await project.pulumi(["refresh", "--clear-pending-creates", "--yes", "--skip-preview"]);
    const resumed = await project.pulumi(up);
    expect(rowDiagnostics(resumed.output, KATA, "sandboxed").join("\n")).toContain("found the object an interrupted run of this stack created; taking it over");
    expect((await project.outputs()).ready).toBe(2);
    await withTwin({ fixture: "fixtures/two-workers.yaml", stateFile: project.twinState("two-workers"), timeScale: 1 }, async (twin) =>
      expect((await twin.list<KataConfig>(kinds.kataConfig)).map((k) => k.metadata.name)).toEqual(["example-kataconfig"]),
    );
  }, 300_000);

  it("a kubeconfig set as plain stack config stays a secret: not in state, not in the output, not in the error", async () => {
    const token = "sEcReT-tOkEn-0123456789abcdef-never-print-me";
    const kubeconfig = [
      "apiVersion: v1",
      "kind: Config",
      "clusters: [{ name: dev, cluster: { server: 'https://127.0.0.1:1' } }]",
      "contexts: [{ name: dev, context: { cluster: dev, user: dev } }]",
      "current-context: dev",
      `users: [{ name: dev, user: { token: ${token} } }]`,
    ].join("\n");
    const project = await newYamlProject(`name: cluster-runtime-secrets\nruntime: yaml\nresources:\n  sandboxed:\n    type: ${KATA}\n`);
    await project.pulumi(["config", "set", "cluster-runtime:kubeconfig", kubeconfig]);
    await project.pulumi(["config", "set", "cluster-runtime:context", "production"]);

    const failed = await project.pulumi(up, { allowFailure: true });

    expect(failed.code).not.toBe(0);
    expect(rowDiagnostics(failed.output, KATA, "sandboxed").join("\n")).toContain(`the kubeconfig from the provider's kubeconfig (cluster-runtime:kubeconfig) has no context "production": it has "dev"`);
    expect(failed.output).not.toContain(token);
    const state = JSON.stringify(await project.resources());
    expect(state).not.toContain(token);
    const provider = (await project.resources()).find((r) => r.type === "pulumi:providers:cluster-runtime");
    expect(provider?.inputs?.kubeconfig).toMatchObject({ ciphertext: expect.any(String) });
    expect(provider?.inputs?.context).toBe("production");
  });

  it("installed with pulumi plugin install --file, the plugin is found without being on PATH", async () => {
    const bare = newWorkspace();
    const yaml = execFileSync("bash", [path.join(repoRoot, "tools", "yaml", "build.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").at(-1)!;
    // The CLI and the YAML language host, and not the tools directory that holds the plugin.
    const ws = workspace(bare.programDir, bare.stateDir, [engineDir(), yaml].join(path.delimiter));
    expect(ws.env.PATH?.split(path.delimiter)).not.toContain(tools());
    fs.writeFileSync(
      path.join(ws.programDir, "Pulumi.yaml"),
      `name: cluster-runtime-installed\nruntime: yaml\nresources:\n  sandboxed:\n    type: ${KATA}\n    properties:\n      cluster:\n        embedded:\n          fixture: fixtures/two-workers.yaml\n          virtualTime: true\noutputs:\n  ready: \${sandboxed.status.kataNodes.readyNodeCount}\n`,
    );

    await pulumi(ws, ["plugin", "install", "resource", "cluster-runtime", "0.1.0", "--file", path.join(tools(), "pulumi-resource-cluster-runtime")]);
    const listed = await pulumi(ws, ["plugin", "ls"]);
    expect(listed.stdout).toMatch(/cluster-runtime\s+resource\s+0\.1\.0/);
    await selectStack(ws, "installed");
    const created = await pulumi(ws, up);

    expect(`${created.stdout}${created.stderr}`).not.toContain("pulumi-resource-cluster-runtime from $PATH");
    expect(JSON.parse((await pulumi(ws, ["stack", "output", "--json"])).stdout)).toEqual({ ready: 2 });
    await pulumi(ws, ["destroy", "--yes", "--skip-preview"]);
  });

  it("the CLI reads schema.json from the plugin itself (pulumi package get-schema)", async () => {
    const ws = newWorkspace();

    const schema = await pulumi(ws, ["package", "get-schema", path.join(tools(), "pulumi-resource-cluster-runtime")]);

    // The CLI binds the schema and writes it back in its own form: the same package, resources, properties and config.
    type Schema = { name: string; version: string; config: { variables: Record<string, unknown> }; resources: Record<string, { inputProperties: Record<string, unknown>; properties: Record<string, unknown> }> };
    const served = JSON.parse(schema.stdout) as Schema;
    const ours = JSON.parse(fs.readFileSync(path.join(repoRoot, "schema.json"), "utf8")) as Schema;
    const shape = (s: Schema) => ({
      name: s.name,
      version: s.version,
      config: Object.keys(s.config.variables).sort(),
      resources: Object.fromEntries(Object.entries(s.resources).map(([token, r]) => [token, { inputs: Object.keys(r.inputProperties).sort(), outputs: Object.keys(r.properties).sort() }])),
    });
    expect(shape(served)).toEqual(shape(ours));
    expect(Object.keys(served.resources).sort()).toEqual([KATA, "cluster-runtime:index:MachineHealthCheck"]);
  });
});
