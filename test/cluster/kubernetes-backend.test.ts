import { afterEach, describe, expect, it } from "vitest";
import type { WatchEvent } from "../../provider/cluster/client";
import { isClusterError } from "../../provider/cluster/errors";
import { kinds } from "../../provider/k8s/api-types";
import { configMap, eventually, type FakeApiServer, json, list, startFakeApiServer, watchLine } from "./fake-api-server";

// The Kubernetes backend's transport and watch against a scripted server on loopback: retries of a
// busy server, a watch that expires mid-stream, a line cut in half, reconnects that back off.
// (The same backend against a real kube-apiserver: test/apiserver/backend.test.ts.)

const configMaps = { ...kinds.configMap, namespace: "default" };
const COLLECTION = "/api/v1/namespaces/default/configmaps";

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("requests to a busy server", () => {
  it("retries a 503 and a 429 until the server answers, counting every attempt", async () => {
    const answers = [503, 429, 200];
    server = await startFakeApiServer((exchange, _request, response) => {
      const status = answers.shift() ?? 200;
      if (status === 200) json(response, 200, configMap("settings", "7", { mode: "fast" }));
      else json(response, status, { kind: "Status", code: status, message: "busy" }, status === 429 ? { "Retry-After": "0" } : {});
    });
    const client = await server.client();

    const found = await client.get({ ...configMaps, name: "settings" });

    expect(found?.data).toEqual({ mode: "fast" });
    expect(server.requests.map((r) => r.path)).toEqual([`${COLLECTION}/settings`, `${COLLECTION}/settings`, `${COLLECTION}/settings`]);
    expect(client.requestCount).toBe(3);
    await client.close();
  });

  it("gives up on a server that stays busy past the limit, with the server's status and the object", async () => {
    server = await startFakeApiServer((_exchange, _request, response) => json(response, 503, { kind: "Status", code: 503, message: "etcd is overloaded" }));
    const client = await server.client({ unreachableLimitMs: 300 });

    const error = await client.get({ ...configMaps, name: "settings" }).catch((e: unknown) => e);

    expect(isClusterError(error)).toBe(true);
    expect((error as Error).message).toMatch(/cannot read ConfigMap default\/settings on cluster http:\/\/127\.0\.0\.1:\d+ \(context fake\): etcd is overloaded/);
    expect(server.requests.length).toBeGreaterThan(1);
    await client.close();
  });

  it("says the server cannot be reached, naming it, when nothing listens", async () => {
    server = await startFakeApiServer(() => undefined);
    const client = await server.client({ unreachableLimitMs: 300 });
    const url = server.url;
    await server.close();
    server = undefined;

    const error = await client.list(configMaps).catch((e: unknown) => e);

    expect(isClusterError(error, "Unreachable")).toBe(true);
    expect((error as Error).message).toContain(`the Kubernetes API server of cluster ${url} (context fake) did not answer in 300ms of trying (ECONNREFUSED: nothing listens on that port)`);
    await client.close();
  });
});

