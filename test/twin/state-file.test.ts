import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../../provider/cluster/clock";
import type { WatchEvent } from "../../provider/cluster/client";
import { TwinCluster } from "../../provider/cluster/twin/twin-cluster";
import { LockTimeoutError } from "../../provider/cluster/twin/file-lock";
import { parseFixture } from "../../provider/cluster/twin/fixture";
import { StateFileError } from "../../provider/cluster/twin/state-file";

const start = new Date("2025-01-01T00:00:00Z");
const repo = join(__dirname, "..", "..");
let dir: string;
let stateFile: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "twin-state-"));
  stateFile = join(dir, "nested", "twin.json");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cm = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data: { name } });
const cmRef = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name });
const configMaps = { apiVersion: "v1", kind: "ConfigMap" };
const withSchedule = parseFixture(
  `apiVersion: v1
kind: Node
metadata: { name: worker-0 }
---
apiVersion: twin.pulumi-cluster-runtime.dev/v1
kind: Schedule
events:
  - at: 10m
    markNodeDegraded: { node: worker-0, reason: disk full }
`,
  "schedule.yaml",
);

async function openError(options: Parameters<typeof TwinCluster.open>[0]): Promise<Error> {
  const error = await TwinCluster.open(options).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error("open succeeded");
  return error;
}

