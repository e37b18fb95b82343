import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

// kube-apiserver and etcd, built from Go modules by tools/kube/build.sh (cached after the first build,
// which takes a long while on a small machine). KUBE_BIN_DIR points at ready binaries instead.

export interface KubeBinaries {
  dir: string;
  apiserver: string;
  etcd: string;
}

export const repoRoot = resolve(__dirname, "..", "..");

export async function locateKubeBinaries(log: (line: string) => void = () => undefined): Promise<KubeBinaries> {
  const dir = process.env.KUBE_BIN_DIR || (await build(log));
  const binaries = { dir, apiserver: join(dir, "kube-apiserver"), etcd: join(dir, "etcd") };
  if (!existsSync(binaries.apiserver) || !existsSync(binaries.etcd)) {
    throw new Error(`no kube-apiserver and etcd in ${dir}${process.env.KUBE_BIN_DIR ? " (KUBE_BIN_DIR)" : ""}: run bash tools/kube/build.sh`);
  }
  return binaries;
}

/** Cluster API's real controllers and CRDs, built by tools/capi/build.sh (cached by version). */
export interface CapiTools {
  dir: string;
  /** Runs upstream's MachineHealthCheck controller (tools/capi/cmd/capi-health-manager). */
  manager: string;
  /** Cluster API's CRDs, copied from the module (config/crd/bases). */
  crdsDir: string;
}

/** The capi cache dir: CAPI_DIR, else tools/capi/build.sh (cached after the first build, ~8 min cold on 2 cores). */
export async function locateCapiTools(log: (line: string) => void = () => undefined): Promise<CapiTools> {
  const dir = process.env.CAPI_DIR || (await build(log, "capi"));
  const tools = { dir, manager: join(dir, "capi-health-manager"), crdsDir: join(dir, "crds") };
  if (!existsSync(tools.manager) || !existsSync(tools.crdsDir)) {
    throw new Error(`no capi-health-manager and crds/ in ${dir}${process.env.CAPI_DIR ? " (CAPI_DIR)" : ""}: run bash tools/capi/build.sh`);
  }
  return tools;
}

function build(log: (line: string) => void, tool: "kube" | "capi" = "kube"): Promise<string> {
  return new Promise((resolvePath, reject) => {
    const child = spawn("bash", [join(repoRoot, "tools", tool, "build.sh")], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      for (const line of chunk.toString().split("\n")) if (line.trim()) log(line);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const last = stdout.trim().split("\n").pop()?.trim();
      if (code === 0 && last) resolvePath(last);
      else reject(new Error(`tools/${tool}/build.sh failed (exit ${code}): ${stderr.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
}