describe("watch", () => {
  /** A server with one ConfigMap list and a watch endpoint the test scripts connection by connection. */
  async function watchServer(listed: () => unknown, watches: Array<(response: import("node:http").ServerResponse, resourceVersion: string) => void>) {
    return startFakeApiServer((exchange, _request, response) => {
      if (exchange.query.get("watch") === "true") {
        const next = watches.shift();
        if (next) next(response, exchange.query.get("resourceVersion") ?? "");
        else response.writeHead(200, { "Content-Type": "application/json" }); // stays open, quiet
        return;
      }
      json(response, 200, listed());
    });
  }

  it("lists again after a 410 mid-stream and reports what changed meanwhile as events", async () => {
    let state = list([configMap("a", "1")], "1");
    server = await watchServer(() => state, [
      (response) => {
        response.writeHead(200, { "Content-Type": "application/json" });
        response.write(watchLine("MODIFIED", configMap("a", "2", { step: "one" })));
        // Meanwhile the server moved on and compacted its history.
        state = list([configMap("a", "5", { step: "two" }), configMap("b", "6")], "6");
        response.end(watchLine("ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version: 2 (5)" }));
      },
    ]);
    const client = await server.client();
    const events: WatchEvent[] = [];

    const watch = await client.watch(configMaps, (event) => events.push(event));
    await eventually("the relist's events", () => events.length >= 3);

    expect(events.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`)).toEqual(["MODIFIED a 2", "MODIFIED a 5", "ADDED b 6"]);
    expect(client.relists).toBe(1);
    await eventually("the watch resumed from the relist", () => server!.requests.filter((r) => r.query.get("watch") === "true").length >= 2);
    expect(server.requests.filter((r) => r.query.get("watch") === "true").map((r) => r.query.get("resourceVersion"))).toEqual(["1", "6"]);
    watch.close();
    await client.close();
  });

  it("drops a line cut in half and resumes from the last whole event, so the event arrives once", async () => {
    server = await watchServer(() => list([], "10"), [
      (response) => {
        response.writeHead(200, { "Content-Type": "application/json" });
        const torn = watchLine("ADDED", configMap("b", "12"));
        // One whole event, half of the next, then the connection breaks.
        response.write(watchLine("ADDED", configMap("a", "11")) + torn.slice(0, torn.length / 2), () => setTimeout(() => response.socket?.destroy(), 50));
      },
      (response, resourceVersion) => {
        // The server replays from the resourceVersion the client resumes at.
        response.writeHead(200, { "Content-Type": "application/json" });
        if (resourceVersion === "11") response.write(watchLine("ADDED", configMap("b", "12")));
      },
    ]);
    const client = await server.client();
    const events: WatchEvent[] = [];

    const watch = await client.watch(configMaps, (event) => events.push(event));
    await eventually("both objects", () => events.length >= 2);

    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED a", "ADDED b"]);
    expect(server.requests.filter((r) => r.query.get("watch") === "true").map((r) => r.query.get("resourceVersion"))).toEqual(["10", "11"]);
    watch.close();
    await client.close();
  });

  it("backs off, doubling, while the watch connection keeps failing, then delivers", async () => {
    let refusals = 4;
    server = await startFakeApiServer((exchange, request, response) => {
      if (exchange.query.get("watch") !== "true") return json(response, 200, list([], "3"));
      if (refusals-- > 0) return request.socket.destroy();
      response.writeHead(200, { "Content-Type": "application/json" });
      response.write(watchLine("ADDED", configMap("late", "4")));
    });
    const log: string[] = [];
    const client = await server.client({ log: (line) => log.push(line) });
    const events: WatchEvent[] = [];

    const watch = await client.watch(configMaps, (event) => events.push(event));
    await eventually("the event after the refusals", () => events.length === 1);

    const delays = log.map((line) => /retrying in (\d+) ms/.exec(line)?.[1]).filter(Boolean).map(Number);
    expect(delays).toEqual([100, 200, 400, 800]);
    expect(events[0]?.object.metadata.name).toBe("late");
    watch.close();
    await client.close();
  });
});

describe("a server that cannot be used", () => {
  it("never answered: gives up at the first-contact limit, not the unreachable limit", async () => {
    server = await startFakeApiServer(() => undefined);
    const client = await server.client({ unreachableLimitMs: 600_000, firstContactLimitMs: 300 });
    await server.close();
    server = undefined;

    const error = await client.list(configMaps).catch((e: unknown) => e);

    expect(isClusterError(error, "Unreachable")).toBe(true);
    expect((error as Error).message).toMatch(/did not answer in 300ms of trying \(ECONNREFUSED: nothing listens on that port\)/);
    await client.close();
  });

  it("answered once: a later outage is ridden out up to the unreachable limit", async () => {
    let down = false;
    server = await startFakeApiServer((_exchange, request, response) => {
      if (down) return void request.socket.destroy();
      json(response, 200, list([], "1"));
    });
    const client = await server.client({ unreachableLimitMs: 60_000, firstContactLimitMs: 100 });
    await client.list(configMaps);
    down = true;
    setTimeout(() => (down = false), 600); // longer than the first-contact limit

    expect(await client.list(configMaps)).toEqual([]);
    await client.close();
  });
});

describe("a user without the rights", () => {
  const refusal = 'kataconfigs.kataconfiguration.openshift.io "example" is forbidden: User "alice" cannot create resource "kataconfigs" in API group "kataconfiguration.openshift.io" at the cluster scope';
  const whoAmI = { kind: "SelfSubjectReview", status: { userInfo: { username: "alice", groups: ["platform", "system:authenticated"] } } };

  it("a 403 names the verb the server checked (create, for an apply), the identity, and what to grant", async () => {
    server = await startFakeApiServer((exchange, _request, response) => {
      if (exchange.path.endsWith("/selfsubjectreviews")) return json(response, 201, whoAmI);
      json(response, 403, { kind: "Status", code: 403, reason: "Forbidden", message: refusal });
    });
    const client = await server.client();

    const error = await client.apply({ ...kinds.kataConfig, metadata: { name: "example" }, spec: {} }).catch((e: unknown) => e);

    expect(isClusterError(error, "Forbidden")).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain('KataConfig example: the kubeconfig\'s user "alice" (groups platform) may not create kataconfigs (API group kataconfiguration.openshift.io) at the cluster scope');
    expect(message).toContain("kubectl create clusterrole pulumi-cluster-runtime-kataconfigs --verb=create --resource=kataconfigs.kataconfiguration.openshift.io");
    expect(message).toContain("kubectl create clusterrolebinding pulumi-cluster-runtime-kataconfigs --clusterrole=pulumi-cluster-runtime-kataconfigs --user=alice");
    expect(message).not.toContain("fake-token");
    await client.close();
  });

  it("requireAccess asks the server about each need and refuses naming every one it lacks, before any other request", async () => {
    const denied = new Set(["list pods", "delete kataconfigs"]);
    server = await startFakeApiServer((exchange, request, response) => {
      if (exchange.path.endsWith("/selfsubjectreviews")) return json(response, 201, whoAmI);
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        const { verb, resource } = (JSON.parse(body) as { spec: { resourceAttributes: { verb: string; resource: string } } }).spec.resourceAttributes;
        json(response, 201, { kind: "SelfSubjectAccessReview", status: { allowed: !denied.has(`${verb} ${resource}`) } });
      });
    });
    const client = await server.client();

    const error = await client
      .requireAccess([{ verb: "delete", ...kinds.kataConfig }, { verb: "get", ...kinds.kataConfig }, { verb: "list", ...kinds.pod }], "KataConfig example")
      .catch((e: unknown) => e);

    expect(isClusterError(error, "Forbidden")).toBe(true);
    expect((error as Error).message).toMatch(
      /^KataConfig example: nothing was changed: the kubeconfig's user "alice" \(groups platform\) may not delete kataconfigs \(API group kataconfiguration\.openshift\.io\) at the cluster scope, nor list pods \(core API group\) in all namespaces on cluster/,
    );
    expect((error as Error).message).toContain("kubectl create clusterrole pulumi-cluster-runtime-pods --verb=list --resource=pods");
    expect(server.requests.every((r) => r.path.startsWith("/apis/authorization.k8s.io/") || r.path.startsWith("/apis/authentication.k8s.io/"))).toBe(true);
    await client.close();
  });
});
