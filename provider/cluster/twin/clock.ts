import * as z from "zod";
import { wallClock, type Clock } from "../clock";

// The twin's two kinds of time. Virtual time moves only when told to (tests, and handlers whose wait
// loops drive it through sleep). Scaled time follows the wall clock, faster by a factor, for demos;
// its anchor is persisted so that time keeps flowing across processes.

export class VirtualClock implements Clock {
  private time: number;

  constructor(start: Date) {
    this.time = start.getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  advance(ms: number): void {
    this.time += checkedDuration(ms);
  }

  /** Move forward to `time`; a time in the past leaves the clock where it is. */
  advanceTo(time: Date): void {
    this.time = Math.max(this.time, time.getTime());
  }

  async sleep(ms: number): Promise<void> {
    this.advance(ms);
  }

  /** Take the time of a saved state (the one way a virtual clock is set rather than advanced). */
  restore(time: Date): void {
    this.time = time.getTime();
  }
}

/** twin time = twinStart + (wall now - wallStart) × scale */
export interface ScaledAnchor {
  scale: number;
  twinStart: Date;
  wallStart: Date;
}

export class ScaledClock implements Clock {
  constructor(
    readonly anchor: ScaledAnchor,
    private readonly wall: Clock = wallClock,
  ) {
    checkedScale(anchor.scale);
  }

  /** A scaled clock that reads `twinTime` now. */
  static startingAt(twinTime: Date, scale: number, wall: Clock = wallClock): ScaledClock {
    return new ScaledClock({ scale, twinStart: twinTime, wallStart: wall.now() }, wall);
  }

  get scale(): number {
    return this.anchor.scale;
  }

  now(): Date {
    const { scale, twinStart, wallStart } = this.anchor;
    return new Date(twinStart.getTime() + (this.wall.now().getTime() - wallStart.getTime()) * scale);
  }

  /** Really waits, ms / scale of wall time. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.wall.sleep(checkedDuration(ms) / this.anchor.scale, signal);
  }

  /** The same clock moved `ms` ahead at once (advance on a demo twin). */
  skipped(ms: number): ScaledClock {
    const twinStart = new Date(this.anchor.twinStart.getTime() + checkedDuration(ms));
    return new ScaledClock({ ...this.anchor, twinStart }, this.wall);
  }
}

export const clockStateSchema = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("virtual") }),
  z.strictObject({
    mode: z.literal("scaled"),
    scale: z.number().positive().finite(),
    twinStart: z.iso.datetime(),
    wallStart: z.iso.datetime(),
  }),
]);
export type ClockState = z.infer<typeof clockStateSchema>;

export function clockStateOf(scaled: ScaledClock | undefined): ClockState {
  if (!scaled) return { mode: "virtual" };
  const { scale, twinStart, wallStart } = scaled.anchor;
  return { mode: "scaled", scale, twinStart: twinStart.toISOString(), wallStart: wallStart.toISOString() };
}

export function scaledClockOf(state: ClockState, wall: Clock = wallClock): ScaledClock | undefined {
  if (state.mode === "virtual") return undefined;
  return new ScaledClock({ scale: state.scale, twinStart: new Date(state.twinStart), wallStart: new Date(state.wallStart) }, wall);
}

function checkedDuration(ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a twin time step must be a finite number of milliseconds ≥ 0, got ${ms}`);
  return ms;
}

function checkedScale(scale: number): number {
  if (!Number.isFinite(scale) || scale <= 0) throw new RangeError(`a twin clock scale must be a finite number > 0, got ${scale}`);
  return scale;
}
