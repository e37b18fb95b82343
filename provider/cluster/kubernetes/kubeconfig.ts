import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { KubeconfigTarget } from "../target";

// Which kubeconfig and context a resource talks to: the resource's kubeconfig input (a secret string),
// else the ambient one as kubectl and @pulumi/kubernetes find it (KUBECONFIG, then ~/.kube/config).
// Never falls back to the embedded twin, and never puts kubeconfig contents into a message.

export interface LoadedKubeconfig {
  config: KubeConfig;
  /** The API server URL of the chosen context's cluster. */
  server: string;
  context: string;
  /** Where the kubeconfig came from, for messages: "the resource's kubeconfig input", "KUBECONFIG=/x". */
  source: string;
}

export class KubeconfigError extends Error {
  override readonly name = "KubeconfigError";
}

export const HOW_TO_CHOOSE_A_CLUSTER =
  "choose a cluster: give the resource `cluster: { kubeconfig: <kubeconfig YAML>, context?: <name> }`, " +
  "or set KUBECONFIG (or create ~/.kube/config) as for kubectl, " +
  'or choose the embedded twin explicitly with `cluster: { embedded: { fixture: "two-workers" } }`';

export function loadKubeconfig(target: KubeconfigTarget | undefined, givenSource = "the resource's kubeconfig input"): LoadedKubeconfig {
  const config = new KubeConfig();
  let source: string;
  if (target?.kubeconfig !== undefined) {
    source = givenSource;
    parseInto(config, () => config.loadFromString(target.kubeconfig ?? ""), source);
  } else {
    const files = ambientKubeconfigFiles();
    if (files.length === 0) throw new KubeconfigError(`no cluster chosen and no kubeconfig found (KUBECONFIG is ${process.env.KUBECONFIG ? "set but names no existing file" : "unset"}, ~/.kube/config does not exist): ${HOW_TO_CHOOSE_A_CLUSTER}`);
    source = process.env.KUBECONFIG ? `KUBECONFIG=${files.join(path.delimiter)}` : files[0]!;
    files.forEach((file, i) => {
      // As kubectl: the first file that sets a value wins, including current-context.
      const one = i === 0 ? config : new KubeConfig();
      parseInto(one, () => one.loadFromFile(file), file);
      if (one !== config) config.mergeConfig(one, true);
    });
  }
  if (config.getContexts().length === 0) throw new KubeconfigError(`the kubeconfig from ${source} has no contexts`);
  const context = target?.context ?? config.getCurrentContext();
  if (!context) {
    throw new KubeconfigError(`the kubeconfig from ${source} has no current-context: set \`cluster.context\` to one of ${contextNames(config)}`);
  }
  if (!config.getContextObject(context)) {
    throw new KubeconfigError(`the kubeconfig from ${source} has no context "${context}": it has ${contextNames(config)}`);
  }
  config.setCurrentContext(context);
  const cluster = config.getCurrentCluster();
  if (!cluster?.server) {
    throw new KubeconfigError(`context "${context}" of the kubeconfig from ${source} names no cluster with a server URL`);
  }
  return { config, server: cluster.server.replace(/\/+$/, ""), context, source };
}

/** The files KUBECONFIG lists that exist, or ~/.kube/config; empty when there is none. */
export function ambientKubeconfigFiles(): string[] {
  const fromEnv = process.env.KUBECONFIG;
  if (fromEnv) return fromEnv.split(path.delimiter).filter((p) => p && fs.existsSync(p));
  const home = path.join(os.homedir(), ".kube", "config");
  return fs.existsSync(home) ? [home] : [];
}

function parseInto(config: KubeConfig, load: () => void, source: string): void {
  try {
    load();
  } catch (error) {
    // YAML errors quote the offending text, which may hold credentials: keep only the position.
    const mark = (error as { mark?: { line?: number } }).mark;
    const where = mark?.line !== undefined ? ` (line ${mark.line + 1})` : "";
    const code = (error as NodeJS.ErrnoException).code;
    const why = code ? `cannot be read (${code})` : `is not a valid kubeconfig${where}`;
    throw new KubeconfigError(`the kubeconfig from ${source} ${why}`);
  }
}

function contextNames(config: KubeConfig): string {
  const names = config.getContexts().map((c) => `"${c.name}"`);
  return names.length > 0 ? names.join(", ") : "no contexts";
}
