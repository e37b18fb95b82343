import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { engineAddressOf } from "../../provider/plugin/main";

// The plugin process ends with the engine that started it: when the pipe the engine gave it as stdin
// closes, when its parent changes (the engine was killed; stdin held open by someone else), and when
// the engine's port refuses connections. A TCP listener stands in for the engine's port.

const repo = path.join(__dirname, "..", "..");
let engine: net.Server;
let pluginArgs: string[] = [];

beforeEach(async () => {
  engine = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
  pluginArgs = ["--import", "tsx", path.join(repo, "provider", "plugin", "main.ts"), `127.0.0.1:${(engine.address() as net.AddressInfo).port}`];
});

let started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  started = [];
  engine.close();
});

function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      text += chunk;
      if (text.includes("\n")) resolve(text.split("\n")[0]!);
    });
    child.on("exit", () => reject(new Error(`exited before printing a line: ${text}`)));
  });
}

describe("the plugin process's lifetime", () => {
  it("reads the engine's address past the flags the engine may add", () => {
    expect(engineAddressOf(["--logtostderr", "-v=9", "--tracing", "http://t", "127.0.0.1:5000"])).toBe("127.0.0.1:5000");
    expect(engineAddressOf([])).toBeUndefined();
  });

  it("prints its port, serves while its stdin is open, and exits when the engine closes it", async () => {
    const plugin = spawn(process.execPath, pluginArgs, { cwd: repo, stdio: ["pipe", "pipe", "inherit"] });
    started.push(plugin);
    expect(await firstLine(plugin)).toMatch(/^\d+$/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(running(plugin.pid!)).toBe(true);

    const exited = new Promise<number | string | null>((resolve) => plugin.once("exit", (code, signal) => resolve(code ?? signal)));
    plugin.stdin!.end();

    await until("the plugin to exit", () => !running(plugin.pid!));
    // Gone from /proc can come before Node has reaped it and told us how it ended.
    expect(await exited).toBe(0);
  });

  it("exits when the engine's port refuses connections, its stdin still open", async () => {
    const plugin = spawn(process.execPath, pluginArgs, { cwd: repo, stdio: ["pipe", "pipe", "inherit"] });
    started.push(plugin);
    expect(await firstLine(plugin)).toMatch(/^\d+$/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(running(plugin.pid!)).toBe(true);

    engine.close();

    await until("the plugin to exit", () => !running(plugin.pid!));
    expect(running(plugin.pid!)).toBe(false);
    plugin.stdin!.end();
  });

  it("exits when its parent is killed, even though its stdin stays open", async () => {
    // A stand-in for the engine: starts the plugin, shares our stdin pipe with it, prints its pid.
    const script = `const { spawn } = require("node:child_process");
      const plugin = spawn(process.execPath, ${JSON.stringify(pluginArgs)}, { cwd: ${JSON.stringify(repo)}, stdio: ["inherit", "pipe", "inherit"] });
      plugin.stdout.once("data", () => console.log(plugin.pid));
      setInterval(() => {}, 1000);`;
    const engine = spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] });
    started.push(engine);
    const pluginPid = Number(await firstLine(engine));
    expect(running(pluginPid)).toBe(true);

    engine.kill("SIGKILL");

    await until("the plugin to exit", () => !running(pluginPid));
    expect(running(pluginPid)).toBe(false);
    engine.stdin!.end();
  });
});
