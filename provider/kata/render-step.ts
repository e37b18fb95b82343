import { createHash } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { isEmptySelector, selectorMatches } from "../k8s/labels";
import { controllerReference, toKubeTime } from "../k8s/meta";
import {
  type ContainerRuntimeConfig,
  type MachineConfig,
  type MachineConfigPool,
  MCO_API_VERSION,
  MCO_ROLE_LABEL,
} from "./model";

// How the Machine Config Operator turns MachineConfigs into the config a pool rolls out
// (machine-config-operator release-4.17): the ContainerRuntimeConfig controller writes a generated
// MachineConfig per selected pool, and the render controller merges a pool's MachineConfigs into a
// content-addressed "rendered" MachineConfig and points the pool at it. Pure functions.

/** Where the twin remembers the config a pool had before it rendered anything ("<name> <content hash>"). */
export const BASE_CONFIGURATION_ANNOTATION = "twin.pulumi-cluster-runtime.dev/base-configuration";
/** The CRI-O drop-in the ContainerRuntimeConfig controller writes for a log level. */
export const CRIO_LOG_LEVEL_FILE = "/etc/crio/crio.conf.d/01-ctrcfg-logLevel";

/** The generated MachineConfig of a ContainerRuntimeConfig for a pool (getManagedKeyCtrCfg, first CRC of the pool). */
export function generatedCrioMachineConfigName(pool: string): string {
  return `99-${pool}-generated-containerruntime`;
}

export interface CrioConfigSync {
  /** The MachineConfigs to create or update, one per selected pool. */
  machineConfigs: MachineConfig[];
  /** The ContainerRuntimeConfig's status after this sync. */
  status: NonNullable<ContainerRuntimeConfig["status"]>;
}

/**
 * syncContainerRuntimeConfig: pools are matched by the CRC's machineConfigPoolSelector against their
 * labels (an empty selector matches none); each gets a MachineConfig for its role with the CRI-O
 * drop-in, owned by the CRC so that it goes with it.
 */
export function syncContainerRuntimeConfig(crc: ContainerRuntimeConfig, pools: readonly MachineConfigPool[], now: Date): CrioConfigSync {
  const selector = crc.spec?.machineConfigPoolSelector;
  const matched = isEmptySelector(selector) ? [] : pools.filter((p) => selectorMatches(selector, p.metadata.labels));
  const generation = crc.metadata.generation ?? 1;
  if (matched.length === 0) {
    const message = `could not find any MachineConfigPool set for ContainerRuntimeConfig ${crc.metadata.name}`;
    return { machineConfigs: [], status: { observedGeneration: generation, conditions: [crcCondition(crc, "Failure", "False", message, now)] } };
  }
  const logLevel = crc.spec?.containerRuntimeConfig?.logLevel;
  const files = logLevel ? [{ path: CRIO_LOG_LEVEL_FILE, mode: 420, overwrite: true, contents: { source: dataUrl(`[crio.runtime]\nlog_level = "${logLevel}"\n`) } }] : [];
  const machineConfigs = matched.map(
    (pool): MachineConfig => ({
      apiVersion: MCO_API_VERSION,
      kind: "MachineConfig",
      metadata: {
        name: generatedCrioMachineConfigName(pool.metadata.name ?? ""),
        labels: { [MCO_ROLE_LABEL]: pool.metadata.name ?? "" },
        ownerReferences: [controllerReference({ ...crc, apiVersion: MCO_API_VERSION, kind: "ContainerRuntimeConfig" })],
      },
      spec: { config: { ignition: { version: "3.2.0" }, storage: { files } } },
    }),
  );
  return { machineConfigs, status: { observedGeneration: generation, conditions: [crcCondition(crc, "Success", "True", "Success", now)] } };
}

function crcCondition(crc: ContainerRuntimeConfig, type: string, status: string, message: string, now: Date) {
  const previous = crc.status?.conditions?.find((c) => c.type === type && c.status === status && c.message === message);
  return { type, status, message, lastTransitionTime: previous?.lastTransitionTime ?? toKubeTime(now) };
}

