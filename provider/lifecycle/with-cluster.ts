import type { ClusterClient } from "../cluster/client";
import type { HandlerContext, Progress } from "./context";
import type { CommonInputs } from "./inputs";

export interface ClusterCall {
  client: ClusterClient;
  /** "KataConfig example-kataconfig", "MachineHealthCheck default/workers": the resource in messages. */
  label: string;
  progress: Progress;
}

/** Connect to the resource's cluster for one handler call, and always let go of it afterwards. */
export async function withCluster<T>(context: HandlerContext, inputs: CommonInputs, kind: string, run: (call: ClusterCall) => Promise<T>): Promise<T> {
  const client = await context.connect(inputs.cluster);
  try {
    const name = inputs.metadata.namespace ? `${inputs.metadata.namespace}/${inputs.metadata.name}` : inputs.metadata.name;
    const label = `${kind} ${name}`;
    return await run({ client, label, progress: context.progress(label) });
  } finally {
    await client.close();
  }
}
