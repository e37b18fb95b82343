import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import * as z from "zod";
import type { KubeObject } from "../../k8s/meta";
import { clockStateSchema, type ClockState } from "./clock";
import { formatIssues } from "../../k8s/property-path";
import { acquireLock, type LockOptions, LockTimeoutError } from "./file-lock";
import { pendingEventSchema, type PendingEvent } from "./schedule";

// The whole twin in one JSON file, so that separate processes (each `pulumi up`, `refresh`, `destroy`)
// see the same cluster. Writes go to a temporary file that is fsynced and renamed over the old one, so
// a reader sees the old state or the new one, never half of each. A broken file is an error naming the
// file and the problem: the twin never silently starts over.

export const stateFormat = "pulumi-cluster-runtime/embedded-twin";

export interface TwinState {
  /** The twin time controllers have run up to. */
  time: string;
  clock: ClockState;
  resourceVersion: number;
  schedule: PendingEvent[];
  objects: KubeObject[];
  /** What each controller remembers between passes (see Controller.memory), by controller name. */
  controllers?: Record<string, unknown>;
}

const storedObjectSchema = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: z.looseObject({
    name: z.string().min(1),
    namespace: z.string().optional(),
    uid: z.string().min(1),
    resourceVersion: z.string().min(1),
  }),
});

const stateFileSchema = z.strictObject({
  format: z.literal(stateFormat, { error: `must be "${stateFormat}"` }),
  version: z.literal(1, { error: "must be 1 (this version of the twin reads only version 1)" }),
  time: z.iso.datetime(),
  clock: clockStateSchema,
  resourceVersion: z.number().int().nonnegative(),
  schedule: z.array(pendingEventSchema),
  objects: z.array(storedObjectSchema),
  controllers: z.record(z.string(), z.unknown()).optional(),
});

export class StateFileError extends Error {
  override readonly name = "StateFileError";
  constructor(
    message: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Identifies one version of the file on disk (every write renames a new inode into place). */
export type FileStamp = string;

export class StateFile {
  readonly lockFile: string;

  constructor(
    readonly path: string,
    private readonly lockOptions: LockOptions = {},
  ) {
    this.lockFile = `${path}.lock`;
  }

  /** A second copy of the last state written, kept beside the file. */
  get backupFile(): string {
    return `${this.path}.bak`;
  }

  /** Take the exclusive lock beside the file; resolves to the release function. */
  async lock(): Promise<() => void> {
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      return await acquireLock(this.lockFile, this.lockOptions);
    } catch (error) {
      if (error instanceof LockTimeoutError) throw error;
      throw new StateFileError(
        `cannot use the twin state file ${this.path}: ${(error as Error).message}. ` +
          `The twin keeps its state and a lock file (${this.lockFile}) in ${dirname(this.path)}: make that directory writable, ` +
          `or choose another one with cluster.embedded.stateFile`,
        this.path,
        { cause: error },
      );
    }
  }

  /** The stamp of the file as it is now, or undefined when there is none. */
  stamp(): FileStamp | undefined {
    try {
      const s = statSync(this.path);
      return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new StateFileError(`cannot read the twin state file ${this.path}: ${(error as Error).message}`, this.path, { cause: error });
    }
  }

  read(): TwinState {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (error) {
      throw new StateFileError(`cannot read the twin state file ${this.path}: ${(error as Error).message}`, this.path, { cause: error });
    }
    const backup = existsSync(this.backupFile) ? `restore the last state the twin wrote from its copy with \`cp ${this.backupFile} ${this.path}\`, or ` : "";
    const broken = (problem: string, cause?: unknown) =>
      new StateFileError(
        `the twin state file ${this.path} ${problem}. It is left as it is: ${backup}delete it to start a new twin from the fixture ` +
          `(the stack may then hold objects the new twin does not have: \`pulumi refresh\` drops them).`,
        this.path,
        { cause },
      );
    if (text.trim() === "") throw broken("is empty (cut off while being written?)");
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw broken(`is not valid JSON (${(error as Error).message}); it may have been cut off or edited by hand`, error);
    }
    const parsed = stateFileSchema.safeParse(json);
    if (!parsed.success) throw broken(`is not a twin state: ${formatIssues(parsed.error)}`);
    const { format: _format, version: _version, ...state } = parsed.data;
    return state as TwinState;
  }

  /** Atomic replace: temp file, fsync, rename, fsync the directory. Returns the new stamp. */
  write(state: TwinState): FileStamp {
    const text = JSON.stringify({ format: stateFormat, version: 1, ...state }, null, 1) + "\n";
    try {
      replaceAtomically(this.path, text);
    } catch (error) {
      throw new StateFileError(
        `cannot write the twin state file ${this.path}: ${(error as Error).message}. Nothing of this change was kept: ` +
          `free some space or make ${dirname(this.path)} writable (or choose another cluster.embedded.stateFile), then run again`,
        this.path,
        { cause: error },
      );
    }
    // A second copy: a file torn or edited in place by something else can be put back from it.
    try {
      replaceAtomically(this.backupFile, text);
    } catch {
      // the state itself is written; a missing copy only means no restore from it
    }
    syncDirectory(dirname(this.path));
    return this.stamp()!;
  }
}

/** Temp file, fsync, rename over `file`: a reader sees the old text or the new one, never half. */
function replaceAtomically(file: string, text: string): void {
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    const fd = openSync(temp, "w");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // never created, or already renamed
    }
    throw error;
  }
}

/** Make the rename itself durable; not every platform can open a directory, and that is fine. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort
  }
}
