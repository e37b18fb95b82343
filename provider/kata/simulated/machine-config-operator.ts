import { isDeepStrictEqual } from "node:util";
import type { ClusterClient } from "../../cluster/client";
import { type Controller, earlier, type ReconcileResult } from "../../cluster/controller";
import { kinds } from "../../k8s/api-types";
import type { Node } from "../../k8s/core";
import type { KubeObject } from "../../k8s/meta";
import { poolIndexer } from "../machine-config";
import type { ContainerRuntimeConfig, MachineConfig, MachineConfigPool } from "../model";
import { BASE_CONFIGURATION_ANNOTATION, poolRendered, renderPool, syncContainerRuntimeConfig } from "../render-step";
import { daemonStartMs, daemonStep, type NodePatch, PoolTally, targetPatch } from "../rollout-step";

// A simulated Machine Config Operator, one pass doing what its controllers and daemons do on a
// change: the ContainerRuntimeConfig controller, the render controller, the machine-config daemon on
// every node, then the node controller (targets and pool status), in that order, so that a node
// finishing, the next one being targeted and the pool's status land together, as they do within
// milliseconds on a cluster. The semantics are in render-step.ts and rollout-step.ts.

export function machineConfigController(options: { nodeUpdateMs: number }): Controller {
  // What the last render looked at: the pools and MachineConfigs, by resourceVersion. Most passes
  // are about nodes only and need no render.
  let rendered = "";
  return {
    name: "machine-config-operator",
    watches: ["Node", "MachineConfigPool", "MachineConfig", "ContainerRuntimeConfig"],
    async reconcile(client, now) {
      const result: ReconcileResult = { changed: false };
      const note = (changed: boolean) => void (result.changed ||= changed);
      note(await syncContainerRuntimeConfigs(client, now));
      const renderInputs = await renderKey(client);
      if (renderInputs !== rendered) {
        note(await render(client));
        rendered = await renderKey(client);
      }

      // One pass over the nodes: the daemon on each (a node finishing or starting its update at
      // this time), then the node counted in its pool.
      const pools = await client.list<MachineConfigPool>(kinds.machineConfigPool);
      const tallies = pools.map((pool) => new PoolTally(pool));
      const poolOf = poolIndexer(pools);
      for (let node of await client.list<Node>(kinds.node)) {
        const step = daemonStep(node, now, options);
        result.wakeAt = earlier(result.wakeAt, step.wakeAt);
        if (step.patch) {
          node = await patchNode(client, step.patch);
          result.changed = true;
        }
        const at = poolOf(node);
        if (at >= 0) tallies[at]!.add(node);
      }

      // The node controller: each pool's candidates, then its status.
      for (const tally of tallies) {
        const { pool } = tally;
        const step = tally.sync(now);
        for (const name of step.targets) {
          const node = tally.nodes.find((n) => n.metadata.name === name)!;
          await patchNode(client, targetPatch(node, pool.spec!.configuration!.name!, now));
          result.changed = true;
          result.wakeAt = earlier(result.wakeAt, new Date(now.getTime() + daemonStartMs(options)));
        }
        if (step.status && !isDeepStrictEqual(step.status, pool.status)) {
          await client.patchStatus({ ...kinds.machineConfigPool, name: pool.metadata.name }, step.status);
          result.changed = true;
        }
      }
      return result;
    },
  };
}

/** The ContainerRuntimeConfig controller: each CRC's generated MachineConfigs, and its status. */
async function syncContainerRuntimeConfigs(client: ClusterClient, now: Date): Promise<boolean> {
  const crcs = await client.list<ContainerRuntimeConfig>(kinds.containerRuntimeConfig);
  if (crcs.length === 0) return false;
  const pools = await client.list<MachineConfigPool>(kinds.machineConfigPool);
  let changed = false;
  for (const crc of crcs) {
    if (crc.metadata.deletionTimestamp) continue;
    const sync = syncContainerRuntimeConfig(crc, pools, now);
    for (const mc of sync.machineConfigs) {
      const existing = await client.get<MachineConfig>({ ...kinds.machineConfig, name: mc.metadata.name });
      if (existing && isDeepStrictEqual(existing.spec, mc.spec)) continue;
      await client.apply(mc);
      changed = true;
    }
    if (!isDeepStrictEqual(crc.status, sync.status)) {
      await client.patchStatus({ ...kinds.containerRuntimeConfig, name: crc.metadata.name }, sync.status);
      changed = true;
    }
  }
  return changed;
}

/** What a render reads: the pools' specs (their generation), the twin's note on them, and every MachineConfig. */
async function renderKey(client: ClusterClient): Promise<string> {
  const pools = (await client.list(kinds.machineConfigPool)).map(
    (p) => `${p.metadata.name}@${p.metadata.generation}@${p.metadata.deletionTimestamp ?? ""}@${p.metadata.annotations?.[BASE_CONFIGURATION_ANNOTATION] ?? ""}`,
  );
  const machineConfigs = (await client.list(kinds.machineConfig)).map((mc: KubeObject) => `${mc.metadata.name}@${mc.metadata.resourceVersion}`);
  return `${pools.join(",")};${machineConfigs.join(",")}`;
}

/** The render controller: every pool pointed at the render of its MachineConfigs. */
async function render(client: ClusterClient): Promise<boolean> {
  const pools = await client.list<MachineConfigPool>(kinds.machineConfigPool);
  const machineConfigs = await client.list<MachineConfig>(kinds.machineConfig);
  let changed = false;
  for (const pool of pools) {
    if (pool.metadata.deletionTimestamp) continue;
    const rendered = renderPool(pool, machineConfigs);
    if (!rendered || poolRendered(pool, rendered)) continue;
    if (!machineConfigs.some((mc) => mc.metadata.name === rendered.configuration.name)) await client.apply(rendered.rendered);
    await client.patch(
      { ...kinds.machineConfigPool, name: pool.metadata.name },
      {
        ...(rendered.base !== undefined ? { metadata: { annotations: { [BASE_CONFIGURATION_ANNOTATION]: rendered.base } } } : {}),
        spec: { configuration: rendered.configuration },
      },
    );
    changed = true;
  }
  return changed;
}

async function patchNode(client: ClusterClient, patch: NodePatch): Promise<Node> {
  return client.patch<Node>(
    { ...kinds.node, name: patch.node },
    // Uncordoning removes the field, as the drain controller's Unschedulable=false does (omitempty).
    { metadata: { annotations: patch.annotations }, ...(patch.unschedulable !== undefined ? { spec: { unschedulable: patch.unschedulable || null } } : {}) },
  );
}
