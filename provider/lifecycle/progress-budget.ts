import type { Progress } from "./context";

// Progress that stays readable at any scale. A KataConfig on 1,000 workers makes three node
// transitions per worker; printed one line each, that is thousands of lines, most of them within
// seconds on a fast cluster (or on virtual time). The budget shows each phase's first item lines as
// they come, then at most one line per interval: the latest item, with how many were not shown since
// the last line. Lines that are not items (a new phase, the end, what the resource did) and items
// marked important (a node that failed) always pass, after what was held back.

export interface ProgressBudgetOptions {
  /** Item lines shown as they come after each phase line. Default 20. */
  burst?: number;
  /** After the burst, at most one item line per this much wall time. Default 10 s. */
  intervalMs?: number;
  /** The wall clock (tests). */
  now?: () => number;
}

export const DEFAULT_PROGRESS_BURST = 20;
export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000;

export interface BudgetedProgress extends Progress {
  item(text: string, important?: boolean): void;
  /** Print what is held back, if anything (the end of an operation). */
  flush(): void;
}

export function progressBudget(inner: Progress, options: ProgressBudgetOptions = {}): BudgetedProgress {
  const burst = options.burst ?? DEFAULT_PROGRESS_BURST;
  const intervalMs = options.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const now = options.now ?? Date.now;
  let shownInPhase = 0;
  let lastShown = Number.NEGATIVE_INFINITY;
  let held = 0;
  let latest = "";
  let timer: NodeJS.Timeout | undefined;

  const show = (text: string) => {
    inner.line(text);
    lastShown = now();
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (held === 0) return;
    show(held === 1 ? latest : `${latest} (${held - 1} earlier change${held === 2 ? "" : "s"} not shown)`);
    held = 0;
  };

  return {
    line(text) {
      flush();
      show(text);
      shownInPhase = 0;
    },
    item(text, important = false) {
      if (important || shownInPhase < burst) {
        flush();
        show(text);
        shownInPhase++;
        return;
      }
      held++;
      latest = text;
      if (now() - lastShown >= intervalMs) return flush();
      // A quiet spell after a burst still shows where things stand, one interval later.
      timer ??= setTimeout(flush, intervalMs).unref();
    },
    ...(inner.status ? { status: (text: string) => inner.status!(text) } : {}),
    flush,
  };
}

/** "worker-0, worker-1, worker-2 and 997 more": a list of names that stays one short line. */
export function someNames(names: readonly string[], max = 5): string {
  if (names.length <= max) return names.join(", ");
  return `${names.slice(0, max).join(", ")} and ${names.length - max} more`;
}
