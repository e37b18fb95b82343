import { describe, expect, it } from "vitest";
import { formatGoDuration, parseGoDuration } from "../provider/k8s/duration";
import { selectorMatches } from "../provider/k8s/labels";

describe("Go durations", () => {
  it.each([
    ["300s", 300_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1.5h", 5_400_000],
    ["0", 0],
    ["0s", 0],
    ["250ms", 250],
    ["-5m", -300_000],
  ])("parses %s", (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it.each(["5 minutes", "5", "", "m", "5d", " 5m", "1h 30m", "5M"])("refuses %j", (text) =>
    expect(parseGoDuration(text)).toBeUndefined(),
  );

  it.each([
    [300_000, "5m0s"],
    [600_000, "10m0s"],
    [5_400_000, "1h30m0s"],
    [30_000, "30s"],
    [1_500, "1.5s"],
    [0, "0s"],
  ])("formats %d ms as %s", (ms, text) => expect(formatGoDuration(ms)).toBe(text));
});

describe("label selectors", () => {
  const labels = { tier: "web", zone: "a" };
  it.each([
    [{}, true],
    [{ matchLabels: { tier: "web" } }, true],
    [{ matchLabels: { tier: "db" } }, false],
    [{ matchExpressions: [{ key: "zone", operator: "In" as const, values: ["a", "b"] }] }, true],
    [{ matchExpressions: [{ key: "zone", operator: "NotIn" as const, values: ["a"] }] }, false],
    [{ matchExpressions: [{ key: "gpu", operator: "NotIn" as const, values: ["yes"] }] }, true],
    [{ matchExpressions: [{ key: "gpu", operator: "Exists" as const }] }, false],
    [{ matchExpressions: [{ key: "gpu", operator: "DoesNotExist" as const }] }, true],
  ])("%j matches: %s", (selector, expected) => expect(selectorMatches(selector, labels)).toBe(expected));
});
