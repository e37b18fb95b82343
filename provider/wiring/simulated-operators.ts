import type { SimulatedOperators } from "../cluster/controller";
import { kataSimulation } from "../kata/simulated";
import { clusterApiSimulation } from "../mhc/simulated";

/** The name of the twin's MachineHealthCheck controller, which Cluster API's own replaces on a dev cluster with --capi upstream. */
export { MACHINE_HEALTH_CHECK_CONTROLLER } from "../mhc/simulated";
import type { NameGenerator } from "../mhc/actions";

// Which simulated operators play a cluster that lacks the real ones: the embedded twin plays them
// in-process, the dev cluster's operator process plays them against a real API server.

export interface OperatorTimings {
  /** How long the machine-config daemon takes to move one node to a new config. */
  nodeUpdateMs: number;
  /** How long a new Machine takes to get a Node. */
  nodeStartupMs: number;
  /** Names of replacement Machines (tests fix them). */
  generateName?: NameGenerator;
}

/** Twin time: a real node update (drain, reboot) takes minutes; so does a machine's start-up. */
export const defaultTimings: OperatorTimings = { nodeUpdateMs: 5 * 60_000, nodeStartupMs: 3 * 60_000 };

/** Every simulated operator, KataConfig's and Cluster API's. */
export function simulatedOperators(timings: Partial<OperatorTimings> = {}): SimulatedOperators {
  const all = { ...defaultTimings, ...timings };
  const parts = [kataSimulation(all), clusterApiSimulation(all)];
  return {
    controllers: parts.flatMap((p) => p.controllers),
    admission: parts.flatMap((p) => p.admission),
    fixtureChecks: parts.flatMap((p) => p.fixtureChecks ?? []),
  };
}
