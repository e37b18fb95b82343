import * as fs from "node:fs";

// Processes as Linux shows them in /proc, for tests that check nothing is left running.

interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
}

function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, ppid: Number(ppid), state: state ?? "" };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcessInfo[] {
  return fs
    .readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((p): p is ProcessInfo => p !== undefined);
}

/** Running (not a zombie). */
export function alive(pid: number): boolean {
  const info = readProcess(pid);
  return info !== undefined && info.state !== "Z";
}

/** The pid and every process below it, now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of allProcesses()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

/** Live processes whose working directory is in `dir` (a program's directory), besides this one. */
export function processesIn(dir: string): number[] {
  return allProcesses()
    .filter((p) => p.pid !== process.pid && p.state !== "Z")
    .filter((p) => {
      try {
        return fs.readlinkSync(`/proc/${p.pid}/cwd`).startsWith(dir);
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

/** The command line of a process, for messages. */
export function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "(gone)";
  }
}

export async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
