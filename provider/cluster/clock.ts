// Time is injected everywhere: the semantics take `now`, waits and controllers take a Clock.

export interface Clock {
  now(): Date;
  /** Time that moves only when someone sleeps or advances it (a twin under test): nothing happens between its wake-ups. */
  readonly virtual?: boolean;
  /**
   * Wait `ms` of this clock's time (or until `signal` aborts: no timer outlives the wait that set it).
   * A virtual clock moves itself forward instead of waiting.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const wallClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    }),
};
