import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeAll, beforeEach } from "vitest";
import { type EmbeddedCluster, openTwin } from "../../provider/wiring";
import type { EmbeddedTarget } from "../../provider/cluster/target";
import { pulumi, repoRoot, selectStack, toolsDir, workspace, type Workspace } from "../../tools/engine";
import type { ProgramSettings } from "./program/index";
import type { ResourceSetting } from "./program/resources";

// What the e2e tests share: a project per test (a copy of program/index.ts in its own temp dir,
// with its own file backend and twin state files), the real CLI on it, the twin it acts on, and
// readers for what the CLI prints.

export const STACK = "e2e";
export const KATA_TYPE = "pulumi-nodejs:dynamic/cluster-runtime:KataConfig";
export const MHC_TYPE = "pulumi-nodejs:dynamic/cluster-runtime:MachineHealthCheck";
export const KATA_LABEL = "KataConfig example-kataconfig";
export const MHC_LABEL = "MachineHealthCheck default/capi-quickstart-node-unhealthy-5m";

export interface ProgramOptions {
  /** The KataConfig, on the two-workers twin: scaled time (600×, the quickstart's flow) or virtual time. */
  kataConfig?: { clock: "scaled" | "virtual"; nodeUpdateTime?: string };
  /** The workers MachineHealthCheck, on the capi-quickstart twin (virtual time: nothing waits on time). */
  machineHealthCheck?: boolean;
  /** Instead of the quickstart's resources: program/resources.ts with these (the fault scenarios). */
  resources?: ResourceSetting[];
}

export interface CliResult {
  code: number;
  /** stdout then stderr: some lines (preview's diff reports) only reach stderr. */
  output: string;
}

export interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface Project {
  /** The twins the program's resources act on (the same options the program passes). */
  openshift: EmbeddedTarget;
  capi: EmbeddedTarget;
  pulumi(args: string[], options?: { allowFailure?: boolean }): Promise<CliResult>;
  /** A pulumi command left running: its process and its output so far. */
  start(args: string[]): RunningCli;
  /** The directory holding the program, the stack's state and the twins. */
  dir: string;
  /** The program's own directory (Pulumi.yaml, index.ts): where the provider runs. */
  programDir: string;
  /** What the CLI runs with: its environment (PATH, PULUMI_HOME, the backend). */
  workspace: Workspace;
  outputs(): Promise<Record<string, unknown>>;
  /** The resources in the stack's state (pulumi stack export). */
  resources(): Promise<StateResource[]>;
}

/** A project whose program is Pulumi YAML, run through the provider plugin. */
export interface YamlProject extends Omit<Project, "openshift" | "capi"> {
  programDir: string;
  /** The state file of the twin opened from `fixture` with no stateFile given (.state/twin/<fixture>.json). */
  twinState(fixture: "two-workers" | "capi-quickstart"): string;
}

export interface RunningCli {
  process: ChildProcess;
  output(): string;
  /** Resolves when the output contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<number | NodeJS.Signals>;
}

export interface Projects {
  /** A project of its own: program copy, stack, twin state files, all in a fresh temp dir. */
  newProject(options: ProgramOptions): Promise<Project>;
  /** A Pulumi YAML project in a fresh temp dir: its Pulumi.yaml, a stack, the tools dir on PATH. */
  newYamlProject(pulumiYaml: string): Promise<YamlProject>;
  /** The directory `npm run tools` prints (the CLI, the language hosts, the provider plugin). */
  tools(): string;
  /** A workspace in a fresh temp dir with no program, for commands that need none (pulumi package). */
  newWorkspace(): Workspace;
}

