import type { z } from "zod";
import { describeRef, type ObjectRef } from "../client";

// API errors of the twin, shaped like the API server's Status reasons so that handlers can branch on
// `code` the same way for both backends. (Candidate to move up to provider/cluster once the Kubernetes
// backend maps its HTTP errors onto the same codes.)

export type ClusterErrorCode = "NotFound" | "AlreadyExists" | "Conflict" | "Invalid" | "Forbidden";

const httpStatus: Record<ClusterErrorCode, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  Forbidden: 403,
};

export class ClusterError extends Error {
  override readonly name = "ClusterError";
  /** The HTTP status the API server would answer with. */
  readonly status: number;

  constructor(
    readonly code: ClusterErrorCode,
    message: string,
    /** The object the request was about, when there is one. */
    readonly ref?: ObjectRef,
  ) {
    super(message);
    this.status = httpStatus[code];
  }
}

export function isClusterError(error: unknown, code?: ClusterErrorCode): error is ClusterError {
  return error instanceof ClusterError && (code === undefined || error.code === code);
}

export function notFound(ref: ObjectRef): ClusterError {
  return new ClusterError("NotFound", `${describeRef(ref)} not found`, ref);
}

/** "metadata.labels.app: must be ..." for each zod issue, joined with "; ". */
export function formatIssues(error: z.ZodError, prefix = ""): string {
  return error.issues.map((issue) => `${issuePath(issue.path, prefix) || "(top level)"}: ${issue.message}`).join("; ");
}

export function issuePath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}
