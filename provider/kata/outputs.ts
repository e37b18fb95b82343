import * as z from "zod";
import { conditionOutputSchema } from "../k8s/meta";
import { type KataConfigStatus, type KataNodeList, kataNodeLists } from "./model";

// The KataConfig's status as a resource output: every field a program reads is present (upstream
// omits empty node lists; an output has [] instead), and fields we do not model are left out.

const listDescriptions: Record<KataNodeList, string> = {
  waitingToInstall: "Nodes selected for kata whose update has not started.",
  installing: "Nodes being moved to the kata config now (drained, rebooting).",
  installed: "Nodes with kata installed.",
  failedToInstall: "Nodes whose move to kata failed (machine-config daemon Degraded).",
  waitingToUninstall: "Nodes leaving kata whose update has not started.",
  uninstalling: "Nodes being moved off kata now.",
  failedToUninstall: "Nodes whose move off kata failed (machine-config daemon Degraded).",
};

const nodeLists = Object.fromEntries(
  kataNodeLists.map((list) => [list, z.array(z.string()).default([]).meta({ description: listDescriptions[list] })]),
) as { [L in KataNodeList]: z.ZodDefault<z.ZodArray<z.ZodString>> };

export const kataNodesOutputSchema = z.object({
  nodeCount: z.number().int().default(0).meta({ description: "Nodes selected for kata (labelled kata-oc); 0 as soon as removal starts." }),
  readyNodeCount: z.number().int().default(0).meta({ description: "Nodes with kata installed." }),
  ...nodeLists,
});

export const kataConfigStatusOutputSchema = z.object({
  kataNodes: kataNodesOutputSchema.prefault({}).meta({ description: "Per-node progress: the counts and a list of nodes per state." }),
  conditions: z
    .array(conditionOutputSchema)
    .default([])
    .meta({ description: "The InProgress condition: Installing, Updating, Uninstalling, Failed (Node <name> Degraded: <reason>), BlockedByExistingKataPods, or False with empty reason when done." }),
  runtimeClasses: z.array(z.string()).default([]).meta({ description: "RuntimeClasses the operator created (kata; kata-remote with peer pods)." }),
});

export type KataConfigStatusOutput = z.output<typeof kataConfigStatusOutputSchema>;

/** The output form of a status read from the cluster (or of none yet). */
export function kataConfigStatusOutput(status: KataConfigStatus | undefined): KataConfigStatusOutput {
  return kataConfigStatusOutputSchema.parse(status ?? {});
}
