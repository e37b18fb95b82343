import type { SimulatedOperators } from "../../cluster/controller";
import type { NameGenerator } from "../actions";
import { machineHealthCheckController } from "./health-check-controller";
import { machineInfrastructureController } from "./machine-infrastructure";
import { ownerRemediationController } from "./owner-remediation-controller";

// What plays Cluster API for a MachineHealthCheck where there is no Cluster API: the health check
// controller, the owners' remediation (MachineSet, KubeadmControlPlane), and the infrastructure that
// gives a new Machine its Node.

export interface ClusterApiSimulationTimings {
  /** How long a new Machine takes to get a Node. */
  nodeStartupMs: number;
  /** Names of replacement Machines (tests fix them). */
  generateName?: NameGenerator;
}

export function clusterApiSimulation(timings: ClusterApiSimulationTimings): SimulatedOperators {
  return {
    controllers: [machineHealthCheckController, ownerRemediationController(timings.generateName), machineInfrastructureController({ nodeStartupMs: timings.nodeStartupMs })],
    admission: [],
  };
}

export { NODE_MACHINE_ANNOTATION, NODE_NAMESPACE_ANNOTATION } from "./machine-infrastructure";
export { MACHINE_HEALTH_CHECK_CONTROLLER } from "./health-check-controller";
