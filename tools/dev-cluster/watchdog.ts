import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, stopProcess } from "./processes";

// The watchdog of a dev cluster started by a test run (attached): when the process that started the
// cluster is gone (a test run killed or interrupted, so its teardown never ran), it stops every
// process the cluster's state file lists. It ends by itself when the cluster was stopped normally.
//
//   node --import tsx tools/dev-cluster/watchdog.ts --owner <pid> --state-dir <dir>

const POLL_MS = 500;

/** Every process the state file lists: each `pid` field, wherever it is (etcd, apiServer, operator, ...). */
export function processesOf(state: unknown): number[] {
  if (Array.isArray(state)) return state.flatMap(processesOf);
  if (!state || typeof state !== "object") return [];
  return Object.entries(state).flatMap(([key, value]) => (key === "pid" && typeof value === "number" ? [value] : processesOf(value)));
}

function readProcesses(stateFile: string): number[] {
  try {
    return processesOf(JSON.parse(readFileSync(stateFile, "utf8"))).filter((pid) => pid > 0 && pid !== process.pid);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const owner = Number(argument("owner"));
  const stateFile = join(argument("state-dir"), "dev-cluster.json");
  let started = false;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const processes = readProcesses(stateFile);
    started ||= processes.some(isAlive);
    // Stopped normally (or its state removed): nothing left to guard.
    if (started && (!existsSync(stateFile) || !processes.some(isAlive))) return;
    if (isAlive(owner)) continue;
    // The owner is gone without stopping its cluster: the operator first, etcd last (the state's order).
    for (const pid of [...processes].reverse()) await stopProcess(pid, 5_000);
    return;
  }
}

function argument(name: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  if (value === undefined) throw new Error(`watchdog: --${name} is required`);
  return value;
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`watchdog failed: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
