import { describe, expect, it } from "vitest";
import { installed, kataConfig, kataRef, useDevCluster, waitForKata } from "./helpers";

// Waits that outlive the API server: a restart in the middle is ridden out (the watch reconnects,
// relisting when the server has forgotten where it was); an outage longer than the client's limit
// ends the wait with a message that says the server cannot be reached.

// Slow node updates, so that the restart lands in the middle of the installation.
const env = useDevCluster({ nodeUpdateMs: 8000 });

describe("waits and API server trouble", () => {
  it("the API server restarts in the middle of a wait: the wait resumes and completes", async () => {
    await env.client.apply(kataConfig());
    // resyncMs 2 s: the wait also re-reads the object while the server is down, and must ride that out.
    const wait = waitForKata(env.client, "KataConfig example-kataconfig to be installed", installed, 150_000, 2_000);
    await waitForKata(env.client, "worker-1 to be installing", (kc) => kc?.status?.kataNodes?.installing?.includes("worker-1") ?? false);
    const requestsBefore = env.client.requestCount;
    await env.cluster.restartApiServer();
    const done = await wait;
    expect(done?.status?.kataNodes).toEqual({ nodeCount: 2, readyNodeCount: 2, installed: ["worker-0", "worker-1"] });
    expect(done?.status?.runtimeClasses).toEqual(["kata"]);
    // The watch reconnected (and listed again if the new server had forgotten its resourceVersion).
    expect(env.client.requestCount).toBeGreaterThan(requestsBefore);
  });

  it("the API server gone for longer than the client's limit: the wait fails and says so", async () => {
    const impatient = await env.cluster.client({ unreachableLimitMs: 3000 });
    try {
      await impatient.get(kataRef); // it has talked to this server: the server is gone, not wrong
      const wait = waitForKata(impatient, "KataConfig example-kataconfig to be removed", (kc) => kc === undefined, 120_000, 1000);
      const outcome = wait.then(
        () => new Error("the wait succeeded"),
        (error: unknown) => error as Error,
      );
      await env.cluster.stopApiServer();
      const error = await outcome;
      expect(error.message).toMatch(
        /^the Kubernetes API server of cluster https:\/\/127\.0\.0\.1:\d+ \(context dev-cluster\) could not be reached for 3s \(ECONNREFUSED: nothing listens on that port\): check that the cluster is running/,
      );
    } finally {
      await impatient.close();
      await env.cluster.startApiServer();
    }
    // Back up: the same client works again.
    expect((await env.client.get(kataRef))?.metadata.name).toBe("example-kataconfig");
  });
});