describe("state file", () => {
  it("carries objects, resourceVersions, time and the pending schedule to the next process", async () => {
    const first = await TwinCluster.open({ stateFile, fixture: withSchedule, startTime: start });
    expect(first.description).toBe(`embedded twin at ${stateFile}`);
    const created = await first.apply(cm("a"));
    await first.advance(5 * 60_000);
    await first.close();
    expect(existsSync(stateFile)).toBe(true);
    await expect(first.get(cmRef("a"))).rejects.toThrow(/is closed/);

    // A new state would start at another time and load another fixture: neither happens.
    const second = await TwinCluster.open({ stateFile, fixture: "two-workers", startTime: new Date("2030-01-01T00:00:00Z") });
    expect(second.clock.now()).toEqual(new Date("2025-01-01T00:05:00Z"));
    expect(await second.get(cmRef("a"))).toEqual(created);
    expect((await second.list({ apiVersion: "v1", kind: "Node" })).map((n) => n.metadata.name)).toEqual(["worker-0"]);
    expect(Number((await second.apply(cm("b"))).metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    await second.advance(5 * 60_000);
    const worker = await second.get({ apiVersion: "v1", kind: "Node", name: "worker-0" });
    expect(worker!.metadata.annotations).toEqual({
      "machineconfiguration.openshift.io/state": "Degraded",
      "machineconfiguration.openshift.io/reason": "disk full",
      "twin.pulumi-cluster-runtime.dev/fault": "disk full",
    });
  });

  it("keeps a scaled clock flowing across processes", async () => {
    let wallMs = Date.parse("2030-01-01T00:00:00Z");
    const wall: Clock = { now: () => new Date(wallMs), sleep: async (ms) => void (wallMs += ms) };
    const first = await TwinCluster.open({ stateFile, startTime: start, clock: { scale: 60 }, wallClock: wall });
    await first.close();
    wallMs += 30_000; // half a minute of wall between two `pulumi up`s = half an hour of twin
    const second = await TwinCluster.open({ stateFile, wallClock: wall });
    expect(second.clock.now()).toEqual(new Date("2025-01-01T00:30:00Z"));
    const saved = JSON.parse(readFileSync(stateFile, "utf8")) as { clock: unknown; time: string };
    expect(saved.clock).toEqual({ mode: "scaled", scale: 60, twinStart: "2025-01-01T00:00:00.000Z", wallStart: "2030-01-01T00:00:00.000Z" });
    expect(saved.time).toBe("2025-01-01T00:30:00.000Z");
    // Asking for the virtual clock freezes time where it is.
    const third = await TwinCluster.open({ stateFile, wallClock: wall, clock: "virtual" });
    wallMs += 60_000;
    await third.settle();
    expect(third.clock.now()).toEqual(new Date("2025-01-01T00:30:00Z"));
  });

  it("lets a watcher see another process's changes at its next transaction", async () => {
    const watcher = await TwinCluster.open({ stateFile, startTime: start });
    const writer = await TwinCluster.open({ stateFile });
    await writer.apply(cm("gone-soon"));
    const events: WatchEvent[] = [];
    await watcher.watch(configMaps, (e) => events.push(e));
    await writer.apply(cm("a"));
    await writer.apply({ ...cm("a"), data: { changed: "yes" } });
    await writer.delete(cmRef("gone-soon"));
    expect(events).toEqual([]);
    await watcher.clock.sleep(1000);
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["DELETED gone-soon", "ADDED a"]);
    expect(events[1]!.object.data).toEqual({ changed: "yes" }); // changes between two looks arrive as one
  });

  it("refuses a torn file with an error naming it, and never starts over", async () => {
    const cluster = await TwinCluster.open({ stateFile, fixture: "two-workers", startTime: start });
    await cluster.close();
    const whole = readFileSync(stateFile, "utf8");
    writeFileSync(stateFile, whole.slice(0, Math.floor(whole.length / 2)));
    const error = await openError({ stateFile, fixture: "two-workers" });
    expect(error).toBeInstanceOf(StateFileError);
    expect(error.message).toContain(`the twin state file ${stateFile} is not valid JSON`);
    expect(error.message).toMatch(/delete it to start a new twin/);
    expect(readFileSync(stateFile, "utf8")).toBe(whole.slice(0, Math.floor(whole.length / 2)));

    writeFileSync(stateFile, "");
    expect((await openError({ stateFile })).message).toContain(`${stateFile} is empty`);
  });

  it("refuses a hand-broken file, naming the field", async () => {
    const cluster = await TwinCluster.open({ stateFile, fixture: "two-workers", startTime: start });
    const saved = JSON.parse(readFileSync(stateFile, "utf8")) as { objects: { metadata: Record<string, unknown> }[]; clock: unknown };
    delete saved.objects[1]!.metadata.name;
    saved.clock = { mode: "fast" };
    writeFileSync(stateFile, JSON.stringify(saved));
    // The open twin notices at its next call, too.
    const error = (await cluster.list({ apiVersion: "v1", kind: "Node" }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(StateFileError);
    expect(error.message).toContain(`the twin state file ${stateFile} is not a twin state:`);
    expect(error.message).toContain("clock.mode");
    expect(error.message).toContain("objects[1].metadata.name");
  });

  it("reads on a virtual clock leave the file alone; writes replace it", async () => {
    const cluster = await TwinCluster.open({ stateFile, fixture: "two-workers", startTime: start });
    const before = statSync(stateFile);
    await cluster.list({ apiVersion: "v1", kind: "Node" });
    await cluster.get({ apiVersion: "v1", kind: "Node", name: "worker-0" });
    await cluster.settle();
    expect(statSync(stateFile).ino).toBe(before.ino);
    await cluster.apply(cm("a"));
    expect(statSync(stateFile).ino).not.toBe(before.ino);
  });

  it("says so when the file disappears under an open twin", async () => {
    const cluster = await TwinCluster.open({ stateFile, startTime: start });
    rmSync(stateFile);
    await expect(cluster.get(cmRef("a"))).rejects.toThrow(`the twin state file ${stateFile} has disappeared`);
  });
});

describe("state file lock", () => {
  it("two processes writing at once lose nothing", async () => {
    const tsx = join(repo, "node_modules", ".bin", "tsx");
    const script = join(__dirname, "helpers", "apply-many.ts");
    const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}` };
    // Start both, wait until both have the twin open, then let them write at once.
    const children = ["left", "right"].map((prefix) => {
      const child = spawn(tsx, [script, stateFile, prefix, "50"], { cwd: repo, env, stdio: ["pipe", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
        child.on("exit", (code) => reject(new Error(`${prefix} exited with ${code} before it was ready: ${stderr}`)));
      });
      const done = new Promise<void>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${prefix} exited with ${code}: ${stderr}`))));
      });
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const { child } of children) child.stdin.write("go\n");
    await Promise.all(children.map((c) => c.done));
    const order = (await (await TwinCluster.open({ stateFile })).list(configMaps))
      .sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion))
      .map((o) => o.metadata.name![0])
      .join("");
    expect(order).toMatch(/lr|rl/); // they did write at the same time
    const cluster = await TwinCluster.open({ stateFile });
    const names = (await cluster.list(configMaps)).map((o) => o.metadata.name!);
    expect(names).toHaveLength(100);
    for (let i = 0; i < 50; i++) expect(names).toEqual(expect.arrayContaining([`left-${i}`, `right-${i}`]));
    const versions = new Set((await cluster.list(configMaps)).map((o) => o.metadata.resourceVersion));
    expect(versions.size).toBe(100);
    expect(existsSync(`${stateFile}.lock`)).toBe(false);
  });

  it("breaks a lock left by a process that is gone", async () => {
    const dead = spawnSync(process.execPath, ["-e", ""]);
    const lockFile = `${stateFile}.lock`;
    await (await TwinCluster.open({ stateFile, startTime: start })).close();
    writeFileSync(lockFile, JSON.stringify({ pid: dead.pid, host: hostname(), since: "2025-01-01T00:00:00.000Z", token: "left-behind" }));
    const cluster = await TwinCluster.open({ stateFile, lockTimeoutMs: 5_000 });
    await cluster.apply(cm("after"));
    expect(existsSync(lockFile)).toBe(false);
  });

  it("breaks an unreadable lock once it is old, not while it may be being written", async () => {
    const lockFile = `${stateFile}.lock`;
    await (await TwinCluster.open({ stateFile, startTime: start })).close();
    writeFileSync(lockFile, "");
    await expect(TwinCluster.open({ stateFile, lockTimeoutMs: 200 })).rejects.toThrow(/held by a process that left it unreadable/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockFile, old, old);
    await (await TwinCluster.open({ stateFile, lockTimeoutMs: 5_000 })).close();
    expect(existsSync(lockFile)).toBe(false);
  });

  it("gives up on a live holder after the limit, naming the lock file and the holder", async () => {
    const lockFile = `${stateFile}.lock`;
    await (await TwinCluster.open({ stateFile, startTime: start })).close();
    writeFileSync(lockFile, JSON.stringify({ pid: process.pid, host: hostname(), since: "2025-01-01T00:00:00.000Z", token: "busy" }));
    const error = await openError({ stateFile, lockTimeoutMs: 300 });
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error.message).toBe(
      `gave up after 0.3 s waiting for the twin state lock ${lockFile}, held by pid ${process.pid} on ${hostname()} since 2025-01-01T00:00:00.000Z. If no twin process is running, delete ${lockFile}.`,
    );
    expect(existsSync(lockFile)).toBe(true);
  });

  it("serializes concurrent calls within one process", async () => {
    const cluster = await TwinCluster.open({ stateFile, startTime: start });
    await Promise.all(Array.from({ length: 30 }, (_, i) => cluster.apply(cm(`c-${i}`))));
    const other = await TwinCluster.open({ stateFile });
    expect(await other.list(configMaps)).toHaveLength(30);
  });
});
