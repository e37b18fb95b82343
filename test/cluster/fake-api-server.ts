import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { openKubernetesCluster, type KubernetesCluster, type KubernetesClusterOptions } from "../../provider/cluster/kubernetes";

// A scripted API server on loopback for the Kubernetes backend's own tests: each test says what the
// server answers, request by request, including the rude answers a real one gives under load (429,
// 503), a watch that expires (410), and connections cut in the middle of a line.

export interface Exchange {
  method: string;
  path: string;
  query: URLSearchParams;
}

export type Respond = (exchange: Exchange, request: http.IncomingMessage, response: http.ServerResponse) => void;

export interface FakeApiServer {
  url: string;
  /** Every request that reached the server, in order. */
  requests: Exchange[];
  /** A backend client on it, as a resource would open one from a kubeconfig. */
  client(options?: KubernetesClusterOptions): Promise<KubernetesCluster>;
  close(): Promise<void>;
}

export async function startFakeApiServer(respond: Respond): Promise<FakeApiServer> {
  const requests: Exchange[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    const exchange = { method: request.method ?? "GET", path: url.pathname, query: url.searchParams };
    requests.push(exchange);
    respond(exchange, request, response);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = [
    "apiVersion: v1",
    "kind: Config",
    // client-node speaks plain HTTP only to a cluster marked insecure.
    "clusters: [{ name: fake, cluster: { server: " + JSON.stringify(url) + ", insecure-skip-tls-verify: true } }]",
    "users: [{ name: tester, user: { token: fake-token } }]",
    "contexts: [{ name: fake, context: { cluster: fake, user: tester } }]",
    "current-context: fake",
  ].join("\n");
  return {
    url,
    requests,
    client: (options) => openKubernetesCluster({ kubeconfig }, options),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(response: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  response.writeHead(status, { "Content-Type": "application/json", ...headers });
  response.end(JSON.stringify(body));
}

export function configMap(name: string, resourceVersion: string, data: Record<string, string> = {}) {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default", resourceVersion }, data };
}

export function list(items: unknown[], resourceVersion: string) {
  return { apiVersion: "v1", kind: "ConfigMapList", metadata: { resourceVersion }, items };
}

export function watchLine(type: string, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

/** Resolves once `check` holds, polling; fails with `what` after `timeoutMs`. */
export async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
