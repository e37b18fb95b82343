import type { ClusterClient } from "../cluster/client";
import { connect } from "../cluster/connect";
import type { CommonInputs } from "./inputs";

/** Connect to the resource's cluster for one handler call, and always let go of it afterwards. */
export async function withCluster<T>(inputs: CommonInputs, kind: string, run: (client: ClusterClient, label: string) => Promise<T>): Promise<T> {
  const client = await connect(inputs.cluster);
  try {
    const name = inputs.metadata.namespace ? `${inputs.metadata.namespace}/${inputs.metadata.name}` : inputs.metadata.name;
    return await run(client, `${kind} ${name}`);
  } finally {
    await client.close();
  }
}
