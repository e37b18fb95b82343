import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { guardEngine } from "../provider/engine-guard";
import { alive, until } from "./support/processes";

// A provider process ends when the engine that started it goes away: when the engine's port
// refuses connections, or when the process is reparented because its parent was killed.

const servers: net.Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function fakeEngine(): Promise<{ address: string; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.destroy());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return { address: `127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe("the engine guard", () => {
  it("leaves a process alone while its engine answers", async () => {
    const engine = await fakeEngine();
    let exited = false;
    const guard = guardEngine({ engineAddress: engine.address, intervalMs: 20, exit: () => void (exited = true) });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(guard.signal.aborted).toBe(false);
    expect(exited).toBe(false);
    guard.stop();
  });

  it("aborts its signal once the engine's port refuses connections, lets work in flight end, then exits", async () => {
    const engine = await fakeEngine();
    const log: string[] = [];
    let exited = false;
    const guard = guardEngine({ engineAddress: engine.address, intervalMs: 20, exit: () => void (exited = true), log: (m) => log.push(m) });
    let finishWork: () => void = () => undefined;
    const work = guard.track(new Promise<void>((resolve) => (finishWork = resolve)));

    await engine.close();
    await until("the signal aborted", () => guard.signal.aborted);

    expect(log).toEqual([`the Pulumi engine that started this provider (${engine.address}) is gone (its port refuses connections): stopping`]);
    expect(exited).toBe(false); // the tracked work is still running
    finishWork();
    await work;
    await until("the exit", () => exited);
  });

  it("exits after the grace period when work in flight does not end", async () => {
    const engine = await fakeEngine();
    let exited = false;
    const guard = guardEngine({ engineAddress: engine.address, intervalMs: 20, graceMs: 100, exit: () => void (exited = true) });
    guard.track(new Promise(() => undefined));
    await engine.close();
    await until("the exit", () => exited);
    expect(guard.signal.aborted).toBe(true);
  });

  it("ends a process whose parent was killed, although the engine still answers", async () => {
    const engine = await fakeEngine();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcr-guard-"));
    const pidFile = path.join(dir, "guarded.pid");
    const guardModule = path.join(__dirname, "..", "provider", "engine-guard.ts");
    // parent -> guarded child; the parent is killed, the child is reparented and must end by itself.
    const guarded = `require(${JSON.stringify(guardModule)}).guardEngine({ engineAddress: ${JSON.stringify(engine.address)}, intervalMs: 50 }); setInterval(() => {}, 1000);`;
    const parentScript = `
      const child = require("node:child_process").spawn(process.execPath, ["--import", "tsx", "-e", ${JSON.stringify(guarded)}], { stdio: "ignore" });
      require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
      setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ["-e", parentScript], { stdio: "ignore", cwd: path.join(__dirname, "..") });
    await until("the guarded child started", () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8") !== "");
    const child = Number(fs.readFileSync(pidFile, "utf8"));
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the child has loaded the guard
    expect(alive(child)).toBe(true);

    parent.kill("SIGKILL");

    try {
      await until("the reparented child gone", () => !alive(child), 10_000);
    } finally {
      if (alive(child)) process.kill(child, "SIGKILL"); // no orphan of this test either way
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
