import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach } from "vitest";
import type { HandlerContext } from "../../provider/lifecycle/context";
import { connect, type EmbeddedCluster, openTwin } from "../../provider/wiring";

// Handlers on the embedded twin with virtual time: each handler call opens the twin from its state
// file, as each Pulumi operation would in its own process; a wait moves the twin's time forward.

export interface TwinCase {
  dir: string;
  cluster: { embedded: { fixture: string; stateFile: string; virtualTime: true; nodeUpdateTime?: string } };
  /** Lines the handlers reported, "<resource>: <line>" (what the dynamic host prints). */
  lines: string[];
  /** What a host gives the handlers: the real wiring, progress into `lines`. */
  context: HandlerContext;
  open(): Promise<EmbeddedCluster>;
}

export function useTwin(fixture: string, extra: { nodeUpdateTime?: string } = {}): TwinCase {
  const twinCase = { lines: [] as string[] } as TwinCase;
  beforeEach(() => {
    twinCase.dir = fs.mkdtempSync(path.join(os.tmpdir(), "pcr-handlers-"));
    twinCase.cluster = { embedded: { fixture, stateFile: path.join(twinCase.dir, "twin.json"), virtualTime: true, ...extra } };
    twinCase.lines = [];
    twinCase.open = () => openTwin(twinCase.cluster.embedded);
    twinCase.context = { connect, progress: (resource) => ({ line: (text) => void twinCase.lines.push(`${resource}: ${text}`) }) };
  });
  afterEach(() => {
    fs.rmSync(twinCase.dir, { recursive: true, force: true });
  });
  return twinCase;
}

/** Run a body against the twin and close it. */
export async function inTwin<T>(twinCase: TwinCase, body: (twin: EmbeddedCluster) => Promise<T>): Promise<T> {
  const twin = await twinCase.open();
  try {
    return await body(twin);
  } finally {
    await twin.close();
  }
}
