import { describe, expect, it, vi } from "vitest";
import { StateFile } from "../../provider/cluster/twin/state-file";
import * as kata from "../../provider/kata/handlers";
import type { HandlerContext } from "../../provider/lifecycle/context";
import { PartialStateError } from "../../provider/lifecycle/errors";
import { useTwin } from "./support";

// What a host gives the handlers beyond a cluster: the engine's cancel, the engine's time limit, and
// the cost of a wait on virtual time (each wait jumps to the twin's next wake-up).

describe("the handlers under a host's context", () => {
  const twin = useTwin("two-workers");
  const inputs = (extra: Partial<kata.KataConfigInputs> = {}): kata.KataConfigInputs => ({
    metadata: { name: "example-kataconfig" },
    spec: {},
    cluster: twin.cluster,
    owner: "quickstart/dev/KataConfig/sandboxed",
    ...extra,
  });

  it("a wait on virtual time costs a few state-file writes per install and removal, not one per 10-second step", async () => {
    const writes = vi.spyOn(StateFile.prototype, "write");
    const { outs } = await kata.create(twin.context, inputs());
    const installWrites = writes.mock.calls.length;
    writes.mockClear();
    await kata.remove(twin.context, "example-kataconfig", outs);
    // Two node updates of 5 minutes each: 60 writes each way when the wait stepped 10 s at a time.
    expect(installWrites).toBeLessThanOrEqual(8);
    expect(writes.mock.calls.length).toBeLessThanOrEqual(8);
  });

  it("stops waiting when the engine cancels, keeping the object in state", async () => {
    const cancel = new AbortController();
    const context: HandlerContext = {
      ...twin.context,
      signal: cancel.signal,
      progress: (resource) => ({
        line: (text) => {
          twin.lines.push(`${resource}: ${text}`);
          if (text.startsWith("worker-1: installing")) cancel.abort();
        },
      }),
    };

    const failure = await kata.create(context, inputs()).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(PartialStateError);
    expect((failure as Error).message).toMatch(/^stopped waiting for KataConfig example-kataconfig to install kata on the selected workers: the operation was cancelled; last seen: InProgress True\/Installing; 0\/2 nodes ready/);
    expect(twin.lines.filter((l) => l.includes("installed"))).toEqual([]);
  });

  it("takes the engine's time limit when the resource sets none, and the resource's own when it does", async () => {
    const engineLimited: HandlerContext = { ...twin.context, timeoutMs: 7 * 60_000 };

    const byEngine = await kata.create(engineLimited, inputs()).catch((e: unknown) => e);
    expect((byEngine as Error).message).toMatch(/gave up waiting for KataConfig example-kataconfig .* after 7m0s/);

    const byResource = await kata.update(engineLimited, "example-kataconfig", (byEngine as PartialStateError).properties as kata.KataConfigOutputs, inputs({ timeouts: { update: "60m" } }));
    expect(byResource.outs.status.kataNodes.readyNodeCount).toBe(2);
  });
});
