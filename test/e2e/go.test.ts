import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kinds } from "../../provider/k8s/api-types";
import { repoRoot } from "../../tools/engine";
import { installProgressLines } from "../support/seed-tables";
import { rowDiagnostics, useProjects, withTwin } from "./project";

// A Go program on the Go SDK generated from schema.json (sdk/go): tools/gosdk/example, an Automation
// API inline program (no Go language host needed), built here and run with the real CLI and the
// provider plugin on PATH. It creates both resources on the twin (virtual time), previews a policy
// change, and destroys them.

const { tools } = useProjects();
let dir = "";
let example = "";

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcr-e2e-go-"));
  example = path.join(dir, "example");
  // Go from PATH, else where the Go tools of this repo expect it; GOTOOLCHAIN=local: never download one.
  const env = { ...process.env, PATH: [process.env.PATH, "/usr/local/go/bin"].join(path.delimiter), GOTOOLCHAIN: "local", GOWORK: "off" };
  await promisify(execFile)("go", ["build", "-o", example, "."], { cwd: path.join(repoRoot, "tools", "gosdk", "example"), env, maxBuffer: 16 * 1024 * 1024 });
}, 20 * 60_000);

let failed = false;
afterAll(() => {
  if (failed) process.stderr.write(`[e2e] kept ${dir}\n`);
  else if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PATH: [tools(), path.join(repoRoot, "node_modules", ".bin"), process.env.PATH].join(path.delimiter), NO_COLOR: "1" };
    const child = spawn(example, ["-state", path.join(dir, "state"), "-fixtures", path.join(repoRoot, "fixtures"), "-virtual-time", ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

function jsonLine(output: string, label: string): unknown {
  const line = output.split("\n").find((l) => l.startsWith(`${label}: `));
  return line ? JSON.parse(line.slice(label.length + 2)) : undefined;
}

describe("a Go program on the generated Go SDK, through the Automation API and the plugin", () => {
  it("up creates both resources, a policy change previews as an update, destroy removes both", async ({ onTestFailed }) => {
    onTestFailed(() => void (failed = true));

    const created = await run(["up"]);

    expect(created.code, created.output).toBe(0);
    expect(jsonLine(created.output, "outputs")).toEqual({ readyNodeCount: 2, remediationsAllowed: 2, runtimeClassName: "kata" });
    const kataRow = rowDiagnostics(created.output, "cluster-runtime:index:KataConfig", "sandboxed");
    expect(kataRow.filter((line) => /^worker-\d: /.test(line))).toEqual(installProgressLines);

    const preview = await run(["-max-unhealthy", "20%", "preview"]);

    expect(preview.code, preview.output).toBe(0);
    expect(preview.output).toMatch(/~ spec: \{\n\s+~ maxUnhealthy: "40%" => "20%"\n\s+\}/);
    expect(jsonLine(preview.output, "changes")).toEqual({ same: 2, update: 1 });

    const destroyed = await run(["destroy"]);

    expect(destroyed.code, destroyed.output).toBe(0);
    expect(destroyed.output).toMatch(/- 3 deleted/);
    const twin = (fixture: string) => ({ fixture: `fixtures/${fixture}.yaml`, stateFile: path.join(dir, "state", "twin", `${fixture}.json`), virtualTime: true });
    await withTwin(twin("two-workers"), async (cluster) => expect(await cluster.list(kinds.kataConfig)).toEqual([]));
    await withTwin(twin("capi-quickstart"), async (cluster) => expect(await cluster.list(kinds.machineHealthCheck)).toEqual([]));
  });
});
