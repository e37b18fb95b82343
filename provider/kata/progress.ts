import type { KataConfigStatus, KataNodeList } from "./model";
import { kataNodeLists } from "./model";
import { inProgressCondition } from "./operator-step";
import type { BudgetedProgress } from "../lifecycle/progress-budget";
import { someNames } from "../lifecycle/progress-budget";

// Progress lines for a KataConfig: one per change of a node's state or of the InProgress
// condition, never one per poll ("worker-1: installing (1/2 ready)").

const words: Record<KataNodeList, string> = {
  waitingToInstall: "waiting to install",
  installing: "installing",
  installed: "installed",
  failedToInstall: "failed to install",
  waitingToUninstall: "waiting to uninstall",
  uninstalling: "uninstalling",
  failedToUninstall: "failed to uninstall",
};

/** A node that had kata and gets a new config (a new log level): the same lists, other words. */
const updateWords: Partial<Record<KataNodeList, string>> = {
  waitingToInstall: "waiting for the new config",
  installing: "updating (drain and reboot)",
  installed: "updated",
  failedToInstall: "failed to update",
};

export class KataProgress {
  private nodeStates = new Map<string, KataNodeList>();
  private condition = "";
  /** Nodes seen installed, then on their way again: their lines speak of an update. */
  private hadKata = new Set<string>();
  private updating = new Set<string>();

  /** The lines that describe what changed since the last status observed. */
  observe(status: KataConfigStatus | undefined): string[] {
    const lines: string[] = [];
    const condition = inProgressCondition(status);
    const conditionLine = condition
      ? `InProgress ${condition.status}${condition.reason ? ` (${condition.reason})` : ""}${condition.message ? `: ${condition.message}` : ""}`
      : "";
    const conditionChanged = conditionLine !== "" && conditionLine !== this.condition;
    this.condition = conditionLine || this.condition;

    const kataNodes = status?.kataNodes;
    // Going into a phase reads best before its node lines, coming out of it after them.
    const conditionFirst = condition?.status === "True";
    if (conditionChanged && conditionFirst) lines.push(conditionLine);
    if (!kataNodes) return conditionChanged && !conditionFirst ? [...lines, conditionLine] : lines;
    const counts = `(${kataNodes.readyNodeCount}/${kataNodes.nodeCount} ready)`;
    const now = new Map<string, KataNodeList>();
    for (const list of kataNodeLists) for (const node of kataNodes[list] ?? []) now.set(node, list);
    // Nodes that finished come first: "worker-1: installed", then "worker-0: installing".
    const finished: string[] = [];
    const moved: string[] = [];
    for (const [node, list] of this.nodeStates) {
      if (!now.has(node)) finished.push(`${node}: ${list === "uninstalling" || list === "waitingToUninstall" ? "uninstalled" : "left the kata pool"} ${counts}`);
    }
    for (const [node, list] of [...now].sort(([a], [b]) => a.localeCompare(b))) {
      if (this.nodeStates.get(node) === list) continue;
      if (this.hadKata.has(node) && (list === "waitingToInstall" || list === "installing")) this.updating.add(node);
      const word = this.updating.has(node) ? (updateWords[list] ?? words[list]) : words[list];
      (list === "installed" ? finished : moved).push(`${node}: ${word} ${counts}`);
      if (list === "installed") {
        this.hadKata.add(node);
        this.updating.delete(node);
      }
    }
    for (const [node, list] of now) if (list === "installed") this.hadKata.add(node);
    for (const node of this.hadKata) if (!now.has(node)) this.hadKata.delete(node);
    lines.push(...finished, ...moved);
    if (conditionChanged && !conditionFirst) lines.push(conditionLine);
    this.nodeStates = now;
    return lines;
  }

  /**
   * The object is gone: the operator lets it go while the last node is still listed as uninstalling
   * (seed table 2.2), so that node's end is said here.
   */
  removed(): string[] {
    const lines = [...this.nodeStates]
      .filter(([, list]) => list === "uninstalling" || list === "waitingToUninstall")
      .map(([node]) => `${node}: uninstalled (0/0 ready)`);
    this.nodeStates.clear();
    return lines;
  }

  /** One line summing up the last status seen, for timeout messages. */
  summary(status: KataConfigStatus | undefined): string {
    const kataNodes = status?.kataNodes;
    const condition = inProgressCondition(status);
    const parts = [condition ? `InProgress ${condition.status}${condition.reason ? `/${condition.reason}` : ""}` : "no status yet"];
    if (kataNodes) {
      parts.push(`${kataNodes.readyNodeCount}/${kataNodes.nodeCount} nodes ready`);
      for (const list of kataNodeLists) if (list !== "installed" && kataNodes[list]?.length) parts.push(`${words[list]}: ${someNames(kataNodes[list]!)}`);
    }
    return parts.join("; ");
  }
}

/**
 * Hand observed lines to the host: a node's transition is an item (held back when there are many;
 * a failed node never is), the InProgress condition and everything else a line of its own.
 */
export function report(lines: string[], say: BudgetedProgress): void {
  const failed = [words.failedToInstall, words.failedToUninstall].map((word) => `: ${word} (`);
  for (const line of lines) {
    if (line.startsWith("InProgress ")) say.line(line);
    else say.item(line, failed.some((f) => line.includes(f)));
  }
}
