// Errors the handlers throw. The dynamic provider host turns an error that carries `id`,
// `properties` and `reasons` into ErrorResourceInitFailed: the engine keeps the resource in state
// with those properties, so the next `pulumi up` resumes with an update instead of starting over.

export class PartialStateError extends Error {
  readonly reasons: string[];
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
  ) {
    super(message);
    this.name = "PartialStateError";
    this.reasons = [message];
  }
}

/** A wait ran out of time; says what it waited for and what it saw last. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly limit: string,
    readonly lastSeen: string,
  ) {
    super(`gave up waiting for ${what} after ${limit}; last seen: ${lastSeen}`);
    this.name = "WaitTimeoutError";
  }
}

/** A wait saw a state that will not resolve by itself (a Degraded node, pods blocking removal). */
export class WaitFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WaitFailedError";
  }
}

/** The engine cancelled the operation (Ctrl-C, or the engine going away) while it waited. */
export class WaitCancelledError extends Error {
  constructor(
    readonly what: string,
    readonly lastSeen: string,
  ) {
    super(`stopped waiting for ${what}: the operation was cancelled; last seen: ${lastSeen}`);
    this.name = "WaitCancelledError";
  }
}