/** Registers the hooks and returns the factories: temp dirs go after each test, kept when it failed. */
export function useProjects(): Projects {
  let engine = "";
  let dirs: string[] = [];
  let failed = false;
  // Outside any test's timeout: the first run may have to build the engine and Pulumi YAML.
  beforeAll(() => void (engine = toolsDir()), 30 * 60_000);
  beforeEach(({ onTestFailed }) => {
    failed = false;
    onTestFailed(() => void (failed = true));
  });
  afterEach(() => {
    for (const dir of dirs) {
      if (failed) process.stderr.write(`[e2e] kept ${dir}\n`);
      else fs.rmSync(dir, { recursive: true, force: true });
    }
    dirs = [];
  });
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcr-e2e-"));
    dirs.push(dir);
    return dir;
  };
  return {
    newProject: (options) => createProject(tempDir(), options, engine),
    newYamlProject: (pulumiYaml) => createYamlProject(tempDir(), pulumiYaml, engine),
    tools: () => engine,
    newWorkspace: () => {
      const dir = tempDir();
      return workspace(dir, path.join(dir, "pulumi"), engine);
    },
  };
}

async function createProject(dir: string, options: ProgramOptions, engine: string): Promise<Project> {
  const programDir = path.join(dir, "program");
  const openshift: EmbeddedTarget = {
    fixture: "fixtures/two-workers.yaml",
    stateFile: path.join(dir, "twin", "openshift.json"),
    ...(options.kataConfig?.clock === "virtual" ? { virtualTime: true } : { timeScale: 600 }),
    ...(options.kataConfig?.nodeUpdateTime ? { nodeUpdateTime: options.kataConfig.nodeUpdateTime } : {}),
  };
  const capi: EmbeddedTarget = { fixture: "fixtures/capi-quickstart.yaml", stateFile: path.join(dir, "twin", "capi.json"), virtualTime: true };
  const settings: ProgramSettings = {
    ...(options.kataConfig ? { kataConfig: openshift } : {}),
    ...(options.machineHealthCheck ? { machineHealthCheck: capi } : {}),
  };
  if (options.resources) writeProgram(programDir, { resources: options.resources }, "resources.ts");
  else writeProgram(programDir, settings);
  const ws = workspace(programDir, path.join(dir, "pulumi"), engine);
  await selectStack(ws, STACK);

  const run = async (args: string[], runOptions: { allowFailure?: boolean } = {}): Promise<CliResult> => {
    const result = await pulumi(ws, args, runOptions);
    return { code: result.code, output: `${result.stdout}\n${result.stderr}` };
  };
  const json = async (args: string[]) => JSON.parse((await pulumi(ws, args)).stdout) as unknown;
  return {
    openshift,
    capi,
    dir,
    programDir,
    workspace: ws,
    pulumi: run,
    start: (args) => startCli(ws, args),
    outputs: async () => (await json(["stack", "output", "--json"])) as Record<string, unknown>,
    resources: async () => ((await json(["stack", "export"])) as { deployment: { resources?: StateResource[] } }).deployment.resources ?? [],
  };
}

async function createYamlProject(dir: string, pulumiYaml: string, engine: string): Promise<YamlProject> {
  const programDir = path.join(dir, "program");
  fs.mkdirSync(programDir, { recursive: true });
  fs.writeFileSync(path.join(programDir, "Pulumi.yaml"), pulumiYaml);
  const ws = workspace(programDir, path.join(dir, "pulumi"), engine);
  await selectStack(ws, STACK);
  const json = async (args: string[]) => JSON.parse((await pulumi(ws, args)).stdout) as unknown;
  return {
    dir,
    programDir,
    workspace: ws,
    start: (args) => startCli(ws, args),
    twinState: (fixture) => path.join(programDir, ".state", "twin", `${fixture}.json`),
    pulumi: async (args, runOptions = {}) => {
      const result = await pulumi(ws, args, runOptions);
      return { code: result.code, output: `${result.stdout}\n${result.stderr}` };
    },
    outputs: async () => (await json(["stack", "output", "--json", "--show-secrets"])) as Record<string, unknown>,
    resources: async () => ((await json(["stack", "export"])) as { deployment: { resources?: StateResource[] } }).deployment.resources ?? [],
  };
}

