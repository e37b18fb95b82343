import type { ClusterClient } from "../../cluster/client";
import type { ClusterAction } from "../actions";

// The pure steps return actions; this applies them through a ClusterClient.

export async function applyClusterActions(client: ClusterClient, actions: readonly ClusterAction[]): Promise<boolean> {
  let changed = false;
  for (const action of actions) {
    switch (action.action) {
      case "patchStatus":
        await client.patchStatus(action.ref, action.status);
        break;
      case "patch":
        await client.patch(action.ref, action.patch);
        break;
      case "create":
        await client.apply(action.object);
        break;
      case "delete":
        await client.delete(action.ref);
        break;
      case "report":
        continue;
    }
    changed = true;
  }
  return changed;
}
