import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach } from "vitest";
import type { ClusterClient, ObjectRef, WatchHandle } from "../../provider/cluster/client";
import type { KubernetesCluster } from "../../provider/cluster/kubernetes";
import { KATA_API_VERSION, KATA_KIND, type KataConfig, type KataConfigStatus } from "../../provider/kata/model";
import { waitFor } from "../../provider/lifecycle/wait";
import { DevCluster } from "../../tools/dev-cluster/dev-cluster";
import { withoutTimes } from "../kata/world";

// What the tests against the real API server share: a dev cluster per test file (two workers, a
// short node update time), a backend client on it, and ways to follow a KataConfig's statuses.

export const NODE_UPDATE_MS = 2000;
export const kataRef: ObjectRef = { apiVersion: KATA_API_VERSION, kind: KATA_KIND, name: "example-kataconfig" };
export const nodeRef = (name: string): ObjectRef => ({ apiVersion: "v1", kind: "Node", name });

export interface ClusterOptions {
  nodeUpdateMs?: number;
  nodeStartupMs?: number;
  /** Default fixtures/two-workers.yaml. */
  fixture?: string;
}

export function startCluster(options: ClusterOptions = {}): Promise<DevCluster> {
  return DevCluster.start({
    fixture: options.fixture ?? "fixtures/two-workers.yaml",
    nodeUpdateMs: options.nodeUpdateMs ?? NODE_UPDATE_MS,
    ...(options.nodeStartupMs !== undefined ? { nodeStartupMs: options.nodeStartupMs } : {}),
    log: (line) => process.stderr.write(`[dev-cluster] ${line}\n`),
  });
}

export interface TestCluster {
  cluster: DevCluster;
  /** Our backend on the cluster, as its admin. */
  client: KubernetesCluster;
}

/** A dev cluster for the test file: started before its tests, stopped after; its logs kept if a test failed. */
export function useDevCluster(options: ClusterOptions = {}): TestCluster {
  const env = {} as TestCluster;
  let failed = false;
  beforeAll(async () => {
    env.cluster = await startCluster(options);
    env.client = await env.cluster.client();
  });
  beforeEach(({ onTestFailed }) => onTestFailed(() => void (failed = true)));
  afterAll(async () => {
    await env.client?.close();
    await env.cluster?.stop({ removeState: !failed });
    if (failed && env.cluster) process.stderr.write(`[dev-cluster] logs kept in ${env.cluster.stateDir}\n`);
  });
  return env;
}

export function kataConfig(spec: KataConfig["spec"] = {}): KataConfig {
  return { apiVersion: KATA_API_VERSION, kind: KATA_KIND, metadata: { name: "example-kataconfig" }, spec };
}

/** Every distinct status the KataConfig goes through (consecutive repeats collapsed), without times. */
export class StatusRecorder {
  readonly statuses: KataConfigStatus[] = [];
  deleted = false;
  private handle: WatchHandle | undefined;

  static async start(client: ClusterClient): Promise<StatusRecorder> {
    const recorder = new StatusRecorder();
    recorder.handle = await client.watch(kataRef, (event) => {
      if (event.type === "DELETED") {
        recorder.deleted = true;
        return;
      }
      const status = event.object.status as KataConfigStatus | undefined;
      if (!status) return;
      const plain = withoutTimes(status);
      const last = recorder.statuses.at(-1);
      if (!last || JSON.stringify(sorted(last)) !== JSON.stringify(sorted(plain))) recorder.statuses.push(plain);
    });
    return recorder;
  }

  /** Wait until this recorder's own watch has seen a status satisfying `check` (another watch may be ahead). */
  reached(check: (status: KataConfigStatus) => boolean): Promise<void> {
    return this.until(() => this.statuses.some(check), "the expected status");
  }

  /** Wait until this recorder's own watch has seen the KataConfig deleted. */
  gone(): Promise<void> {
    return this.until(() => this.deleted, "the deletion");
  }

  private async until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`the recorder did not see ${what}; it saw ${JSON.stringify(this.statuses)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  stop(): void {
    this.handle?.close();
  }
}

/** A JSON value with object keys sorted: the API server does not keep the order they were written in. */
export function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sorted(v)]));
  }
  return value;
}

/** Wait until the KataConfig satisfies `done` (or is gone, with `gone`), through the backend's watch. */
export function waitForKata(client: ClusterClient, what: string, done: (kc: KataConfig | undefined) => boolean, limitMs = 60_000, resyncMs?: number): Promise<KataConfig | undefined> {
  return waitFor({
    client,
    ref: kataRef,
    what,
    limitMs,
    ...(resyncMs ? { resyncMs } : {}),
    evaluate: (object) => {
      const kc = object as KataConfig | undefined;
      return done(kc) ? { state: "done", value: kc } : { state: "waiting", progress: JSON.stringify(kc?.status ?? "no status") };
    },
  });
}

export const installed = (kc: KataConfig | undefined) =>
  Boolean(kc?.status?.runtimeClasses?.includes("kata")) && kc?.status?.conditions?.[0]?.status === "False";

export async function install(client: KubernetesCluster): Promise<void> {
  await client.apply(kataConfig());
  await waitForKata(client, "KataConfig example-kataconfig to be installed", installed);
}

export async function uninstall(client: KubernetesCluster): Promise<void> {
  await client.delete(kataRef);
  await waitForKata(client, "KataConfig example-kataconfig to be removed", (kc) => kc === undefined);
}

const run = promisify(execFile);

export async function kubectl(cluster: DevCluster, ...args: string[]): Promise<string> {
  const { stdout } = await run("kubectl", ["--kubeconfig", cluster.kubeconfigPath, "--request-timeout=30s", ...args]);
  return stdout;
}
