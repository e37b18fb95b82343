import type { ClusterClient } from "../cluster/client";
import { type Controller, earlier, type ReconcileResult, secondsAfter } from "../cluster/controller";
import type { Node, Pod, RuntimeClass } from "../k8s/core";
import {
  KATA_API_VERSION,
  KATA_FINALIZER,
  KATA_KIND,
  KATA_NODE_ROLE_LABEL,
  KATA_POOL,
  type KataConfig,
  type MachineConfigPool,
  MCO_API_VERSION,
} from "./model";
import { inProgressCondition, kataOperatorStep } from "./operator";
import { rolloutStep } from "./rollout";

// The KataConfig operator and the Machine Config Operator's pool rollout, as controllers that
// apply the pure steps through a ClusterClient.

export const refs = {
  kataConfig: { apiVersion: KATA_API_VERSION, kind: KATA_KIND },
  node: { apiVersion: "v1", kind: "Node" },
  pod: { apiVersion: "v1", kind: "Pod" },
  pool: { apiVersion: MCO_API_VERSION, kind: "MachineConfigPool" },
  runtimeClass: { apiVersion: "node.k8s.io/v1", kind: "RuntimeClass" },
} as const;

export const kataOperatorController: Controller = {
  name: "kataconfig-operator",
  watches: ["KataConfig", "Node", "Pod", "MachineConfigPool", "RuntimeClass"],
  async reconcile(client, now) {
    const result: ReconcileResult = { changed: false };
    for (const kataConfig of await client.list<KataConfig>(refs.kataConfig)) {
      const one = await reconcileKataConfig(client, kataConfig, now);
      result.changed ||= one.changed;
      result.again ||= one.again;
      result.wakeAt = earlier(result.wakeAt, one.wakeAt);
    }
    return result;
  },
};

async function reconcileKataConfig(client: ClusterClient, stored: KataConfig, now: Date): Promise<ReconcileResult> {
  const kataConfig = { ...stored, spec: stored.spec ?? {} };
  const [nodes, pods, pools, runtimeClasses] = await Promise.all([
    client.list<Node>(refs.node),
    client.list<Pod>(refs.pod),
    client.list<MachineConfigPool>(refs.pool),
    client.list<RuntimeClass>(refs.runtimeClass),
  ]);
  const step = kataOperatorStep({
    kataConfig,
    nodes,
    pods,
    pools,
    runtimeClasses: runtimeClasses.map((rc) => rc.metadata.name ?? ""),
    now,
  });
  const ref = { ...refs.kataConfig, name: kataConfig.metadata.name };
  let changed = false;
  if (step.addFinalizer) {
    await client.patch(ref, { metadata: { finalizers: [...(kataConfig.metadata.finalizers ?? []), KATA_FINALIZER] } });
    changed = true;
  }
  if (step.createKataPool) {
    await client.apply(kataPool());
    changed = true;
  }
  for (const name of step.labelNodes) await client.patch({ ...refs.node, name }, { metadata: { labels: { [KATA_NODE_ROLE_LABEL]: "" } } });
  for (const name of step.unlabelNodes) await client.patch({ ...refs.node, name }, { metadata: { labels: { [KATA_NODE_ROLE_LABEL]: null } } });
  changed ||= step.labelNodes.length + step.unlabelNodes.length > 0;
  for (const runtimeClass of step.createRuntimeClasses) {
    await client.apply(runtimeClass);
    changed = true;
  }
  if (step.status) {
    await client.patchStatus(ref, step.status);
    changed = true;
  }
  if (step.deleteKataPool) {
    await client.delete({ ...refs.pool, name: KATA_POOL });
    changed = true;
  }
  if (step.removeFinalizer) {
    const finalizers = (kataConfig.metadata.finalizers ?? []).filter((f) => f !== KATA_FINALIZER);
    await client.patch(ref, { metadata: { finalizers } });
    changed = true;
  }
  // The next step reads the finalizer and the condition this one wrote (the RuntimeClass comes only
  // once the condition is False); node progress alone needs no second look.
  const conditionBefore = inProgressCondition(kataConfig.status);
  const conditionAfter = step.status ? inProgressCondition(step.status) : conditionBefore;
  const again = step.addFinalizer || conditionBefore?.status !== conditionAfter?.status || conditionBefore?.reason !== conditionAfter?.reason;
  return { changed, again, wakeAt: changed ? undefined : secondsAfter(now, step.requeueAfterSeconds) };
}

/** The kata-oc pool: nodes carrying the kata-oc role. Its rendered config is the MCO's to fill in. */
export function kataPool(): MachineConfigPool {
  return {
    apiVersion: MCO_API_VERSION,
    kind: "MachineConfigPool",
    metadata: { name: KATA_POOL },
    spec: { nodeSelector: { matchLabels: { [KATA_NODE_ROLE_LABEL]: "" } } },
  };
}

/** The Machine Config Operator's part: render a pool's config, roll its nodes one at a time. */
export function machineConfigController(options: { nodeUpdateMs: number }): Controller {
  return {
    name: "machine-config-operator",
    watches: ["Node", "MachineConfigPool"],
    async reconcile(client, now) {
      const result: ReconcileResult = { changed: false };
      const nodes = await client.list<Node>(refs.node);
      for (const pool of await client.list<MachineConfigPool>(refs.pool)) {
        const poolRef = { ...refs.pool, name: pool.metadata.name };
        if (!pool.spec?.configuration?.name) {
          // The MCO renders the pool's MachineConfigs into one config; the twin names it per pool.
          await client.patch(poolRef, { spec: { configuration: { name: `rendered-${pool.metadata.name}-1` } } });
          result.changed = true;
          result.again = true; // the rollout starts once the pool has its config
          continue;
        }
        const step = rolloutStep({ pool, nodes, now, nodeUpdateMs: options.nodeUpdateMs });
        for (const patch of step.patches) {
          await client.patch({ ...refs.node, name: patch.node }, { metadata: { annotations: patch.annotations } });
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
