import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

// Child processes of the dev cluster: output to a log file, optionally detached (they outlive the
// command that started them), stopped by pid with SIGTERM, then SIGKILL if they linger.

export interface SpawnOptions {
  logFile: string;
  /** Keep running after this process exits (own process group). */
  detached: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export function spawnLogged(command: string, args: string[], options: SpawnOptions): number {
  const log = openSync(options.logFile, "a");
  try {
    const child = spawn(command, args, {
      detached: options.detached,
      stdio: ["ignore", log, log],
      cwd: options.cwd,
      env: options.env ?? process.env,
    });
    if (child.pid === undefined) throw new Error(`cannot start ${command}`);
    child.on("error", () => undefined); // reported through isAlive/health checks
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch {
    return false;
  }
}

/** An exited child not yet reaped by its parent still answers kill(pid, 0). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

export async function stopProcess(pid: number | undefined, graceMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid!, "SIGTERM");
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) {
    try {
      process.kill(pid!, "SIGKILL");
    } catch {
      // gone meanwhile
    }
    while (isAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  }
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, options: { timeoutMs: number; alive?: () => boolean; logFile?: string }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await check()) return;
    const hint = options.logFile ? ` (see ${options.logFile})` : "";
    if (options.alive && !options.alive()) throw new Error(`${what}: the process exited${hint}`);
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${options.timeoutMs / 1000} s${hint}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
