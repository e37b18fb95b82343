import { describe, expect, it } from "vitest";
import { validateKataConfig } from "../../provider/kata/validate";

describe("KataConfig validation", () => {
  it.each<[unknown, string]>([
    [{}, "empty: every field is optional"],
    [{ spec: { logLevel: "debug" } }, "a CRI-O log level"],
    [{ metadata: { name: "example-kataconfig" }, spec: { kataConfigPoolSelector: { matchLabels: { "custom-kata": "test" } } } }, "a selector"],
    [{ spec: { kataConfigPoolSelector: { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] } } }, "an In expression"],
    [{ spec: { kataConfigPoolSelector: { matchExpressions: [{ key: "gpu", operator: "DoesNotExist" }] } } }, "a DoesNotExist expression"],
    [{ spec: { checkNodeEligibility: true, enablePeerPods: false } }, "booleans"],
  ])("accepts %j (%s)", (input, _why) => {
    expect(validateKataConfig(input)).toMatchObject({ ok: true });
  });

  it.each([
    [{ spec: { logLevel: "verbose" } }, "spec.logLevel", /trace, debug, info, warn, error, fatal, panic/],
    [{ spec: { kataConfigPoolSelector: { matchExpressions: [{ key: "zone", operator: "Equals", values: ["a"] }] } } }, "spec.kataConfigPoolSelector.matchExpressions[0].operator", /In, NotIn, Exists, DoesNotExist/],
    [{ spec: { kataConfigPoolSelector: { matchExpressions: [{ key: "zone", operator: "In" }] } } }, "spec.kataConfigPoolSelector.matchExpressions[0].values", /must not be empty when operator is In/],
    [{ spec: { kataConfigPoolSelector: { matchExpressions: [{ key: "zone", operator: "Exists", values: ["a"] }] } } }, "spec.kataConfigPoolSelector.matchExpressions[0].values", /must be empty when operator is Exists/],
    [{ spec: { kataConfigPoolSelector: { matchLabels: { "bad key!": "x" } } } }, 'spec.kataConfigPoolSelector.matchLabels["bad key!"]', /label key/],
    [{ spec: { kataConfigPoolSelector: { matchLabels: { ok: "not ok" } } } }, "spec.kataConfigPoolSelector.matchLabels.ok", /label value/],
    [{ spec: { checkNodeEligibility: "yes" } }, "spec.checkNodeEligibility", /true or false/],
    [{ spec: { logLevle: "info" } }, "spec.logLevle", /not a known field; did you mean "logLevel"/],
    [{ metadata: { name: "Example_KataConfig" } }, "metadata.name", /DNS subdomain/],
    [{ metadata: { name: "kc", namespace: "default" } }, "metadata.namespace", /cluster-scoped/],
  ])("refuses %j at %s", (input, property, reason) => {
    const result = validateKataConfig(input);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.failures).toContainEqual({ property, reason: expect.stringMatching(reason) });
  });
});
