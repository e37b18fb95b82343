import type { WatchEvent, WatchEventType } from "../client";
import { byKey, relistEvents } from "../relist-diff";
import type { KubeObject } from "../../k8s/meta";
import { asStatus } from "./errors";
import { isConnectionError, type RequestSpec, type Transport, type WatchStream } from "./transport";

// One kind's watch, kept alive: list once to learn the state and its resourceVersion, then watch from
// there. A dropped connection (or the server ending the watch) resumes from the last resourceVersion
// seen, so the server replays what was missed. When the server no longer has that history (410 Gone,
// "resourceVersion too old") or on the periodic resync, we list again and emit synthetic events for
// the difference from what we knew, so the caller never misses a change.

export interface ListResult {
  objects: KubeObject[];
  resourceVersion: string;
}

export interface ResourceWatchOptions {
  transport: Transport;
  /** The collection request (path, fieldSelector, labelSelector) the watch parameters are added to. */
  request: RequestSpec;
  /** A full list with its resourceVersion; throws the mapped API error. */
  list(): Promise<ListResult>;
  onEvent(event: WatchEvent): void;
  /** Relist this often even when the watch looks healthy (guards against a silently stuck connection). */
  resyncMs: number;
  log?: (message: string) => void;
  /** Told each time the watch lists again because the server had forgotten its resourceVersion. */
  onRelist?: () => void;
  /** For tests: start from this state instead of listing (e.g. one that differs from the server's). */
  initial?: ListResult;
}

const MAX_BACKOFF_MS = 5_000;

export class ResourceWatch {
  private readonly known = new Map<string, KubeObject>();
  private resourceVersion = "";
  private stream: WatchStream | undefined;
  private closed = false;
  private wakeClosed: (() => void) | undefined;
  private readonly whenClosed = new Promise<void>((resolve) => (this.wakeClosed = resolve));
  /** Set by an ERROR event; handled once the stream has ended. */
  private expired = false;

  constructor(private readonly options: ResourceWatchOptions) {}

  /** List (unless given a starting state), then keep watching in the background. */
  async start(): Promise<void> {
    this.remember(this.options.initial ?? (await this.options.list()), false);
    void this.run();
  }

  close(): void {
    this.closed = true;
    this.stream?.close();
    this.wakeClosed?.();
  }

  private async run(): Promise<void> {
    let backoff = 100;
    let nextResync = Date.now() + this.options.resyncMs;
    while (!this.closed) {
      try {
        if (this.expired || Date.now() >= nextResync) {
          if (this.expired) {
            this.options.log?.(`watch ${this.describe()}: the server no longer has resourceVersion ${this.resourceVersion}; listing again`);
            this.options.onRelist?.();
          }
          this.expired = false;
          this.remember(await this.options.list(), true);
          nextResync = Date.now() + this.options.resyncMs;
        }
        const opened = await this.options.transport.stream(this.watchRequest(), (line) => this.onLine(line));
        if ("result" in opened) {
          const status = asStatus(opened.result.body);
          if (opened.result.status === 410 || status.code === 410) {
            this.expired = true;
            continue;
          }
          throw new Error(`the watch was refused: ${status.message ?? `HTTP ${opened.result.status}`}`);
        }
        this.stream = opened.stream;
        if (this.closed) opened.stream.close();
        const openedAt = Date.now();
        const resync = this.delay(nextResync - openedAt);
        const outcome = await Promise.race([opened.stream.ended, resync.done]);
        resync.cancel();
        opened.stream.close();
        this.stream = undefined;
        if (outcome instanceof Error && !this.closed && !this.expired) this.options.log?.(`watch ${this.describe()} dropped (${outcome.message}); resuming`);
        // A stream that lived a while was healthy; one cut at once counts as a failure to back off from.
        if (Date.now() - openedAt > 1000) backoff = 100;
        else if (outcome instanceof Error) backoff = await this.backOff(backoff);
      } catch (error) {
        if (this.closed) return;
        const why = isConnectionError(error) ? ((error as NodeJS.ErrnoException).code ?? (error as Error).message) : (error as Error).message;
        this.options.log?.(`watch ${this.describe()}: ${why}; retrying in ${backoff} ms`);
        backoff = await this.backOff(backoff);
      }
    }
  }

  /** Wait `ms` (cut short by close), and answer the next, longer wait. */
  private async backOff(ms: number): Promise<number> {
    await this.delay(ms).done;
    return Math.min(ms * 2, MAX_BACKOFF_MS);
  }

  /** A timer that close() ends early and that never keeps the process alive once cancelled. */
  private delay(ms: number): { done: Promise<void>; cancel(): void } {
    let timer: NodeJS.Timeout | undefined;
    const done = Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))), this.whenClosed]);
    void done.then(() => clearTimeout(timer));
    return { done, cancel: () => clearTimeout(timer) };
  }

  private watchRequest(): RequestSpec {
    const { request } = this.options;
    return {
      ...request,
      query: {
        ...request.query,
        watch: true,
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        // The server ends each watch after a while; we resume from the last resourceVersion.
        timeoutSeconds: 240 + Math.floor(Math.random() * 120),
      },
    };
  }

  private onLine(line: string): void {
    let event: { type?: string; object?: KubeObject };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      return; // a torn line from a cut connection; the resume replays it
    }
    const object = event.object;
    if (!object) return;
    switch (event.type) {
      case "BOOKMARK":
        this.resourceVersion = object.metadata?.resourceVersion ?? this.resourceVersion;
        return;
      case "ERROR": {
        const status = asStatus(object);
        if (status.code === 410) this.expired = true;
        else this.options.log?.(`watch ${this.describe()}: the server reported ${status.message ?? "an error"}`);
        this.stream?.close();
        return;
      }
      case "ADDED":
      case "MODIFIED":
      case "DELETED":
        this.resourceVersion = object.metadata.resourceVersion ?? this.resourceVersion;
        if (event.type === "DELETED") this.known.delete(keyOf(object));
        else this.known.set(keyOf(object), object);
        this.emit(event.type, object);
        return;
    }
  }

  /** Take a fresh list as the known state; with `announce`, emit what changed since the last one. */
  private remember(list: ListResult, announce: boolean): void {
    const fresh = byKey(list.objects, keyOf);
    if (announce) for (const event of relistEvents(this.known, fresh)) this.emit(event.type, event.object);
    this.known.clear();
    for (const [key, object] of fresh) this.known.set(key, object);
    this.resourceVersion = list.resourceVersion;
  }

  private emit(type: WatchEventType, object: KubeObject): void {
    try {
      this.options.onEvent({ type, object });
    } catch (error) {
      this.options.log?.(`a watcher of ${this.describe()} failed on a ${type} event: ${(error as Error).message}`);
    }
  }

  private describe(): string {
    const { path, query } = this.options.request;
    const selector = query?.fieldSelector ? ` (${String(query.fieldSelector)})` : "";
    return `${path}${selector}`;
  }
}

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;
}
