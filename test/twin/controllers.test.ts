import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Clock } from "../../provider/cluster/clock";
import { ScaledClock, VirtualClock } from "../../provider/cluster/twin/clock";
import { ControllerError, type Controller, type StoreController } from "../../provider/cluster/twin/controller-runner";
import { TwinCluster } from "../../provider/cluster/twin/twin-cluster";
import type { KubeObject } from "../../provider/k8s/meta";

const start = new Date("2025-01-01T00:00:00Z");
const minutes = (n: number) => n * 60_000;
const at = (ms: number) => new Date(start.getTime() + ms);

/** A fake wall clock whose sleep moves it, for the scaled twin clock. */
function fakeWall(startMs: number): Clock & { set(ms: number): void } {
  let now = startMs;
  return {
    now: () => new Date(now),
    sleep: async (ms) => void (now += ms),
    set: (ms) => void (now = ms),
  };
}

/**
 * A toy operator: a Job (example.dev/v1) with spec.steps runs one step per minute. It writes
 * status.done and asks to be woken for the next step; it records when it saw each step.
 */
function jobController(log: string[] = []): Controller {
  return {
    name: "toy-jobs",
    async reconcile(client, now) {
      let changed = false;
      let wakeAt: Date | undefined;
      for (const job of await client.list({ apiVersion: "example.dev/v1", kind: "Job" })) {
        const steps = (job.spec as { steps: number }).steps;
        const status = (job.status ?? { done: 0, startedAt: now.toISOString() }) as { done: number; startedAt: string };
        const due = Math.min(steps, Math.floor((now.getTime() - Date.parse(status.startedAt)) / 60_000));
        if (job.status === undefined || due > status.done) {
          await client.patchStatus({ apiVersion: job.apiVersion, kind: job.kind, name: job.metadata.name }, { ...status, done: due });
          log.push(`${now.toISOString()} ${job.metadata.name} ${due}/${steps}`);
          changed = true;
        }
        if (due < steps) {
          const next = new Date(Date.parse(status.startedAt) + (due + 1) * 60_000);
          if (!wakeAt || next < wakeAt) wakeAt = next;
        }
      }
      return { changed, wakeAt };
    },
  };
}

const job = (name: string, steps: number): KubeObject => ({ apiVersion: "example.dev/v1", kind: "Job", metadata: { name }, spec: { steps } });
const jobRef = (name: string) => ({ apiVersion: "example.dev/v1", kind: "Job", name });

describe("twin clocks", () => {
  it("a virtual clock moves only when advanced, and sleep advances it", async () => {
    const clock = new VirtualClock(start);
    expect(clock.now()).toEqual(start);
    clock.advance(1500);
    await clock.sleep(500);
    expect(clock.now()).toEqual(at(2000));
    clock.advanceTo(at(1000));
    expect(clock.now()).toEqual(at(2000));
    expect(() => clock.advance(-1)).toThrow(/≥ 0/);
  });

  it("a scaled clock runs scale times faster than the wall and sleeps ms / scale", async () => {
    const wall = fakeWall(Date.parse("2030-06-01T00:00:00Z"));
    const clock = ScaledClock.startingAt(start, 60, wall);
    wall.set(Date.parse("2030-06-01T00:00:10Z"));
    expect(clock.now()).toEqual(at(minutes(10)));
    await clock.sleep(minutes(1));
    expect(wall.now()).toEqual(new Date("2030-06-01T00:00:11Z"));
    expect(clock.now()).toEqual(at(minutes(11)));
    expect(clock.skipped(minutes(5)).now()).toEqual(at(minutes(16)));
    expect(() => ScaledClock.startingAt(start, 0, wall)).toThrow(/scale/);
  });
});

