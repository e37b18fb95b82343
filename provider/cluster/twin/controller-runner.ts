import type { ClusterClient } from "../client";
import type { ChangeLog, Controller, ObjectChange, ReconcileResult } from "../controller";
import type { KubeObject } from "../../k8s/meta";
import type { VirtualClock } from "./clock";
import { StoreClient } from "./store-client";
import type { ObjectStore } from "./store";

// Controllers play the operators inside the twin. They run to quiescence after every write ("settle"),
// and time only moves by jumping from one requested wake-up to the next, so hours of operator
// behaviour take milliseconds and happen at exactly the times the semantics say.
//
// Two shapes run here: the shared Controller of provider/cluster/controller.ts (reconcile(client, now),
// the same code a real operator process would run), and StoreController, which works on the store
// directly (the twin's own, like the schedule).

export type { Controller, ReconcileResult };

export interface ReconcileContext {
  readonly store: ObjectStore;
  /** The twin time this pass runs at. */
  readonly now: Date;
  /** The same store as a ClusterClient (no lock, no queue: the transaction holds them). */
  readonly client: ClusterClient;
  /** What changed among the watched kinds since the controller's last pass; undefined: read everything again. */
  readonly changes?: ChangeLog;
}

export interface StoreController {
  readonly name: string;
  /** The kinds whose changes make it run (besides its own wake-ups); unset: any change. */
  readonly watches?: readonly string[];
  reconcile(ctx: ReconcileContext): ReconcileResult | Promise<ReconcileResult>;
}

export function storeControllerOf(controller: Controller): StoreController {
  return { name: controller.name, watches: controller.watches, reconcile: ({ client, now, changes }) => controller.reconcile(client, now, changes) };
}

/** A registered controller and what makes it due: a change of a kind it watches, or its wake-up. */
interface Entry {
  controller: StoreController;
  watches?: ReadonlySet<string>;
  dirty: boolean;
  wakeAt?: Date;
  /**
   * What changed among its watched kinds since its last pass, by object (the latest version wins);
   * undefined until its first pass, after a pass that failed and after the store was loaded anew:
   * its next pass reads everything.
   */
  changes?: Map<string, ObjectChange>;
}

