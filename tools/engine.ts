import { execFileSync, spawn, type SpawnOptions } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

// The real Pulumi engine, offline: the CLI built by tools/pulumi/build.sh, a local file backend,
// a passphrase, no update check and no plugin downloads. Used by `npm start` and the e2e tests.

export const repoRoot = path.resolve(__dirname, "..");

/** The directory holding pulumi, pulumi-language-nodejs and pulumi-resource-pulumi-nodejs (built once, cached). */
export function engineDir(): string {
  const out = execFileSync("bash", [path.join(repoRoot, "tools/pulumi/build.sh"), repoRoot], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const dir = out.trim().split("\n").at(-1) ?? "";
  if (!fs.existsSync(path.join(dir, "pulumi"))) throw new Error(`tools/pulumi/build.sh did not produce a pulumi binary (got "${dir}")`);
  return dir;
}

/**
 * The directory `npm run tools` prints (tools/bin.sh): the CLI and the language hosts above, Pulumi YAML,
 * and this checkout's provider plugin pulumi-resource-cluster-runtime. Needs the TypeScript build.
 */
export function toolsDir(): string {
  const out = execFileSync("bash", [path.join(repoRoot, "tools/bin.sh"), repoRoot], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const dir = out.trim().split("\n").at(-1) ?? "";
  if (!fs.existsSync(path.join(dir, "pulumi-resource-cluster-runtime"))) throw new Error(`tools/bin.sh did not produce the provider plugin (got "${dir}")`);
  return dir;
}

export interface Workspace {
  /** The program's directory (holds Pulumi.yaml). */
  programDir: string;
  /** Where the file backend and PULUMI_HOME live. */
  stateDir: string;
  env: NodeJS.ProcessEnv;
}

export function workspace(programDir: string, stateDir: string, engine = engineDir()): Workspace {
  fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
  fs.mkdirSync(path.join(stateDir, "home"), { recursive: true });
  const nodeBin = path.join(repoRoot, "node_modules", ".bin");
  return {
    programDir,
    stateDir,
    env: {
      ...process.env,
      // Node 24 first: @pulumi/pulumi needs Node 22 or newer, the machine's own may be older.
      PATH: [engine, nodeBin, process.env.PATH].join(path.delimiter),
      PULUMI_HOME: path.join(stateDir, "home"),
      PULUMI_BACKEND_URL: `file://${path.join(stateDir, "backend")}`,
      PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "pulumi-cluster-runtime-local",
      PULUMI_SKIP_UPDATE_CHECK: "1",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "1",
      PULUMI_SKIP_CONFIRMATIONS: "1",
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "1",
      NO_COLOR: "1",
    },
  };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the pulumi CLI in the workspace; `echo` streams its output as it comes (the quickstart). */
export function pulumi(ws: Workspace, args: string[], options: { echo?: boolean; allowFailure?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = { cwd: ws.programDir, env: ws.env, stdio: ["ignore", "pipe", "pipe"] };
    const child = spawn("pulumi", [...args, "--color", "never"], spawnOptions);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk;
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const result = { code: code ?? 1, stdout, stderr };
      if (result.code !== 0 && !options.allowFailure) {
        reject(new Error(`pulumi ${args.join(" ")} failed (exit ${result.code}):\n${stdout}\n${stderr}`));
      } else resolve(result);
    });
  });
}

/** Select the stack, creating it on first use. */
export async function selectStack(ws: Workspace, stack: string): Promise<void> {
  const selected = await pulumi(ws, ["stack", "select", stack], { allowFailure: true });
  if (selected.code !== 0) await pulumi(ws, ["stack", "init", stack]);
}