describe("controllers and time", () => {
  it("settle runs controllers after each write until nothing changes", async () => {
    const cluster = await TwinCluster.open({ startTime: start, controllers: [jobController()] });
    await cluster.apply(job("a", 3));
    expect((await cluster.get(jobRef("a")))!.status).toEqual({ done: 0, startedAt: start.toISOString() });
  });

  it("advance stops at every wake-up on the way, at exactly that time", async () => {
    const log: string[] = [];
    const cluster = await TwinCluster.open({ startTime: start, controllers: [jobController(log)] });
    await cluster.apply(job("a", 3));
    await cluster.advance(30_000);
    await cluster.apply(job("b", 2));
    await cluster.advance(minutes(10));
    expect(log).toEqual([
      "2025-01-01T00:00:00.000Z a 0/3",
      "2025-01-01T00:00:30.000Z b 0/2",
      "2025-01-01T00:01:00.000Z a 1/3",
      "2025-01-01T00:01:30.000Z b 1/2",
      "2025-01-01T00:02:00.000Z a 2/3",
      "2025-01-01T00:02:30.000Z b 2/2",
      "2025-01-01T00:03:00.000Z a 3/3",
    ]);
    expect(cluster.clock.now()).toEqual(at(minutes(10) + 30_000));
  });

  it("clock.sleep on a virtual twin advances it, so a wait loop drives the controllers", async () => {
    const cluster = await TwinCluster.open({ startTime: start, controllers: [jobController()] });
    await cluster.apply(job("a", 5));
    let polls = 0;
    while (((await cluster.get(jobRef("a")))!.status as { done: number }).done < 5) {
      await cluster.clock.sleep(20_000);
      polls++;
    }
    expect(polls).toBe(15);
    expect(cluster.clock.now()).toEqual(at(minutes(5)));
  });

  it("controllers added later run from the next transaction on", async () => {
    const cluster = await TwinCluster.open({ startTime: start });
    await cluster.apply(job("a", 1));
    expect((await cluster.get(jobRef("a")))!.status).toBeUndefined();
    cluster.addController(jobController());
    await cluster.settle();
    expect((await cluster.get(jobRef("a")))!.status).toMatchObject({ done: 0 });
    expect(() => cluster.addController(jobController())).toThrow(/already registered/);
  });

  it("a controller that never converges fails settle with an error naming it", async () => {
    const restless: StoreController = {
      name: "restless",
      reconcile({ store }) {
        const n = store.list({ apiVersion: "v1", kind: "ConfigMap" }).length;
        store.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: `cm-${n}`, namespace: "default" } });
        return { changed: true, again: true }; // its own writes do not wake it: it asks every time
      },
    };
    const cluster = await TwinCluster.open({ startTime: start });
    cluster.addStoreController(restless);
    const failure = await cluster.settle().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ControllerError);
    expect((failure as ControllerError).controller).toBe("restless");
    expect((failure as Error).message).toMatch(/did not settle after 100 passes .*"restless"/);
  });

  it("a controller that throws fails the call with its name and the twin time", async () => {
    const cluster = await TwinCluster.open({ startTime: start });
    cluster.addController({
      name: "broken",
      async reconcile() {
        throw new Error("boom");
      },
    });
    await expect(cluster.settle()).rejects.toThrow('twin controller "broken" failed at 2025-01-01T00:00:00.000Z: boom');
  });

  it("on a scaled clock each call first catches up with wall time, stopping at wake-ups", async () => {
    const log: string[] = [];
    const wall = fakeWall(Date.parse("2030-06-01T00:00:00Z"));
    const cluster = await TwinCluster.open({ startTime: start, clock: { scale: 60 }, wallClock: wall, controllers: [jobController(log)] });
    await cluster.apply(job("a", 3));
    wall.set(Date.parse("2030-06-01T00:00:02.5Z")); // 2.5 s of wall = 2.5 min of twin
    await cluster.settle();
    expect(log).toEqual(["2025-01-01T00:00:00.000Z a 0/3", "2025-01-01T00:01:00.000Z a 1/3", "2025-01-01T00:02:00.000Z a 2/3"]);
    await cluster.clock.sleep(minutes(1)); // sleeps one wall second
    expect(log.at(-1)).toBe("2025-01-01T00:03:00.000Z a 3/3");
    await cluster.advance(minutes(60));
    expect(cluster.clock.now()).toEqual(at(minutes(63.5)));
  });

  it("a controller that calls its own twin instead of ctx.store fails at once instead of hanging", async () => {
    const holder: { cluster?: TwinCluster } = {};
    const misguided: Controller = {
      name: "misguided",
      async reconcile() {
        await holder.cluster!.get(jobRef("a"));
        return { changed: false };
      },
    };
    holder.cluster = await TwinCluster.open({ startTime: start });
    holder.cluster.addController(misguided);
    await expect(holder.cluster.settle()).rejects.toThrow(/"misguided" failed .*called from inside its own transaction .*use the store passed to it/);
  });

  it("watchers may call the twin from their callback", async () => {
    const cluster = await TwinCluster.open({ startTime: start, controllers: [jobController()] });
    const seen: unknown[] = [];
    await cluster.watch({ apiVersion: "example.dev/v1", kind: "Job" }, (e) => {
      void cluster.get(jobRef(e.object.metadata.name!)).then((job) => seen.push(job?.status));
    });
    await cluster.apply(job("a", 1));
    await cluster.settle();
    expect(seen).toEqual([{ done: 0, startedAt: start.toISOString() }, { done: 0, startedAt: start.toISOString() }]);
  });

  it("a controller's client is the store at the transaction's time; it cannot sleep or watch", async () => {
    const seen: string[] = [];
    const probe: Controller = {
      name: "probe",
      async reconcile(client, now) {
        seen.push(`${client.clock.now().toISOString()} ${now.toISOString()} ${(await client.list({ apiVersion: "v1", kind: "ConfigMap" })).length}`);
        await expect(client.clock.sleep(1000)).rejects.toThrow(/return wakeAt/);
        await expect(client.watch({ apiVersion: "v1", kind: "ConfigMap" }, () => {})).rejects.toThrow(/does not watch/);
        return { changed: false };
      },
    };
    const cluster = await TwinCluster.open({ startTime: start, controllers: [probe] });
    await cluster.advance(60_000);
    await cluster.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "default" } });
    expect(seen.at(0)).toBe("2025-01-01T00:00:00.000Z 2025-01-01T00:00:00.000Z 0");
    expect(seen.at(-1)).toBe("2025-01-01T00:01:00.000Z 2025-01-01T00:01:00.000Z 1");
  });
});

