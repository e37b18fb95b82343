import * as z from "zod";
import { conditionOutputSchema } from "../k8s/meta";
import type { MachineHealthCheckStatus } from "./model";

// The MachineHealthCheck's status as a resource output: every field a program reads is present
// (0, [] or "" before the controller has written it), and fields we do not model are left out.

export const clusterApiConditionOutputSchema = conditionOutputSchema.extend({
  severity: z.string().default("").meta({ description: 'Of a False condition: "Error", "Warning" or "Info"; "" otherwise.' }),
});

export const machineHealthCheckStatusOutputSchema = z.object({
  expectedMachines: z.number().int().default(0).meta({ description: "Machines the health check selects (paused and skip-remediation machines left out)." }),
  currentHealthy: z.number().int().default(0).meta({ description: "Machines healthy now." }),
  remediationsAllowed: z.number().int().default(0).meta({ description: "How many more machines may turn unhealthy before remediation is short-circuited." }),
  observedGeneration: z.number().int().default(0).meta({ description: "The generation of the policy the controller last acted on." }),
  targets: z.array(z.string()).default([]).meta({ description: "Names of the machines the health check selects." }),
  conditions: z.array(clusterApiConditionOutputSchema).default([]).meta({ description: "RemediationAllowed, False (TooManyUnhealthy) while remediation is short-circuited." }),
});

export type MachineHealthCheckStatusOutput = z.output<typeof machineHealthCheckStatusOutputSchema>;

/** The output form of a status read from the cluster (or of none yet). */
export function machineHealthCheckStatusOutput(status: MachineHealthCheckStatus | undefined): MachineHealthCheckStatusOutput {
  return machineHealthCheckStatusOutputSchema.parse(status ?? {});
}
