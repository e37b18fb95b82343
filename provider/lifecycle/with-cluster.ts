import type { AccessNeed, ClusterClient } from "../cluster/client";
import type { HandlerContext } from "./context";
import type { CommonInputs } from "./inputs";
import { type BudgetedProgress, progressBudget } from "./progress-budget";

export interface ClusterCall {
  client: ClusterClient;
  /** "KataConfig example-kataconfig", "MachineHealthCheck default/workers": the resource in messages. */
  label: string;
  /** The host's progress within a budget: item lines are held back when there are many. */
  progress: BudgetedProgress;
}

/** Connect to the resource's cluster for one handler call, and always let go of it afterwards. */
export async function withCluster<T>(context: HandlerContext, inputs: CommonInputs, kind: string, run: (call: ClusterCall) => Promise<T>): Promise<T> {
  const client = await context.connect(inputs.cluster);
  try {
    const name = inputs.metadata.namespace ? `${inputs.metadata.namespace}/${inputs.metadata.name}` : inputs.metadata.name;
    const label = `${kind} ${name}`;
    const progress = progressBudget(context.progress(label));
    try {
      return await run({ client, label, progress });
    } finally {
      progress.flush();
    }
  } finally {
    await client.close();
  }
}

/**
 * Refuse before anything changes when the cluster says the user lacks a right the operation needs
 * (verb, resource, namespace, identity and how to grant it): a refused operation leaves nothing
 * half-done in the cluster and the stack as it was. The twin has no RBAC: nothing to check there.
 */
export async function requireAccess({ client, label }: ClusterCall, needs: AccessNeed[]): Promise<void> {
  await client.requireAccess?.(needs, label);
}
