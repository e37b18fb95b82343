import { AsyncLocalStorage } from "node:async_hooks";
import { resolve } from "node:path";
import {
  describeRef,
  type ClusterClient,
  type ListOptions,
  type ObjectRef,
  type WatchEvent,
  type WatchHandle,
} from "../client";
import { wallClock, type Clock } from "../clock";
import type { KubeObject } from "../../k8s/meta";
import { byKey, relistEvents } from "../relist-diff";
import { clockStateOf, scaledClockOf, ScaledClock, VirtualClock } from "./clock";
import { ControllerRunner, storeControllerOf, type Controller, type RunnerLimits, type StoreController } from "./controller-runner";
import { FixtureError, readFixture, seedFixture, type Fixture } from "./fixture";
import { Schedule, scheduleController } from "./schedule";
import { StateFile, StateFileError, type FileStamp, type TwinState } from "./state-file";
import type { AdmissionRule, ControllerMemory, FixtureCheck } from "../controller";
import { ObjectStore, type AdmissionHook, type StoreEvent } from "./store";

// The twin's mechanism as a ClusterClient: a store with Kubernetes semantics, time, and whatever
// controllers and webhooks it is given (the wiring gives it the simulated operators: see
// provider/wiring/embedded-cluster.ts). Every call is a transaction: lock the state file (if any),
// load what other processes wrote, catch up with time, do the call, let the controllers settle,
// write, unlock, then tell the watchers. Without a state file the twin lives in this process only.

export interface TwinClusterOptions {
  /** The cluster to start from, used only when the state is new: a YAML path, a bundled fixture name, or a parsed fixture. */
  fixture?: string | Fixture;
  /** The JSON file that holds the twin across processes. Without one, the twin lives in memory. */
  stateFile?: string;
  /**
   * "virtual" (default): time moves only by advance() and clock.sleep(). { scale }: twin time follows the
   * wall clock `scale` times faster. Given for an existing state, it switches that state's clock.
   */
  clock?: "virtual" | { scale: number };
  /** Operators played by the twin (the shared Controller shape); more can be added with addController. */
  controllers?: Controller[];
  /** Webhooks played by the twin on create, update and delete. */
  admission?: AdmissionRule[];
  /** Rules a new twin's fixture must follow (the operators' expectations of the cluster); a broken one is refused. */
  fixtureChecks?: FixtureCheck[];
  /** Twin time of a new state. Default: the wall clock, to the second. */
  startTime?: Date;
  /** The real time a scaled twin follows (tests inject a fake). */
  wallClock?: Clock;
  /** How long to wait for another process holding the state file. Default 30 s. */
  lockTimeoutMs?: number;
  /** Where the twin reports what it could not do (a scheduled event without its target, a failing watcher). Default stderr. */
  log?: (message: string) => void;
  limits?: RunnerLimits;
}

/** Which twin's transaction the current code runs in, to catch a controller calling its own twin. */
const insideTransaction = new AsyncLocalStorage<TwinCluster>();

interface Watcher {
  ref: ObjectRef;
  onEvent: (event: WatchEvent) => void;
}

export class TwinCluster implements ClusterClient {
  readonly description: string;
  /** Twin time. On a virtual clock, sleep(ms) advances the twin (so a handler's wait loop drives it). */
  readonly clock: Clock;

  private readonly time: VirtualClock;
  private scaled: ScaledClock | undefined;
  private readonly store: ObjectStore;
  private readonly schedule = new Schedule();
  private readonly runner: ControllerRunner;
  private readonly file: StateFile | undefined;
  private fileStamp: FileStamp | undefined;
  private readonly watchers = new Set<Watcher>();
  /** The controllers that remember something between passes, and what the state holds for others. */
  private readonly memories = new Map<string, ControllerMemory>();
  private otherMemories: Record<string, unknown> = {};
  private readonly wall: Clock;
  private readonly log: (message: string) => void;
  private queue: Promise<unknown> = Promise.resolve();
  private initialized = false;
  private closed = false;

  private constructor(private readonly options: TwinClusterOptions) {
    this.wall = options.wallClock ?? wallClock;
    this.log = options.log ?? ((message) => process.stderr.write(`embedded twin: ${message}\n`));
    this.time = new VirtualClock(options.startTime ?? new Date(Math.floor(this.wall.now().getTime() / 1000) * 1000));
    this.store = new ObjectStore(() => this.time.now());
    this.runner = new ControllerRunner(this.store, this.time, options.limits);
    this.runner.add(scheduleController(this.schedule, this.log));
    for (const controller of options.controllers ?? []) this.addController(controller);
    for (const rule of options.admission ?? []) this.store.registerAdmission(rule.kind, rule.hook);
    this.file = options.stateFile ? new StateFile(resolve(options.stateFile), { timeoutMs: options.lockTimeoutMs }) : undefined;
    this.description = options.stateFile ? `embedded twin at ${options.stateFile}` : "embedded twin in memory";
    const isVirtual = () => this.scaled === undefined; // read live: a state file may switch the clock
    this.clock = {
      now: () => this.now(),
      sleep: (ms, signal) => this.sleep(ms, signal),
      get virtual() {
        return isVirtual();
      },
    };
  }

