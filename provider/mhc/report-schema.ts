import { z } from "zod";
import { conditionFieldsSchema } from "../k8s/meta";
import { remediators } from "./owners";

// What evaluateMachineHealthCheck returns and the resource's `report` output is: the model the
// Evaluation type, schema.json and the SDK's types all come from.

export const machineVerdictSchema = z.object({
  name: z.string().meta({ description: "The Machine's name." }),
  state: z.enum(["healthy", "unhealthy", "pending", "skipped"]).meta({ description: "The health controller's verdict." }),
  reason: z.string().optional().meta({ description: "Why: UnhealthyNode, NodeStartupTimeout, MachineHasFailure, NodeNotFound, HasRemediateMachineAnnotation, or a pending/skip reason." }),
  message: z.string().optional().meta({ description: "The controller's message, e.g. \"Condition Ready on node is reporting status False for more than 5m0s\"." }),
  recheckAfterSeconds: z.number().optional().meta({ description: "For a pending machine: when it would turn unhealthy if nothing changes." }),
  remediatedBy: z.enum(remediators).meta({ description: "Who replaces the machine when it is unhealthy; none: it stays marked and is never replaced." }),
});

export const evaluationSchema = z.object({
  paused: z.boolean().meta({ description: "The Cluster or the MachineHealthCheck is paused: nothing is checked." }),
  expectedMachines: z.number().meta({ description: "Machines checked (paused and skip-remediation machines left out)." }),
  currentHealthy: z.number().meta({ description: "Machines healthy now." }),
  remediationsAllowed: z.number().meta({ description: "How many more machines may turn unhealthy before remediation is short-circuited." }),
  remediationAllowed: z.boolean().meta({ description: "Whether unhealthy machines are remediated now (false: short-circuited by maxUnhealthy or unhealthyRange)." }),
  targets: z.array(z.string()).meta({ description: "Names of the checked machines, sorted." }),
  conditions: z.array(conditionFieldsSchema).meta({ description: "The RemediationAllowed condition, with the controller's message when short-circuited." }),
  machines: z.array(machineVerdictSchema).meta({ description: "Every selected machine with its verdict." }),
  requeueAfterSeconds: z.number().optional().meta({ description: "When the soonest pending machine is checked again." }),
});

export type Evaluation = z.infer<typeof evaluationSchema>;
export type MachineVerdict = z.infer<typeof machineVerdictSchema>;
export type MachineState = MachineVerdict["state"];
