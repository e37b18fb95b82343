import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { openKubernetesCluster, type KubernetesCluster, type KubernetesClusterOptions } from "../../provider/cluster/kubernetes";
import { locateCapiTools, locateKubeBinaries, repoRoot, type CapiTools, type KubeBinaries } from "./binaries";
import { clientCertificate, makePki, type ClientCertificate, type Pki } from "./certs";
import { apiServerUrl, startApiServer, startEtcd, type ControlPlaneLayout } from "./control-plane";
import { installCrds } from "./install-crds";
import { kubeconfigYaml, writeKubeconfig } from "./kubeconfig-file";
import { loadFixture } from "./load-fixture";
import { freePort } from "./ports";
import { isAlive, spawnLogged, stopProcess, waitUntil } from "./processes";
import { provideWorkloadAccess } from "./workload-kubeconfig";

// A throwaway cluster on this machine: etcd, kube-apiserver, the project's CRDs, a fixture's objects,
// and an operator process playing the operators; with capi "upstream", Cluster API's own
// MachineHealthCheck controller (tools/capi) in place of the twin's. Started from the command line (detached, until
// `stop`) or from tests (attached, stopped by the test).

export interface DevClusterOptions {
  /** Where certificates, data, logs, pids and the kubeconfig go. Default: a new temp dir. */
  stateDir?: string;
  /** A fixture file or the name of a bundled one ("two-workers"). Default: none (an empty cluster). */
  fixture?: string;
  /** How long the Machine Config Operator takes per node. Default 3 s. */
  nodeUpdateMs?: number;
  /** How long a new Machine takes to get its Node. Default 3 s. */
  nodeStartupMs?: number;
  /**
   * Who plays Cluster API's MachineHealthCheck controller: "twin" (the operator process, default) or
   * "upstream" (Cluster API v1.10's own controller, tools/capi, with Cluster API's CRDs from its module,
   * the workload kubeconfig Secrets pointing back at this API server, and status.infrastructureReady set).
   */
  capi?: "twin" | "upstream";
  /** Run the operator process (the simulated operators). Default true; false leaves only what capi starts. */
  operator?: boolean;
  /** Keep the processes running after this process exits. Default false. */
  detached?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What `stop` and the command line need to find the running pieces again. */
interface DevClusterState {
  stateDir: string;
  kubeconfigPath: string;
  server: string;
  binaries: KubeBinaries;
  etcd: { pid: number; port: number };
  apiServer: { pid: number; port: number };
  operator?: { pid: number };
  capi: "twin" | "upstream";
  /** Cluster API's MachineHealthCheck controller (capi "upstream"). */
  capiManager?: { pid: number; binary: string };
  nodeUpdateMs: number;
  nodeStartupMs: number;
  detached: boolean;
}

const STATE_FILE = "dev-cluster.json";

export class DevCluster {
  private constructor(private state: DevClusterState) {}

  get kubeconfigPath(): string {
    return this.state.kubeconfigPath;
  }

  get stateDir(): string {
    return this.state.stateDir;
  }

  /** https://127.0.0.1:PORT */
  get server(): string {
    return this.state.server;
  }

  get operatorLog(): string {
    return join(this.state.stateDir, "operator.log");
  }

  /** The log of Cluster API's controller (capi "upstream"). */
  get capiManagerLog(): string {
    return join(this.state.stateDir, "capi-manager.log");
  }

  get capi(): "twin" | "upstream" {
    return this.state.capi ?? "twin";
  }

  /** The operator's writes, one JSON line each (see write-log.ts). */
  get operatorWrites(): string {
    return join(this.state.stateDir, "operator-writes.jsonl");
  }