  /** Load the state file if it exists; otherwise start a new twin from the fixture (and save it). */
  static async open(options: TwinClusterOptions = {}): Promise<TwinCluster> {
    const cluster = new TwinCluster(options);
    await cluster.settle();
    return cluster;
  }

  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    return this.transaction(() => this.store.get<T>(ref));
  }

  list<T extends KubeObject = KubeObject>(ref: ObjectRef, options?: ListOptions): Promise<T[]> {
    return this.transaction(() => this.store.list<T>(ref, options));
  }

  apply<T extends KubeObject = KubeObject>(object: KubeObject): Promise<T> {
    return this.transaction(() => structuredClone(this.store.apply<T>(object)));
  }

  patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Record<string, unknown>): Promise<T> {
    return this.transaction(() => structuredClone(this.store.patch<T>(ref, patch)));
  }

  patchStatus<T extends KubeObject = KubeObject>(ref: ObjectRef, status: unknown): Promise<T> {
    return this.transaction(() => structuredClone(this.store.patchStatus<T>(ref, status)));
  }

  delete(ref: ObjectRef): Promise<boolean> {
    return this.transaction(() => this.store.delete(ref));
  }

  /** Changes from the next transaction on; another process's changes arrive at this process's next transaction or sleep. */
  async watch(ref: ObjectRef, onEvent: (event: WatchEvent) => void): Promise<WatchHandle> {
    await this.settle();
    const watcher: Watcher = { ref, onEvent };
    this.watchers.add(watcher);
    return { close: () => this.watchers.delete(watcher) };
  }

  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    this.watchers.clear();
  }

  /** Move twin time forward by `ms`, running the controllers at every wake-up on the way and at the end. */
  advance(ms: number): Promise<void> {
    return this.transaction(async () => {
      const target = new Date(this.time.now().getTime() + ms);
      if (this.scaled) this.scaled = this.scaled.skipped(ms); // validates ms, too
      else if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance takes milliseconds ≥ 0, got ${ms}`);
      await this.runner.advanceTo(target);
    });
  }

  /** Catch up with time (scaled clock), load other processes' changes, run the controllers until quiet. */
  settle(): Promise<void> {
    return this.transaction(() => undefined);
  }

  /**
   * Controllers run in the order added, after the built-in schedule controller, from the next
   * transaction on. Inside the twin a controller's client goes straight to the store.
   */
  addController(controller: Controller): void {
    this.runner.add(storeControllerOf(controller));
    if (controller.memory) this.memories.set(controller.name, controller.memory);
  }

  /** A controller that works on the store itself (synchronous access, no client). */
  addStoreController(controller: StoreController): void {
    this.runner.add(controller);
  }

  registerAdmission(kind: string, hook: AdmissionHook): () => void {
    return this.store.registerAdmission(kind, hook);
  }

  private now(): Date {
    const settled = this.time.now();
    return this.scaled ? new Date(Math.max(settled.getTime(), this.scaled.now().getTime())) : settled;
  }

  private async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.scaled) {
      await this.scaled.sleep(ms, signal);
      if (!signal?.aborted && !this.closed) await this.settle();
      return;
    }
    if (!signal) return this.advance(ms);
    // Virtual time, one wake-up per transaction: the watchers hear each wake-up's changes, and a
    // waiter that has what it waited for aborts the rest of the sleep.
    const target = this.time.now().getTime() + ms;
    while (!signal.aborted && !this.closed) {
      const reached = await this.transaction(() => this.runner.advanceToNextWakeup(new Date(target)));
      if (reached) return;
    }
  }

  private transaction<T>(body: () => T | Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${this.description} is closed`));
    if (insideTransaction.getStore() === this) {
      // It would wait in the queue behind the very transaction that is waiting for it.
      return Promise.reject(
        new Error(`${this.description} was called from inside its own transaction (a controller or admission hook?): use the store passed to it instead`),
      );
    }
    const run = this.queue.then(async () => {
      const events: StoreEvent[] = [];
      try {
        return await insideTransaction.run(this, () => this.runTransaction(body, events));
      } finally {
        this.deliver(events); // outside the transaction: watchers may call the twin again
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runTransaction<T>(body: () => T | Promise<T>, events: StoreEvent[]): Promise<T> {
    const stopRecording = this.store.onChange((event) => events.push(event));
    let release: (() => void) | undefined;
    try {
      let mustWrite = false;
      if (this.file) {
        release = await this.file.lock();
        mustWrite = this.syncFromFile(this.file, events);
      } else if (!this.initialized) {
        this.startNew();
      }
      const before = this.fingerprint();
      try {
        await this.catchUp();
        if (!this.initialized) {
          this.applyClockOption();
          this.initialized = true;
        }
        const result = await body();
        await this.runner.settle();
        return result;
      } finally {
        // Also after a failure: what happened before it happened, as on a real cluster.
        if (this.file && (mustWrite || this.fingerprint() !== before)) this.fileStamp = this.file.write(this.state());
      }
    } catch (error) {
      this.fileStamp = undefined; // re-read the file next time rather than trust memory
      throw error;
    } finally {
      release?.();
      stopRecording();
    }
  }

  /** Load the file if another process changed it; true when the state is new and must be written. */
  private syncFromFile(file: StateFile, events: StoreEvent[]): boolean {
    const stamp = file.stamp();
    if (stamp === undefined) {
      if (this.initialized) {
        throw new StateFileError(
          `the twin state file ${file.path} has disappeared while ${this.description} was open; open the twin again to start a new one`,
          file.path,
        );
      }
      this.startNew();
      return true;
    }
    if (stamp !== this.fileStamp) {
      this.load(file.read(), events);
      this.fileStamp = stamp;
    }
    return false;
  }

  private startNew(): void {
    const loadTime = this.time.now();
    const clock = this.options.clock;
    if (clock && clock !== "virtual") this.scaled = ScaledClock.startingAt(loadTime, clock.scale, this.wall);
    const fixture = typeof this.options.fixture === "string" ? readFixture(this.options.fixture) : this.options.fixture;
    if (!fixture) return;
    const problems = (this.options.fixtureChecks ?? []).flatMap((check) => check(fixture.objects));
    if (problems.length > 0) throw new FixtureError(problems.join("\n"));
    seedFixture(this.store, this.schedule, fixture, loadTime);
  }

  /** An existing state keeps its clock unless this process asked for a different one. */
  private applyClockOption(): void {
    const wanted = this.options.clock;
    if (wanted === undefined) return;
    if (wanted === "virtual") {
      this.scaled = undefined;
    } else if (this.scaled?.scale !== wanted.scale) {
      this.scaled = ScaledClock.startingAt(this.time.now(), wanted.scale, this.wall);
    }
  }

  private load(state: TwinState, events: StoreEvent[]): void {
    // Another process's changes reach our watchers as the difference between what we saw and what is.
    const seen = this.watchers.size > 0 && this.initialized && state.resourceVersion !== this.store.resourceVersion ? byKey(this.store.dump().objects, keyOf) : undefined;
    this.store.load({ resourceVersion: state.resourceVersion, objects: state.objects });
    this.schedule.load(state.schedule);
    this.restoreMemories(state.controllers ?? {});
    this.time.restore(new Date(state.time));
    this.scaled = scaledClockOf(state.clock, this.wall);
    if (!seen) return;
    for (const event of relistEvents(seen, byKey(state.objects, keyOf))) events.push({ type: event.type, object: structuredClone(event.object) });
  }

  /** The controllers take back what they remembered; what belongs to controllers not here is kept as is. */
  private restoreMemories(saved: Record<string, unknown>): void {
    this.otherMemories = {};
    for (const [name, value] of Object.entries(saved)) if (!this.memories.has(name)) this.otherMemories[name] = value;
    for (const [name, memory] of this.memories) memory.restore(saved[name]);
  }

  private savedMemories(): Record<string, unknown> {
    const saved: Record<string, unknown> = { ...this.otherMemories };
    for (const [name, memory] of this.memories) {
      const value = memory.save();
      if (value !== undefined) saved[name] = value;
    }
    return saved;
  }

  private async catchUp(): Promise<void> {
    if (this.scaled) await this.runner.advanceTo(this.scaled.now());
    else await this.runner.settle();
  }

  private state(): TwinState {
    const { resourceVersion, objects } = this.store.dump();
    return {
      time: this.time.now().toISOString(),
      clock: clockStateOf(this.scaled),
      resourceVersion,
      schedule: this.schedule.dump(),
      objects,
      controllers: this.savedMemories(),
    };
  }

  /** Changes whenever anything the state file holds changes. */
  private fingerprint(): string {
    return [
      this.store.resourceVersion,
      this.time.now().getTime(),
      this.schedule.version,
      JSON.stringify(clockStateOf(this.scaled)),
      this.memories.size > 0 ? JSON.stringify(this.savedMemories()) : "",
    ].join("|");
  }

  private deliver(events: StoreEvent[]): void {
    for (const event of events) {
      for (const watcher of [...this.watchers]) {
        if (!watches(watcher.ref, event.object)) continue;
        try {
          watcher.onEvent({ type: event.type, object: structuredClone(event.object) });
        } catch (error) {
          this.log(`a watcher of ${describeRef(watcher.ref)} threw: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }
}

function watches(ref: ObjectRef, object: KubeObject): boolean {
  return (
    object.apiVersion === ref.apiVersion &&
    object.kind === ref.kind &&
    (ref.namespace === undefined || object.metadata.namespace === ref.namespace) &&
    (ref.name === undefined || object.metadata.name === ref.name)
  );
}

function keyOf(object: KubeObject): string {
  return `${object.apiVersion}|${object.kind}|${object.metadata.namespace ?? ""}|${object.metadata.name}`;
}
