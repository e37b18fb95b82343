import type { ClusterClient } from "../../cluster/client";
import { type Controller, earlier, type ReconcileResult, secondsAfter } from "../../cluster/controller";
import { kinds } from "../../k8s/api-types";
import type { Node, Pod, RuntimeClass } from "../../k8s/core";
import { KATA_FINALIZER, KATA_NODE_ROLE_LABEL, KATA_POOL, type KataConfig, type MachineConfigPool, MCO_API_VERSION } from "../model";
import { inProgressCondition, kataOperatorStep } from "../operator-step";

// A simulated sandboxed containers operator: the pure operator step (operator-step.ts) applied
// through a ClusterClient, for the twin and the dev cluster's operator process. Nothing here runs
// against a real OpenShift cluster, where the real operator does this.

export const kataOperatorController: Controller = {
  name: "kataconfig-operator",
  watches: ["KataConfig", "Node", "Pod", "MachineConfigPool", "RuntimeClass"],
  async reconcile(client, now) {
    const result: ReconcileResult = { changed: false };
    for (const kataConfig of await client.list<KataConfig>(kinds.kataConfig)) {
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
    client.list<Node>(kinds.node),
    client.list<Pod>(kinds.pod),
    client.list<MachineConfigPool>(kinds.machineConfigPool),
    client.list<RuntimeClass>(kinds.runtimeClass),
  ]);
  const step = kataOperatorStep({
    kataConfig,
    nodes,
    pods,
    pools,
    runtimeClasses: runtimeClasses.map((rc) => rc.metadata.name ?? ""),
    now,
  });
  const ref = { ...kinds.kataConfig, name: kataConfig.metadata.name };
  let changed = false;
  if (step.addFinalizer) {
    await client.patch(ref, { metadata: { finalizers: [...(kataConfig.metadata.finalizers ?? []), KATA_FINALIZER] } });
    changed = true;
  }
  if (step.createKataPool) {
    await client.apply(kataPool());
    changed = true;
  }
  for (const name of step.labelNodes) await client.patch({ ...kinds.node, name }, { metadata: { labels: { [KATA_NODE_ROLE_LABEL]: "" } } });
  for (const name of step.unlabelNodes) await client.patch({ ...kinds.node, name }, { metadata: { labels: { [KATA_NODE_ROLE_LABEL]: null } } });
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
    await client.delete({ ...kinds.machineConfigPool, name: KATA_POOL });
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

