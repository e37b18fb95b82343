import { describeRef, type ObjectRef } from "./client";

// One error model for both backends: the API server's Status reasons as codes, so that handlers branch
// on `code` the same way whether the twin or a real API server answered.

export type ClusterErrorCode =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "Forbidden"
  | "Unauthorized"
  /** The kind's CRD is not installed. */
  | "ResourceTypeMissing"
  /** The server never answered (status 0). */
  | "Unreachable"
  | "Failed";

const httpStatus: Partial<Record<ClusterErrorCode, number>> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  Forbidden: 403,
  Unauthorized: 401,
  ResourceTypeMissing: 404,
  Unreachable: 0,
};

export class ClusterError extends Error {
  override readonly name = "ClusterError";
  /** The HTTP status the API server answered (or would answer) with; 0 when it never answered. */
  readonly status: number;

  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    /** The object the request was about, when there is one. */
    readonly ref?: ObjectRef,
    options?: { status?: number; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status ?? httpStatus[code] ?? 500;
  }
}

export function isClusterError(error: unknown, code?: ClusterErrorCode): error is ClusterError {
  return error instanceof ClusterError && (code === undefined || error.code === code);
}

export function notFound(ref: ObjectRef): ClusterError {
  return new ClusterError("NotFound", `${describeRef(ref)} not found`, ref);
}
