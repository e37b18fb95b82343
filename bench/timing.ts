import { performance } from "node:perf_hooks";

export interface Figure {
  name: string;
  size: number;
  ms: number;
}

/**
 * Median wall time of each case, the cases run in turn round after round (after `warmup` unmeasured
 * rounds), so that a busy machine slows them alike and the ratios between them hold.
 */
export function timeInTurn(cases: ReadonlyArray<() => unknown>, rounds = 7, warmup = 2): number[] {
  const times = cases.map(() => [] as number[]);
  for (let round = 0; round < warmup + rounds; round++) {
    cases.forEach((run, i) => {
      const start = performance.now();
      run();
      if (round >= warmup) times[i]!.push(performance.now() - start);
    });
  }
  return times.map((values) => Number(median(values).toFixed(2)));
}

/** The median of some measurements (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
