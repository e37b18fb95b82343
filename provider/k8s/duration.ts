import * as z from "zod";
import { quoted } from "./quote";

// Go durations as Kubernetes serializes metav1.Duration: "300s", "5m", "1h30m", "1.5h", "0".
// Parsing follows time.ParseDuration; formatting follows time.Duration.String, because upstream
// controllers print durations that way in their messages ("for more than 5m0s").

const unitMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const segment = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;

/** The longest Go duration, 2562047h47m16.854775807s, in milliseconds. */
export const MAX_GO_DURATION_MS = 9_223_372_036_854.775;

/** Milliseconds of a Go duration string, or undefined if it is not one. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text.trim() === text ? text : "";
  if (rest === "") return undefined;
  let sign = 1;
  if (rest[0] === "+" || rest[0] === "-") {
    sign = rest[0] === "-" ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  let total = 0;
  while (rest.length > 0) {
    const match = segment.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * unitMs[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  // time.ParseDuration refuses what does not fit in an int64 of nanoseconds (about 292 years).
  if (total > MAX_GO_DURATION_MS) return undefined;
  return sign * total;
}

/** time.Duration.String for whole-millisecond and larger values: 300000 → "5m0s". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return "0s";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${trimFraction(rest)}ms`;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = trimFraction(rest / 1000);
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

function trimFraction(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(9)));
}

/** A rule on a parsed duration: why it is refused, or undefined to accept it. */
export type DurationRule = (ms: number) => string | undefined;

export const notNegative: DurationRule = (ms) => (ms < 0 ? "must not be negative" : undefined);

/** Why `text` is refused as a Go duration under `rule` (default: not negative), or undefined. */
export function goDurationProblem(text: string, rule: DurationRule = notNegative): string | undefined {
  const ms = parseGoDuration(text);
  const problem =
    ms !== undefined
      ? rule(ms)
      : /^[-+]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/.test(text)
        ? "is longer than the longest Go duration (2562047h, about 292 years)"
        : 'must be a Go duration like "300s", "5m" or "1h30m"';
  return problem === undefined ? undefined : `${problem}; got ${quoted(text)}`;
}

/** The one schema of a Go duration string, for every input and file that takes one. */
export function goDurationSchema(rule: DurationRule = notNegative) {
  return z.string().superRefine((text, ctx) => {
    const problem = goDurationProblem(text, rule);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
}
