import * as http from "node:http";
import * as https from "node:https";
import type { LoadedKubeconfig } from "./kubeconfig";
import { isClusterError } from "../errors";
import { connectionFailure, unreachable } from "./errors";

// HTTP to the API server: authentication and TLS from the kubeconfig (through @kubernetes/client-node),
// one keep-alive connection pool, a count of every request sent, and retries while the server cannot
// be reached or says it is busy (bounded by a time limit, so a restart is ridden out but an outage is not).

export type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export interface RequestSpec {
  method: Method;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
}

export interface HttpResult {
  status: number;
  /** Parsed JSON, or the raw text when the body is not JSON. */
  body: unknown;
}

export interface WatchStream {
  /** Settles when the server ends the stream (undefined) or the connection breaks (the error). */
  ended: Promise<Error | undefined>;
  close(): void;
}

export interface TransportOptions {
  /** How long requests keep retrying while the server cannot be reached before failing. */
  unreachableLimitMs: number;
  /**
   * The same, for a server that has not answered once yet: a kubeconfig pointing at a closed port or
   * the wrong host is told at once, while an outage after the first answer (a restart) is ridden out.
   */
  firstContactLimitMs?: number;
  /** A request (not a watch) without an answer for this long counts as a broken connection. */
  requestTimeoutMs: number;
}

/** How long a server that never answered is tried, by default. */
export const FIRST_CONTACT_LIMIT_MS = 10_000;

const CONNECTION_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"]);
const BUSY_STATUSES = new Set([429, 503, 504]);

export function isConnectionError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return Boolean(code && CONNECTION_ERRORS.has(code)) || (error as Error | undefined)?.message === "socket hang up";
}

export class Transport {
  /** Every request put on the wire, retries and watches included. */
  requestCount = 0;
  private agent: http.Agent | undefined;
  private staticHeaders: http.OutgoingHttpHeaders | undefined;
  private readonly perRequestAuth: boolean;
  private closed = false;

  constructor(
    private readonly kubeconfig: LoadedKubeconfig,
    private readonly options: TransportOptions,
  ) {
    const user = kubeconfig.config.getCurrentUser();
    // Exec plugins and auth providers hand out tokens that expire: ask for them on every request.
    this.perRequestAuth = Boolean(user?.exec || user?.authProvider);
  }

  get server(): string {
    return this.kubeconfig.server;
  }

  /** Whether the server has answered a request of this transport (any HTTP status). */
  answered = false;

  /**
   * A request, retried while the server is unreachable or busy, up to the unreachable limit (the
   * first-contact limit while the server has never answered). What is not worth retrying (a TLS
   * handshake that fails verification, a host name that does not resolve) fails at once, naming the
   * server and the cause.
   */
  async request(spec: RequestSpec): Promise<HttpResult> {
    let firstFailure: number | undefined;
    let delay = 100;
    for (;;) {
      let failure: unknown;
      try {
        const result = await this.once(spec);
        this.answered = true;
        if (!BUSY_STATUSES.has(result.status)) return result;
        failure = Object.assign(new Error(`HTTP ${result.status}`), { result });
      } catch (error) {
        if (this.closed || isClusterError(error)) throw error;
        if (!isConnectionError(error)) throw connectionFailure(this.kubeconfig, error);
        failure = error;
      }
      const now = Date.now();
      firstFailure ??= now;
      const limit = this.limitMs();
      if (now - firstFailure >= limit) {
        const busy = (failure as { result?: HttpResult }).result;
        if (busy) return busy;
        throw unreachable(this.kubeconfig, limit, failure, !this.answered);
      }
      await sleep(Math.min(delay, limit - (now - firstFailure)));
      delay = Math.min(delay * 2, 2000);
    }
  }

  private limitMs(): number {
    const { unreachableLimitMs, firstContactLimitMs = FIRST_CONTACT_LIMIT_MS } = this.options;
    return this.answered ? unreachableLimitMs : Math.min(unreachableLimitMs, firstContactLimitMs);
  }

