import { describe, expect, it } from "vitest";
import { progressBudget, someNames } from "../../provider/lifecycle/progress-budget";

// The progress budget: each phase's first item lines as they come, then one line per interval with
// what was held back; phase lines, important items and the end always pass.

function budget(options: { burst: number; intervalMs: number }) {
  const lines: string[] = [];
  let now = 0;
  const progress = progressBudget({ line: (text) => void lines.push(text) }, { ...options, now: () => now });
  return { lines, progress, tick: (ms: number) => void (now += ms) };
}

describe("progress budget", () => {
  it("shows the burst, holds the rest back, and shows the latest with a count once the interval passed", () => {
    const { lines, progress, tick } = budget({ burst: 2, intervalMs: 1000 });
    progress.line("InProgress True (Installing)");
    for (let i = 0; i < 10; i++) progress.item(`worker-${i}: installing`);
    expect(lines).toEqual(["InProgress True (Installing)", "worker-0: installing", "worker-1: installing"]);

    tick(1000);
    progress.item("worker-10: installing");
    expect(lines.at(-1)).toBe("worker-10: installing (8 earlier changes not shown)");
  });

  it("never holds back an important item, and prints what was held before it", () => {
    const { lines, progress } = budget({ burst: 0, intervalMs: 60_000 });
    progress.item("worker-0: installing"); // nothing shown for a while: shown at once
    progress.item("worker-1: installing");
    progress.item("worker-2: installing");
    progress.item("worker-2: failed to install", true);
    expect(lines).toEqual(["worker-0: installing", "worker-2: installing (1 earlier change not shown)", "worker-2: failed to install"]);
  });

  it("a phase line prints what was held, then starts a new burst; flush prints the rest at the end", () => {
    const { lines, progress } = budget({ burst: 1, intervalMs: 60_000 });
    progress.item("a");
    progress.item("b");
    progress.item("c");
    progress.line("InProgress False");
    progress.item("d");
    progress.item("e");
    progress.flush();
    progress.flush();
    expect(lines).toEqual(["a", "c (1 earlier change not shown)", "InProgress False", "d", "e"]);
  });

  it("a thousand transitions in a burst make a bounded number of lines", () => {
    const { lines, progress, tick } = budget({ burst: 20, intervalMs: 10_000 });
    progress.line("InProgress True (Installing)");
    for (let i = 0; i < 3000; i++) {
      progress.item(`worker-${i % 1000}: step ${i}`);
      tick(5); // 15 s for all of them
    }
    progress.line("InProgress False");
    expect(lines.length).toBeLessThanOrEqual(1 + 20 + 2 + 1 + 1);
    expect(lines.at(-2)).toBe("worker-999: step 2999 (" + (lines.at(-2)!.match(/\((\d+)/)![1]) + " earlier changes not shown)");
  });

  it("lists a few names and counts the rest", () => {
    expect(someNames(["a", "b"])).toBe("a, b");
    expect(someNames(Array.from({ length: 1000 }, (_, i) => `w${i}`))).toBe("w0, w1, w2, w3, w4 and 995 more");
  });
});