export class ControllerError extends Error {
  override readonly name = "ControllerError";
  constructor(
    message: string,
    readonly controller: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RunnerLimits {
  /** Passes over all controllers within one settle before giving up. */
  maxRounds?: number;
  /** Wake-ups within one advance before giving up. */
  maxWakeups?: number;
}

export class ControllerRunner {
  private readonly entries: Entry[] = [];
  private running: Entry | undefined;
  private readonly client: StoreClient;
  private readonly maxRounds: number;
  private readonly maxWakeups: number;

  constructor(
    private readonly store: ObjectStore,
    private readonly time: VirtualClock,
    limits: RunnerLimits = {},
  ) {
    this.maxRounds = limits.maxRounds ?? 100;
    this.maxWakeups = limits.maxWakeups ?? 100_000;
    this.client = new StoreClient(store, () => time.now());
    // A controller runs again only when something it watches changed (or at its wake-up), as an
    // operator driven by informers would. Its own writes do not wake it: its step already took them
    // into account, unless it says otherwise (`again`). That halves the passes per node update.
    store.onChange((event) => {
      const kind = event.object.kind;
      const key = changeKey(event.object);
      const change = { object: event.object, deleted: event.type === "DELETED" };
      for (const entry of this.entries) {
        if (entry.watches && !entry.watches.has(kind)) continue;
        // Its own writes go into its change log too (its index must hear them), but do not wake it.
        entry.changes?.set(key, change);
        if (entry !== this.running) entry.dirty = true;
      }
    });
  }

  get names(): string[] {
    return this.entries.map((e) => e.controller.name);
  }

  add(controller: StoreController): void {
    if (this.entries.some((e) => e.controller.name === controller.name)) {
      throw new Error(`a twin controller named "${controller.name}" is already registered`);
    }
    this.entries.push({ controller, watches: controller.watches && new Set(controller.watches), dirty: true });
  }

  /** The store was replaced as a whole (another process's state): every controller reads everything again. */
  resync(): void {
    for (const entry of this.entries) entry.changes = undefined;
  }

  /** Run the due controllers until none is due; returns the earliest future wake-up asked for. */
  async settle(): Promise<{ wakeAt?: Date; by?: string }> {
    let changedBy: string[] = [];
    for (let round = 1; round <= this.maxRounds; round++) {
      changedBy = [];
      const now = this.time.now();
      const due = this.entries.filter((e) => e.dirty || (e.wakeAt && e.wakeAt.getTime() <= now.getTime()));
      if (due.length === 0) return this.nextWakeup();
      for (const entry of due) {
        entry.dirty = false;
        this.running = entry;
        const changes = entry.changes && [...entry.changes.values()];
        entry.changes = new Map();
        const result = await this.reconcile(entry.controller, now, changes).catch((error: unknown) => {
          entry.changes = undefined; // what it took in of the changes is unknown: it reads everything next time
          throw error;
        }).finally(() => (this.running = undefined));
        if (result.changed) changedBy.push(entry.controller.name);
        if (result.again) entry.dirty = true;
        entry.wakeAt = result.wakeAt && result.wakeAt.getTime() > now.getTime() ? result.wakeAt : undefined;
      }
    }
    const names = changedBy.map((n) => `"${n}"`).join(", ");
    throw new ControllerError(
      `twin controllers did not settle after ${this.maxRounds} passes at ${this.time.now().toISOString()}: ${names} still reported changes on every pass (a controller that writes without converging)`,
      changedBy[0] ?? "",
    );
  }

  private nextWakeup(): { wakeAt?: Date; by?: string } {
    let next: { wakeAt?: Date; by?: string } = {};
    for (const entry of this.entries) {
      if (entry.wakeAt && (!next.wakeAt || entry.wakeAt < next.wakeAt)) next = { wakeAt: entry.wakeAt, by: entry.controller.name };
    }
    return next;
  }

  /** Move time to `target`, stopping at every wake-up on the way, then settle there. */
  async advanceTo(target: Date): Promise<void> {
    let next = await this.settle();
    let wakeups = 0;
    while (next.wakeAt && next.wakeAt.getTime() <= target.getTime()) {
      if (++wakeups > this.maxWakeups) {
        throw new ControllerError(
          `twin time could not reach ${target.toISOString()}: more than ${this.maxWakeups} wake-ups on the way (the last asked for by "${next.by}" at ${next.wakeAt.toISOString()})`,
          next.by ?? "",
        );
      }
      this.time.advanceTo(next.wakeAt);
      next = await this.settle();
    }
    this.time.advanceTo(target);
    await this.settle();
  }

  /**
   * Move time to the next wake-up if it comes by `target` (and settle there), else to `target`.
   * True once time has reached `target`.
   */
  async advanceToNextWakeup(target: Date): Promise<boolean> {
    const next = await this.settle();
    if (next.wakeAt && next.wakeAt.getTime() < target.getTime()) {
      this.time.advanceTo(next.wakeAt);
      await this.settle();
      return false;
    }
    this.time.advanceTo(target);
    await this.settle();
    return true;
  }

  private async reconcile(controller: StoreController, now: Date, changes: ChangeLog | undefined): Promise<ReconcileResult> {
    try {
      return await controller.reconcile({ store: this.store, now, client: this.client, ...(changes ? { changes } : {}) });
    } catch (error) {
      if (error instanceof ControllerError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ControllerError(`twin controller "${controller.name}" failed at ${now.toISOString()}: ${message}`, controller.name, {
        cause: error,
      });
    }
  }
}

function changeKey(object: KubeObject): string {
  return `${object.apiVersion}|${object.kind}|${object.metadata.namespace ?? ""}|${object.metadata.name}`;
}