  /** Open a watch stream; `onLine` gets each line of a 200 answer. Any other answer comes back as a result. */
  async stream(spec: RequestSpec, onLine: (line: string) => void): Promise<{ result: HttpResult } | { stream: WatchStream }> {
    const request = await this.start(spec, 0);
    return new Promise((resolve, reject) => {
      request.on("error", reject);
      request.on("response", (response) => {
        if (response.statusCode !== 200) {
          readBody(response).then((result) => resolve({ result }), reject);
          return;
        }
        let buffered = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, newline);
            buffered = buffered.slice(newline + 1);
            if (line.trim()) onLine(line);
          }
        });
        const ended = new Promise<Error | undefined>((settle) => {
          response.on("end", () => settle(undefined));
          response.on("error", (error) => settle(error));
          response.on("close", () => settle(response.complete ? undefined : new Error("the watch connection was cut")));
          request.on("error", (error) => settle(error));
        });
        resolve({ stream: { ended, close: () => request.destroy() } });
      });
      request.end();
    });
  }

  close(): void {
    this.closed = true;
    this.agent?.destroy();
  }

  private async once(spec: RequestSpec): Promise<HttpResult> {
    const body = spec.body === undefined ? undefined : typeof spec.body === "string" ? spec.body : JSON.stringify(spec.body);
    // A server that never answered gets no longer per request than the first-contact limit.
    const timeoutMs = this.answered ? this.options.requestTimeoutMs : Math.min(this.options.requestTimeoutMs, this.limitMs());
    const request = await this.start(spec, timeoutMs, body);
    return new Promise((resolve, reject) => {
      request.on("error", reject);
      request.on("timeout", () => request.destroy(Object.assign(new Error("no answer in time"), { code: "ETIMEDOUT" })));
      request.on("response", (response) => readBody(response).then(resolve, reject));
      request.end(body);
    });
  }

  private async start(spec: RequestSpec, timeoutMs: number, body?: string): Promise<http.ClientRequest> {
    const url = new URL(this.kubeconfig.server + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const { agent, headers } = await this.connection();
    const requestHeaders: http.OutgoingHttpHeaders = {
      ...headers,
      Accept: "application/json",
      "User-Agent": "pulumi-cluster-runtime",
      ...(body !== undefined ? { "Content-Type": spec.contentType ?? "application/json", "Content-Length": Buffer.byteLength(body) } : {}),
    };
    this.requestCount++;
    const send = url.protocol === "http:" ? http.request : https.request;
    return send(url, { method: spec.method, agent, headers: requestHeaders, ...(timeoutMs > 0 ? { timeout: timeoutMs } : {}) });
  }

  /** The connection pool (made once) and the authentication headers (fresh when tokens expire). */
  private async connection(): Promise<{ agent: http.Agent; headers: http.OutgoingHttpHeaders }> {
    if (this.agent && this.staticHeaders) return { agent: this.agent, headers: this.staticHeaders };
    const options: https.RequestOptions = { headers: {} };
    await this.kubeconfig.config.applyToHTTPSOptions(options);
    const headers: http.OutgoingHttpHeaders = { ...(options.headers as http.OutgoingHttpHeaders) };
    if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString("base64")}`;
    this.agent ??= keepAliveAgent(options, this.kubeconfig.server);
    if (!this.perRequestAuth) this.staticHeaders = headers;
    return { agent: this.agent, headers };
  }
}

function keepAliveAgent(options: https.RequestOptions, server: string): http.Agent {
  const given = options.agent;
  // A proxy agent from the kubeconfig's proxy-url is used as it is.
  if (given instanceof http.Agent && given.constructor !== https.Agent && given.constructor !== http.Agent) return given;
  if (server.startsWith("http:")) return new http.Agent({ keepAlive: true });
  return new https.Agent({
    keepAlive: true,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    pfx: options.pfx,
    passphrase: options.passphrase,
    ...(options.rejectUnauthorized !== undefined ? { rejectUnauthorized: options.rejectUnauthorized } : {}),
    ...(options.servername ? { servername: options.servername } : {}),
  });
}

function readBody(response: http.IncomingMessage): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("error", reject);
    response.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (a proxy's HTML page, plain text from /readyz): keep the text
      }
      resolve({ status: response.statusCode ?? 0, body });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