describe("what wakes a controller", () => {
  it("changes of the kinds it watches by others, its wake-ups and its own `again` — not its own writes", async () => {
    const runs: string[] = [];
    const writer: StoreController = {
      name: "writer",
      watches: ["ConfigMap"],
      reconcile({ store }) {
        runs.push("writer");
        if (store.list({ apiVersion: "v1", kind: "ConfigMap" }).length === 0) {
          store.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "mine", namespace: "default" } });
          return { changed: true };
        }
        return { changed: false };
      },
    };
    const cluster = await TwinCluster.open({ startTime: start });
    cluster.addStoreController(writer);
    await cluster.settle();
    expect(runs).toEqual(["writer"]); // its own ConfigMap did not wake it
    await cluster.apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" } });
    expect(runs).toEqual(["writer"]); // a kind it does not watch
    await cluster.apply({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "theirs", namespace: "default" } });
    expect(runs).toEqual(["writer", "writer"]); // someone else's ConfigMap
  });
});

describe("what a controller is told changed", () => {
  const configMap = (name: string, data: Record<string, string> = {}): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data });
  const cmRef = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", namespace: "default", name });

  /** A controller that records each pass's change log (undefined: read everything) and, once asked, writes a ConfigMap of its own. */
  function recorder(passes: Array<string[] | undefined>, options: { write?: () => boolean; fail?: () => boolean } = {}): Controller {
    return {
      name: "recorder",
      watches: ["ConfigMap"],
      async reconcile(client, _now, changes) {
        passes.push(changes?.map((c) => `${c.deleted ? "-" : ""}${c.object.metadata.name}@${c.object.metadata.resourceVersion}`));
        if (options.fail?.()) throw new Error("boom");
        if (options.write?.()) await client.apply(configMap("own", { at: String(passes.length) }));
        return { changed: false };
      },
    };
  }

  it("everything on its first pass, then each changed object once, in its latest version, deletions marked", async () => {
    const passes: Array<string[] | undefined> = [];
    // Runs before the recorder: on a Secret, writes ConfigMap x twice in one pass.
    const twice: Controller = {
      name: "twice",
      watches: ["Secret"],
      async reconcile(client, _now, changes) {
        if (!changes?.length) return { changed: false };
        await client.apply(configMap("x", { v: "1" }));
        await client.apply(configMap("x", { v: "2" }));
        return { changed: true };
      },
    };
    const cluster = await TwinCluster.open({ startTime: start, controllers: [twice, recorder(passes)] });
    await cluster.apply(configMap("a"));
    await cluster.apply(configMap("b"));
    await cluster.apply(configMap("a", { v: "1" }));
    await cluster.delete(cmRef("b"));
    await cluster.apply({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "default" } });
    expect(passes).toEqual([undefined, ["a@1"], ["b@2"], ["a@3"], ["-b@4"], ["x@7"]]);
  });

  it("its own writes, in its next log (without waking it)", async () => {
    const passes: Array<string[] | undefined> = [];
    let writes = 1;
    const cluster = await TwinCluster.open({ startTime: start, controllers: [recorder(passes, { write: () => writes-- > 0 })] });
    expect(passes).toEqual([undefined]); // it wrote "own" on its first pass, which did not wake it
    await cluster.apply(configMap("a"));
    expect(passes).toEqual([undefined, ["own@1", "a@2"]]);
    await cluster.apply(configMap("c"));
    expect(passes.at(-1)).toEqual(["c@3"]);
  });

  it("nothing it can rely on after a pass that failed, or after another process's state was loaded", async () => {
    const passes: Array<string[] | undefined> = [];
    let failing = false;
    const cluster = await TwinCluster.open({ startTime: start, controllers: [recorder(passes, { fail: () => failing })] });
    await cluster.apply(configMap("a"));
    failing = true;
    await expect(cluster.apply(configMap("b"))).rejects.toThrow(/boom/);
    failing = false;
    await cluster.apply(configMap("c"));
    expect(passes).toEqual([undefined, ["a@1"], ["b@2"], undefined]);

    const dir = mkdtempSync(join(tmpdir(), "twin-changes-"));
    try {
      const stateFile = join(dir, "twin.json");
      const shared: Array<string[] | undefined> = [];
      const mine = await TwinCluster.open({ startTime: start, stateFile, controllers: [recorder(shared)] });
      await mine.apply(configMap("a"));
      const other = await TwinCluster.open({ stateFile });
      await other.apply(configMap("b"));
      await mine.apply(configMap("c"));
      expect(shared).toEqual([undefined, ["a@1"], undefined]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
