// Time is injected everywhere: the semantics take `now`, waits and controllers take a Clock.

export interface Clock {
  now(): Date;
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