  static async start(options: DevClusterOptions = {}): Promise<DevCluster> {
    const log = options.log ?? (() => undefined);
    const stateDir = resolve(options.stateDir ?? mkdtempSync(join(tmpdir(), "dev-cluster-")));
    mkdirSync(stateDir, { recursive: true });
    const previous = readState(stateDir);
    if (previous && [previous.etcd.pid, previous.apiServer.pid, previous.operator?.pid, previous.capiManager?.pid].some(isAlive)) {
      throw new Error(`a dev cluster is already running from ${stateDir} (${previous.server}): stop it first`);
    }
    for (const leftover of ["etcd-data", "pki", "operator.ready", "operator-writes.jsonl", "operator.log", "etcd.log", "kube-apiserver.log", "capi-manager.log"]) {
      rmSync(join(stateDir, leftover), { recursive: true, force: true });
    }

    log("locating kube-apiserver and etcd (tools/kube/build.sh)");
    const binaries = await locateKubeBinaries(log);
    const capi = options.capi ?? "twin";
    let capiTools: CapiTools | undefined;
    if (capi === "upstream") {
      log("locating Cluster API's controller and CRDs (tools/capi/build.sh)");
      capiTools = await locateCapiTools(log);
    }
    const pki = await makePki(join(stateDir, "pki"));
    const admin = await clientCertificate(pki, "pulumi-cluster-runtime-admin", ["system:masters"]);
    const etcdPort = await freePort();
    const apiPort = await freePort(new Set([etcdPort]));
    const layout: ControlPlaneLayout = { stateDir, binaries, pki, admin, etcdPort, apiPort, detached: options.detached ?? false };
    const state: DevClusterState = {
      stateDir,
      kubeconfigPath: join(stateDir, "kubeconfig"),
      server: apiServerUrl(layout),
      binaries,
      etcd: { pid: 0, port: etcdPort },
      apiServer: { pid: 0, port: apiPort },
      capi,
      nodeUpdateMs: options.nodeUpdateMs ?? 3000,
      nodeStartupMs: options.nodeStartupMs ?? 3000,
      detached: layout.detached,
    };
    const cluster = new DevCluster(state);
    // A test run that is killed never reaches its teardown: the watchdog stops the cluster then.
    if (!layout.detached) cluster.startWatchdog();
    try {
      log(`starting etcd on 127.0.0.1:${etcdPort}`);
      state.etcd.pid = await startEtcd(layout);
      writeState(state);
      log(`starting kube-apiserver on ${state.server}`);
      state.apiServer.pid = await startApiServer(layout);
      writeState(state);
      writeKubeconfig(state.kubeconfigPath, { server: state.server, caCert: pki.caCert, client: admin, context: "dev-cluster" });

      const client = await cluster.client({ fieldManager: "pulumi-cluster-runtime-dev-cluster" });
      try {
        log(capiTools ? `installing the CRDs (Cluster API's from ${capiTools.crdsDir})` : "installing the CRDs");
        await installCrds(client, capiTools ? { capiCrdsDir: capiTools.crdsDir } : {});
        if (options.fixture) {
          const loaded = await loadFixture(client, fixturePath(options.fixture));
          log(`loaded ${loaded.objects} objects from ${options.fixture}`);
          if (loaded.ignoredEvents > 0) log(`${loaded.ignoredEvents} scheduled events of the fixture are the twin's and are ignored here`);
        }
        if (capiTools) await provideWorkloadAccess(client, readFileSync(state.kubeconfigPath, "utf8"));
      } finally {
        await client.close();
      }
      if (options.operator ?? true) {
        log("starting the operator process");
        state.operator = { pid: await cluster.startOperator() };
        writeState(state);
      }
      if (capiTools) {
        log("starting Cluster API's MachineHealthCheck controller (capi-health-manager)");
        state.capiManager = { pid: cluster.startCapiManager(capiTools.manager), binary: capiTools.manager };
        writeState(state);
      }
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** The dev cluster whose state is in `stateDir` (started by another process). */
  static attach(stateDir: string): DevCluster {
    const state = readState(resolve(stateDir));
    if (!state) throw new Error(`no dev cluster state in ${resolve(stateDir)} (${STATE_FILE} missing)`);
    return new DevCluster(state);
  }

  running(): { etcd: boolean; apiServer: boolean; operator: boolean; capiManager: boolean } {
    return {
      etcd: isAlive(this.state.etcd.pid),
      apiServer: isAlive(this.state.apiServer.pid),
      operator: isAlive(this.state.operator?.pid),
      capiManager: isAlive(this.state.capiManager?.pid),
    };
  }

  /** A Kubernetes backend client on this cluster as its admin. */
  client(options?: KubernetesClusterOptions): Promise<KubernetesCluster> {
    return openKubernetesCluster({ kubeconfig: readFileSync(this.kubeconfigPath, "utf8") }, options);
  }

  /** A kubeconfig (YAML text) for another user, e.g. one without any RBAC permission. */
  async kubeconfigFor(user: string, groups: string[] = []): Promise<string> {
    const pki = this.pki();
    const client = await clientCertificate(pki, user, groups);
    return kubeconfigYaml({ server: this.server, caCert: pki.caCert, client, context: `dev-cluster-${user}` });
  }

  async stopApiServer(): Promise<void> {
    await stopProcess(this.state.apiServer.pid);
  }

  async startApiServer(): Promise<void> {
    if (isAlive(this.state.apiServer.pid)) return;
    this.state.apiServer.pid = await startApiServer(this.layout());
    writeState(this.state);
  }

  /** Stop the API server and start it again on the same port (etcd and its data stay). */
  async restartApiServer(): Promise<void> {
    await this.stopApiServer();
    await this.startApiServer();
  }

  /** Stop everything (controllers first, etcd last). The state dir stays, for its logs, unless asked. */
  async stop(options: { removeState?: boolean } = {}): Promise<void> {
    await stopProcess(this.state.capiManager?.pid, 10_000);
    await stopProcess(this.state.operator?.pid, 5_000);
    await stopProcess(this.state.apiServer.pid);
    await stopProcess(this.state.etcd.pid);
    if (options.removeState) rmSync(this.stateDir, { recursive: true, force: true });
  }

  private async startOperator(): Promise<number> {
    const ready = join(this.stateDir, "operator.ready");
    rmSync(ready, { force: true });
    const tsx = pathToFileURL(require.resolve("tsx")).href;
    const pid = spawnLogged(
      process.execPath,
      [
        "--import",
        tsx,
        join(__dirname, "operator-process.ts"),
        "--kubeconfig",
        this.kubeconfigPath,
        "--state-dir",
        this.stateDir,
        "--node-update-ms",
        String(this.state.nodeUpdateMs),
        "--node-startup-ms",
        String(this.state.nodeStartupMs),
        "--capi",
        this.capi,
      ],
      { logFile: this.operatorLog, detached: this.state.detached, cwd: repoRoot },
    );
    await waitUntil("the operator process", () => existsSync(ready), { timeoutMs: 60_000, alive: () => isAlive(pid), logFile: this.operatorLog });
    return pid;
  }

  /**
   * Cluster API's MachineHealthCheck controller against this API server. Attached, it stops when this
   * process dies (its own parent watch); detached, it runs until `stop`.
   */
  private startCapiManager(binary: string): number {
    return spawnLogged(binary, ["--kubeconfig", this.kubeconfigPath, `--exit-with-parent=${this.state.detached ? "false" : "true"}`], {
      logFile: this.capiManagerLog,
      detached: this.state.detached,
    });
  }

  /** Its own process group, so that the Ctrl-C that interrupts a test run leaves it to clean up. */
  private startWatchdog(): void {
    const tsx = pathToFileURL(require.resolve("tsx")).href;
    spawnLogged(process.execPath, ["--import", tsx, join(__dirname, "watchdog.ts"), "--owner", String(process.pid), "--state-dir", this.stateDir], {
      logFile: join(this.stateDir, "watchdog.log"),
      detached: true,
      cwd: repoRoot,
    });
  }

  private pki(): Pki {
    const dir = join(this.stateDir, "pki");
    return { dir, caCert: join(dir, "ca.crt"), caKey: join(dir, "ca.key"), servingDir: join(dir, "apiserver-certs"), saKey: join(dir, "sa.key"), saPub: join(dir, "sa.pub") };
  }

  private layout(): ControlPlaneLayout {
    const pki = this.pki();
    const admin: ClientCertificate = { cert: join(pki.dir, "user-pulumi-cluster-runtime-admin.crt"), key: join(pki.dir, "user-pulumi-cluster-runtime-admin.key") };
    return { stateDir: this.stateDir, binaries: this.state.binaries, pki, admin, etcdPort: this.state.etcd.port, apiPort: this.state.apiServer.port, detached: this.state.detached };
  }
}

export function startDevCluster(options?: DevClusterOptions): Promise<DevCluster> {
  return DevCluster.start(options);
}

/** A fixture path relative to the working directory, or a bundled fixture's name. */
function fixturePath(fixture: string): string {
  const local = resolve(fixture);
  return existsSync(local) ? local : fixture;
}

function readState(stateDir: string): DevClusterState | undefined {
  const file = join(stateDir, STATE_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as DevClusterState) : undefined;
}

function writeState(state: DevClusterState): void {
  writeFileSync(join(state.stateDir, STATE_FILE), `${JSON.stringify(state, null, 2)}\n`);
}