/** The program as a user would have it: Pulumi.yaml, package.json, tsconfig, node_modules resolving the package. */
function writeProgram(programDir: string, settings: ProgramSettings | { resources: ResourceSetting[] }, program = "index.ts"): void {
  fs.mkdirSync(programDir, { recursive: true });
  const files: Record<string, string> = {
    "Pulumi.yaml": "name: cluster-runtime-e2e\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n",
    "package.json": JSON.stringify({ name: "cluster-runtime-e2e", private: true }),
    // noCheck: the program is type-checked with the repo (tsconfig.check.json); here only transpiled, for speed.
    "tsconfig.json": JSON.stringify({
      compilerOptions: { target: "ES2022", module: "commonjs", moduleResolution: "node", strict: true, esModuleInterop: true, skipLibCheck: true, noCheck: true },
      files: ["index.ts"],
    }),
    "settings.json": JSON.stringify(settings, null, 2),
  };
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(programDir, name), text);
  fs.copyFileSync(path.join(__dirname, "program", program), path.join(programDir, "index.ts"));
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(programDir, "node_modules"), "dir");
}

function startCli(ws: Workspace, args: string[]): RunningCli {
  const child = spawn("pulumi", [...args, "--color", "never"], { cwd: ws.programDir, env: ws.env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.on("close", (code, signal) => resolve(code ?? signal ?? 1)));
  return {
    process: child,
    output: () => output,
    exited,
    waitFor: (text, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const poll = () => {
          if (output.includes(text)) return resolve();
          if (child.exitCode !== null || Date.now() > deadline) return reject(new Error(`pulumi ${args.join(" ")}: no "${text}" in its output:\n${output}`));
          setTimeout(poll, 50);
        };
        poll();
      }),
  };
}

/** Open the twin a program acts on (same options, so the same clock), run `body`, close it. */
export async function withTwin<T>(target: EmbeddedTarget, body: (twin: EmbeddedCluster) => Promise<T>): Promise<T> {
  const twin = await openTwin(target);
  try {
    return await body(twin);
  } finally {
    await twin.close();
  }
}

/** The provider's report lines for one resource, from the Diagnostics section, prefix removed, in order. */
export function reportLines(output: string, label: string): string[] {
  const start = output.indexOf("\nDiagnostics:\n");
  if (start < 0) return [];
  const section = output.slice(start).split(/\n(?:Outputs|Resources):\n/)[0] ?? "";
  return section
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`${label}: `))
    .map((line) => line.slice(label.length + 2));
}

/**
 * The lines the engine shows for one resource in the Diagnostics section (what a provider plugin
 * logged with that resource's URN), in order: the block under "  <type> (<name>):".
 */
export function rowDiagnostics(output: string, type: string, name: string): string[] {
  const start = output.indexOf("\nDiagnostics:\n");
  if (start < 0) return [];
  const section = output.slice(start + 1).split(/\n(?:Outputs|Resources):\n/)[0] ?? "";
  const lines: string[] = [];
  let inBlock = false;
  for (const line of section.split("\n")) {
    if (/^ {2}\S.*\):$/.test(line)) inBlock = line === `  ${type} (${name}):`;
    else if (inBlock && line.trim()) lines.push(line.trim());
  }
  return lines;
}

/** The "Resources:" summary: ["3 unchanged"], ["~ 1 updated", "2 unchanged"]. */
export function resourceSummary(output: string): string[] {
  const match = /\nResources:\n((?:[ \t]+\S.*\n?)+)/.exec(output);
  return (match?.[1] ?? "").split("\n").map((l) => l.trim()).filter(Boolean);
}

/** Poll `check` every 100 ms until it returns a value; fail, saying what was awaited, after `limitMs`. */
/** Run a command in the repo (npx tsc ...), resolving with its exit code and output. */
export function runInRepo(command: string, args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}
