import type { Progress } from "../lifecycle/context";
import { engineProto, engineRpc, grpc } from "./rpc";

// Progress on the resource's own row: the engine's Log service with the resource's URN. A line is an
// info diagnostic of the resource; a status is ephemeral (the row shows it until the next one).
// Messages go out one at a time, in order; `flush` waits for them (before a response, so the lines
// come before "created").

export interface EngineLogOptions {
  /** The engine cannot be reached any more (it went away). */
  onUnreachable: (reason: string) => void;
}

const LOG_DEADLINE_MS = 30_000;

export class EngineLog {
  private readonly client: InstanceType<typeof engineRpc.EngineClient> | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    address: string | undefined,
    private readonly options: EngineLogOptions,
  ) {
    this.client = address ? new engineRpc.EngineClient(address, grpc.credentials.createInsecure()) : undefined;
  }

  /** Progress of the resource `urn`; `redact` takes secrets out of each message before it leaves. */
  progress(urn: string, redact: (text: string) => string = (text) => text): Progress {
    return {
      line: (text) => this.send(urn, redact(text), false),
      status: (text) => this.send(urn, redact(text), true),
    };
  }

  /** A warning on the resource's row (or the stack's, with no URN). */
  warn(urn: string, text: string): void {
    this.send(urn, text, false, engineProto.LogSeverity.WARNING);
  }

  /** Resolves once every message sent so far has been delivered (or given up on). */
  flush(): Promise<void> {
    return this.queue;
  }

  close(): void {
    this.client?.close();
  }

  private send(urn: string, message: string, ephemeral: boolean, severity = engineProto.LogSeverity.INFO): void {
    const client = this.client;
    if (!client) {
      // No engine (run by hand): stderr, which the engine would show only at debug level anyway.
      process.stderr.write(`${urn} ${ephemeral ? "(status) " : ""}${message}\n`);
      return;
    }
    const request = new engineProto.LogRequest();
    request.setSeverity(severity);
    request.setMessage(message);
    request.setUrn(urn);
    request.setEphemeral(ephemeral);
    this.queue = this.queue.then(
      () =>
        new Promise<void>((resolve) => {
          client.log(request, new grpc.Metadata(), { deadline: Date.now() + LOG_DEADLINE_MS }, (error) => {
            if (error && (error.code === grpc.status.UNAVAILABLE || error.code === grpc.status.DEADLINE_EXCEEDED)) {
              this.options.onUnreachable(`the engine's log service is unreachable (${error.details || error.message})`);
            }
            resolve();
          });
        }),
    );
  }
}
