import { clusterIdentity, type ClusterTarget, type ProviderConfig, providerConfigSchema, targetOfProviderConfig } from "../cluster/target";
import { type CheckFailure, validate } from "../lifecycle/check-failures";
import { reveal } from "./secrets";

// The provider's configuration, as the Kubernetes provider takes it: `cluster-runtime:kubeconfig` and
// `cluster-runtime:context` in stack config (the default provider), or the inputs of an explicit
// provider resource; `embedded` names the twin instead. It is the cluster of every resource that sets
// no `cluster` of its own.

/** Keys the engine adds to every provider's inputs that are not configuration. */
const ENGINE_KEYS = ["version", "pluginDownloadURL"];

/**
 * The configuration from a provider's inputs (secrets unwrapped). Stack config may hold values as
 * strings (`embedded` as JSON, `virtualTime` as "true"): they are read as what they say.
 */
export function configOf(inputs: Record<string, unknown>): Record<string, unknown> {
  const plain = reveal(inputs) as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(plain)) {
    if (ENGINE_KEYS.includes(key) || value === undefined || value === null) continue;
    config[key] = key === "embedded" ? embeddedOf(value) : value;
  }
  return config;
}

function embeddedOf(value: unknown): unknown {
  let embedded = value;
  if (typeof embedded === "string") {
    try {
      embedded = JSON.parse(embedded);
    } catch {
      return embedded; // refused by the schema, with the property's name
    }
  }
  if (typeof embedded !== "object" || embedded === null) return embedded;
  const out: Record<string, unknown> = { ...embedded };
  if (out.virtualTime === "true" || out.virtualTime === "false") out.virtualTime = out.virtualTime === "true";
  if (typeof out.timeScale === "string" && out.timeScale.trim() !== "" && Number.isFinite(Number(out.timeScale))) out.timeScale = Number(out.timeScale);
  return out;
}

export function checkConfig(inputs: Record<string, unknown>): CheckFailure[] {
  const result = validate(providerConfigSchema, configOf(inputs), { knownFields: { "": Object.keys(providerConfigSchema.shape) } });
  return result.ok ? [] : result.failures;
}

/** The configured cluster (undefined: the ambient kubeconfig). Throws on a configuration check refuses. */
export function targetOf(inputs: Record<string, unknown>): ClusterTarget | undefined {
  const result = validate(providerConfigSchema, configOf(inputs));
  if (!result.ok) throw new Error(`cluster-runtime provider configuration: ${result.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  return targetOfProviderConfig(result.value as ProviderConfig);
}

/** The kubeconfig contents a configuration carries, to keep out of messages. */
export function kubeconfigOf(inputs: Record<string, unknown>): string | undefined {
  const kubeconfig = configOf(inputs).kubeconfig;
  return typeof kubeconfig === "string" ? kubeconfig : undefined;
}

/**
 * What a configuration change means: another cluster (another API server or context, another twin
 * state file) replaces the provider, and with it every resource it manages, as the Kubernetes
 * provider does; rotated credentials or another twin speed do not.
 */
export function diffConfig(olds: Record<string, unknown>, news: Record<string, unknown>): { changed: string[]; replaces: string[] } {
  const before = configOf(olds);
  const after = configOf(news);
  const changed = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  if (changed.length === 0) return { changed, replaces: [] };
  let moved: boolean;
  try {
    moved = clusterIdentity(targetOf(olds)) !== clusterIdentity(targetOf(news));
  } catch {
    moved = true;
  }
  return { changed, replaces: moved ? changed : [] };
}
