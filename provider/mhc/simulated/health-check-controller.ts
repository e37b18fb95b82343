import { type Controller, earlier, type ReconcileResult, secondsAfter } from "../../cluster/controller";
import { kinds } from "../../k8s/api-types";
import type { Node } from "../../k8s/core";
import type { KubeObject } from "../../k8s/meta";
import { planMachineHealthCheckStep } from "../health-check-step";
import { defaultMaxUnhealthy, defaultNodeStartupTimeout, type Cluster, type Machine, type MachineHealthCheck } from "../model";
import { applyClusterActions } from "./apply-actions";

// A simulated MachineHealthCheck controller: the pure step (health-check-step.ts) applied through a
// ClusterClient, for the twin and the dev cluster. Against a real management cluster, Cluster API's
// own controller does this.

/**
 * Upstream's defaulting webhook (internal/webhooks/machinehealthcheck.go `Default`), which a real management
 * cluster runs on every write: the twin stores objects as sent, so the simulated controller reads them with
 * the defaults applied.
 */
export function withWebhookDefaults(mhc: MachineHealthCheck): MachineHealthCheck {
  const template = mhc.spec.remediationTemplate;
  return {
    ...mhc,
    spec: {
      ...mhc.spec,
      maxUnhealthy: mhc.spec.maxUnhealthy ?? defaultMaxUnhealthy,
      nodeStartupTimeout: mhc.spec.nodeStartupTimeout ?? defaultNodeStartupTimeout,
      ...(template && !template.namespace ? { remediationTemplate: { ...template, namespace: mhc.metadata.namespace ?? "default" } } : {}),
    },
  };
}

export const MACHINE_HEALTH_CHECK_CONTROLLER = "machinehealthcheck-controller";

export const machineHealthCheckController: Controller = {
  name: MACHINE_HEALTH_CHECK_CONTROLLER,
  watches: ["MachineHealthCheck", "Machine", "Node", "Cluster"],
  async reconcile(client, now) {
    const result: ReconcileResult = { changed: false };
    const checks = await client.list<MachineHealthCheck>(kinds.machineHealthCheck);
    if (checks.length === 0) return result;
    const nodes = await client.list<Node>(kinds.node);
    for (const mhc of checks) {
      const namespace = mhc.metadata.namespace;
      const cluster = await client.get<Cluster>({ ...kinds.cluster, namespace, name: mhc.spec.clusterName });
      if (!cluster || mhc.metadata.deletionTimestamp) continue;
      const template = mhc.spec.remediationTemplate;
      const remediationTemplate = template?.name
        ? await client.get<KubeObject>({ apiVersion: template.apiVersion ?? "", kind: template.kind ?? "", name: template.name, namespace })
        : undefined;
      const remediationRequests = template?.kind
        ? await client.list<KubeObject>({ apiVersion: template.apiVersion ?? "", kind: template.kind.replace(/Template$/, ""), namespace })
        : undefined;
      const machines = await client.list<Machine>({ ...kinds.machine, namespace });
      const step = planMachineHealthCheckStep({ machineHealthCheck: withWebhookDefaults(mhc), cluster, machines, nodes, now, remediationTemplate, remediationRequests });
      result.changed = (await applyClusterActions(client, step.actions)) || result.changed;
      // A failed reconcile is retried (upstream backs off exponentially; the twin retries after a minute).
      result.wakeAt = earlier(result.wakeAt, secondsAfter(now, step.error !== undefined ? 60 : step.requeueAfterSeconds));
    }
    return result;
  },
};
