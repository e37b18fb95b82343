import type { ClusterClient, ObjectRef, WatchHandle } from "../../provider/cluster/client";
import type { Controller } from "../../provider/cluster/controller";
import { trackChanges, type ChangeTracker } from "./change-tracker";

// Runs controllers against a ClusterClient the way an operator process does: a pass runs every
// controller until a round changes nothing on the server (judged by resourceVersions, not by what the
// controllers report); a watch event on any watched kind (debounced) or the earliest wake-up a
// controller asked for starts the next pass. Passes never overlap.

export interface ControllerLoopOptions {
  client: ClusterClient;
  controllers: Controller[];
  /** Kinds whose changes start a pass. */
  watch: ObjectRef[];
  log: (message: string) => void;
  /** Events closer together than this share one pass. */
  debounceMs?: number;
  /** Passes over all controllers before a pass gives up (a controller that never converges). */
  maxRounds?: number;
}

export class ControllerLoop {
  private readonly watches: WatchHandle[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private failures = 0;
  private readonly tracker: ChangeTracker;
  /** Passes run so far, for diagnostics. */
  passes = 0;

  constructor(private readonly options: ControllerLoopOptions) {
    this.tracker = trackChanges(options.client);
  }

  async start(): Promise<void> {
    for (const ref of this.options.watch) {
      this.watches.push(await this.options.client.watch(ref, () => this.schedule(this.options.debounceMs ?? 20)));
    }
    this.schedule(0);
  }

  /** Stop watching and wait for a pass in progress to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const watch of this.watches) watch.close();
    await this.running;
  }

  /** Run a pass within `delayMs` (an earlier request wins over a later one). */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const at = Date.now() + delayMs;
    if (at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.running = this.pass().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule(0);
        }
      });
    }, delayMs);
  }

  private async pass(): Promise<void> {
    this.passes++;
    const maxRounds = this.options.maxRounds ?? 50;
    let wakeAt: number | undefined;
    let failed = false;
    for (let round = 1; ; round++) {
      this.tracker.reset();
      wakeAt = undefined;
      failed = false;
      for (const controller of this.options.controllers) {
        // One controller failing (a missing CRD, the API server restarting) does not stop the others.
        try {
          const result = await controller.reconcile(this.tracker.client, new Date());
          if (result.wakeAt) wakeAt = Math.min(wakeAt ?? Infinity, result.wakeAt.getTime());
        } catch (error) {
          failed = true;
          this.options.log(`${controller.name} failed: ${(error as Error).message}`);
        }
      }
      if (this.tracker.effectiveWrites() === 0) break;
      if (round >= maxRounds) {
        this.options.log(`controllers still changing things after ${maxRounds} rounds; pausing 1 s`);
        wakeAt = Date.now() + 1000;
        break;
      }
    }
    if (failed) {
      this.failures++;
      const delay = Math.min(500 * 2 ** (this.failures - 1), 10_000);
      this.options.log(`retrying in ${delay} ms`);
      wakeAt = Math.min(wakeAt ?? Infinity, Date.now() + delay);
    } else {
      this.failures = 0;
    }
    // A few ms late rather than early: a timed step checks now >= its due time.
    if (wakeAt !== undefined && !this.stopped && !this.again) this.scheduleAt(wakeAt + 5);
  }

  private scheduleAt(at: number): void {
    const delay = Math.max(0, at - Date.now());
    // schedule() runs after this pass has ended (running is cleared first).
    setImmediate(() => this.schedule(delay));
  }
}