export interface PoolRender {
  /** The rendered config's name and the MachineConfigs it was made from (pool.spec.configuration). */
  configuration: { name: string; source: Array<{ apiVersion: string; kind: string; name: string }> };
  /** The rendered MachineConfig (create it when missing). */
  rendered: MachineConfig;
  /** The base to record on the pool, the first time the twin renders it ("" for none). */
  base?: string;
}

/**
 * The render controller for one pool: merge the MachineConfigs its machineConfigSelector picks, in
 * name order, into `rendered-<pool>-<hash of the content>`, so that the same content always gives
 * the same name and any change (the kata extension, a log level) gives a new one.
 *
 * The twin holds none of OpenShift's base MachineConfigs (00-worker, ...): the config a pool has
 * when the twin first renders it stands for them, and the pool keeps that name for as long as its
 * MachineConfigs are what they were then. Returns undefined for a pool with nothing to render.
 */
export function renderPool(pool: MachineConfigPool, machineConfigs: readonly MachineConfig[]): PoolRender | undefined {
  const selector = pool.spec?.machineConfigSelector;
  if (isEmptySelector(selector)) return undefined;
  const selected = machineConfigs
    .filter((mc) => selectorMatches(selector, mc.metadata.labels))
    .sort((a, b) => (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""));
  const content = mergeMachineConfigs(selected);
  const hash = createHash("md5").update(JSON.stringify(content)).digest("hex");
  const current = pool.spec?.configuration?.name;
  const recorded = pool.metadata.annotations?.[BASE_CONFIGURATION_ANNOTATION];
  // Recorded once, at the twin's first render of the pool: "" when the pool had no config then.
  const base = recorded !== undefined ? parseBase(recorded) : current ? { name: current, hash } : undefined;
  if (!base && selected.length === 0) return undefined;
  const name = base && base.hash === hash ? base.name : `rendered-${pool.metadata.name}-${hash}`;
  return {
    configuration: { name, source: selected.map((mc) => ({ apiVersion: MCO_API_VERSION, kind: "MachineConfig", name: mc.metadata.name ?? "" })) },
    rendered: {
      apiVersion: MCO_API_VERSION,
      kind: "MachineConfig",
      metadata: {
        name,
        annotations: { "machineconfiguration.openshift.io/generated-by-controller-version": "twin" },
        ownerReferences: [controllerReference({ ...pool, apiVersion: MCO_API_VERSION, kind: "MachineConfigPool" })],
      },
      spec: content,
    },
    ...(recorded === undefined ? { base: base ? `${base.name} ${base.hash}` : "" } : {}),
  };
}

/** Whether the pool already points at this render. */
export function poolRendered(pool: MachineConfigPool, render: PoolRender): boolean {
  return (
    isDeepStrictEqual(pool.spec?.configuration, render.configuration) &&
    (render.base === undefined || pool.metadata.annotations?.[BASE_CONFIGURATION_ANNOTATION] === render.base)
  );
}

/** The merged spec: extensions united, files in name order (a later one wins for a path). */
function mergeMachineConfigs(machineConfigs: readonly MachineConfig[]): { extensions: string[]; config: Record<string, unknown> } {
  const extensions = new Set<string>();
  const files = new Map<string, unknown>();
  for (const mc of machineConfigs) {
    for (const extension of mc.spec?.extensions ?? []) extensions.add(extension);
    const storage = (mc.spec?.config as { storage?: { files?: Array<{ path: string }> } } | undefined)?.storage;
    for (const file of storage?.files ?? []) files.set(file.path, file);
  }
  return { extensions: [...extensions].sort(), config: { ignition: { version: "3.2.0" }, storage: { files: [...files.values()] } } };
}

function parseBase(value: string): { name: string; hash: string } | undefined {
  const [name, hash] = value.split(" ");
  return name && hash ? { name, hash } : undefined;
}

function dataUrl(text: string): string {
  return `data:text/plain;charset=utf-8;base64,${Buffer.from(text).toString("base64")}`;
}
