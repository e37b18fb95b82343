// Time is injected everywhere: the semantics take `now`, waits and controllers take a Clock.

export interface Clock {
  now(): Date;
  /** Wait `ms` of this clock's time. A virtual clock moves itself forward instead of waiting. */
  sleep(ms: number): Promise<void>;
}

export const wallClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
