import { type Controller, earlier, type ReconcileResult } from "../../cluster/controller";
import { kinds } from "../../k8s/api-types";
import type { Node } from "../../k8s/core";
import type { MachineConfigPool } from "../model";
import { rolloutStep } from "../rollout-step";

// A simulated Machine Config Operator: renders each pool's config and rolls its nodes one at a time
// (rollout-step.ts), writing the machine-config daemon's node annotations and the pool's status.

/** The Machine Config Operator's part: render a pool's config, roll its nodes one at a time. */
export function machineConfigController(options: { nodeUpdateMs: number }): Controller {
  return {
    name: "machine-config-operator",
    watches: ["Node", "MachineConfigPool"],
    async reconcile(client, now) {
      const result: ReconcileResult = { changed: false };
      const nodes = await client.list<Node>(kinds.node);
      for (const pool of await client.list<MachineConfigPool>(kinds.machineConfigPool)) {
        const poolRef = { ...kinds.machineConfigPool, name: pool.metadata.name };
        if (!pool.spec?.configuration?.name) {
          // The MCO renders the pool's MachineConfigs into one config; the twin names it per pool.
          await client.patch(poolRef, { spec: { configuration: { name: `rendered-${pool.metadata.name}-1` } } });
          result.changed = true;
          result.again = true; // the rollout starts once the pool has its config
          continue;
        }
        const step = rolloutStep({ pool, nodes, now, nodeUpdateMs: options.nodeUpdateMs });
        for (const patch of step.patches) {
          await client.patch({ ...kinds.node, name: patch.node }, { metadata: { annotations: patch.annotations } });
          result.changed = true;
        }
        if (JSON.stringify(pool.status ?? {}) !== JSON.stringify({ ...(pool.status ?? {}), ...step.status })) {
          await client.patchStatus(poolRef, { ...(pool.status ?? {}), ...step.status });
          result.changed = true;
        }
        result.wakeAt = earlier(result.wakeAt, step.wakeAt);
      }
      return result;
    },
  };
}
