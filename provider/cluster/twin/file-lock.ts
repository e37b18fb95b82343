import { randomUUID } from "node:crypto";
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";

// An exclusive lock between processes: a lock file created with O_EXCL, holding who took it. Waiters
// back off; a lock whose process is dead is broken; after the time limit the error names the file.
// This waits in wall time on purpose: it is about processes, not about the twin's clock.

export interface LockOptions {
  /** How long to wait for another process before giving up. Default 30 s. */
  timeoutMs?: number;
}

interface Holder {
  pid: number;
  host: string;
  since: string;
  token: string;
}

/** A lock file with no readable holder older than this was left by a process that died while taking it. */
const unreadableStaleMs = 5_000;

export class LockTimeoutError extends Error {
  override readonly name = "LockTimeoutError";
  constructor(
    message: string,
    readonly lockFile: string,
  ) {
    super(message);
  }
}

/** Take the lock; resolves to the function that releases it. */
export async function acquireLock(lockFile: string, options: LockOptions = {}): Promise<() => void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const me: Holder = { pid: process.pid, host: hostname(), since: "", token: randomUUID() };
  let delay = 2;
  for (;;) {
    if (tryCreate(lockFile, me)) return () => release(lockFile, me.token);
    const holder = readHolder(lockFile);
    if (holder !== "gone" && isStale(lockFile, holder)) {
      breakStale(lockFile, holder);
      continue;
    }
    if (holder !== "gone" && Date.now() >= deadline) {
      const who = holder === "unreadable" ? "by a process that left it unreadable" : `by pid ${holder.pid} on ${holder.host} since ${holder.since}`;
      throw new LockTimeoutError(
        `gave up after ${timeoutMs / 1000} s waiting for the twin state lock ${lockFile}, held ${who}. If no twin process is running, delete ${lockFile}.`,
        lockFile,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
    delay = Math.min(delay * 2, 100);
  }
}

function tryCreate(lockFile: string, me: Holder): boolean {
  let fd: number;
  try {
    fd = openSync(lockFile, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new Error(`cannot create the twin state lock ${lockFile}: ${(error as Error).message}`, { cause: error });
  }
  try {
    writeSync(fd, JSON.stringify({ ...me, since: new Date().toISOString() }));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(lockFile: string): Holder | "gone" | "unreadable" {
  let text: string;
  try {
    text = readFileSync(lockFile, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    throw error;
  }
  try {
    const holder = JSON.parse(text) as Holder;
    return typeof holder.pid === "number" && typeof holder.token === "string" ? holder : "unreadable";
  } catch {
    return "unreadable"; // being written right now, or its writer died half-way
  }
}

function isStale(lockFile: string, holder: Holder | "unreadable"): boolean {
  if (holder === "unreadable") {
    try {
      return Date.now() - statSync(lockFile).mtimeMs > unreadableStaleMs;
    } catch {
      return false;
    }
  }
  // A pid on another host (a shared file system) cannot be checked: wait for it like a live one.
  return holder.host === hostname() && !isAlive(holder.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Remove a stale lock without removing a fresh one that replaced it in the meantime: move it aside
 * (atomic, only one breaker wins), check that what was moved is the stale one, and put it back if not.
 */
function breakStale(lockFile: string, stale: Holder | "unreadable"): void {
  const aside = `${lockFile}.stale-${process.pid}-${randomUUID()}`;
  try {
    renameSync(lockFile, aside);
  } catch {
    return; // someone else broke or released it
  }
  const moved = readHolder(aside);
  const isTheStaleOne = stale === "unreadable" ? moved === "unreadable" : moved !== "gone" && moved !== "unreadable" && moved.token === stale.token;
  if (!isTheStaleOne) {
    try {
      linkSync(aside, lockFile);
    } catch {
      // the path was taken again meanwhile; the moved lock's owner will find its token gone on release
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    // already gone
  }
}

function release(lockFile: string, token: string): void {
  const holder = readHolder(lockFile);
  if (holder === "gone" || holder === "unreadable" || holder.token !== token) return; // broken by someone else
  try {
    unlinkSync(lockFile);
  } catch {
    // already gone
  }
}
